"""The Studio tab's components and where they sit; app.tabs.studio wires them."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from app import editor, hotkeys, views
from app.labels import ALL, ITEM_STATES, TASK_CHOICES
from app.state import Session
from app.timeline import TimelineData
from inference.core.tasks import CLASSES, DEFAULT_FPS, DEFAULT_MAX_FRAMES

ANSWER_INFO = {
    "grounding": "Anomaly or Normal",
    "classification": "one of the 20 classes",
    "qa": "the option's letter, A to D",
    "description": "what happens in the video",
}


@dataclass(slots=True, eq=False)
class StudioTab:
    """The Studio tab's components by role. Slotted: a misspelt name fails at build time."""

    state: gr.State = None  # app.state.Session: what this page is looking at
    step_index: gr.State = None
    # the item and its video
    picker: gr.Dropdown = None
    next_btn: gr.Button = None
    skip_btn: gr.Button = None
    upload: gr.UploadButton = None
    queue_task: gr.Dropdown = None
    queue_source: gr.Dropdown = None
    queue_state: gr.Dropdown = None
    queue_here: gr.Checkbox = None
    queue_list: gr.Dropdown = None  # a work queue, e.g. where two checkpoints disagree
    player: gr.Video = None
    timeline: gr.HTML = None
    seek_model: gr.Button = None
    seek_truth: gr.Button = None
    seek_step: gr.Button = None
    pin_btn: gr.Button = None
    unpin_btn: gr.Button = None
    pin_msg: gr.HTML = None
    # the correction
    answer: gr.Textbox = None
    klass: gr.Dropdown = None
    start: gr.Textbox = None
    end: gr.Textbox = None
    start_minus: gr.Button = None
    start_plus: gr.Button = None
    end_minus: gr.Button = None
    end_plus: gr.Button = None
    start_here: gr.Button = None
    end_here: gr.Button = None
    no_anomaly: gr.Button = None
    comment: gr.Textbox = None
    save_btn: gr.Button = None
    submit_btn: gr.Button = None
    take_model: gr.Button = None
    take_scan: gr.Button = None
    discard_btn: gr.Button = None
    save_msg: gr.HTML = None
    history: gr.Dataframe = None
    restore_no: gr.Textbox = None
    restore_btn: gr.Button = None
    # the run
    task: gr.Radio = None
    think: gr.Checkbox = None
    fps: gr.Number = None
    max_frames: gr.Number = None
    qa_box: gr.Accordion = None
    question: gr.Textbox = None
    qa_options: list[gr.Textbox] = None
    run_btn: gr.Button = None
    run_all_btn: gr.Button = None
    stop_btn: gr.Button = None
    scan_btn: gr.Button = None
    run_msg: gr.HTML = None
    result: gr.HTML = None
    # the reasoning
    steps: gr.HTML = None
    prev_step: gr.Button = None
    next_step: gr.Button = None
    step_edit: gr.Textbox = None
    apply_step: gr.Button = None
    reasoning: gr.Textbox = None
    raw: gr.Textbox = None

    def fields(self) -> list:
        """The correction fields, in app.fields.form_from_fields' order."""
        return [self.answer, self.start, self.end, self.klass, self.reasoning, self.comment]

    def queue(self) -> list:
        """The picker's filter row, in items.QueueFilter.from_fields' order."""
        return [
            self.queue_task, self.queue_source, self.queue_state, self.queue_here, self.queue_list
        ]  # fmt: skip


def build(choices: list, sources: list[str]) -> StudioTab:
    """The tab's components, inside the current gr.Tabs: the picker lists `choices`."""
    s = StudioTab()
    with gr.Tab("Studio", id="studio"), gr.Row(equal_height=False):
        s.state = gr.State(Session())
        s.step_index = gr.State(0)
        with gr.Column(scale=7):
            _video_column(s, choices, sources)
            _correction_panel(s)
        with gr.Column(scale=5):
            _run_panel(s)
            _steps_panel(s)
    return s


def _video_column(s: StudioTab, choices: list, sources: list[str]) -> None:
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
        s.queue_list = gr.Dropdown([ALL], value=ALL, label="Work queue", elem_id="queue-list")
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


def _correction_panel(s: StudioTab) -> None:
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
            # Text, read by app.fields.number_or_none: Gradio's Number can never be empty (its
            # page shows 0 for none), and an empty time is a correction's "no interval".
            s.start = gr.Textbox(label="Start (s)", max_lines=1, elem_id="fix-start")
            s.end = gr.Textbox(label="End (s)", max_lines=1, elem_id="fix-end")
        with gr.Row(elem_classes="vau-nudge"):
            s.start_minus = gr.Button("start −0.5", size="sm")
            s.start_plus = gr.Button("start +0.5", size="sm")
            s.end_minus = gr.Button("end −0.5", size="sm")
            s.end_plus = gr.Button("end +0.5", size="sm")
            s.start_here = gr.Button("start ← player", size="sm", elem_id="start-here")
            s.end_here = gr.Button("end ← player", size="sm", elem_id="end-here")
            s.no_anomaly = gr.Button("no anomaly", size="sm", elem_id="no-anomaly")
            s.take_scan = gr.Button("interval ← scan", size="sm", elem_id="take-scan")
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
            wrap=True,  # between words only (assets/studio.css); each column as wide as its words
        )
        with gr.Row():
            s.restore_no = gr.Textbox(
                label="Revision #", max_lines=1, scale=1, elem_id="restore-no"
            )  # text: a Number would offer revision 0
            s.restore_btn = gr.Button("Restore this revision", scale=2, elem_id="restore-btn")


def _run_panel(s: StudioTab) -> None:
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
        s.scan_btn = gr.Button("Scan", elem_id="scan-btn", scale=1, min_width=80)
    s.run_msg = gr.HTML(views.message_html(""), elem_id="run-msg", label="Run status")
    s.result = gr.HTML(views.result_html(Session()), elem_id="result", label="Result")


def _steps_panel(s: StudioTab) -> None:
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
