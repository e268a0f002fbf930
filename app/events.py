"""Event wiring: which component triggers which handler, in which concurrency group."""

from __future__ import annotations

import html
import time
from dataclasses import replace

import gradio as gr

from annotate.errors import InvalidInput
from app import handlers, views
from app.editor import editor_html
from app.handlers import Studio
from app.labels import item_label
from app.layout import Screen
from app.render import (
    actor,
    failure,
    form_from_fields,
    form_updates,
    open_updates,
    record_id,
    show,
    show_outputs,
    signed_in_user,
    step_updates,
    text_or_none,
    view_form,
)
from app.state import Form, Session
from app.steps import clamp, replace_step, seek_time
from app.timeline import timeline_figure
from inference.errors import StudioError
from inference.tasks import DEFAULT_FPS, DEFAULT_MAX_FRAMES

# Reads the player's current time into the first input of the event (for "from player").
PLAYER_TIME_JS = """
(value, ...rest) => {
  const video = document.querySelector("#player video");
  return [video ? Math.round(video.currentTime * 10) / 10 : value, ...rest];
}
"""

# Keeps the highlighted step in view inside the scrolling reasoning box (the last steps too).
SCROLL_TO_STEP_JS = """
() => {
  const mark = document.querySelector("#steps mark.vau-current");
  if (mark) mark.scrollIntoView({block: "nearest"});
}
"""

STORE = {"concurrency_id": "store", "concurrency_limit": 4}
THROTTLE_S = 0.15  # the fastest a streamed run updates the page
# One generation at a time on the one model; saves have their own group so they never wait.
MODEL = {"concurrency_id": "model", "concurrency_limit": 1}
# Instant view changes (steps, nudges, seeking) skip the queue and stay out of the API page.
UI = {"queue": False, "api_visibility": "undocumented"}
# The same, for view changes that may answer with a toast (gr.Info reaches only queued events).
UI_TOLD = {"api_visibility": "undocumented", "concurrency_limit": None}
NO_STEPS = "No reasoning to step through yet: run the model or type it in the form."


def _fields(s: Screen) -> list:
    """The correction fields, in form_from_fields' order: the events that replace the form take
    them (optional for API callers: a caller that sends none has no edits to lose)."""
    return [s.answer, s.start, s.end, s.klass, s.reasoning, s.comment]


def _wire_open(s: Screen, studio: Studio) -> None:
    outputs = [*show_outputs(s), s.save_msg, s.picker]

    def on_pick(
        item_id,
        typed,
        session,
        answer=None,
        start=None,
        end=None,
        klass=None,
        reasoning=None,
        comment=None,
        request: gr.Request = None,
    ):
        nothing = {s.save_msg: gr.skip()}  # a dict of updates, even with nothing in it
        if item_id is None or item_id == "":
            return nothing
        try:
            who = actor(studio, typed, request, "view")
            picked = record_id(item_id)
            if picked == session.item_id:
                # Already open. The dropdown may report one pick twice, the second before the
                # first reply filled the form: its empty fields are no edits to save.
                return nothing
            edits = form_from_fields(answer, start, end, klass, reasoning, comment)
            kept = handlers.keep_edits(studio, session, who, edits)
            opened = handlers.open_item(studio, picked)
        except StudioError as error:
            return failure(s.save_msg, error) | {s.picker: session.item_id}
        session = replace(opened, skipped=session.skipped)
        return open_updates(s, studio, session, who, kept)

    def mover(skip: bool):
        def on_move(
            typed,
            session,
            answer=None,
            start=None,
            end=None,
            klass=None,
            reasoning=None,
            comment=None,
            request: gr.Request = None,
        ):
            try:
                who = actor(studio, typed, request, "annotate")
                edits = form_from_fields(answer, start, end, klass, reasoning, comment)
                kept = handlers.keep_edits(studio, session, who, edits)
                session = handlers.next_item(studio, who, session, skip=skip)
            except StudioError as error:
                return failure(s.save_msg, error)
            note = kept + ("Skipped; next item for you." if skip else "Next item for you.")
            updates = open_updates(s, studio, session, who, note)
            return updates | {s.picker: session.item_id}

        return on_move

    def on_upload(
        path,
        task,
        typed,
        session,
        answer=None,
        start=None,
        end=None,
        klass=None,
        reasoning=None,
        comment=None,
        request: gr.Request = None,
    ):
        try:
            who = actor(studio, typed, request, "view")
            edits = form_from_fields(answer, start, end, klass, reasoning, comment)
            kept = handlers.keep_edits(studio, session, who, edits)
            session = handlers.open_upload(studio, path, task)
        except StudioError as error:
            return failure(s.save_msg, error)
        note = f"{kept}Uploaded: {session.duration:.1f} s video. Choose a task and press Run."
        return open_updates(s, studio, session, who, note) | {s.picker: None}

    edits = [s.state, *_fields(s)]
    pick_in = [s.picker, s.name, *edits]
    s.picker.input(on_pick, pick_in, outputs, api_name="open_item", **STORE)
    s.next_btn.click(mover(False), [s.name, *edits], outputs, api_name="next_item", **STORE)
    s.skip_btn.click(mover(True), [s.name, *edits], outputs, api_name="skip_item", **STORE)

    def on_filter(task, source, state, here, typed, request: gr.Request):
        try:
            who = actor(studio, typed, request, "view")
        except StudioError as error:
            return gr.skip(), failure(s.save_msg, error)[s.save_msg]
        filters = handlers.QueueFilter.from_fields(task, source, state, here)
        choices = handlers.queue_choices(studio, who, filters)
        note = f"{len(choices)} items listed." if choices else "No item matches these filters."
        return gr.update(choices=choices), views.message_html(note)

    filters = [s.queue_task, s.queue_source, s.queue_state, s.queue_here, s.name]
    for component in filters[:4]:
        component.input(on_filter, filters, [s.picker, s.save_msg], api_name=False, **STORE)
    upload_in = [s.upload, s.task, s.name, *edits]
    s.upload.upload(on_upload, upload_in, outputs, api_name="upload", **STORE)


