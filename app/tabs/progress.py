"""The Progress & export tab: counts by status and annotator, what is next, and exports."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from annotate.export_options import FORMATS as EXPORT_FORMATS
from app import evaluation, items, progress, views
from app.guard import Guard, signed_in_user
from app.labels import ALL
from app.services import STORE, Studio
from app.tabs.page import Page
from app.tabs.studio import StudioTab
from inference.core.export_layout import RECIPE_FORMATS
from inference.eval.scoring import SCORED_TASKS


@dataclass(slots=True, eq=False)
class ProgressTab:
    """The Progress & export tab's components."""

    tab: gr.Tab = None
    counts: gr.Dataframe = None
    by_annotator: gr.Dataframe = None
    next_up: gr.Markdown = None
    refresh: gr.Button = None
    export_format: gr.Dropdown = None
    export_status: gr.Dropdown = None
    export_truth: gr.Checkbox = None
    export_btn: gr.Button = None
    export_msg: gr.HTML = None
    export_file: gr.File = None
    truth: gr.Dropdown = None
    eval_task: gr.Dropdown = None
    predictions: gr.File = None
    score_btn: gr.Button = None
    figures: gr.Dataframe = None
    eval_msg: gr.HTML = None
    compared: gr.State = None  # (task, the videos the last comparison disagreed on)
    queue_name: gr.Textbox = None
    send_btn: gr.Button = None
    send_msg: gr.HTML = None


def build(studio: Studio) -> ProgressTab:
    """The tab's components, inside the current gr.Tabs."""
    t = ProgressTab()
    with gr.Tab("Progress & export", id="progress") as t.tab:
        with gr.Row():
            t.counts = gr.Dataframe(
                headers=["what", "count"], interactive=False, scale=1, label="Totals"
            )
            t.by_annotator = gr.Dataframe(
                headers=views.PROGRESS_HEADERS, interactive=False, scale=2, label="Per annotator"
            )
        t.next_up = gr.Markdown(elem_id="next-up")
        t.refresh = gr.Button("Refresh", size="sm")
        gr.Markdown("#### Export training data")
        with gr.Row():
            t.export_format = gr.Dropdown(
                list(EXPORT_FORMATS),
                value=RECIPE_FORMATS["sft"],
                label="Format",
                elem_id="export-format",
            )
            t.export_status = gr.Dropdown(
                ["approved", "submitted", "all"],
                value="approved",
                label="Corrections",
                elem_id="export-status",
            )
            t.export_truth = gr.Checkbox(label="Include imported ground truth", value=False)
        t.export_btn = gr.Button("Export", variant="primary", elem_id="export-btn")
        t.export_msg = gr.HTML(views.message_html(""), label="Export status")
        t.export_file = gr.File(
            label="Download", interactive=False, elem_id="export-file", height=90
        )
        _evaluation(t, studio)
    return t


def _evaluation(t: ProgressTab, studio: Studio) -> None:
    gr.Markdown(
        "#### Evaluate checkpoints\nUpload the predictions `python -m inference eval` wrote: one "
        "file for its figures with their intervals, two (A, then B) for the paired difference "
        "of each figure, as `python -m inference score` and `compare` print them."
    )
    truths = list(evaluation.ground_truths(studio))
    with gr.Row():
        t.truth = gr.Dropdown(truths, value=_default_truth(truths), label="Ground truth",
                              elem_id="eval-truth")  # fmt: skip
        t.eval_task = gr.Dropdown(list(SCORED_TASKS), value="grounding", label="Task",
                                  elem_id="eval-task")  # fmt: skip
        t.predictions = gr.File(label="Predictions (A, then B)", file_count="multiple",
                                file_types=[".jsonl"], elem_id="eval-files", height=90)  # fmt: skip
    t.score_btn = gr.Button("Score", elem_id="score-btn")
    t.eval_msg = gr.HTML(views.message_html(""), label="Evaluation status", elem_id="eval-msg")
    t.figures = gr.Dataframe(headers=evaluation.ONE_HEADERS, interactive=False,
                             label="Figures", elem_id="figures", wrap=True)  # fmt: skip
    t.compared = gr.State(("grounding", []))
    with gr.Row(equal_height=True):
        t.queue_name = gr.Textbox(label="Work queue", scale=3, elem_id="queue-name",
                                  placeholder="compare two files to name their queue")  # fmt: skip
        t.send_btn = gr.Button("Send the disagreements to the annotators", scale=2,
                               elem_id="send-btn")  # fmt: skip
    t.send_msg = gr.HTML(views.message_html(""), label="Queue status", elem_id="send-msg")


