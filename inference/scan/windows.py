"""The scan's pure maths: sliding windows over a sampled clip, their scores merged into a curve,
and the curve's proposed interval (a threshold with hysteresis). No model, no I/O.

Windows are counted in temporal patches (two frames each, FRAME_FACTOR), because that is the
unit Qwen2.5-VL's vision tower encodes on its own: a window that starts and ends on a patch
boundary sees exactly the visual tokens the whole video's pass computed for those frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from inference.core.times import Interval
from inference.video.sampling import FRAME_FACTOR

WINDOW_S = 4.0  # seconds a window sees
STRIDE_S = 1.0  # seconds between window starts
THRESHOLD = 0.8  # the curve enters an anomaly at this score ...
RELEASE = 0.6  # ... and leaves it below this one (hysteresis: no flicker at the edge)


@dataclass(frozen=True)
class ScanSettings:
    """How a scan cuts and reads a video; validated on creation."""

    window_s: float = WINDOW_S
    stride_s: float = STRIDE_S
    threshold: float = THRESHOLD
    release: float = RELEASE

    def __post_init__(self) -> None:
        if not (math.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"--window must be a positive number of seconds, got {self.window_s}")
        if not (math.isfinite(self.stride_s) and 0 < self.stride_s <= self.window_s):
            raise ValueError(
                f"--stride must be positive and at most --window ({self.window_s} s), "
                f"got {self.stride_s}"
            )
        if not 0 <= self.release <= self.threshold <= 1:
            raise ValueError(
                f"need 0 <= --release <= --threshold <= 1, got {self.release} and {self.threshold}"
            )


@dataclass(frozen=True)
class Window:
    """Temporal patches [first, stop) of the clip: what one question sees."""

    first: int
    stop: int

    @property
    def frames(self) -> range:
        """The clip's frame indices inside the window."""
        return range(self.first * FRAME_FACTOR, self.stop * FRAME_FACTOR)


def patches_for(seconds: float, fps: float) -> int:
    """Whole temporal patches closest to `seconds` at `fps` (at least one)."""
    return max(1, round(seconds * fps / FRAME_FACTOR))


def windows(patches: int, size: int, step: int) -> list[Window]:
    """Windows of `size` patches every `step` patches; the last one ends at the clip's end, so
    the tail is seen too; a clip shorter than a window is one window."""
    if patches < 1:
        return []
    if patches <= size:
        return [Window(0, patches)]
    starts = list(range(0, patches - size + 1, step))
    if starts[-1] + size < patches:
        starts.append(patches - size)
    return [Window(s, s + size) for s in starts]


def patch_scores(count: int, spans: Sequence[Window], scores: Sequence[float]) -> list[float]:
    """Each patch's score: the mean score of the windows that saw it."""
    totals, seen = [0.0] * count, [0] * count
    for window, score in zip(spans, scores, strict=True):
        for p in range(window.first, min(window.stop, count)):
            totals[p] += score
            seen[p] += 1
    return [t / n if n else 0.0 for t, n in zip(totals, seen, strict=True)]


def patch_bounds(timestamps: Sequence[float], fps: float, duration: float) -> list[Interval]:
    """Where each temporal patch starts and ends in the video's seconds."""
    starts = [float(timestamps[i]) for i in range(0, len(timestamps), FRAME_FACTOR)]
    last = min(duration, starts[-1] + FRAME_FACTOR / fps) if starts else 0.0
    ends = [*starts[1:], max(last, starts[-1])] if starts else []
    return list(zip(starts, ends, strict=True))


def curve(bounds: Sequence[Interval], scores: Sequence[float]) -> list[list[float]]:
    """`[[t, score], ...]` at each patch's centre, rounded for JSON."""
    return [
        [round((start + end) / 2, 3), round(score, 4)]
        for (start, end), score in zip(bounds, scores, strict=True)
    ]


def segments(scores: Sequence[float], threshold: float, release: float) -> list[tuple[int, int]]:
    """Runs of patches [first, stop) that reach `threshold` and last until a score drops below
    `release`."""
    found, start = [], None
    for p, score in enumerate(scores):
        if start is None and score >= threshold:
            start = p
        elif start is not None and score < release:
            found.append((start, p))
            start = None
    if start is not None:
        found.append((start, len(scores)))
    return found


def proposal(
    scores: Sequence[float], bounds: Sequence[Interval], threshold: float, release: float
) -> tuple[Interval | None, list[Interval]]:
    """The proposed interval (the segment with the most score in it, None for Normal) and every
    segment, in seconds."""
    runs = segments(scores, threshold, release)
    spans = [(bounds[a][0], bounds[b - 1][1]) for a, b in runs]
    if not runs:
        return None, []
    best = max(range(len(runs)), key=lambda i: sum(scores[runs[i][0] : runs[i][1]]))
    return spans[best], spans
