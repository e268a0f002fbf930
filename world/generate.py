"""Plan, draw and write world videos with their VAU-Bench manifest.

Video k of a run is drawn from seed S + k alone, so any video can be made again by itself, and
a run can be cut and resumed. Seeds fall into fixed split ranges (SPLITS): train on the train
range only; the held-out figures come from the test range.
"""

from __future__ import annotations

import csv
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.core.vaubench import COLUMNS
from inference.errors import StudioError
from world.draw import write_mp4
from world.events import EVENTS, KINDS, NORMAL, Event, draw_event
from world.scene import FPS, Layout, canvas, draw_layout, finish, passers_by, street
from world.texts import row

SPLITS: dict[str, range] = {
    "train": range(0, 1_000_000),
    "val": range(1_000_000, 2_000_000),
    "test": range(2_000_000, 3_000_000),
}
DURATION = (10.0, 60.0)  # seconds
MANIFEST = "world.csv"


class WorldError(StudioError):
    """A generate request that cannot be carried out (a seed outside its split, a bad count)."""


@dataclass(frozen=True)
class WorldVideo:
    """One planned video: everything its frames and its row are drawn from."""

    seed: int
    duration: float
    layout: Layout
    event: Event | None
    row: dict[str, str]

    @property
    def name(self) -> str:
        """Its file name, which says its seed."""
        return video_name(self.seed)

    @property
    def kind(self) -> str:
        """Its class: the event's, or Normal."""
        return self.event.kind if self.event else NORMAL

    @property
    def frame_count(self) -> int:
        """Frames in the video."""
        return round(self.duration * FPS)


def video_name(seed: int) -> str:
    """The file name of the video drawn from `seed`."""
    return f"world_{seed:07d}.mp4"


def split_of(seed: int) -> str:
    """The split whose range holds `seed`."""
    for name, seeds in SPLITS.items():
        if seed in seeds:
            return name
    raise WorldError(f"seed {seed} is outside every split ({describe_splits()})")


def split_range(name: str) -> range:
    """The seeds of the split called `name`."""
    if name not in SPLITS:
        raise WorldError(f"no split {name!r}; choose one of {', '.join(SPLITS)}")
    return SPLITS[name]


def describe_splits() -> str:
    """The split ranges in words."""
    return ", ".join(f"{name} {r.start:,}-{r.stop - 1:,}" for name, r in SPLITS.items())


def plan(seed: int) -> WorldVideo:
    """The video drawn from `seed`: its length, street, event (about one in four is Normal)."""
    rng = np.random.default_rng([seed, 0x3A11])
    duration = round(float(rng.uniform(*DURATION)), 1)
    kind = NORMAL if rng.random() < 0.25 else list(EVENTS)[int(rng.integers(len(EVENTS)))]
    event = None if kind == NORMAL else draw_event(rng, kind, duration)
    layout = draw_layout(rng, duration)
    return WorldVideo(seed, duration, layout, event, row(video_name(seed), rng, layout, event))


def frame(video: WorldVideo, index: int, calm: bool = False) -> np.ndarray:
    """Frame `index` as RGB pixels; `calm` draws the event's actors behaving normally."""
    t = index / FPS
    image, draw = canvas()
    street(draw, video.layout, t)
    passers_by(draw, video.layout, t)
    if video.event is not None:
        wobble = np.random.default_rng([video.seed, index, 1])  # flames and blows flicker
        EVENTS[video.event.kind].draw(draw, t, video.event, calm, wobble)
    return finish(image, video.layout, np.random.default_rng([video.seed, index, 2]))


def write_video(video: WorldVideo, path: Path) -> None:
    """Encode the video with libx264 (one thread, so the bytes are reproducible)."""
    pictures = (frame(video, index) for index in range(video.frame_count))
    write_mp4(path, pictures, FPS, crf=26, preset="fast")


