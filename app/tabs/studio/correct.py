"""The Studio tab's corrections: save and submit, restore a revision, take the model's answer,
discard edits; and the admins' pins of the item on screen to the demo gallery."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr

from annotate.errors import InvalidInput
from app import corrections, demo, items, views
from app.fields import form_from_fields, interval_fields, record_id, text_or_none
from app.guard import Guard
from app.services import STORE, UI, Studio
from app.state import as_shown, from_result, from_revision
from app.tabs.page import Page
from app.tabs.studio.components import StudioTab
from app.tabs.studio.render import form_updates, show, show_outputs, step_updates


def wire(s: StudioTab, page: Page, studio: Studio) -> None:
    """Saving, restoring and refilling the form."""
    guard = Guard(studio)
    _wire_save(s, page, studio, guard)
    _wire_restore(s, page, studio, guard)

    @guard("view", s.save_msg)
    def on_take(session, who, request: gr.Request):
        if session.result is None:
            raise InvalidInput("no model answer yet: press Run")
        updates = show(s, studio, session, from_result(session.result), who)
        note = "The model's answer is in the form; it is not saved yet."
        return updates | {s.save_msg: views.message_html(note)}

    @guard("view", s.save_msg)
    def on_discard(session, who, request: gr.Request):
        form = session.shown or corrections.initial_form(studio, session, who)
        updates = show(s, studio, session, form, who)
        return updates | {s.save_msg: views.message_html("Edits discarded.")}

    @guard("view", s.save_msg)
    def on_take_scan(session, who, request: gr.Request):
        scan = session.scan
        if scan is None:
            raise InvalidInput("no scan of this video yet: press Scan")
        start, end = interval_fields(scan.interval)
        updates = {s.start: start, s.end: end}
        if session.task == "grounding":
            updates[s.answer] = "Anomaly" if scan.interval else "Normal"
        said = "{:.1f}–{:.1f} s".format(*scan.interval) if scan.interval else "no anomaly"
        note = f"The scan's interval ({said}, {scan.checkpoint}) is in the form; not saved yet."
        return updates | {s.save_msg: views.message_html(note)}

    refill, inputs = [*show_outputs(s), s.save_msg], [s.state, page.name]
    s.take_model.click(on_take, inputs, refill, api_name="take_model_answer", **STORE)
    scan_out = [s.start, s.end, s.answer, s.save_msg]
    s.take_scan.click(on_take_scan, inputs, scan_out, api_name="take_scan_interval", **STORE)
    s.discard_btn.click(on_discard, inputs, refill, api_name="discard_edits", **STORE)
    _wire_pins(s, page, guard)


def _wire_save(s: StudioTab, page: Page, studio: Studio, guard: Guard) -> None:
    outputs = [s.state, s.save_msg, s.history]

    def saver(status: str):
        @guard("annotate", s.save_msg)
        def on_save(session, answer, start, end, klass, reasoning, comment, who,
                    request: gr.Request):  # fmt: skip
            form = form_from_fields(answer, start, end, klass, reasoning, comment)
            session, revision = corrections.save(studio, session, who, form, status)
            # Saved: nothing unsaved, and a restore warned of before is asked about afresh.
            session = replace(session, shown=as_shown(form), restore_asked=None)
            verb = "Submitted" if status == "submitted" else "Saved draft"
            where = corrections.item_name(studio, session.item_id)
            note = f"{verb}: revision {revision.number} of your correction of {where}."
            rows = views.history_rows(corrections.history(studio, session, who))
            return {s.state: session, s.save_msg: views.message_html(note), s.history: rows}

        return on_save

    @guard("view")
    def on_saved(task, source, state, here, named, who, session, request: gr.Request):
        """The picker relabelled: the saved item's state changed."""
        filters = items.QueueFilter.from_fields(task, source, state, here, named)
        choices = items.queue_choices(studio, who, filters)
        return gr.update(choices=choices, value=session.item_id)

    inputs = [s.state, *s.fields(), page.name]
    queue = [*s.queue(), page.name, s.state]
    for button, status, name in (
        (s.save_btn, "draft", "save_draft"),
        (s.submit_btn, "submitted", "submit"),
    ):
        saved = button.click(saver(status), inputs, outputs, api_name=name, **STORE)
        saved.success(on_saved, queue, [s.picker], api_name=False, **STORE)


def _wire_restore(s: StudioTab, page: Page, studio: Studio, guard: Guard) -> None:
    @guard("annotate", s.save_msg)
    def on_restore(session, number, who, answer=None, start=None, end=None, klass=None,
                   reasoning=None, comment=None, request: gr.Request = None):  # fmt: skip
        edits = form_from_fields(answer, start, end, klass, reasoning, comment)
        if corrections.edited(session, edits):
            raise InvalidInput("save or discard your edits before restoring a revision")
        if text_or_none(number, "revision") is None:
            raise InvalidInput("type the number of the revision to restore")
        number = record_id(number, "revision")
        warning = corrections.restore_warning(studio, session, who, number)
        if warning and session.restore_asked != number:  # the second press goes ahead
            asked = replace(session, restore_asked=number)
            return {s.state: asked, s.save_msg: views.message_html(warning, ok=False)}
        revision = corrections.restore(studio, session, who, number)
        form = from_revision(revision)
        note = f"Restored revision {revision.restored_from} as draft revision {revision.number}."
        updates = form_updates(s, session.task, form) | step_updates(s, session, form, 0)
        rows = views.history_rows(corrections.history(studio, session, who))
        session = replace(session, shown=as_shown(form), restore_asked=None)
        return updates | {
            s.state: session,
            s.save_msg: views.message_html(note),
            s.history: rows,
        }

    fields = s.fields()
    restore_out = [*fields, s.save_msg, s.history, s.steps, s.step_index, s.step_edit, s.timeline]
    restore_in = [s.state, s.restore_no, page.name, *fields]
    s.restore_btn.click(
        on_restore, restore_in, [*restore_out, s.state], api_name="restore", **STORE
    )

    def on_history_row(evt: gr.SelectData):
        # A click picks the revision; restoring writes, so it stays one deliberate press away.
        row = evt.row_value or []
        return row[0] if row else gr.skip()

    s.history.select(on_history_row, None, [s.restore_no], api_name=False, **UI)


def _wire_pins(s: StudioTab, page: Page, guard: Guard) -> None:
    studio = guard.studio

    def pinner(action):
        @guard("pin", s.pin_msg)
        def on_pin(session, who, request: gr.Request):
            return {s.pin_msg: views.message_html(action(studio, session, who))}

        return on_pin

    inputs, outputs = [s.state, page.name], [s.pin_msg]
    s.pin_btn.click(pinner(demo.pin), inputs, outputs, api_name="pin", **STORE)
    s.unpin_btn.click(pinner(demo.unpin), inputs, outputs, api_name="unpin", **STORE)