def _wire_task(s: Screen, studio: Studio) -> None:
    def on_task(
        task,
        session,
        typed,
        answer=None,
        start=None,
        end=None,
        klass=None,
        reasoning=None,
        comment=None,
        request: gr.Request = None,
    ):
        try:
            who = actor(studio, typed, request, "view")
            edits = form_from_fields(answer, start, end, klass, reasoning, comment)
            kept = handlers.keep_edits(studio, session, who, edits)
            skipped = session.skipped
            session = replace(handlers.switch_task(studio, session, task), skipped=skipped)
        except StudioError as error:
            return failure(s.run_msg, error) | {s.task: session.task}
        form = handlers.initial_form(studio, session, who)
        updates = show(s, studio, session, form, who) | {s.picker: session.item_id}
        return updates | {s.fps: DEFAULT_FPS[task], s.run_msg: views.message_html(kept)}

    outputs = [*show_outputs(s), s.fps, s.run_msg, s.picker]
    inputs = [s.task, s.state, s.name, *_fields(s)]
    s.task.input(on_task, inputs, outputs, api_name="task", **STORE)


def _run_request(task, think, fps, max_frames, question, *options) -> handlers.RunRequest:
    chosen = tuple(o.strip() for o in options if o and o.strip())
    return handlers.RunRequest(
        task=task,
        think=bool(think),
        fps=float(fps) if fps else None,
        max_frames=int(max_frames or DEFAULT_MAX_FRAMES),
        question=text_or_none(question),
        options=chosen or None,
    )


def _run_update(
    s: Screen, studio: Studio, update: handlers.RunUpdate, who: str | None, kept: Form | None
) -> dict:
    session = update.session
    if update.done and kept is not None:  # the annotator's edits stay; the answer sits beside
        updates = show(s, studio, session, kept, who)
        updates[s.state] = replace(updates[s.state], shown=session.shown)
        note = f"{update.message} Your edits are kept; Take the model's answer replaces them."
        return updates | {s.run_msg: views.message_html(note)}
    if update.done:
        form = Form.from_result(session.result) if session.result else Form()
        updates = show(s, studio, session, form, who)
        return updates | {s.run_msg: views.message_html(update.message)}
    updates = {s.state: session, s.run_msg: views.message_html(update.message)}
    if update.text:
        return updates | {s.steps: views.live_html(update.text), s.raw: update.text}
    data = views.timeline_data(session, None, [], 0)
    return updates | {s.timeline: editor_html(data), s.steps: views.live_html("")}


