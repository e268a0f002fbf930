"""The Studio's components and where they sit; events are wired in app.events."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from annotate.export_options import FORMATS as EXPORT_FORMATS
from app import demo, editor, handlers, hotkeys, views
from app.handlers import Studio
from app.labels import ALL, ITEM_STATES, TASK_LABELS
from app.roles import hf_sign_in, login_configured
from app.settings import DEVICES, QUANTS
from app.state import Session
from app.timeline import TimelineData
from inference.export_layout import RECIPE_FORMATS
from inference.rubric import CRITERIA
from inference.tasks import CLASSES, DEFAULT_FPS, DEFAULT_MAX_FRAMES
from train.card import SUMMARY_COLUMNS

TASK_CHOICES = [(label, task) for task, label in TASK_LABELS.items()]
ANSWER_INFO = {
    "grounding": "Anomaly or Normal",
    "classification": "one of the 20 classes",
    "qa": "the option's letter, A to D",
    "description": "what happens in the video",
}


@dataclass(slots=True, eq=False)
class Screen:
    """The app's components by role, filled in by the layout functions.

    Slotted: assigning a name not declared here (a typo) fails when the app is built.
    """

    answer: gr.Textbox = None
    apply_step: gr.Button = None
    approve_btn: gr.Button = None
    by_annotator: gr.Dataframe = None
    checkpoint_table: gr.Dataframe = None
    checkpoints_btn: gr.Button = None
    comment: gr.Textbox = None
    counts: gr.Dataframe = None
    demo_badge: gr.HTML = None
    demo_gallery: gr.Gallery = None
    demo_ids: gr.State = None
    demo_live: gr.Button = None
    demo_msg: gr.HTML = None
    demo_next: gr.Button = None
    demo_open: gr.Button = None
    demo_open_btn: gr.Button = None
    demo_player: gr.Video = None
    demo_prev: gr.Button = None
    demo_replay: gr.Button = None
    demo_result: gr.HTML = None
    demo_session: gr.State = None
    demo_skip: gr.Button = None
    demo_step: gr.State = None
    demo_steps: gr.HTML = None
    demo_tab: gr.Tab = None
    demo_task: gr.Radio = None
    demo_timeline: gr.Plot = None
    demo_video: gr.Number = None
    discard_btn: gr.Button = None
    end: gr.Number = None
    end_here: gr.Button = None
    end_minus: gr.Button = None
    end_plus: gr.Button = None
    export_btn: gr.Button = None
    export_file: gr.File = None
    export_format: gr.Dropdown = None
    export_msg: gr.HTML = None
    export_status: gr.Dropdown = None
    export_truth: gr.Checkbox = None
    fps: gr.Number = None
    header: gr.HTML = None
    history: gr.Dataframe = None
    klass: gr.Dropdown = None
    load_btn: gr.Button = None
    max_frames: gr.Number = None
    model_device: gr.Dropdown = None
    model_msg: gr.HTML = None
    model_name: gr.Textbox = None
    model_quant: gr.Dropdown = None
    name: gr.Textbox = None
    name_memory: gr.BrowserState = None
    next_btn: gr.Button = None
    next_step: gr.Button = None
    next_up: gr.Markdown = None
    no_anomaly: gr.Button = None
    picker: gr.Dropdown = None
    pin_btn: gr.Button = None
    pin_msg: gr.HTML = None
    player: gr.Video = None
    prev_step: gr.Button = None
    progress_refresh: gr.Button = None
    progress_tab: gr.Tab = None
    qa_box: gr.Accordion = None
    qa_options: list[gr.Textbox] = None
    queue_here: gr.Checkbox = None
    queue_source: gr.Dropdown = None
    queue_state: gr.Dropdown = None
    queue_task: gr.Dropdown = None
    question: gr.Textbox = None
    raw: gr.Textbox = None
    reasoning: gr.Textbox = None
    reject_btn: gr.Button = None
    restore_btn: gr.Button = None
    restore_no: gr.Number = None
    result: gr.HTML = None
    review_comment: gr.Textbox = None
    review_diff: gr.HTML = None
    review_msg: gr.HTML = None
    review_pick: gr.Dropdown = None
    review_player: gr.Video = None
    review_refresh: gr.Button = None
    review_timeline: gr.Plot = None
    review_tab: gr.Tab = None
    review_table: gr.Dataframe = None
    review_view: gr.HTML = None
    rubric_msg: gr.HTML = None
    rubric_pick: gr.Dropdown = None
    rubric_save: gr.Button = None
    rubric_sliders: list[gr.Slider] = None
    rubric_view: gr.HTML = None
    run_all_btn: gr.Button = None
    run_btn: gr.Button = None
    run_msg: gr.HTML = None
    save_btn: gr.Button = None
    save_msg: gr.HTML = None
    seek_model: gr.Button = None
    seek_step: gr.Button = None
    seek_truth: gr.Button = None
    signed_in: gr.Markdown = None
    skip_btn: gr.Button = None
    start: gr.Number = None
    start_here: gr.Button = None
    start_minus: gr.Button = None
    start_plus: gr.Button = None
    state: gr.State = None
    status_timer: gr.Timer = None
    step_edit: gr.Textbox = None
    step_index: gr.State = None
    steps: gr.HTML = None
    stop_btn: gr.Button = None
    submit_btn: gr.Button = None
    tabs: gr.Tabs = None
    take_model: gr.Button = None
    task: gr.Radio = None
    think: gr.Checkbox = None
    timeline: gr.HTML = None
    unpin_btn: gr.Button = None
    upload: gr.UploadButton = None


def _header(s: Screen, studio: Studio) -> None:
    # A Space with `hf_oauth: true` in its front matter gets OAUTH_* variables from the platform;
    # elsewhere Gradio's login button would demand a local Hugging Face token.
    login, hf_login = login_configured(studio.settings), hf_sign_in()
    with gr.Row(equal_height=True, elem_id="vau-top"):
        with gr.Column(scale=4):
            s.header = gr.HTML(views.header_html(studio.models.status()), label="Header")
        with gr.Column(scale=1, min_width=220):
            s.name = gr.Textbox(
                label="Your name",
                placeholder="who is annotating",
                visible=not login,
                elem_id="annotator",
                max_length=128,
            )
            # A local Studio without login remembers the typed name in this browser.
            s.name_memory = gr.BrowserState("", storage_key="vau-studio-name")
            s.signed_in = gr.Markdown(visible=login, elem_id="signed-in")
            if hf_login:
                gr.LoginButton()


def _video_column(s: Screen, choices: list, sources: list[str]) -> None:
    with gr.Row(equal_height=True):
        # Typed values are allowed so API callers can name any item id, not just listed ones.
        s.picker = gr.Dropdown(
            label="Pick an item",
            choices=choices,
            scale=4,
            elem_id="item-picker",
            allow_custom_value=True,
            value=None,
        )
        s.next_btn = gr.Button("Next item →", scale=1, elem_id="next-btn", min_width=110)
        s.skip_btn = gr.Button("Skip", scale=0, elem_id="skip-btn", min_width=60)
        # No file_types filter: every upload reaches open_upload, which explains a refusal.
        s.upload = gr.UploadButton("Upload video", scale=1, elem_id="upload-btn", min_width=110)
    with gr.Accordion("Filter the list", open=False, elem_id="queue-filters"), gr.Row():
        s.queue_task = gr.Dropdown(
            [(ALL, ALL), *TASK_CHOICES], value=ALL, label="Task", elem_id="queue-task"
        )
        s.queue_source = gr.Dropdown(
            [ALL, *sources], value=ALL, label="Source", elem_id="queue-source"
        )
        s.queue_state = gr.Dropdown(
            [ALL, *ITEM_STATES], value=ALL, label="Your state", elem_id="queue-state"
        )
        s.queue_here = gr.Checkbox(True, label="Video on this machine", elem_id="queue-here")
    s.player = gr.Video(
        label="Video", interactive=False, elem_id="player", height=380, autoplay=False
    )
    # Drag, draw and click here; the finished interval lands in the Start / End fields.
    s.timeline = gr.HTML(
        editor.editor_html(TimelineData()),
        js_on_load=editor.editor_js(),
        elem_id="timeline",
        label="Timeline",
    )
    with gr.Row():
        s.seek_model = gr.Button("▶ Model interval", size="sm", elem_id="seek-model")
        s.seek_truth = gr.Button("▶ Ground truth", size="sm", elem_id="seek-truth")
        s.seek_step = gr.Button("▶ Current step", size="sm", elem_id="seek-step")
    with gr.Accordion("Demo gallery (admins)", open=False, elem_id="pin-box"):
        with gr.Row():
            s.pin_btn = gr.Button(
                "📌 Pin this item and its run on screen to the demo", size="sm", elem_id="pin-btn"
            )
            s.unpin_btn = gr.Button("Unpin", size="sm", elem_id="unpin-btn")
        s.pin_msg = gr.HTML(views.message_html(""), elem_id="pin-msg", label="Pin status")


def _correction_panel(s: Screen) -> None:
    with gr.Group(elem_classes="vau-correction"):
        gr.Markdown("#### Your correction", padding=True)
        with gr.Row():
            s.answer = gr.Textbox(
                label="Answer", info=ANSWER_INFO["grounding"], elem_id="fix-answer"
            )
            s.klass = gr.Dropdown(
                choices=list(CLASSES),
                label="Class",
                value=None,
                elem_id="fix-class",
                allow_custom_value=False,
            )
        with gr.Row():
            s.start = gr.Number(label="Start (s)", minimum=0, step=0.1, elem_id="fix-start")
            s.end = gr.Number(label="End (s)", minimum=0, step=0.1, elem_id="fix-end")
        with gr.Row(elem_classes="vau-nudge"):
            s.start_minus = gr.Button("start −0.5", size="sm")
            s.start_plus = gr.Button("start +0.5", size="sm")
            s.end_minus = gr.Button("end −0.5", size="sm")
            s.end_plus = gr.Button("end +0.5", size="sm")
            s.start_here = gr.Button("start ← player", size="sm", elem_id="start-here")
            s.end_here = gr.Button("end ← player", size="sm", elem_id="end-here")
            s.no_anomaly = gr.Button("no anomaly", size="sm", elem_id="no-anomaly")
        s.comment = gr.Textbox(label="Comment", lines=1, elem_id="fix-comment")
    with gr.Row():
        s.save_btn = gr.Button("Save draft", elem_id="save-btn")
        s.submit_btn = gr.Button("Submit", variant="primary", elem_id="submit-btn")
        s.take_model = gr.Button("Take the model's answer", elem_id="take-model")
        s.discard_btn = gr.Button("Discard edits", elem_id="discard-edits")
    s.save_msg = gr.HTML(views.message_html(""), elem_id="save-msg", label="Save status")
    gr.HTML(hotkeys.keys_line(), label="Keys")
    with gr.Accordion("Revision history", open=False, elem_id="history-box"):
        s.history = gr.Dataframe(
            label="Revisions (newest first): click one to restore it",
            headers=views.HISTORY_HEADERS,
            interactive=False,
            elem_id="history",
            wrap=True,
            # Narrow number, status and time columns leave the comment room to show in full.
            column_widths=["6%", "12%", "11%", "15%", "13%", "12%", "12%", "19%"],
        )
        with gr.Row():
            s.restore_no = gr.Number(
                label="Revision #", precision=0, value=None, scale=1, elem_id="restore-no"
            )
            s.restore_btn = gr.Button("Restore this revision", scale=2, elem_id="restore-btn")


def _run_panel(s: Screen) -> None:
    with gr.Group():
        s.task = gr.Radio(TASK_CHOICES, value="grounding", label="Task", elem_id="task")
        with gr.Row():
            s.think = gr.Checkbox(value=True, label="Think (reasoning before the answer)")
            s.fps = gr.Number(
                value=DEFAULT_FPS["grounding"], label="fps", minimum=0.1, maximum=30, step=0.5
            )
            s.max_frames = gr.Number(
                value=DEFAULT_MAX_FRAMES, label="max frames", precision=0, minimum=4
            )
    with gr.Accordion("Question and options (QA)", open=True, visible=False) as s.qa_box:
        s.question = gr.Textbox(label="Question", lines=2, elem_id="qa-question")
        s.qa_options = [gr.Textbox(label=f"Option {letter}", lines=1) for letter in "ABCD"]
    with gr.Row():
        s.run_btn = gr.Button("▶ Run", variant="primary", elem_id="run-btn", scale=2, min_width=80)
        s.run_all_btn = gr.Button("Run all", elem_id="run-all-btn", scale=1, min_width=80)
        s.stop_btn = gr.Button("■ Stop", variant="stop", elem_id="stop-btn", scale=1, min_width=80)
    s.run_msg = gr.HTML(views.message_html(""), elem_id="run-msg", label="Run status")
    s.result = gr.HTML(views.result_html(Session()), elem_id="result", label="Result")


def _steps_panel(s: Screen) -> None:
    gr.Markdown("#### Reasoning, step by step")
    s.steps = gr.HTML(views.steps_view("", 0)[0], elem_id="steps", label="Steps")
    with gr.Row():
        s.prev_step = gr.Button("◀ Previous step", size="sm", elem_id="prev-step")
        s.next_step = gr.Button("Next step ▶", size="sm", elem_id="next-step")
    with gr.Accordion("Edit this step", open=False):
        s.step_edit = gr.Textbox(label="Step text", lines=3, elem_id="step-edit")
        s.apply_step = gr.Button("Apply to the reasoning", size="sm", elem_id="apply-step")
    with gr.Accordion("Whole reasoning (your correction)", open=False):
        s.reasoning = gr.Textbox(label="Reasoning", lines=10, elem_id="fix-reasoning")
    with gr.Accordion("Raw model output", open=False):
        s.raw = gr.Textbox(label="Raw output", lines=8, interactive=False, elem_id="raw")


def _review_tab(s: Screen) -> None:
    gr.Markdown(
        "Submitted corrections waiting for a review, oldest first. Click a row (or pick it) to "
        "see the video, the model / correction / truth timeline and the reasoning changes; "
        "<kbd>Alt</kbd>+<kbd>A</kbd> approves, <kbd>Alt</kbd>+<kbd>R</kbd> rejects."
    )
    s.review_table = gr.Dataframe(
        label="Review queue",
        headers=views.REVIEW_HEADERS,
        interactive=False,
        elem_id="review-table",
        wrap=True,
    )
    with gr.Row():
        s.review_pick = gr.Dropdown(
            label="Revision to review",
            choices=[],
            scale=2,
            allow_custom_value=True,
            elem_id="review-pick",
        )
        s.review_comment = gr.Textbox(label="Review comment", scale=3, elem_id="review-comment")
    s.review_view = gr.HTML(views.revision_html(None, None), label="Correction under review")
    with gr.Row():
        s.review_player = gr.Video(
            label="Video", interactive=False, elem_id="review-player", height=300
        )
        s.review_timeline = gr.Plot(label="Timeline", elem_id="review-timeline", show_label=False)
    s.review_diff = gr.HTML(
        views.reasoning_diff_html(None, None), label="Reasoning changes", elem_id="review-diff"
    )
    with gr.Row():
        s.review_refresh = gr.Button("Refresh", size="sm")
        s.approve_btn = gr.Button("Approve", variant="primary", elem_id="approve-btn")
        s.reject_btn = gr.Button("Reject", variant="stop", elem_id="reject-btn")
    s.review_msg = gr.HTML(views.message_html(""), label="Review status", elem_id="review-msg")
    with gr.Accordion("Calibrate the judge: score model descriptions", open=False):
        gr.Markdown(
            "Score a model's description against the reference on VAU-Eval's criteria (0-10). "
            "`annotate export-rubric`, then `inference judge` and `inference judge-agreement` "
            "show how far an LLM judge agrees with you."
        )
        s.rubric_pick = gr.Dropdown(
            label="Description run to score",
            choices=[],
            allow_custom_value=True,
            elem_id="rubric-pick",
        )
        s.rubric_view = gr.HTML(views.rubric_html(None, None), label="Description and reference")
        s.rubric_sliders = [
            gr.Slider(0, 10, value=5, step=1, label=f"{key}: {meaning}")
            for key, meaning in CRITERIA
        ]
        s.rubric_save = gr.Button("Save scores", elem_id="rubric-save")
        s.rubric_msg = gr.HTML(views.message_html(""), label="Scoring status")


def _progress_tab(s: Screen) -> None:
    with gr.Row():
        s.counts = gr.Dataframe(
            headers=["what", "count"], interactive=False, scale=1, label="Totals"
        )
        s.by_annotator = gr.Dataframe(
            headers=views.PROGRESS_HEADERS, interactive=False, scale=2, label="Per annotator"
        )
    s.next_up = gr.Markdown(elem_id="next-up")
    s.progress_refresh = gr.Button("Refresh", size="sm")
    gr.Markdown("#### Export training data")
    with gr.Row():
        s.export_format = gr.Dropdown(
            list(EXPORT_FORMATS),
            value=RECIPE_FORMATS["sft"],
            label="Format",
            elem_id="export-format",
        )
        s.export_status = gr.Dropdown(
            ["approved", "submitted", "all"],
            value="approved",
            label="Corrections",
            elem_id="export-status",
        )
        s.export_truth = gr.Checkbox(label="Include imported ground truth", value=False)
    s.export_btn = gr.Button("Export", variant="primary", elem_id="export-btn")
    s.export_msg = gr.HTML(views.message_html(""), label="Export status")
    s.export_file = gr.File(label="Download", interactive=False, elem_id="export-file", height=90)


def _model_tab(s: Screen, studio: Studio) -> None:
    settings = studio.settings
    gr.Markdown(
        "Load a Qwen2.5-VL or Qwen2-VL checkpoint: a hub id (cached locally when offline), "
        "a local directory, or `tiny` (a random-weight test model built on this machine)."
    )
    with gr.Row():
        s.model_name = gr.Textbox(
            value=settings.model or "", label="Checkpoint", scale=3, elem_id="model-name"
        )
        s.model_quant = gr.Dropdown(list(QUANTS), value=settings.quant, label="Quantization")
        s.model_device = gr.Dropdown(list(DEVICES), value=settings.device, label="Device")
    s.load_btn = gr.Button("Load model", variant="primary", elem_id="load-btn")
    s.model_msg = gr.HTML(views.message_html(""), elem_id="model-msg", label="Model status")
    gr.Markdown(
        f"Checkpoints trained here (`python -m train ... --out {settings.checkpoints}/NAME`); "
        "pick one to load it. Each stored run names the checkpoint it came from, so the History "
        "compares old and new models on the same item."
    )
    s.checkpoint_table = gr.Dataframe(
        value=handlers.checkpoint_rows(studio),
        headers=list(SUMMARY_COLUMNS),
        interactive=False,
        wrap=True,
        label="Local checkpoints",
        elem_id="checkpoints",
    )
    s.checkpoints_btn = gr.Button("Refresh the list", size="sm")


INTRO = (
    "Recorded model runs replay straight from the database: no GPU, no queue. Pick a video; "
    "each run is labelled with the checkpoint and settings it came from."
)


def _demo_tab(s: Screen) -> None:
    """The gallery, the player and timeline, and the replayed reasoning with its controls."""
    gr.Markdown(INTRO, elem_id="demo-intro")
    s.demo_ids = gr.State([])  # video ids in gallery order
    s.demo_session = gr.State(demo.Shown())
    s.demo_step = gr.State(0)
    s.demo_video = gr.Number(visible=False, precision=0)  # the API's way to name a video
    s.demo_open_btn = gr.Button(visible=False)
    s.demo_gallery = gr.Gallery(
        label="Demo videos",
        columns=5,
        height=316,
        allow_preview=False,
        object_fit="cover",
        elem_id="demo-gallery",
        show_label=False,
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=7):
            s.demo_player = gr.Video(
                label="Video", interactive=False, elem_id="demo-player", height=360
            )
            s.demo_timeline = gr.Plot(
                label="Demo timeline", elem_id="demo-timeline", show_label=False
            )
        with gr.Column(scale=5):
            s.demo_badge = gr.HTML(demo.badge_html(None), elem_id="demo-badge", label="Demo badge")
            s.demo_task = gr.Radio(TASK_CHOICES, label="Task", elem_id="demo-task", value=None)
            with gr.Row():
                s.demo_replay = gr.Button("↻ Replay", size="sm", elem_id="demo-replay")
                s.demo_skip = gr.Button("Skip to the end ▶▶", size="sm", elem_id="demo-skip")
                s.demo_live = gr.Button(
                    "▶ Run live", variant="primary", size="sm", visible=False, elem_id="demo-live"
                )
            s.demo_msg = gr.HTML(views.message_html(""), elem_id="demo-msg", label="Demo status")
            s.demo_result = gr.HTML(elem_id="demo-result", label="Answer")
            s.demo_steps = gr.HTML(views.steps_view("", 0)[0], elem_id="demo-steps", label="Steps")
            with gr.Row():
                s.demo_prev = gr.Button("◀ Previous step", size="sm", elem_id="demo-prev")
                s.demo_next = gr.Button("Next step ▶", size="sm", elem_id="demo-next")
            s.demo_open = gr.Button(
                "Open in the Studio to correct it", size="sm", elem_id="demo-open"
            )


def build_layout(studio: Studio) -> Screen:
    """Create every component inside the current gr.Blocks and return them by role."""
    s = Screen()
    s.state = gr.State(Session())
    s.step_index = gr.State(0)
    _header(s, studio)
    gr.HTML(hotkeys.help_html(), elem_id="vau-help-host", label="Keys and gestures")
    with gr.Tabs(selected=studio.settings.first_tab) as s.tabs:
        with gr.Tab("Demo", id="demo") as s.demo_tab:
            _demo_tab(s)
        with gr.Tab("Studio", id="studio"), gr.Row(equal_height=False):
            with gr.Column(scale=7):
                _video_column(s, handlers.queue_choices(studio), handlers.item_sources(studio))
                _correction_panel(s)
            with gr.Column(scale=5):
                _run_panel(s)
                _steps_panel(s)
        with gr.Tab("Review", id="review") as s.review_tab:
            _review_tab(s)
        with gr.Tab("Progress & export", id="progress") as s.progress_tab:
            _progress_tab(s)
        with gr.Tab("Model", id="model"):
            _model_tab(s, studio)
    s.status_timer = gr.Timer(2.0, active=studio.models.status().state == "loading")
    return s
