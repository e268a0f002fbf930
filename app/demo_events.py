"""The Demo tab's events: gallery, replays at reading speed, steps, a live run, pins.

The components are laid out by app.layout; what they show comes from app.demo (no Gradio
there) and app.views.
"""

from __future__ import annotations

import gradio as gr

from annotate.errors import InvalidInput
from app import demo, handlers, views
from app.events import MODEL, STORE, UI  # the Studio's groups: one model, one store
from app.handlers import Studio
from app.layout import TASK_CHOICES, Screen
from app.render import actor, failure, open_updates, show_outputs, who_is
from app.steps import clamp, seek_time
from app.timeline import timeline_figure
from inference.errors import StudioError

REPLAY = {"concurrency_id": "replay", "concurrency_limit": 32}  # sleeps, never the GPU


def _gallery_updates(s: Screen, studio: Studio) -> dict:
    shown = [(e, demo.thumbnail(e)) for e in demo.gallery(studio.store, studio.settings)]
    shown = [(e, image) for e, image in shown if image is not None]  # unreadable files drop out
    label = demo.live_label(studio)
    return {
        s.demo_gallery: [(image, e.caption) for e, image in shown],
        s.demo_ids: [e.video.id for e, _ in shown],
        s.demo_live: gr.update(visible=label is not None, value=label or "▶ Run live"),
    }


def _steps(s: Screen, view: demo.Shown, index: int) -> dict:
    html_text, steps, index = views.steps_view(view.reasoning, index)
    data = views.timeline_data(view.session, None, steps, index)
    return {
        s.demo_steps: html_text,
        s.demo_step: index,
        s.demo_timeline: timeline_figure(data),
    }


def _opening(s: Screen, entry: demo.Entry, task: str, view: demo.Shown) -> dict:
    """Everything but the reasoning: video, badge, answer, timeline with the interval."""
    session = view.session
    data = views.timeline_data(session, None, [], 0)
    return {
        s.demo_session: view,
        s.demo_player: gr.update(value=session.video, playback_position=0),
        s.demo_badge: demo.badge_html(entry.recordings[task]),
        s.demo_task: gr.update(
            choices=[(label, t) for label, t in TASK_CHOICES if t in entry.recordings], value=task
        ),
        s.demo_result: views.result_html(session),
        s.demo_timeline: timeline_figure(data),
        s.demo_steps: views.live_html(""),
        s.demo_msg: views.message_html(""),
    }


def _entry(studio: Studio, video_id: int) -> demo.Entry:
    entry = demo.entry_for(studio.store, video_id)
    if entry is None:
        raise InvalidInput("this video is no longer in the store")
    if not entry.recordings:
        raise InvalidInput(f"{entry.video.name} has nothing recorded to show")
    return entry


def _replayed(s: Screen, studio: Studio, video_id: int, task: str | None, key: str):
    """Open the entry on `task` and stream its recording at reading speed."""
    entry = _entry(studio, video_id)
    task = task if task in entry.recordings else entry.first_task
    view = demo.shown(entry, task)
    skip = studio.stops.take_over(key)  # a replay still typing for this page ends here
    yield _opening(s, entry, task, view)
    try:
        for text in demo.replay(view.text, studio.settings.replay_cps, skip.is_set):
            if not studio.stops.current(key, skip):
                return  # another pick took over: its video is on screen, leave it there
            if len(text) < len(view.text):
                yield {s.demo_steps: views.live_html(text)}
        if not studio.stops.current(key, skip):
            return
    finally:
        studio.stops.release(key, skip)
    yield _steps(s, view, 0)


def _outputs(s: Screen) -> list:
    return [
        s.demo_session,
        s.demo_player,
        s.demo_badge,
        s.demo_task,
        s.demo_result,
        s.demo_timeline,
        s.demo_steps,
        s.demo_step,
        s.demo_msg,
    ]


def _replay_key(request: gr.Request) -> str:
    return f"demo:{request.session_hash}"


def _wire_gallery(s: Screen, studio: Studio) -> None:
    outputs = _outputs(s)

    def streamed(video_id, task, request: gr.Request):
        try:
            yield from _replayed(s, studio, int(video_id), task, _replay_key(request))
        except StudioError as error:
            yield failure(s.demo_msg, error)

    def on_select(ids, evt: gr.SelectData, request: gr.Request):
        if not ids or evt.index is None or evt.index >= len(ids):
            return
        yield from streamed(ids[evt.index], None, request)

    def on_task(task, view, request: gr.Request):
        if view.session.video_id is None:
            return
        yield from streamed(view.session.video_id, task, request)

    def on_replay(view, request: gr.Request):
        if view.session.video_id is None:
            yield failure(s.demo_msg, InvalidInput("pick a video in the gallery first"))
            return
        yield from streamed(view.session.video_id, view.session.task, request)

    # "multiple": a pick during a replay runs at once (Gradio's default, "once", drops it while
    # the replay streams) and takes the replay over.
    again = {**REPLAY, "trigger_mode": "multiple"}
    s.demo_gallery.select(on_select, [s.demo_ids], outputs, api_visibility="undocumented", **again)
    s.demo_task.input(
        on_task, [s.demo_task, s.demo_session], outputs, api_name="demo_task", **again
    )
    s.demo_replay.click(on_replay, [s.demo_session], outputs, api_name="demo_replay", **again)

    def on_open_video(video_id, task, request: gr.Request):
        if video_id is None:
            return
        yield from streamed(video_id, task, request)

    # For API callers: open a gallery video by id, on a task (or its first one).
    inputs = [s.demo_video, s.demo_task]
    s.demo_open_btn.click(on_open_video, inputs, outputs, api_name="demo_open", **REPLAY)

    def on_skip(request: gr.Request):
        studio.stops.stop(_replay_key(request))

    s.demo_skip.click(on_skip, None, None, **UI)