def _new_item_listed(s: Screen, studio: Studio, before: Session, update: dict, who, queue) -> dict:
    """A run that made the item of an uploaded video lists it in the picker, chosen."""
    after = update.get(s.state)
    if before.item_id is not None or not isinstance(after, Session) or after.item_id is None:
        return {}
    filters = handlers.QueueFilter.from_fields(*queue)
    choices = handlers.queue_choices(studio, who, filters, include=after.item_id)
    return {s.picker: gr.update(choices=choices, value=after.item_id)}


def _wire_run(s: Screen, studio: Studio) -> None:
    inputs = [s.state, s.task, s.think, s.fps, s.max_frames, s.question, *s.qa_options, s.name]
    inputs += [*_fields(s), s.queue_task, s.queue_source, s.queue_state, s.queue_here]
    outputs = [*show_outputs(s), s.run_msg, s.picker]

    def runner(run):
        def on_run(
            session,
            task,
            think,
            fps,
            frames,
            question,
            o1,
            o2,
            o3,
            o4,
            typed,
            answer=None,
            start=None,
            end=None,
            klass=None,
            reasoning=None,
            comment=None,
            queue_task=None,
            queue_source=None,
            queue_state=None,
            queue_here=True,
            request: gr.Request = None,
        ):
            stop = studio.stops.arm(request.session_hash)
            fields = (task, think, fps, frames, question, o1, o2, o3, o4)
            queue = (queue_task, queue_source, queue_state, queue_here)
            try:
                edits = form_from_fields(answer, start, end, klass, reasoning, comment)
                kept = edits if handlers.edited(session, edits) else None
                who = actor(studio, typed, request, "view")
                updates = run(studio, session, _run_request(*fields), stop, who)
                listed = False
                for update in _throttled(s, studio, updates, who, kept):
                    if not listed and (shown := _new_item_listed(s, studio, session, update, who,
                                                                 queue)):  # fmt: skip
                        listed, update = True, update | shown
                    yield update
            except StudioError as error:
                yield failure(s.run_msg, error)
            finally:
                studio.stops.release(request.session_hash, stop)

        return on_run

    s.run_btn.click(runner(handlers.run_model), inputs, outputs, api_name="run", **MODEL)
    s.run_all_btn.click(runner(handlers.run_all), inputs, outputs, api_name="run_all", **MODEL)

    def on_stop(request: gr.Request):
        return views.message_html(handlers.stop_run(studio, request.session_hash))

    s.stop_btn.click(on_stop, None, [s.run_msg], api_name="stop", queue=False)


def _throttled(s: Screen, studio: Studio, updates, who: str | None, kept: Form | None):
    """Pass run updates on, dropping text updates that come faster than the browser needs."""
    last = 0.0
    for update in updates:
        now = time.monotonic()
        if update.text and not update.done and now - last < THROTTLE_S:
            continue
        last = now
        yield _run_update(s, studio, update, who, kept)


def _seek(seconds: float | None, nothing: str = ""):
    """A player update that jumps to `seconds`; without one the player stays and, when a button
    asked for it, a toast says why (`nothing`)."""
    if seconds is None:
        if nothing:
            gr.Info(nothing)
        return gr.skip()
    return gr.update(playback_position=float(seconds))


