"""How records are named on screen (pickers, tables); pure, so handlers need no view code."""

from __future__ import annotations

from annotate.records import Counts, ItemRecord
from annotate.schema import STATUSES

NEW = "new"  # an item the annotator has not saved anything on
ITEM_STATES: tuple[str, ...] = (NEW, *STATUSES)  # an item's state for one annotator
ALL = "all"  # a queue filter that keeps everything

TASK_LABELS = {
    "grounding": "Grounding",
    "classification": "Classification",
    "qa": "Question answering",
    "description": "Description",
}
TASK_CHOICES = [(label, task) for task, label in TASK_LABELS.items()]  # (shown, value) pairs


def item_label(item: ItemRecord) -> str:
    """How an item reads in pickers and tables."""
    return f"{item.video.name} · {TASK_LABELS.get(item.task, item.task)}"


def queue_label(item: ItemRecord, state: str | None) -> str:
    """An item in the picker, with its state for the annotator when one is known."""
    return item_label(item) + (f" · {state}" if state else "")


def count_rows(counts: Counts) -> list[list]:
    """Totals and corrections by status."""
    rows = [
        ["videos", counts.videos],
        ["items", counts.items],
        ["model runs", counts.runs],
        ["revisions", counts.revisions],
    ]
    rows += [[f"corrections {s}", counts.corrections_by_status.get(s, 0)] for s in STATUSES]
    return rows
