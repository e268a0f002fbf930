"""How unsure a model is about one item, from K sampled answers and its scan: pure maths.

- disagreement: 1 - the share of the most common answer (0 when all K agree);
- interval spread: 1 - the mean IoU over pairs of the sampled intervals (a pair where one
  sample answers Normal and the other gives an interval counts 0, two Normals count 1);
- closeness: 1 - |2p - 1| for the scan's highest score p (1 when the model is at 0.5).

`uncertainty` is the mean of the parts that apply, in [0, 1]: the queue's "most uncertain
first" order (app.prelabel) sorts by it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from inference.core.metrics import iou
from inference.core.times import Interval


def disagreement(answers: Sequence[str | None]) -> float:
    """1 - the share of the most common answer (a missing answer is an answer of its own)."""
    if not answers:
        return 0.0
    return 1.0 - Counter(answers).most_common(1)[0][1] / len(answers)


def pair_agreement(a: Interval | None, b: Interval | None) -> float:
    """How much two sampled intervals agree: their IoU; two Normals agree fully."""
    if a is None and b is None:
        return 1.0
    return iou(a, b) if a is not None and b is not None else 0.0


def interval_spread(intervals: Sequence[Interval | None]) -> float:
    """1 - the mean agreement over pairs of intervals (0 for fewer than two)."""
    pairs = list(combinations(intervals, 2))
    if not pairs:
        return 0.0
    return 1.0 - sum(pair_agreement(a, b) for a, b in pairs) / len(pairs)


def closeness(score: float) -> float:
    """1 - |2p - 1|: 1 for a score of 0.5, 0 for a sure 0 or 1."""
    return 1.0 - abs(2.0 * min(max(score, 0.0), 1.0) - 1.0)


def spread(
    answers: Sequence[str | None],
    intervals: Sequence[Interval | None] | None = None,
    score: float | None = None,
) -> dict[str, float | int | None]:
    """The parts and their mean, JSON-ready (a part that does not apply is None)."""
    parts = {
        "samples": len(answers),
        "disagreement": round(disagreement(answers), 4),
        "interval_spread": round(interval_spread(intervals), 4) if intervals else None,
        "closeness": round(closeness(score), 4) if score is not None else None,
    }
    used = [v for k, v in parts.items() if k != "samples" and v is not None]
    return parts | {"uncertainty": round(sum(used) / len(used), 4) if used else None}
