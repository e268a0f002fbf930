"""The Review tab: the queue of submitted corrections with their evidence, decisions, and the
reviewers' rubric scores of model descriptions (judge calibration)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from annotate.errors import InvalidInput
from app import corrections, review, views
from app.fields import record_id, text_or_none
from app.guard import Guard
from app.labels import item_label
from app.services import STORE, UI, Studio
from app.state import Session, from_revision
from app.tabs.page import Page
from app.timeline import timeline_figure
from inference.core.rubric import CRITERIA


@dataclass(slots=True, eq=False)
class ReviewTab:
    """The Review tab's components."""

    tab: gr.Tab = None
    ids: gr.State = None  # the revision id of each row of the table
    table: gr.Dataframe = None
    pick: gr.Dropdown = None
    comment: gr.Textbox = None
    view: gr.HTML = None
    player: gr.Video = None
    timeline: gr.Plot = None
    diff: gr.HTML = None
    refresh: gr.Button = None
    approve: gr.Button = None
    reject: gr.Button = None
    msg: gr.HTML = None
    rubric_pick: gr.Dropdown = None
    rubric_view: gr.HTML = None
    rubric_sliders: list[gr.Slider] = None
    rubric_save: gr.Button = None
    rubric_msg: gr.HTML = None


def build(studio: Studio) -> ReviewTab:
    """The tab's components, inside the current gr.Tabs."""
    t = ReviewTab()
    with gr.Tab("Review", id="review") as t.tab:
        t.ids = gr.State([])
        gr.Markdown(
            "Submitted corrections waiting for a review, oldest first. Click a row (or pick it) "
            "to see the video, the model / correction / truth timeline and the reasoning "
            "changes; <kbd>Alt</kbd>+<kbd>A</kbd> approves, <kbd>Alt</kbd>+<kbd>R</kbd> rejects."
        )
        t.table = gr.Dataframe(
            label="Review queue",
            headers=views.REVIEW_HEADERS,
            interactive=False,
            elem_id="review-table",
            wrap=True,
        )
        with gr.Row():
            t.pick = gr.Dropdown(
                label="Revision to review",
                choices=[],
                scale=2,
                allow_custom_value=True,
                elem_id="review-pick",
            )
            t.comment = gr.Textbox(label="Review comment", scale=3, elem_id="review-comment")
        t.view = gr.HTML(views.revision_html(None, None), label="Correction under review")
        with gr.Row():
            t.player = gr.Video(
                label="Video", interactive=False, elem_id="review-player", height=300
            )
            t.timeline = gr.Plot(label="Timeline", elem_id="review-timeline", show_label=False)
        t.diff = gr.HTML(
            views.reasoning_diff_html(None, None), label="Reasoning changes", elem_id="review-diff"
        )
        with gr.Row():
            t.refresh = gr.Button("Refresh", size="sm")
            t.approve = gr.Button("Approve", variant="primary", elem_id="approve-btn")
            t.reject = gr.Button("Reject", variant="stop", elem_id="reject-btn")
        t.msg = gr.HTML(views.message_html(""), label="Review status", elem_id="review-msg")
        _rubric(t)
    return t


def _rubric(t: ReviewTab) -> None:
    with gr.Accordion("Calibrate the judge: score model descriptions", open=False):
        gr.Markdown(
            "Score a model's description against the reference on VAU-Eval's criteria (0-10). "
            "`annotate export-rubric`, then `inference judge` and `inference judge-agreement` "
            "show how far an LLM judge agrees with you."
        )
        t.rubric_pick = gr.Dropdown(
            label="Description run to score",
            choices=[],
            allow_custom_value=True,
            elem_id="rubric-pick",
        )
        t.rubric_view = gr.HTML(views.rubric_html(None, None), label="Description and reference")
        t.rubric_sliders = [
            gr.Slider(0, 10, value=5, step=1, label=f"{key}: {meaning}")
            for key, meaning in CRITERIA
        ]
        t.rubric_save = gr.Button("Save scores", elem_id="rubric-save")
        t.rubric_msg = gr.HTML(views.message_html(""), label="Scoring status")


def _queue_updates(t: ReviewTab, studio: Studio) -> dict:
    pairs = review.submitted_queue(studio)
    choices = [(f"{item_label(i)} · {r.annotator} · revision {r.number}", r.id) for i, r in pairs]
    return {
        t.ids: [r.id for _, r in pairs],
        t.table: views.review_rows(pairs),
        t.pick: gr.update(choices=choices, value=None),
        t.comment: "",  # a decision's comment never carries over to the next one
    } | _evidence_updates(t, None)


