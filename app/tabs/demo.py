"""The Demo tab: gallery, replays of recorded runs at reading speed, steps, a live run.

What the components show comes from app.demo (no Gradio there) and app.views.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import gradio as gr

from annotate.errors import InvalidInput
from app import demo, items, runs, views
from app.guard import Guard, failure
from app.labels import TASK_CHOICES
from app.scans import with_scan_of
from app.services import MODEL, REPLAY, UI, Studio
from app.steps import clamp, scroll_to_step_js, seek_time
from app.tabs.page import Page
from app.tabs.studio import StudioTab
from app.tabs.studio.render import open_updates, show_outputs
from app.timeline import timeline_figure
from inference.errors import StudioError

INTRO = (
    "Recorded model runs replay straight from the database: no GPU, no queue. Pick a video; "
    "each run is labelled with the checkpoint and settings it came from."
)


@dataclass(slots=True, eq=False)
class DemoTab:
    """The Demo tab's components and its per-page state."""

    tab: gr.Tab = None
    ids: gr.State = None  # video ids in gallery order
    shown: gr.State = None  # demo.Shown: the video, task and reasoning on screen
    step: gr.State = None
    video: gr.Number = None  # the API's way to name a video
    open_video: gr.Button = None
    gallery: gr.Gallery = None
    player: gr.Video = None
    timeline: gr.Plot = None
    badge: gr.HTML = None
    task: gr.Radio = None
    replay: gr.Button = None
    skip: gr.Button = None
    live: gr.Button = None
    msg: gr.HTML = None
    result: gr.HTML = None
    steps: gr.HTML = None
    prev: gr.Button = None
    next: gr.Button = None
    open_in_studio: gr.Button = None


