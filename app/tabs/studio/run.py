"""The Studio tab's runs: one task or all of them, streamed to the page, and the stop button."""

from __future__ import annotations

import time
from dataclasses import replace

import gradio as gr

from annotate.errors import InvalidInput
from annotate.records import Edit
from app import corrections, items, runs, scans, views
from app.editor import editor_html
from app.fields import form_from_fields, text_or_none
from app.guard import Guard
from app.services import MODEL, Studio
from app.state import Session, from_result
from app.tabs.page import Page
from app.tabs.studio.components import StudioTab
from app.tabs.studio.render import show, show_outputs
from inference.core.tasks import DEFAULT_MAX_FRAMES

THROTTLE_S = 0.15  # the fastest a streamed run updates the page


def run_request(task, think, fps, max_frames, question, *options) -> runs.RunRequest:
    """The run panel's fields as a request (empty options dropped)."""
    chosen = tuple(o.strip() for o in options if o and o.strip())
    return runs.RunRequest(
        task=task,
        think=bool(think),
        fps=float(fps) if fps else None,
        max_frames=int(max_frames or DEFAULT_MAX_FRAMES),
        question=text_or_none(question),
        options=chosen or None,
    )


def _run_update(
    s: StudioTab, studio: Studio, update: runs.RunUpdate, who: str | None, kept: Edit | None
) -> dict:
    session = update.session
    if update.done and kept is not None:  # the form stays; the model's answer sits beside it
        updates = show(s, studio, session, kept, who)
        updates[s.state] = replace(updates[s.state], shown=session.shown)
        if corrections.edited(session, kept):
            kept_note = "Your edits are kept; Take the model's answer replaces them."
        else:
            kept_note = "The pre-filled form is kept; Take the model's answer replaces it."
        note = f"{update.message} {kept_note}"
        return updates | {s.run_msg: views.message_html(note)}
    if update.done:
        form = from_result(session.result) if session.result else Edit()
        updates = show(s, studio, session, form, who)
        return updates | {s.run_msg: views.message_html(update.message)}
    updates = {s.state: session, s.run_msg: views.message_html(update.message)}
    if update.text:
        return updates | {s.steps: views.live_html(update.text), s.raw: update.text}
    data = views.timeline_data(session, None, [], 0)
    return updates | {s.timeline: editor_html(data), s.steps: views.live_html("")}


def _new_item_listed(s: StudioTab, studio: Studio, before: Session, update: dict, who, queue):
    """A run that made the item of an uploaded video lists it in the picker, chosen."""
    after = update.get(s.state)
    if before.item_id is not None or not isinstance(after, Session) or after.item_id is None:
        return {}
    filters = items.QueueFilter.from_fields(*queue)
    choices = items.queue_choices(studio, who, filters, include=after.item_id)
    return {s.picker: gr.update(choices=choices, value=after.item_id)}


def _throttled(s: StudioTab, studio: Studio, updates, who: str | None, kept: Edit | None):
    """Pass run updates on (with whether each is the last), dropping text updates that come
    faster than the browser needs."""
    last = 0.0
    for update in updates:
        now = time.monotonic()
        if update.text and not update.done and now - last < THROTTLE_S:
            continue
        last = now
        yield _run_update(s, studio, update, who, kept), update.done


def wire(s: StudioTab, page: Page, studio: Studio) -> None:
    """Run, Run all (one generation at a time, in the model's group) and Stop."""
    inputs = [s.state, s.task, s.think, s.fps, s.max_frames, s.question, *s.qa_options, page.name]
    inputs += [*s.fields(), *s.queue()]
    outputs = [*show_outputs(s), s.run_msg, s.picker]
    guard = Guard(studio)

    def runner(run):
        @guard("view", s.run_msg)
        def on_run(session, task, think, fps, frames, question, o1, o2, o3, o4, who,
                   answer=None, start=None, end=None, klass=None, reasoning=None, comment=None,
                   queue_task=None, queue_source=None, queue_state=None, queue_here=True,
                   queue_list=None, request: gr.Request = None):  # fmt: skip
            stop = studio.stops.arm(request.session_hash)
            fields = (task, think, fps, frames, question, o1, o2, o3, o4)
            queue = (queue_task, queue_source, queue_state, queue_here, queue_list)
            try:
                edits = form_from_fields(answer, start, end, klass, reasoning, comment)
                kept = None if corrections.run_fills(session, edits) else edits
                updates = run(studio, session, run_request(*fields), stop, who)
                listed = False
                for update, done in _throttled(s, studio, updates, who, kept):
                    if not listed and (shown := _new_item_listed(s, studio, session, update, who,
                                                                 queue)):  # fmt: skip
                        listed, update = True, update | shown
                    if done:  # over before its last line goes out: a Stop now finds no run
                        studio.stops.release(request.session_hash, stop)
                    yield update
            finally:
                studio.stops.release(request.session_hash, stop)

        return on_run

    s.run_btn.click(runner(runs.run_model), inputs, outputs, api_name="run", **MODEL)
    s.run_all_btn.click(runner(runs.run_all), inputs, outputs, api_name="run_all", **MODEL)

    def on_stop(request: gr.Request):
        note = runs.stop_run(studio, request.session_hash)
        # The run's own last line ("Done.", "Stopped: partial output kept.") stays on screen.
        return gr.skip() if note in (None, runs.NOTHING_RUNNING) else views.message_html(note)

    s.stop_btn.click(on_stop, None, [s.run_msg], api_name="stop", queue=False)

    @guard("view", s.run_msg)
    def on_scan(session, who, answer=None, start=None, end=None, klass=None, reasoning=None,
                comment=None, index=0):  # fmt: skip
        session, record = scans.scan_video(studio, session, who)
        try:  # the timeline keeps drawing the form's interval; a half-typed one is left out
            form = form_from_fields(answer, start, end, klass, reasoning, comment)
        except InvalidInput:
            form = None
        _, steps, index = views.steps_view(form.reasoning if form else None, index)
        data = views.timeline_data(session, form, steps, index)
        message = views.message_html(scans.scan_message(record))
        return {s.state: session, s.timeline: editor_html(data), s.run_msg: message}

    s.scan_btn.click(
        on_scan,
        [s.state, page.name, *s.fields(), s.step_index],
        [s.state, s.timeline, s.run_msg],
        api_name="scan",
        **MODEL,
    )
