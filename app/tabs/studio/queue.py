"""The Studio tab's items: picking, next and skip, uploads, the queue's filters, the task.

Each event that replaces the form takes the correction fields last (optional for API callers:
a caller that sends none has no edits to lose) and first keeps unsaved edits as a draft.
"""

from __future__ import annotations

from dataclasses import replace

import gradio as gr

from app import corrections, items, views
from app.fields import form_from_fields, record_id
from app.guard import Guard, signed_in_user
from app.labels import ALL
from app.services import STORE, Studio
from app.tabs.page import Page
from app.tabs.studio.components import StudioTab
from app.tabs.studio.render import open_updates, show, show_outputs
from inference.core.tasks import DEFAULT_FPS


def wire(s: StudioTab, page: Page, studio: Studio, blocks: gr.Blocks) -> None:
    """Opening items (pick, next, skip, upload), filtering the list, switching the task."""
    guard = Guard(studio)
    outputs = [*show_outputs(s), s.save_msg, s.picker]
    nothing = {s.save_msg: gr.skip()}  # a dict of updates, even with nothing in it

    @guard("view", s.save_msg, also=lambda a: {s.picker: a["session"].item_id})
    def on_pick(item_id, who, session, answer=None, start=None, end=None, klass=None,
                reasoning=None, comment=None, request: gr.Request = None):  # fmt: skip
        if item_id is None or item_id == "":
            return nothing
        picked = record_id(item_id)
        if picked == session.item_id:
            # Already open. The dropdown may report one pick twice, the second before the
            # first reply filled the form: its empty fields are no edits to save.
            return nothing
        edits = form_from_fields(answer, start, end, klass, reasoning, comment)
        kept = corrections.keep_edits(studio, session, who, edits)
        opened = items.open_item(studio, picked)
        session = replace(opened, skipped=session.skipped)
        return open_updates(s, studio, session, who, kept)

    def mover(skip: bool):
        @guard("annotate", s.save_msg)
        def on_move(who, session, answer=None, start=None, end=None, klass=None,
                    reasoning=None, comment=None, request: gr.Request = None):  # fmt: skip
            edits = form_from_fields(answer, start, end, klass, reasoning, comment)
            kept = corrections.keep_edits(studio, session, who, edits)
            session = items.next_item(studio, who, session, skip=skip)
            note = kept + ("Skipped; next item for you." if skip else "Next item for you.")
            updates = open_updates(s, studio, session, who, note)
            return updates | {s.picker: session.item_id}

        return on_move

    @guard("view", s.save_msg)
    def on_upload(path, task, who, session, answer=None, start=None, end=None, klass=None,
                  reasoning=None, comment=None, request: gr.Request = None):  # fmt: skip
        edits = form_from_fields(answer, start, end, klass, reasoning, comment)
        kept = corrections.keep_edits(studio, session, who, edits)
        session = items.open_upload(studio, path, task)
        note = f"{kept}Uploaded: {session.duration:.1f} s video. Choose a task and press Run."
        return open_updates(s, studio, session, who, note) | {s.picker: None}

    edits = [s.state, *s.fields()]
    s.picker.input(on_pick, [s.picker, page.name, *edits], outputs, api_name="open_item", **STORE)
    s.next_btn.click(mover(False), [page.name, *edits], outputs, api_name="next_item", **STORE)
    s.skip_btn.click(mover(True), [page.name, *edits], outputs, api_name="skip_item", **STORE)
    upload_in = [s.upload, s.task, page.name, *edits]
    s.upload.upload(on_upload, upload_in, outputs, api_name="upload", **STORE)
    _wire_filters(s, page, studio, guard)
    _wire_task(s, page, studio, guard)
    _wire_load(s, studio, blocks)


def _wire_filters(s: StudioTab, page: Page, studio: Studio, guard: Guard) -> None:
    @guard("view", s.save_msg)
    def on_filter(task, source, state, here, named, who, request: gr.Request):
        filters = items.QueueFilter.from_fields(task, source, state, here, named)
        choices = items.queue_choices(studio, who, filters)
        note = f"{len(choices)} items listed." if choices else "No item matches these filters."
        return {s.picker: gr.update(choices=choices), s.save_msg: views.message_html(note)}

    filters = [*s.queue(), page.name]
    for component in s.queue():
        component.input(on_filter, filters, [s.picker, s.save_msg], api_name=False, **STORE)


def _wire_task(s: StudioTab, page: Page, studio: Studio, guard: Guard) -> None:
    @guard("view", s.run_msg, also=lambda a: {s.task: a["session"].task})
    def on_task(task, session, who, answer=None, start=None, end=None, klass=None,
                reasoning=None, comment=None, request: gr.Request = None):  # fmt: skip
        edits = form_from_fields(answer, start, end, klass, reasoning, comment)
        kept = corrections.keep_edits(studio, session, who, edits)
        skipped = session.skipped
        session = replace(items.switch_task(studio, session, task), skipped=skipped)
        form = corrections.initial_form(studio, session, who)
        updates = show(s, studio, session, form, who) | {s.picker: session.item_id}
        return updates | {s.fps: DEFAULT_FPS[task], s.run_msg: views.message_html(kept)}

    outputs = [*show_outputs(s), s.fps, s.run_msg, s.picker]
    inputs = [s.task, s.state, page.name, *s.fields()]
    s.task.input(on_task, inputs, outputs, api_name="task", **STORE)


def _wire_load(s: StudioTab, studio: Studio, blocks: gr.Blocks) -> None:
    # The picker's labels say the signed-in user's state of each item. Only its choices: a pick
    # made before this lands stays, and nothing else the user may have changed is touched.
    def on_page(request: gr.Request):
        picker = gr.update(choices=items.queue_choices(studio, signed_in_user(request)))
        return picker, gr.update(choices=[ALL, *items.queue_names(studio)])

    outputs = [s.picker, s.queue_list]
    blocks.load(on_page, None, outputs, api_visibility="undocumented", **STORE)