def _wire_steps(s: Screen, studio: Studio) -> None:
    form_in = [s.state, s.reasoning, s.step_index, s.start, s.end]
    outputs = [s.steps, s.step_index, s.step_edit, s.timeline, s.player]

    def mover(delta: int, asked: bool = True):
        """Move `delta` steps; `asked`: a button press, which says so when nothing can happen."""

        def on_move(session, reasoning, index, start, end):
            form = view_form(reasoning, start, end)
            steps = views.reasoning_steps(form.reasoning)
            index = clamp(int(index or 0) + delta, len(steps))
            updates = step_updates(s, session, form, index)
            if not steps:
                return updates | {s.player: _seek(None, NO_STEPS if asked else "")}
            # Seeking to a step that names no time is only worth a word when that was the ask.
            nothing = f"Step {index + 1} names no time." if asked and delta == 0 else ""
            return updates | {s.player: _seek(seek_time(steps[index]), nothing)}

        return on_move

    for button, delta in ((s.prev_step, -1), (s.next_step, +1), (s.seek_step, 0)):
        moved = button.click(mover(delta), form_in, outputs, **UI_TOLD)
        moved.then(None, None, None, js=SCROLL_TO_STEP_JS)
    s.reasoning.input(mover(0, asked=False), form_in, outputs, **UI, trigger_mode="always_last")

    def on_apply(session, reasoning, index, start, end, new_text):
        steps = views.reasoning_steps(reasoning)
        if not steps or not text_or_none(new_text):
            return {s.steps: gr.skip()}  # a dict of updates (an empty one reads as a value)
        index = clamp(int(index or 0), len(steps))
        text = replace_step(reasoning, steps[index], new_text.strip())
        form = view_form(text, start, end)
        return step_updates(s, session, form, index) | {s.reasoning: text}

    s.apply_step.click(on_apply, [*form_in, s.step_edit], [*outputs, s.reasoning], **UI)

    def on_seek_model(session):
        result = session.result
        if result is None:
            return _seek(None, "No model run on this item yet: press Run.")
        return _seek(
            min(result.interval) if result.interval else None, "The model gave no interval."
        )

    def on_seek_truth(session):
        truth = session.truth.interval
        return _seek(min(truth) if truth else None, "This item has no ground-truth interval.")

    s.seek_model.click(on_seek_model, [s.state], [s.player], **UI_TOLD)
    s.seek_truth.click(on_seek_truth, [s.state], [s.player], **UI_TOLD)


def _nudge(delta: float):
    def on_nudge(value):
        return round(max(0.0, (value or 0.0) + delta), 3)

    return on_nudge


def _wire_interval(s: Screen) -> None:
    # No server event redraws the timeline when Start / End change: its Yours lane follows the
    # fields in the browser (assets/timeline.js), so two replies can never land out of order.
    for button, box, delta in (
        (s.start_minus, s.start, -0.5),
        (s.start_plus, s.start, 0.5),
        (s.end_minus, s.end, -0.5),
        (s.end_plus, s.end, 0.5),
    ):
        button.click(_nudge(delta), [box], [box], **UI)
    s.start_here.click(_nudge(0.0), [s.start], [s.start], js=PLAYER_TIME_JS, **UI)
    s.end_here.click(_nudge(0.0), [s.end], [s.end], js=PLAYER_TIME_JS, **UI)

    def on_normal(session):
        answer = "Normal" if session.task == "grounding" else gr.skip()
        return {s.answer: answer, s.start: None, s.end: None}

    s.no_anomaly.click(on_normal, [s.state], [s.answer, s.start, s.end], **UI)


