"""Frame-level AUC and AP, as detection methods on UCF-Crime report them, from interval answers.

Every scored video, anomalous and Normal alike, is cut into bins of `BIN_S` seconds, up to its
duration when the predictions line records one, else up to the last true or predicted time. A
bin's truth is 1 when its centre lies inside the ground-truth interval; its score is the dense
score curve at that time when the line carries one (`"curve": [[t, score], ...]`), else 1
inside the predicted interval and 0 outside. AUC is the ROC area (ties count half, so a
constant score is 0.5); AP is the area under the precision-recall steps (sklearn's definition).
A video with no known length and no interval on either side has no bins and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BIN_S = 0.5


@dataclass(frozen=True)
class VideoFrames:
    """One video's bins: their truth (0/1) and the prediction's score."""

    video: str
    truth: np.ndarray
    score: np.ndarray


def _span(pair: Sequence[float] | None) -> tuple[float, float] | None:
    if pair is None or len(pair) != 2 or not all(math.isfinite(x) for x in pair):
        return None
    start, end = float(pair[0]), float(pair[1])
    return (start, end) if end > start else None


def video_frames(
    video: str,
    truth: Sequence[float] | None,
    predicted: Sequence[float] | None,
    duration: float | None = None,
    curve: Sequence[Sequence[float]] | None = None,
) -> VideoFrames | None:
    """The bins of one video, or None when nothing says how long it is."""
    true, guess = _span(truth), _span(predicted)
    points = sorted(
        (float(p[0]), float(p[1]))
        for p in curve or ()
        if isinstance(p, list | tuple) and len(p) == 2
        and all(isinstance(x, int | float) and math.isfinite(x) for x in p)
    )  # fmt: skip
    length = duration if duration and duration > 0 else max(
        [0.0, *(s[1] for s in (true, guess) if s), *(t for t, _ in points)]
    )  # fmt: skip
    count = math.ceil(length / BIN_S - 1e-9)
    if count <= 0:
        return None
    centres = (np.arange(count) + 0.5) * BIN_S
    labels = np.zeros(count) if true is None else ((centres >= true[0]) & (centres < true[1]))
    if points:
        times, values = zip(*points, strict=True)
        scores = np.interp(centres, times, values)
    else:
        inside = (
            np.zeros(count, bool) if guess is None else (centres >= guess[0]) & (centres < guess[1])
        )
        scores = inside.astype(float)
    return VideoFrames(video, labels.astype(float), scores.astype(float))


def roc_auc(truth: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties half); NaN without both classes."""
    positives, negatives = int(truth.sum()), int(truth.size - truth.sum())
    if positives == 0 or negatives == 0:
        return math.nan
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size)
    sorted_scores = score[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, counts)
    positive_ranks = ranks[truth == 1].sum()
    return float((positive_ranks - positives * (positives + 1) / 2) / (positives * negatives))


def average_precision(truth: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall steps, thresholds at each distinct score; NaN without
    a positive bin."""
    positives = truth.sum()
    if positives == 0:
        return math.nan
    order = np.argsort(-score, kind="mergesort")
    ordered, labels = score[order], truth[order]
    last_of_tie = np.r_[np.nonzero(np.diff(ordered))[0], ordered.size - 1]
    hits = np.cumsum(labels)[last_of_tie]
    precision, recall = hits / (last_of_tie + 1), hits / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def pooled(frames: Sequence[VideoFrames]) -> tuple[np.ndarray, np.ndarray]:
    """Every bin of the videos, truth and score, in one pair of arrays."""
    if not frames:
        return np.zeros(0), np.zeros(0)
    return np.concatenate([f.truth for f in frames]), np.concatenate([f.score for f in frames])


def frame_figures(frames: Sequence[VideoFrames]) -> dict[str, float | None]:
    """frame_auc and frame_ap (0-1) over the pooled bins; None where undefined."""
    truth, score = pooled(frames)
    auc, ap = roc_auc(truth, score), average_precision(truth, score)
    return {
        "frame_auc": None if math.isnan(auc) else auc,
        "frame_ap": None if math.isnan(ap) else ap,
    }