def _evidence_updates(t: ReviewTab, evidence) -> dict:
    """The correction under review, its video, the three-lane timeline and the reasoning diff."""
    if evidence is None:
        empty = views.timeline_data(Session(), None, [], 0)
        return {
            t.view: views.revision_html(None, None),
            t.player: None,
            t.timeline: timeline_figure(empty),
            t.diff: views.reasoning_diff_html(None, None),
        }
    item, revision, session = evidence
    form = from_revision(revision)
    steps = views.reasoning_steps(form.reasoning)
    model = session.result.think or session.result.raw if session.result else None
    return {
        t.view: views.revision_html(item, revision),
        t.player: session.video,
        t.timeline: timeline_figure(views.timeline_data(session, form, steps, 0)),
        t.diff: views.reasoning_diff_html(model, revision.reasoning),
    }


def wire(t: ReviewTab, page: Page, studio: Studio, blocks: gr.Blocks) -> None:
    """Deciding, refreshing and browsing the queue, and the rubric scores."""
    guard = Guard(studio)
    evidence = [t.view, t.player, t.timeline, t.diff]
    outputs = [t.ids, t.table, t.pick, t.comment, t.msg, *evidence]

    def decider(decision: str):
        @guard("review", t.msg)
        def on_decide(revision_id, comment, who, request: gr.Request):
            if revision_id is None or revision_id == "":
                raise InvalidInput("pick a revision to review")
            revision_id = record_id(revision_id, "revision")
            comment = text_or_none(comment)
            revision = review.review(studio, revision_id, who, decision, comment)
            where = corrections.item_name(studio, revision.item_id)
            note = f"{decision.capitalize()}: {revision.annotator}'s correction of {where}."
            return _queue_updates(t, studio) | {t.msg: views.message_html(note)}

        return on_decide

    inputs = [t.pick, t.comment, page.name]
    t.approve.click(decider("approved"), inputs, outputs, api_name="approve", **STORE)
    t.reject.click(decider("rejected"), inputs, outputs, api_name="reject", **STORE)

    @guard("review", t.msg)
    def on_queue(who, request: gr.Request):
        return _queue_updates(t, studio)

    t.refresh.click(on_queue, [page.name], outputs, api_name="review_queue", **STORE)
    t.tab.select(on_queue, [page.name], outputs, api_name=False, **STORE)
    blocks.load(lambda: _queue_updates(t, studio), None, [t.ids, t.table, t.pick, t.comment,
                *evidence], api_visibility="undocumented", **STORE)  # fmt: skip

    @guard("review", t.msg)
    def on_pick(revision_id, who, request: gr.Request):
        found = review.review_evidence(studio, record_id(revision_id, "revision"))
        return _evidence_updates(t, found) | {t.msg: views.message_html("")}

    shown = [*evidence, t.msg]
    t.pick.input(on_pick, [t.pick, page.name], shown, api_name=False, **STORE)

    def on_row(ids, who, evt: gr.SelectData, request: gr.Request):
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        if row is None or not 0 <= row < len(ids):
            return gr.skip()
        return on_pick(ids[row], who, request) | {t.pick: ids[row]}

    t.table.select(on_row, [t.ids, page.name], [*shown, t.pick], api_name=False, **STORE)
    _wire_rubric(t, page, studio, guard)


def _wire_rubric(t: ReviewTab, page: Page, studio: Studio, guard: Guard) -> None:
    """Reviewers score model descriptions on VAU-Eval's criteria (judge calibration)."""

    @guard("review", t.rubric_msg)
    def on_runs(who, request: gr.Request):
        return {
            t.rubric_pick: gr.update(choices=review.description_runs(studio), value=None),
            t.rubric_msg: views.message_html(""),
        }

    t.tab.select(on_runs, [page.name], [t.rubric_pick, t.rubric_msg], api_name=False, **STORE)

    @guard(None, t.rubric_view)
    def on_pick(run_id):
        item, run = review.run_with_item(studio, record_id(run_id, "model run"))
        return {t.rubric_view: views.rubric_html(item, run.answer or run.raw)}

    t.rubric_pick.input(on_pick, [t.rubric_pick], [t.rubric_view], **UI)

    @guard("review", t.rubric_msg)
    def on_save(run_id, cls, objects, fluency, info, facts, who, request: gr.Request):
        scores = (cls, objects, fluency, info, facts)  # CRITERIA's order, as the sliders are
        if run_id is None or run_id == "":
            raise InvalidInput("pick a description run to score")
        note = review.score_description(studio, record_id(run_id, "model run"), who, scores)
        return {t.rubric_msg: views.message_html(note)}

    inputs = [t.rubric_pick, *t.rubric_sliders, page.name]
    t.rubric_save.click(on_save, inputs, [t.rubric_msg], api_name="score_description", **STORE)
