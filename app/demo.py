"""The demo gallery: bundled samples and pinned items, replayed from their recorded runs.

A stakeholder opens the Space and within seconds sees a video, the anomaly on the timeline and
the reasoning step by step, without waiting for a GPU: a stored model run is replayed from the
database at reading speed, labelled with the checkpoint and settings it came from. Which run:
the one an admin pinned for the item, else the newest complete run `app.record` recorded; a
visitor's live run or an annotator's run never replaces it for everyone. Where there is none,
the item's reference annotation (its ground truth, in the model's own tag format) is shown
instead, labelled as such. No Gradio in here.
"""

from __future__ import annotations

import bisect
import functools
import html
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from annotate.errors import InvalidInput
from annotate.records import ItemRecord, PinRecord, RunRecord, VideoRecord
from annotate.store import Store
from app.gpu import on_space
from app.items import video_of, with_run
from app.labels import TASK_LABELS, item_label
from app.runs import RunRequest
from app.services import Studio
from app.settings import Settings
from app.state import Session
from inference.core import protocol
from inference.core.parse import Result, parse_response
from inference.core.tasks import TASKS
from inference.errors import VideoError
from inference.models.loading import display_name

RECORDER = "demo-recorder"  # who app.record's runs are by: the demo's runs when none is pinned
TICK_S = 0.1  # how often a replay shows more text
THUMB_SIDE = 320  # pixels on the long side of a gallery thumbnail


@dataclass(frozen=True)
class Recording:
    """What the demo shows for one task of a video: a stored run, or the reference annotation."""

    item: ItemRecord
    result: Result
    run: RunRecord | None = None  # None: no model run yet, `result` is the reference annotation
    live: bool = False  # a run this visitor just made, not a recording replayed

    @property
    def recorded(self) -> bool:
        """True for a stored model run, False for the reference annotation."""
        return self.run is not None


@dataclass(frozen=True)
class Entry:
    """One video of the gallery and what it shows for each task."""

    video: VideoRecord
    recordings: dict[str, Recording]  # by task, in TASKS order
    first_task: str
    pinned_by: str | None = None

    @property
    def caption(self) -> str:
        """The gallery caption: video name and whether its runs are recorded."""
        recorded = sum(r.recorded for r in self.recordings.values())
        kind = f"{recorded} recorded run{'s' * (recorded != 1)}" if recorded else "reference"
        pin = " · pinned" if self.pinned_by else ""
        return f"{self.video.name} · {kind}{pin}"


# --- pure parts --------------------------------------------------------------------------------


def reference_text(item: ItemRecord) -> str | None:
    """The item's ground truth written as a VAU-R1 answer (None when it has no truth)."""
    truth = item.truth
    if not truth.known:
        return None
    if item.task == "description":
        return protocol.join_turns(truth.description or truth.answer, truth.reasoning)
    try:
        return protocol.write(
            item.task,
            truth.answer,
            reasoning=truth.reasoning,
            interval=truth.interval,
            think=bool(truth.reasoning and truth.reasoning.strip()),
        )
    except ValueError:  # a truth the protocol cannot write (an impossible interval)
        return None


def recording(
    items: Iterable[ItemRecord], runs: dict[int, RunRecord], chosen: frozenset[int] = frozenset()
) -> Recording | None:
    """For one task's items: the demo's run (an admin's `chosen` run first, else the newest),
    else the reference annotation, else None."""
    items = list(items)
    with_runs = [i for i in items if i.id in runs]
    if with_runs:
        item = max(with_runs, key=lambda i: (runs[i.id].id in chosen, runs[i.id].id))
        run = runs[item.id]
        result = Result.from_dict(run.parsed) if run.parsed else parse_response(run.raw, item.task)
        return Recording(item, result, run)
    for item in sorted(items, key=lambda i: i.id):
        text = reference_text(item)
        if text is not None:
            return Recording(item, parse_response(text, item.task))
    return None


def replay_cuts(text: str, chars_per_second: float, tick: float = TICK_S) -> list[int]:
    """How much of `text` a replay shows at each tick: whole words, at `chars_per_second`.

    One cut per tick, so a long word holds the screen as long as reading it takes.
    """
    if chars_per_second <= 0 or not text:
        return [len(text)]
    ends = [m.end() for m in re.finditer(r"\S+\s*", text)]
    if not ends or ends[-1] != len(text):
        ends.append(len(text))
    step = chars_per_second * tick
    ticks = max(1, math.ceil(len(text) / step))
    return [ends[bisect.bisect_left(ends, min(len(text), n * step))] for n in range(1, ticks + 1)]


