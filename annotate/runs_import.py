"""`python -m annotate import-runs PRED.jsonl --task T`: predictions made elsewhere, as pre-labels.

For two hosts: `python -m inference eval` runs the model on the GPU host and writes a
predictions file; this stores each of its lines as a pre-label run on the annotation host (no
torch here), exactly as `app.prelabel` would have: by PRELABELER, its settings marked
`prelabel`, the raw text parsed by the Studio's parser. A line finds its item by video name and
task (and by CSV row where a video has several items of the task). An item that already holds a
complete pre-label from the same checkpoint with the same think setting is skipped, so importing
a file twice adds nothing; a line whose video or item is not in the store is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import InvalidInput
from annotate.records import PRELABEL_MARK, PRELABELER, ItemRecord
from annotate.store import Store
from inference.core.parse import parse_response
from inference.eval.scoring import read_predictions


@dataclass
class RunsReport:
    """What an import did: runs stored, lines skipped as already there, lines not placed."""

    stored: int = 0
    skipped: int = 0
    missing: list[str] = field(default_factory=list)  # "VIDEO: why"


def _item(store: Store, line: dict[str, Any], task: str) -> ItemRecord | str:
    """The line's item, or why there is none."""
    video = store.find_video(str(line["video"]))
    if video is None:
        return "no such video in the store"
    found = [i for i in store.items_for_video(video.id) if i.task == task]
    if len(found) > 1:
        found = [i for i in found if i.origin_row == line.get("row")] or found
    if not found:
        return f"the video has no {task} item"
    return found[0]


def import_runs(store: Store, path: str | Path, task: str) -> RunsReport:
    """Store the predictions file's lines of `task` as pre-label runs."""
    predictions = read_predictions(path)
    if predictions.bad_lines:
        raise InvalidInput(f"{path}: lines {predictions.bad_lines[:5]} are not predictions")
    report = RunsReport()
    for video, line in predictions.records.items():
        if line.get("task", task) != task:
            continue
        item = _item(store, line, task)
        if isinstance(item, str):
            report.missing.append(f"{video}: {item}")
            continue
        settings = dict(line.get("settings") or {})
        checkpoint = str(settings.get("model") or "unknown")
        think = bool(settings.get("think", True))
        if store.prelabels(item.id, checkpoint, think):
            report.skipped += 1
            continue
        raw = str(line.get("raw") or "")
        marked = {"task": task, "think": think, "provenance": line.get("provenance")}
        store.record_run(
            item.id,
            checkpoint=checkpoint,
            settings=settings | marked | PRELABEL_MARK,
            raw=raw,
            parsed=parse_response(raw, task).to_dict(),
            timings=line.get("timings") or {},
            created_by=PRELABELER,
        )
        report.stored += 1
    return report