def build(studio: Studio) -> DemoTab:
    """The gallery, the player and timeline, and the replayed reasoning with its controls."""
    t = DemoTab()
    with gr.Tab("Demo", id="demo") as t.tab:
        gr.Markdown(INTRO, elem_id="demo-intro")
        t.ids = gr.State([])
        t.shown = gr.State(demo.Shown())
        t.step = gr.State(0)
        t.video = gr.Number(visible=False, precision=0)
        t.open_video = gr.Button(visible=False)
        t.gallery = gr.Gallery(
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
                t.player = gr.Video(
                    label="Video", interactive=False, elem_id="demo-player", height=360
                )
                t.timeline = gr.Plot(
                    label="Demo timeline", elem_id="demo-timeline", show_label=False
                )
            with gr.Column(scale=5):
                _answer_column(t)
    return t


def _answer_column(t: DemoTab) -> None:
    t.badge = gr.HTML(demo.badge_html(None), elem_id="demo-badge", label="Demo badge")
    t.task = gr.Radio(TASK_CHOICES, label="Task", elem_id="demo-task", value=None)
    with gr.Row():
        t.replay = gr.Button("↻ Replay", size="sm", elem_id="demo-replay")
        t.skip = gr.Button("Skip to the end ▶▶", size="sm", elem_id="demo-skip")
        t.live = gr.Button(
            "▶ Run live", variant="primary", size="sm", visible=False, elem_id="demo-live"
        )
    t.msg = gr.HTML(views.message_html(""), elem_id="demo-msg", label="Demo status")
    t.result = gr.HTML(elem_id="demo-result", label="Answer")
    t.steps = gr.HTML(views.steps_view("", 0)[0], elem_id="demo-steps", label="Steps")
    with gr.Row():
        t.prev = gr.Button("◀ Previous step", size="sm", elem_id="demo-prev")
        t.next = gr.Button("Next step ▶", size="sm", elem_id="demo-next")
    t.open_in_studio = gr.Button("Open in the Studio to correct it", size="sm", elem_id="demo-open")


def _gallery_updates(t: DemoTab, studio: Studio) -> dict:
    shown = [(e, demo.thumbnail(e)) for e in demo.gallery(studio.store, studio.settings)]
    shown = [(e, image) for e, image in shown if image is not None]  # unreadable files drop out
    label = demo.live_label(studio)
    return {
        t.gallery: [(image, e.caption) for e, image in shown],
        t.ids: [e.video.id for e, _ in shown],
        t.live: gr.update(visible=label is not None, value=label or "▶ Run live"),
    }


def _steps(t: DemoTab, view: demo.Shown, index: int) -> dict:
    html_text, steps, index = views.steps_view(view.reasoning, index)
    data = views.timeline_data(view.session, None, steps, index)
    return {t.steps: html_text, t.step: index, t.timeline: timeline_figure(data)}


def _opening(t: DemoTab, entry: demo.Entry, task: str, view: demo.Shown) -> dict:
    """Everything but the reasoning: video, badge, answer, timeline with the interval."""
    session = view.session
    data = views.timeline_data(session, None, [], 0)
    return {
        t.shown: view,
        t.player: gr.update(value=session.video, playback_position=0),
        t.badge: demo.badge_html(entry.recordings[task]),
        t.task: gr.update(
            choices=[(label, x) for label, x in TASK_CHOICES if x in entry.recordings], value=task
        ),
        t.result: views.result_html(session),
        t.timeline: timeline_figure(data),
        t.steps: views.live_html(""),
        t.msg: views.message_html(""),
    }


def _entry(studio: Studio, video_id: int) -> demo.Entry:
    entry = demo.entry_for(studio.store, video_id)
    if entry is None:
        raise InvalidInput("this video is no longer in the store")
    if not entry.recordings:
        raise InvalidInput(f"{entry.video.name} has nothing recorded to show")
    return entry


def _with_scan(studio: Studio, view: demo.Shown) -> demo.Shown:
    """The replay with its video's stored scan on the timeline (the recording's checkpoint's)."""
    session = view.session
    return replace(view, session=with_scan_of(studio, session, session.checkpoint))


def _replayed(t: DemoTab, studio: Studio, video_id: int, task: str | None, key: str):
    """Open the entry on `task` and stream its recording at reading speed."""
    entry = _entry(studio, video_id)
    task = task if task in entry.recordings else entry.first_task
    view = _with_scan(studio, demo.shown(entry, task))
    skip = studio.stops.take_over(key)  # a replay still typing for this page ends here
    yield _opening(t, entry, task, view)
    try:
        for text in demo.replay(view.text, studio.settings.replay_cps, skip.is_set):
            if not studio.stops.current(key, skip):
                return  # another pick took over: its video is on screen, leave it there
            if len(text) < len(view.text):
                yield {t.steps: views.live_html(text)}
        if not studio.stops.current(key, skip):
            return
    finally:
        studio.stops.release(key, skip)
    yield _steps(t, view, 0)


def _outputs(t: DemoTab) -> list:
    return [t.shown, t.player, t.badge, t.task, t.result, t.timeline, t.steps, t.step, t.msg]


def _replay_key(request: gr.Request) -> str:
    return f"demo:{request.session_hash}"


def _wire_gallery(t: DemoTab, studio: Studio) -> None:
    outputs = _outputs(t)

    @Guard(studio)(None, t.msg)
    def streamed(video_id, task, request: gr.Request):
        yield from _replayed(t, studio, int(video_id), task, _replay_key(request))

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
            yield failure(t.msg, InvalidInput("pick a video in the gallery first"))
            return
        yield from streamed(view.session.video_id, view.session.task, request)

    # "multiple": a pick during a replay runs at once (Gradio's default, "once", drops it while
    # the replay streams) and takes the replay over.
    again = {**REPLAY, "trigger_mode": "multiple"}
    t.gallery.select(on_select, [t.ids], outputs, api_visibility="undocumented", **again)
    t.task.input(on_task, [t.task, t.shown], outputs, api_name="demo_task", **again)
    t.replay.click(on_replay, [t.shown], outputs, api_name="demo_replay", **again)

    def on_open_video(video_id, task, request: gr.Request):
        if video_id is None:
            return
        yield from streamed(video_id, task, request)

    # For API callers: open a gallery video by id, on a task (or its first one).
    t.open_video.click(on_open_video, [t.video, t.task], outputs, api_name="demo_open", **REPLAY)

    def on_skip(request: gr.Request):
        studio.stops.stop(_replay_key(request))

    t.skip.click(on_skip, None, None, **UI)


def _wire_steps(t: DemoTab) -> None:
    outputs = [t.steps, t.step, t.timeline, t.player]

    def mover(delta: int):
        def on_move(view, index):
            steps = views.reasoning_steps(view.reasoning)
            index = clamp(int(index or 0) + delta, len(steps))
            when = seek_time(steps[index]) if steps else None
            seek = gr.skip() if when is None else gr.update(playback_position=float(when))
            return _steps(t, view, index) | {t.player: seek}

        return on_move

    for button, delta in ((t.prev, -1), (t.next, +1)):
        moved = button.click(mover(delta), [t.shown, t.step], outputs, **UI)
        moved.then(None, None, None, js=scroll_to_step_js("demo-steps"))


def _wire_live(t: DemoTab, page: Page, studio: Studio) -> None:
    @Guard(studio)("view", t.msg)  # a live run is stored: signed in only
    def on_live(view, who, request: gr.Request):
        session = view.session
        if session.item_id is None:
            raise InvalidInput("pick a video in the gallery first")
        stop = studio.stops.arm(request.session_hash)
        try:
            ask = demo.live_request(studio, session)
            for update in runs.run_model(studio, session, ask, stop, who):
                yield _live_update(t, studio, update)
        finally:
            studio.stops.release(request.session_hash, stop)

    t.live.click(on_live, [t.shown, page.name], _outputs(t), api_name="demo_live", **MODEL)


def _live_update(t: DemoTab, studio: Studio, update: runs.RunUpdate) -> dict:
    message = {t.msg: views.message_html(update.message)}
    if not update.done:
        return message | {t.steps: views.live_html(update.text)} if update.text else message
    session = update.session
    rec = demo.recording_of_run(studio.store, session)
    view = demo.shown_after_run(session)
    updates = {t.shown: view, t.badge: demo.badge_html(rec)}
    updates[t.result] = views.result_html(session)
    return message | updates | _steps(t, view, 0)


def _wire_open(t: DemoTab, page: Page, studio: Studio, studio_tab: StudioTab) -> None:
    """Open the replayed item in the Studio tab, to correct it."""
    s = studio_tab
    outputs = [*show_outputs(s), s.save_msg, s.picker, page.tabs]

    @Guard(studio)(None, t.msg)
    def on_open(view, who, request: gr.Request):
        if view.session.item_id is None:
            return {s.save_msg: gr.skip()}  # a dict of updates (an empty one reads as a value)
        opened = items.open_item(studio, view.session.item_id)
        note = "Opened from the demo: correct it and save."
        updates = open_updates(s, studio, opened, who, note)
        return updates | {s.picker: opened.item_id, page.tabs: gr.Tabs(selected="studio")}

    t.open_in_studio.click(on_open, [t.shown, page.name], outputs, **UI)


def _wire_load(t: DemoTab, studio: Studio, blocks: gr.Blocks) -> None:
    """On page load: the gallery, the live button, and the first video shown in full."""

    def on_page(request: gr.Request):
        updates = _gallery_updates(t, studio)
        ids = updates[t.ids]
        if not ids:
            note = "No demo videos here: run assets/make_samples.py, or pin an item."
            return updates | {t.msg: views.message_html(note, ok=False)}
        try:
            entry = _entry(studio, ids[0])
        except StudioError as error:
            return updates | failure(t.msg, error)
        view = _with_scan(studio, demo.shown(entry, entry.first_task))
        return updates | _opening(t, entry, entry.first_task, view) | _steps(t, view, 0)

    outputs = [t.gallery, t.ids, t.live, *_outputs(t)]
    blocks.load(on_page, None, outputs, api_visibility="undocumented", **REPLAY)
    t.tab.select(
        lambda: _gallery_updates(t, studio),
        None,
        [t.gallery, t.ids, t.live],
        api_name=False,  # the page's own refresh; no API user needs it
        **REPLAY,
    )


def wire(t: DemoTab, page: Page, studio: Studio, blocks: gr.Blocks, studio_tab: StudioTab):
    """Connect the Demo tab to its handlers (and its Open button to the Studio tab)."""
    _wire_gallery(t, studio)
    _wire_steps(t)
    _wire_live(t, page, studio)
    _wire_open(t, page, studio, studio_tab)
    _wire_load(t, studio, blocks)