def _default_truth(names: list[str]) -> str | None:
    return "test_msad.csv" if "test_msad.csv" in names else (names[0] if names else None)


def _updates(t: ProgressTab, studio: Studio, who: str | None) -> dict:
    counts, annotators = progress.progress(studio)
    return {
        t.counts: counts,
        t.by_annotator: annotators,
        t.next_up: views.next_up_markdown(items.peek_next(studio, who), who),
    }


def wire(
    t: ProgressTab, page: Page, studio: Studio, blocks: gr.Blocks, studio_tab: StudioTab
) -> None:
    """Refreshing the counts (on the tab, the button and page load), exporting, evaluating, and
    sending a comparison's disagreements to the Studio tab's picker as a work queue."""
    guard = Guard(studio)
    outputs = [t.counts, t.by_annotator, t.next_up]

    @guard("view", otherwise={t.next_up: gr.skip()})  # a dict of updates, even an empty one
    def on_refresh(who, request: gr.Request):
        return _updates(t, studio, who)

    t.refresh.click(on_refresh, [page.name], outputs, api_name="progress", **STORE)
    t.tab.select(on_refresh, [page.name], outputs, api_name=False, **STORE)

    def on_page(request: gr.Request):
        return _updates(t, studio, signed_in_user(request))

    blocks.load(on_page, None, outputs, api_visibility="undocumented", **STORE)

    # Records no name: the login decides.
    @guard("export", t.export_msg, also=lambda _: {t.export_file: None})
    def on_export(fmt, status, with_truth, request: gr.Request):
        path, summary = progress.export(studio, fmt, status, bool(with_truth))
        return {t.export_file: str(path), t.export_msg: views.message_html(summary)}

    inputs = [t.export_format, t.export_status, t.export_truth]
    t.export_btn.click(on_export, inputs, [t.export_file, t.export_msg], api_name="export", **STORE)

    @guard("view", t.eval_msg)
    def on_score(truth, task, files, who, request: gr.Request):
        paths = [str(getattr(f, "name", f)) for f in files or []]
        found = evaluation.evaluate(studio, truth, task, paths)
        note = views.message_html(" · ".join(found.notes))
        return {
            t.figures: gr.update(value=found.rows, headers=found.headers),
            t.eval_msg: note,
            t.compared: (task, found.disagree),
            t.queue_name: found.queue or "",
        }

    inputs = [t.truth, t.eval_task, t.predictions, page.name]
    outputs = [t.figures, t.eval_msg, t.compared, t.queue_name]
    t.score_btn.click(on_score, inputs, outputs, api_name="evaluate", **STORE)

    @guard("review", t.send_msg)
    def on_send(compared, name, who, request: gr.Request):
        task, videos = compared
        note = evaluation.send_to_queue(studio, name, task, videos, who)
        names = [ALL, *items.queue_names(studio)]
        return {
            t.send_msg: views.message_html(note),
            studio_tab.queue_list: gr.update(choices=names),
        }

    outputs = [t.send_msg, studio_tab.queue_list]
    t.send_btn.click(on_send, [t.compared, t.queue_name, page.name], outputs,
                     api_name="send_to_queue", **STORE)  # fmt: skip
