"""From a session and a form to the Studio tab's component updates."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr

from annotate.records import Edit
from app import corrections, views
from app.editor import editor_html
from app.fields import interval_fields
from app.scans import with_stored_scan
from app.services import Studio
from app.state import Session, as_shown
from app.steps import step_source
from app.tabs.studio.components import ANSWER_INFO, StudioTab
from inference.core.tasks import CLASSES


def form_updates(s: StudioTab, task: str, form: Edit) -> dict:
    """The correction fields showing `form` (the answer field sized for the task)."""
    start, end = interval_fields(form.interval)
    return {
        s.answer: gr.update(
            value=form.answer or "",
            info=ANSWER_INFO.get(task),
            lines=4 if task == "description" else 1,
        ),
        s.klass: form.class_name if form.class_name in CLASSES else None,
        s.start: start,
        s.end: end,
        s.reasoning: form.reasoning or "",
        s.comment: form.comment or "",
    }


def step_updates(s: StudioTab, session: Session, form: Edit, index: int) -> dict:
    """The step view, the step editor and the timeline for step `index` of the reasoning."""
    html, steps, index = views.steps_view(form.reasoning, index)
    step = steps[index] if steps else None
    data = views.timeline_data(session, form, steps, index)
    return {
        s.steps: html,
        s.step_index: index,
        s.step_edit: step_source(form.reasoning or "", step) if step else "",
        s.timeline: editor_html(data),
    }


def task_updates(s: StudioTab, session: Session) -> dict:
    """The task choice and the QA question and options of the session."""
    qa = session.task == "qa"
    options = list(session.options or ()) + [""] * 4
    updates = {
        s.task: session.task,
        s.qa_box: gr.update(visible=qa),
        s.question: session.question or "",
    }
    updates.update({box: options[i] for i, box in enumerate(s.qa_options)})
    return updates


def show(
    s: StudioTab,
    studio: Studio,
    session: Session,
    form: Edit,
    who: str | None,
    *,
    video: bool = False,
) -> dict:
    """Every update that follows from moving to a new session state (`form` fills the form)."""
    session = replace(session, shown=as_shown(form))
    updates = {
        s.state: session,
        s.result: views.result_html(session),
        s.raw: session.result.raw if session.result else "",
        s.history: views.history_rows(corrections.history(studio, session, who)),
    }
    updates |= task_updates(s, session) | form_updates(s, session.task, form)
    updates |= step_updates(s, session, form, 0)
    if video:
        updates[s.player] = gr.update(value=session.video, playback_position=0)
    return updates


def open_updates(
    s: StudioTab, studio: Studio, session: Session, who: str | None, note: str
) -> dict:
    """The Studio tab moved to a newly opened item: video, form, steps, the video's stored
    scan, and a status line."""
    session = with_stored_scan(studio, session)
    form = corrections.initial_form(studio, session, who)
    if session.video is None:
        note = "The video file of this item is not on this machine; you can still annotate."
    updates = show(s, studio, session, form, who, video=True)
    return updates | {s.save_msg: views.message_html(note, ok=session.video is not None)}


def show_outputs(s: StudioTab) -> list:
    """Every component `show` may update (an event's outputs list)."""
    return [
        s.state, s.result, s.raw, s.history, s.task, s.qa_box, s.question, *s.qa_options,
        s.answer, s.klass, s.start, s.end, s.reasoning, s.comment,
        s.steps, s.step_index, s.step_edit, s.timeline, s.player,
    ]  # fmt: skip