def replay(
    text: str,
    chars_per_second: float,
    skip: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    tick: float = TICK_S,
) -> Iterator[str]:
    """Yield ever longer prefixes of `text` at reading speed; all of it at once when skipped."""
    cuts, shown = replay_cuts(text, chars_per_second, tick), -1
    for number, cut in enumerate(cuts):
        if skip():
            yield text
            return
        if cut != shown:
            shown = cut
            yield text[:cut]
        if number < len(cuts) - 1:
            sleep(tick)


def recording_label(rec: Recording) -> str:
    """What the badge says: recorded from which checkpoint with which settings, or reference."""
    task = TASK_LABELS.get(rec.item.task, rec.item.task)
    if rec.run is None:
        return (
            f"Reference annotation · {task} · the dataset's ground truth, shown because no "
            "model run has been recorded for this video yet"
        )
    run, settings = rec.run, rec.run.settings
    parts = [f"{'Live' if rec.live else 'Recorded'} run · {task}", display_name(run.checkpoint)]
    parts.append("think" if settings.get("think", True) else "no think")
    fps, frames = settings.get("sample_fps") or run.fps, settings.get("frames") or run.frames
    if fps and frames:
        parts.append(f"{fps:g} fps × {frames} frames")
    if run.quantization and run.quantization != "none":
        parts.append(run.quantization)
    seconds = (run.timings or {}).get("total_s")
    if seconds:
        parts.append(f"took {seconds:.1f} s")
    when = run.created_at.strftime("%Y-%m-%d %H:%M UTC")
    verb = "run" if rec.live else "recorded"
    parts.append(f"{verb} {when}" + (f" by {run.created_by}" if run.created_by else ""))
    return " · ".join(parts)


def badge_html(rec: Recording | None) -> str:
    """The label above a replay: LIVE, RECORDED or REFERENCE, then the details (escaped)."""
    if rec is None:
        return '<div class="vau-badge none">Nothing recorded for this task yet.</div>'
    kind, word = ("recorded", "● RECORDED") if rec.recorded else ("reference", "REFERENCE")
    if rec.live:
        kind, word = "live", "● LIVE"
    return (
        f'<div class="vau-badge {kind}"><b>{word}</b> '
        f"<span>{html.escape(recording_label(rec))}</span></div>"
    )


def thumb_time(entry: Entry) -> float:
    """The second a thumbnail shows: inside the anomaly when there is one."""
    for rec in entry.recordings.values():
        interval = rec.result.interval or rec.item.truth.interval
        if interval:
            return sum(interval) / 2
    return 0.4 * (entry.video.duration or 0.0)


# --- the gallery from the store ----------------------------------------------------------------


def _inside(path: str | None, folders: Iterable[Path]) -> bool:
    if not path:
        return False
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(folder) for folder in folders)


def sample_folders(settings: Settings) -> list[Path]:
    """The folders whose videos are the bundled samples and world videos."""
    return [videos.resolve() for _, videos in settings.bundled if videos is not None]


def first_task(recordings: dict[str, Recording], wanted: str | None = None) -> str:
    """The task an entry opens on: the pinned one, else a recorded run (grounding first)."""
    recorded = [t for t, r in recordings.items() if r.recorded]
    grounding = "grounding" if "grounding" in recorded else None
    for task in (wanted, grounding, *recorded, "grounding"):
        if task in recordings:
            return task
    return next(iter(recordings), "grounding")


def entry_for(
    store: Store,
    video_id: int,
    pinned_by: str | None = None,
    wanted: str | None = None,
    pins: list[PinRecord] | None = None,
) -> Entry | None:
    """The gallery entry of one video, from its items and their demo runs (None: no items).

    `pins`: the store's pins, when the caller has read them already (a whole gallery)."""
    items = store.items_for_video(video_id)
    if not items:
        return None
    ids = {i.id for i in items}
    runs = store.latest_runs(ids, complete=True, by=RECORDER)  # never a stopped one
    pins = store.pins() if pins is None else pins
    chosen = {p.run_id for p in pins if p.run_id is not None and p.item.id in ids}
    runs |= {run.item_id: run for run in map(store.get_run, chosen)}
    recordings = {}
    for task in TASKS:
        found = recording([i for i in items if i.task == task], runs, frozenset(chosen))
        if found is not None:
            recordings[task] = found
    return Entry(items[0].video, recordings, first_task(recordings, wanted), pinned_by)


