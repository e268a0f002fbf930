"""Agreement between annotators who corrected the same item: answers, classes, intervals.

For every item with two or more current corrections, each pair of annotators is compared:
answer agreement (same QA letter / class / Anomaly-or-Normal; free-text description answers
are not compared), class agreement (pairs where both named a class), and interval IoU
(grounding; two Normal answers agree fully, Normal against a span scores 0). Overall figures
are means over the items that have them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from statistics import fmean
from typing import Any

from annotate.records import Interval, ItemRecord, RevisionRecord
from inference.core.metrics import iou

COMPARED_STATUSES = ("submitted", "approved")  # finished work; drafts may be half-done


@dataclass(frozen=True)
class ItemAgreement:
    """How far the annotators of one item agree; None where the figure does not apply."""

    item_id: int
    task: str
    video: str
    annotators: tuple[str, ...]
    answer: float | None
    class_name: float | None
    interval_iou: float | None


@dataclass(frozen=True)
class Agreement:
    """Per-item figures and their means."""

    items: list[ItemAgreement] = field(default_factory=list)

    def mean(self, figure: str) -> float | None:
        """Mean of one figure ("answer", "class_name", "interval_iou") over items that have it."""
        values = [getattr(i, figure) for i in self.items if getattr(i, figure) is not None]
        return fmean(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: overall means and the per-item figures."""
        return {
            "items_compared": len(self.items),
            "answer": self.mean("answer"),
            "class": self.mean("class_name"),
            "interval_iou": self.mean("interval_iou"),
            "per_item": [
                item.__dict__ | {"annotators": list(item.annotators)} for item in self.items
            ],
        }


def interval_agreement(a: Interval | None, b: Interval | None) -> float:
    """IoU of two answers' intervals; None is Normal: two Normals agree fully, one scores 0."""
    if a is None or b is None:
        return 1.0 if a is None and b is None else 0.0
    return iou(a, b)


def _share(pairs: Sequence[tuple[Any, Any]]) -> float | None:
    return fmean(1.0 if x == y else 0.0 for x, y in pairs) if pairs else None


def _normal(answer: str | None) -> str | None:
    return None if answer is None else " ".join(answer.split()).casefold()


def item_agreement(item: ItemRecord, revisions: Sequence[RevisionRecord]) -> ItemAgreement:
    """Pairwise agreement among the given corrections of one item."""
    pairs = list(combinations(revisions, 2))
    answers = [(_normal(a.answer), _normal(b.answer)) for a, b in pairs]
    classes = [(a.class_name, b.class_name) for a, b in pairs if a.class_name and b.class_name]
    ious = None
    if item.task == "grounding":
        ious = fmean(interval_agreement(a.interval, b.interval) for a, b in pairs)
    return ItemAgreement(
        item_id=item.id,
        task=item.task,
        video=item.video.name,
        annotators=tuple(r.annotator for r in revisions),
        answer=None if item.task == "description" else _share(answers),
        class_name=_share(classes),
        interval_iou=ious,
    )


def agreement(pairs: Iterable[tuple[ItemRecord, RevisionRecord]]) -> Agreement:
    """Agreement over (item, current revision) pairs; items with one annotator are left out."""
    by_item: dict[int, tuple[ItemRecord, list[RevisionRecord]]] = {}
    grouped: dict[int, list[RevisionRecord]] = defaultdict(list)
    for item, revision in pairs:
        by_item[item.id] = (item, grouped[item.id])
        grouped[item.id].append(revision)
    return Agreement(
        [item_agreement(item, revs) for item, revs in by_item.values() if len(revs) >= 2]
    )