def seeds_for(count: int, seed: int | None, split: str | None) -> range:
    """The seeds of a run, checked against the split it claims."""
    if count < 1:
        raise WorldError(f"--count must be at least 1, got {count}")
    claimed = split_range(split) if split is not None else None
    first = claimed.start if seed is None and claimed else (seed or 0)
    seeds = range(first, first + count)
    name = split or split_of(first)
    if seeds.start not in SPLITS[name] or seeds[-1] not in SPLITS[name]:
        raise WorldError(f"seeds {seeds.start}-{seeds[-1]} leave the {name} split "
                         f"({describe_splits()})")  # fmt: skip
    return seeds


def _write(video: WorldVideo, out: Path, force: bool) -> int:
    """Write a planned video unless it is there already; returns its seed."""
    path = out / video.name
    if force or not path.exists():
        write_video(video, path)
    return video.seed


def _write_seed(args: tuple[int, str, bool]) -> int:
    """A worker's job: plan the seed's video (in the worker's process) and write it."""
    seed, out, force = args
    return _write(plan(seed), Path(out), force)


def chosen(seeds: Sequence[int], split: str | None) -> dict[int, WorldVideo]:
    """The videos of exactly these seeds, each checked against `split` (else all in one split)."""
    if not seeds:
        raise WorldError("--seeds names no seed")
    if len(set(seeds)) != len(seeds):
        raise WorldError("--seeds names a seed twice")
    name = split or split_of(seeds[0])
    allowed = split_range(name)
    outside = [s for s in seeds if s not in allowed]
    if outside:
        raise WorldError(f"seed {outside[0]} is outside the {name} split ({describe_splits()})")
    return {s: plan(s) for s in seeds}


def planned(seeds: range, count: int, kinds: tuple[str, ...] | None) -> dict[int, WorldVideo]:
    """The videos of `seeds`, or with `kinds` the first `count` of those kinds from its start."""
    if not kinds:
        return {s: plan(s) for s in seeds}
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise WorldError(f"no kind {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    videos, split = {}, SPLITS[split_of(seeds.start)]
    for s in range(seeds.start, split.stop):  # planning is cheap: about 1 ms a seed
        video = plan(s)
        if video.kind in kinds:
            videos[s] = video
            if len(videos) == count:
                return videos
    raise WorldError(f"the split ends before {count} videos of {', '.join(kinds)}")


def generate(out: Path, count: int, seed: int | None = None, split: str | None = None,
             force: bool = False, on_video=None, jobs: int = 1,
             kinds: tuple[str, ...] | None = None,
             seeds: Sequence[int] | None = None) -> Path:  # fmt: skip
    """Write the videos and `out/world.csv`; a video already there is kept unless `force`.
    `jobs` processes draw videos side by side (each video's bytes depend on its seed only);
    `kinds` keeps only videos of those classes (the first `count` such seeds from the start);
    `seeds` names the videos one by one instead (the bundled world samples are made so).
    Returns the manifest's path."""
    if jobs < 1:
        raise WorldError(f"--jobs must be at least 1, got {jobs}")
    if seeds is not None:
        if kinds or seed is not None:
            raise WorldError("--seeds names every video: leave out --seed and --kinds")
        videos = chosen(seeds, split)
    else:
        videos = planned(seeds_for(count, seed, split), count, kinds)  # workers plan their own
    out.mkdir(parents=True, exist_ok=True)
    if jobs == 1:
        done = (_write(video, out, force) for video in videos.values())
    else:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
        done = pool.map(_write_seed, [(s, str(out), force) for s in videos], chunksize=1)
    try:
        for finished in done:  # in seed order, as each is written
            if on_video is not None:
                on_video(videos[finished])
    finally:
        if jobs > 1:
            pool.shutdown(cancel_futures=True)
    manifest = out / MANIFEST
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(video.row for video in videos.values())
    return manifest


__all__ = ["KINDS", "SPLITS", "WorldVideo", "frame", "generate", "plan", "split_of"]