def gallery(store: Store, settings: Settings) -> list[Entry]:
    """The bundled samples whose files are here (by name), then the pinned items' videos."""
    folders = sample_folders(settings)
    samples = [
        v for v in store.located_videos() if _inside(v.path, folders) and Path(v.path).is_file()
    ]
    pins = store.pins()  # read once: every entry looks up its chosen runs in them
    entries = [e for e in (entry_for(store, v.id, pins=pins) for v in samples) if e is not None]
    shown = {e.video.id: n for n, e in enumerate(entries)}
    for pin in pins:
        video = pin.item.video
        if video.id in shown:
            entries[shown[video.id]] = replace(entries[shown[video.id]], pinned_by=pin.pinned_by)
            continue
        entry = entry_for(store, video.id, pin.pinned_by, pin.item.task, pins)
        if entry is not None:
            shown[video.id] = len(entries)
            entries.append(entry)
    return [e for e in entries if e.recordings]


@dataclass(frozen=True)
class Shown:
    """What the Demo tab shows: a session, the text it replays, and the reasoning it steps."""

    session: Session = Session()  # result None for a reference annotation: it is no model's
    text: str = ""
    reasoning: str = ""


def _shown(session: Session, result: Result, text: str) -> Shown:
    return Shown(session, text, result.think or result.raw)


def shown(entry: Entry, task: str) -> Shown:
    """The replay of one task of an entry: its stored run, or its reference annotation."""
    rec = entry.recordings[task]
    session = Session.for_item(rec.item, *video_of(rec.item))
    if rec.run is None:
        return _shown(session, rec.result, rec.result.raw)
    return _shown(with_run(session, rec.run), rec.result, rec.run.raw)


def shown_after_run(session: Session) -> Shown:
    """What a finished live run shows."""
    result = session.result
    return _shown(session, result, result.raw) if result else Shown(session)


# --- pins, thumbnails ------------------------------------------------------------------------


def pin(studio: Studio, session: Session, who: str) -> str:
    """Pin the session's item to the demo gallery for `who` (an admin, app.roles checked), with
    the run on screen as the one the demo replays."""
    if session.item_id is None:
        raise InvalidInput("open an item first (pick one, or upload a video and run it)")
    name = item_label(studio.store.get_item(session.item_id))
    if session.run_id is None:
        studio.store.pin(session.item_id, who)
        return (
            f"Pinned {name} to the demo gallery; it replays its recorded run, "
            "or its reference annotation (no run on screen to choose)."
        )
    if session.stopped:
        raise InvalidInput("this run was stopped part-way; run it to the end to show it")
    studio.store.pin(session.item_id, who, run_id=session.run_id)
    when = studio.store.get_run(session.run_id).created_at.strftime("%Y-%m-%d %H:%M")
    model = display_name(session.checkpoint) or "unknown checkpoint"
    return (
        f"Pinned {name} to the demo gallery: it replays the run on screen ({model}, {when}) "
        "for everyone."
    )


def unpin(studio: Studio, session: Session, who: str) -> str:
    """Take the session's item out of the demo gallery (app.roles checked `who`)."""
    if session.item_id is None or not studio.store.unpin(session.item_id):
        raise InvalidInput("this item is not pinned to the demo")
    return f"{item_label(studio.store.get_item(session.item_id))} is no longer in the demo gallery."


@functools.lru_cache(maxsize=256)
def _still(path: str, mtime_ns: int, size: int, seconds: float) -> np.ndarray:
    from inference.video.sampling import read_frame

    return read_frame(path, seconds, THUMB_SIDE)


def thumbnail(entry: Entry) -> np.ndarray | None:
    """A frame of the entry's video (inside the anomaly), cached; None when unreadable."""
    path = entry.video.path
    try:
        stat = Path(path).stat() if path else None
        if stat is None:
            return None
        return _still(str(path), stat.st_mtime_ns, stat.st_size, round(thumb_time(entry), 1))
    except (OSError, VideoError):
        return None


def live_label(studio: Studio) -> str | None:
    """The live-run button's text, or None when no model is loaded to run live."""
    engine = studio.models.engine
    if engine is None or studio.models.status().state != "ready":
        return None
    device = str(getattr(getattr(engine, "loaded", None), "device", "") or "")
    if device.startswith("cuda") or on_space():
        return "▶ Run live on the GPU"
    return "▶ Run live (CPU: slow)" if device else "▶ Run live"


def live_request(studio: Studio, session: Session) -> RunRequest:
    """A live run of the session's item, with think as in the run it replays."""
    runs = studio.store.latest_runs([session.item_id]) if session.item_id else {}
    run = runs.get(session.item_id)
    think = bool(run.settings.get("think", True)) if run else True
    return RunRequest(
        task=session.task, think=think, question=session.question, options=session.options
    )


def recording_of_run(store: Store, session: Session) -> Recording | None:
    """The recording a finished live run became (None when it was not stored)."""
    if session.run_id is None or session.item_id is None or session.result is None:
        return None
    item, run = store.get_item(session.item_id), store.get_run(session.run_id)
    return Recording(item, session.result, run, live=True)