def _wire_save(s: Screen, studio: Studio) -> None:
    fields = [s.answer, s.start, s.end, s.klass, s.reasoning, s.comment]
    outputs = [s.state, s.save_msg, s.history]

    def saver(status: str):
        def on_save(
            session, answer, start, end, klass, reasoning, comment, typed, request: gr.Request
        ):
            try:
                who = actor(studio, typed, request, "annotate")
                form = form_from_fields(answer, start, end, klass, reasoning, comment)
                session, revision = handlers.save(studio, session, who, form, status)
                session = replace(session, shown=form)  # saved: nothing unsaved
            except StudioError as error:
                return failure(s.save_msg, error)
            verb = "Submitted" if status == "submitted" else "Saved draft"
            note = (
                f"{verb}: revision {revision.number} of your correction of item {session.item_id}."
            )
            rows = views.history_rows(handlers.history(studio, session, who))
            return {s.state: session, s.save_msg: views.message_html(note), s.history: rows}

        return on_save

    def on_saved(task, source, state, here, typed, session, request: gr.Request):
        """The picker relabelled: the saved item's state changed."""
        try:
            who = actor(studio, typed, request, "view")
        except StudioError:
            return gr.skip()
        filters = handlers.QueueFilter.from_fields(task, source, state, here)
        choices = handlers.queue_choices(studio, who, filters)
        return gr.update(choices=choices, value=session.item_id)

    inputs = [s.state, *fields, s.name]
    queue = [s.queue_task, s.queue_source, s.queue_state, s.queue_here, s.name, s.state]
    for button, status, name in (
        (s.save_btn, "draft", "save_draft"),
        (s.submit_btn, "submitted", "submit"),
    ):
        saved = button.click(saver(status), inputs, outputs, api_name=name, **STORE)
        saved.success(on_saved, queue, [s.picker], api_name=False, **STORE)

    def on_restore(
        session,
        number,
        typed,
        answer=None,
        start=None,
        end=None,
        klass=None,
        reasoning=None,
        comment=None,
        request: gr.Request = None,
    ):
        try:
            who = actor(studio, typed, request, "annotate")
            edits = form_from_fields(answer, start, end, klass, reasoning, comment)
            if handlers.edited(session, edits):
                raise InvalidInput("save or discard your edits before restoring a revision")
            if number is None:
                raise InvalidInput("type the number of the revision to restore")
            revision = handlers.restore(studio, session, who, int(number))
        except StudioError as error:
            return failure(s.save_msg, error)
        form = Form.from_revision(revision)
        note = f"Restored revision {revision.restored_from} as draft revision {revision.number}."
        updates = form_updates(s, session.task, form) | step_updates(s, session, form, 0)
        rows = views.history_rows(handlers.history(studio, session, who))
        session = replace(session, shown=form.as_shown())
        return updates | {
            s.state: session,
            s.save_msg: views.message_html(note),
            s.history: rows,
        }

    def on_take(session, typed, request: gr.Request):
        try:
            who = actor(studio, typed, request, "view")
            if session.result is None:
                raise InvalidInput("no model answer yet: press Run")
        except StudioError as error:
            return failure(s.save_msg, error)
        updates = show(s, studio, session, Form.from_result(session.result), who)
        note = "The model's answer is in the form; it is not saved yet."
        return updates | {s.save_msg: views.message_html(note)}

    def on_discard(session, typed, request: gr.Request):
        try:
            who = actor(studio, typed, request, "view")
        except StudioError as error:
            return failure(s.save_msg, error)
        form = session.shown or handlers.initial_form(studio, session, who)
        updates = show(s, studio, session, form, who)
        return updates | {s.save_msg: views.message_html("Edits discarded.")}

    refill = [*show_outputs(s), s.save_msg]
    s.take_model.click(on_take, [s.state, s.name], refill, api_name="take_model_answer", **STORE)
    s.discard_btn.click(on_discard, [s.state, s.name], refill, api_name="discard_edits", **STORE)

    restore_out = [*fields, s.save_msg, s.history, s.steps, s.step_index, s.step_edit, s.timeline]
    restore_in = [s.state, s.restore_no, s.name, *fields]
    s.restore_btn.click(
        on_restore, restore_in, [*restore_out, s.state], api_name="restore", **STORE
    )

    def on_history_row(evt: gr.SelectData):
        # A click picks the revision; restoring writes, so it stays one deliberate press away.
        row = evt.row_value or []
        return row[0] if row else gr.skip()

    s.history.select(on_history_row, None, [s.restore_no], api_name=False, **UI)


def _review_updates(s: Screen, studio: Studio) -> dict:
    pairs = handlers.submitted_queue(studio)
    choices = [(f"#{r.id} · {item_label(i)} · {r.annotator}", r.id) for i, r in pairs]
    return {
        s.review_table: views.review_rows(pairs),
        s.review_pick: gr.update(choices=choices, value=None),
        s.review_comment: "",  # a decision's comment never carries over to the next one
    } | _evidence_updates(s, None)


def _evidence_updates(s: Screen, evidence) -> dict:
    """The correction under review, its video, the three-lane timeline and the reasoning diff."""
    if evidence is None:
        empty = views.timeline_data(Session(), None, [], 0)
        return {
            s.review_view: views.revision_html(None, None),
            s.review_player: None,
            s.review_timeline: timeline_figure(empty),
            s.review_diff: views.reasoning_diff_html(None, None),
        }
    item, revision, session = evidence
    form = Form.from_revision(revision)
    steps = views.reasoning_steps(form.reasoning)
    model = session.result.think or session.result.raw if session.result else None
    return {
        s.review_view: views.revision_html(item, revision),
        s.review_player: session.video,
        s.review_timeline: timeline_figure(views.timeline_data(session, form, steps, 0)),
        s.review_diff: views.reasoning_diff_html(model, revision.reasoning),
    }


