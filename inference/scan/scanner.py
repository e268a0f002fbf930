"""One scan: a sampled clip cut into windows, each scored by the model, merged into a curve and
a proposed interval. Works with any engine that has `reply_probabilities`."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from inference.core.prompts import Templates, build_prompt
from inference.core.times import Interval
from inference.scan.reply import QUESTION, normal_reply
from inference.scan.windows import (
    ScanSettings,
    Window,
    curve,
    patch_bounds,
    patch_scores,
    patches_for,
    proposal,
    windows,
)
from inference.video.sampling import FRAME_FACTOR, Clip


@dataclass(frozen=True)
class Scan:
    """A scan's result: per-window scores, the curve over the video's time, the interval."""

    video: str
    duration: float
    question: str
    settings: ScanSettings
    windows: list[dict[str, Any]]  # start, end, score, frames (the seconds each frame was taken)
    curve: list[list[float]]  # [[t, score], ...] at each temporal patch's centre
    interval: Interval | None  # None: nothing reached the threshold (Normal)
    segments: list[Interval]
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the `--json` output and what a stored scan keeps)."""
        return {
            "video": self.video,
            "duration": self.duration,
            "question": self.question,
            "settings": asdict(self.settings),
            "interval": list(self.interval) if self.interval else None,
            "segments": [list(s) for s in self.segments],
            "curve": self.curve,
            "windows": self.windows,
            "timings": self.timings,
        }


def _window_row(clip: Clip, window: Window, bounds: list[Interval], score: float) -> dict:
    frames = window.frames
    return {
        "start": bounds[window.first][0],
        "end": bounds[window.stop - 1][1],
        "score": round(score, 4),
        "frames": [round(clip.timestamps[i], 3) for i in frames if i < clip.num_frames],
    }


def scan_clip(
    engine,
    clip: Clip,
    settings: ScanSettings | None = None,
    question: str = QUESTION,
    reuse: bool = True,
    templates: Templates | None = None,
) -> Scan:
    """Score every window of an already sampled clip and merge the scores."""
    settings = settings or ScanSettings()
    reply = normal_reply(question)
    prompt = build_prompt(question, think=False, templates=templates)
    patches = clip.num_frames // FRAME_FACTOR
    spans = windows(
        patches,
        patches_for(settings.window_s, clip.sample_fps),
        patches_for(settings.stride_s, clip.sample_fps),
    )
    started = time.perf_counter()
    frames = [w.frames for w in spans]
    normal = engine.reply_probabilities(clip, frames, prompt, reply.text, reply.rival, reuse)
    score_s = time.perf_counter() - started
    scores = [1.0 - p for p in normal]
    bounds = patch_bounds(clip.timestamps, clip.sample_fps, clip.info.duration)
    merged = patch_scores(patches, spans, scores)
    interval, found = proposal(merged, bounds, settings.threshold, settings.release)
    duration = clip.info.duration
    return Scan(
        video=clip.info.path,
        duration=round(duration, 3),
        question=question,
        settings=settings,
        windows=[_window_row(clip, w, bounds, s) for w, s in zip(spans, scores, strict=True)],
        curve=curve(bounds, merged),
        interval=interval,
        segments=found,
        timings={
            "sampling_s": round(clip.sampling_s, 4),
            "score_s": round(score_s, 4),
            "windows": len(spans),
            "seconds_per_minute": round(score_s * 60 / duration, 4) if duration > 0 else 0.0,
        },
    )