def _wire_steps(s: Screen) -> None:
    outputs = [s.demo_steps, s.demo_step, s.demo_timeline, s.demo_player]

    def mover(delta: int):
        def on_move(view, index):
            steps = views.reasoning_steps(view.reasoning)
            index = clamp(int(index or 0) + delta, len(steps))
            when = seek_time(steps[index]) if steps else None
            seek = gr.skip() if when is None else gr.update(playback_position=float(when))
            return _steps(s, view, index) | {s.demo_player: seek}

        return on_move

    s.demo_prev.click(mover(-1), [s.demo_session, s.demo_step], outputs, **UI)
    s.demo_next.click(mover(+1), [s.demo_session, s.demo_step], outputs, **UI)


def _wire_live(s: Screen, studio: Studio) -> None:
    outputs = _outputs(s)

    def on_live(view, typed, request: gr.Request):
        session = view.session
        if session.item_id is None:
            yield failure(s.demo_msg, InvalidInput("pick a video in the gallery first"))
            return
        stop = studio.stops.arm(request.session_hash)
        try:
            who = actor(studio, typed, request, "view")  # a live run is stored: signed in only
            updates = handlers.run_model(
                studio, session, demo.live_request(studio, session), stop, who
            )
            for update in updates:
                yield _live_update(s, studio, update)
        except StudioError as error:
            yield failure(s.demo_msg, error)
        finally:
            studio.stops.release(request.session_hash, stop)

    inputs = [s.demo_session, s.name]
    s.demo_live.click(on_live, inputs, outputs, api_name="demo_live", **MODEL)


def _live_update(s: Screen, studio: Studio, update: handlers.RunUpdate) -> dict:
    message = {s.demo_msg: views.message_html(update.message)}
    if not update.done:
        return message | {s.demo_steps: views.live_html(update.text)} if update.text else message
    session = update.session
    rec = demo.recording_of_run(studio.store, session)
    view = demo.shown_after_run(session)
    updates = {s.demo_session: view, s.demo_badge: demo.badge_html(rec)}
    updates[s.demo_result] = views.result_html(session)
    return message | updates | _steps(s, view, 0)


def _wire_open(s: Screen, studio: Studio) -> None:
    outputs = [*show_outputs(s), s.save_msg, s.picker, s.tabs]

    def on_open(view, typed, request: gr.Request):
        if view.session.item_id is None:
            return {s.save_msg: gr.skip()}  # a dict of updates (an empty one reads as a value)
        try:
            opened = handlers.open_item(studio, view.session.item_id)
        except StudioError as error:
            return failure(s.demo_msg, error)
        note = "Opened from the demo: correct it and save."
        updates = open_updates(s, studio, opened, who_is(typed, request), note)
        return updates | {s.picker: opened.item_id, s.tabs: gr.Tabs(selected="studio")}

    s.demo_open.click(on_open, [s.demo_session, s.name], outputs, **UI)


def _wire_load(s: Screen, studio: Studio, blocks: gr.Blocks) -> None:
    """On page load: the gallery, the live button, and the first video shown in full."""

    def on_page(request: gr.Request):
        updates = _gallery_updates(s, studio)
        ids = updates[s.demo_ids]
        if not ids:
            note = "No demo videos here: run assets/make_samples.py, or pin an item."
            return updates | {s.demo_msg: views.message_html(note, ok=False)}
        try:
            entry = _entry(studio, ids[0])
        except StudioError as error:
            return updates | failure(s.demo_msg, error)
        view = demo.shown(entry, entry.first_task)
        opening = _opening(s, entry, entry.first_task, view)
        return updates | opening | _steps(s, view, 0)

    outputs = [s.demo_gallery, s.demo_ids, s.demo_live, *_outputs(s)]
    blocks.load(on_page, None, outputs, api_visibility="undocumented", **REPLAY)
    s.demo_tab.select(
        lambda: _gallery_updates(s, studio),
        None,
        [s.demo_gallery, s.demo_ids, s.demo_live],
        api_name=False,  # the page's own refresh; no API user needs it
        **REPLAY,
    )


def _wire_pins(s: Screen, studio: Studio) -> None:
    def pinner(action):
        def on_pin(session, typed, request: gr.Request):
            try:
                who = actor(studio, typed, request, "pin")
                note = action(studio, session, who)
            except StudioError as error:
                return failure(s.pin_msg, error)
            return {s.pin_msg: views.message_html(note)}

        return on_pin

    inputs, outputs = [s.state, s.name], [s.pin_msg]
    s.pin_btn.click(pinner(demo.pin), inputs, outputs, api_name="pin", **STORE)
    s.unpin_btn.click(pinner(demo.unpin), inputs, outputs, api_name="unpin", **STORE)


def wire_demo(s: Screen, studio: Studio, blocks: gr.Blocks) -> None:
    """Connect the Demo tab (and the Studio's pin buttons) to their handlers."""
    _wire_gallery(s, studio)
    _wire_steps(s)
    _wire_live(s, studio)
    _wire_open(s, studio)
    _wire_pins(s, studio)
    _wire_load(s, studio, blocks)