def _wire_review(s: Screen, studio: Studio) -> None:
    evidence = [s.review_view, s.review_player, s.review_timeline, s.review_diff]
    outputs = [s.review_table, s.review_pick, s.review_comment, s.review_msg, *evidence]

    def decider(decision: str):
        def on_decide(revision_id, comment, typed, request: gr.Request):
            try:
                who = actor(studio, typed, request, "review")
                if revision_id is None or revision_id == "":
                    raise InvalidInput("pick a revision to review")
                revision_id = record_id(revision_id, "revision")
                comment = text_or_none(comment)
                revision = handlers.review(studio, revision_id, who, decision, comment)
            except StudioError as error:
                return failure(s.review_msg, error)
            note = f"{decision.capitalize()}: {revision.annotator}'s item {revision.item_id}."
            return _review_updates(s, studio) | {s.review_msg: views.message_html(note)}

        return on_decide

    inputs = [s.review_pick, s.review_comment, s.name]
    s.approve_btn.click(decider("approved"), inputs, outputs, api_name="approve", **STORE)
    s.reject_btn.click(decider("rejected"), inputs, outputs, api_name="reject", **STORE)

    def on_queue(typed, request: gr.Request):
        try:
            actor(studio, typed, request, "review")
        except StudioError as error:
            return failure(s.review_msg, error)
        return _review_updates(s, studio)

    s.review_refresh.click(on_queue, [s.name], outputs, api_name="review_queue", **STORE)
    s.review_tab.select(on_queue, [s.name], outputs, api_name=False, **STORE)

    def on_pick(revision_id, typed, request: gr.Request):
        try:
            actor(studio, typed, request, "review")
            found = handlers.review_evidence(studio, record_id(revision_id, "revision"))
        except StudioError as error:
            return failure(s.review_msg, error)
        return _evidence_updates(s, found) | {s.review_msg: views.message_html("")}

    shown = [*evidence, s.review_msg]
    s.review_pick.input(on_pick, [s.review_pick, s.name], shown, api_name=False, **STORE)

    def on_row(typed, evt: gr.SelectData, request: gr.Request):
        row = evt.row_value or []
        if not row:
            return gr.skip()
        return on_pick(row[0], typed, request) | {s.review_pick: row[0]}

    s.review_table.select(on_row, [s.name], [*shown, s.review_pick], api_name=False, **STORE)
    _wire_rubric(s, studio)


def _wire_rubric(s: Screen, studio: Studio) -> None:
    """Reviewers score model descriptions on VAU-Eval's criteria (judge calibration)."""

    def on_runs(typed, request: gr.Request):
        try:
            actor(studio, typed, request, "review")
            choices = handlers.description_runs(studio)
        except StudioError as error:
            return gr.update(), failure(s.rubric_msg, error)[s.rubric_msg]
        return gr.update(choices=choices, value=None), views.message_html("")

    s.review_tab.select(on_runs, [s.name], [s.rubric_pick, s.rubric_msg], api_name=False, **STORE)

    def on_pick(run_id):
        try:
            item, run = handlers.run_with_item(studio, record_id(run_id, "model run"))
        except StudioError as error:
            return views.message_html(handlers.message_of(error), ok=False)
        return views.rubric_html(item, run.answer or run.raw)

    s.rubric_pick.input(on_pick, [s.rubric_pick], [s.rubric_view], **UI)

    def on_save(run_id, cls, objects, fluency, info, facts, typed, request: gr.Request):
        scores = (cls, objects, fluency, info, facts)  # CRITERIA's order, as the sliders are
        try:
            who = actor(studio, typed, request, "review")
            if run_id is None or run_id == "":
                raise InvalidInput("pick a description run to score")
            note = handlers.score_description(studio, record_id(run_id, "model run"), who, scores)
        except StudioError as error:
            return failure(s.rubric_msg, error)[s.rubric_msg]
        return views.message_html(note)

    inputs = [s.rubric_pick, *s.rubric_sliders, s.name]
    s.rubric_save.click(on_save, inputs, [s.rubric_msg], api_name="score_description", **STORE)


def _progress_updates(s: Screen, studio: Studio, who: str | None) -> dict:
    counts, annotators = handlers.progress(studio)
    return {
        s.counts: counts,
        s.by_annotator: annotators,
        s.next_up: views.next_up_markdown(handlers.peek_next(studio, who), who),
    }


def _wire_progress(s: Screen, studio: Studio) -> None:
    def on_refresh(typed, request: gr.Request):
        try:
            who = actor(studio, typed, request, "view")
        except StudioError as error:
            gr.Warning(handlers.message_of(error))
            return {s.next_up: gr.skip()}  # a dict of updates (an empty one reads as a value)
        return _progress_updates(s, studio, who)

    outputs = [s.counts, s.by_annotator, s.next_up]
    s.progress_refresh.click(on_refresh, [s.name], outputs, api_name="progress", **STORE)
    s.progress_tab.select(on_refresh, [s.name], outputs, api_name=False, **STORE)

    def on_export(fmt, status, with_truth, request: gr.Request):
        try:
            actor(studio, None, request, "export")  # records no name: the login decides
            path, summary = handlers.export(studio, fmt, status, bool(with_truth))
        except StudioError as error:
            return failure(s.export_msg, error) | {s.export_file: None}
        return {s.export_file: str(path), s.export_msg: views.message_html(summary)}

    inputs = [s.export_format, s.export_status, s.export_truth]
    s.export_btn.click(on_export, inputs, [s.export_file, s.export_msg], api_name="export", **STORE)


def _wire_model(s: Screen, studio: Studio) -> None:
    def on_load(name, quant, device, request: gr.Request):
        try:
            actor(studio, None, request, "load_model")
            status = handlers.load_model(studio, name, quant, device)
        except StudioError as error:
            return failure(s.model_msg, error)
        ok = status.state == "ready" and status.name == (name or "").strip()  # not the old one
        return {
            s.header: views.header_html(status),
            s.model_msg: views.message_html(status.message, ok=ok),
        }

    inputs = [s.model_name, s.model_quant, s.model_device]
    s.load_btn.click(on_load, inputs, [s.header, s.model_msg], api_name="load_model", **MODEL)

    def on_refresh(request: gr.Request):
        try:
            actor(studio, None, request, "load_model")
        except StudioError as error:
            gr.Warning(handlers.message_of(error))
            return gr.skip()
        return handlers.checkpoint_rows(studio)

    s.checkpoints_btn.click(on_refresh, None, [s.checkpoint_table], api_name="checkpoints")

    def on_pick(evt: gr.SelectData):
        row = evt.row_value or []
        return row[-1] if row else gr.skip()  # the path column

    s.checkpoint_table.select(on_pick, None, [s.model_name], api_name=False, **UI)

    def on_tick():
        status = studio.models.status()
        return views.header_html(status), gr.Timer(active=status.state == "loading")

    s.status_timer.tick(on_tick, None, [s.header, s.status_timer], **UI)


def _wire_load(s: Screen, studio: Studio, demo: gr.Blocks) -> None:
    def on_page(request: gr.Request):
        username = signed_in_user(request)
        updates = {
            s.picker: gr.update(choices=handlers.queue_choices(studio, username)),
            s.header: views.header_html(studio.models.status()),
            s.timeline: editor_html(views.timeline_data(Session(), None, [], 0)),
        }
        if username:
            updates[s.signed_in] = f"Signed in as **{html.escape(username)}**"
        updates |= _progress_updates(s, studio, username)
        return updates | _review_updates(s, studio)

    outputs = [
        s.next_up,
        s.review_view,
        s.picker,
        s.header,
        s.timeline,
        s.signed_in,
        s.counts,
        s.by_annotator,
        s.review_table,
        s.review_pick,
        s.review_comment,
        s.review_player,
        s.review_timeline,
        s.review_diff,
    ]
    demo.load(on_page, None, outputs, api_visibility="undocumented", **STORE)

    def on_remembered(name, request: gr.Request):
        # Identity comes from the login when there is one; the typed name only without it.
        if signed_in_user(request) or not name:
            return gr.skip()
        return name

    demo.load(on_remembered, [s.name_memory], [s.name], **UI)
    s.name.change(lambda name: name or "", [s.name], [s.name_memory], **UI)


def wire(s: Screen, studio: Studio, demo: gr.Blocks) -> None:
    """Connect every component of the screen to its handler."""
    _wire_open(s, studio)
    _wire_task(s, studio)
    _wire_run(s, studio)
    _wire_steps(s, studio)
    _wire_interval(s)
    _wire_save(s, studio)
    _wire_review(s, studio)
    _wire_progress(s, studio)
    _wire_model(s, studio)
    _wire_load(s, studio, demo)
