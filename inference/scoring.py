"""Score a predictions file against a VAU-Bench CSV with the paper's metrics.

A predictions file is JSON Lines, one object per item with at least `video` (the CSV's
`Video Name`), `task` and `raw` (the model's text). `raw` is parsed with the project's parser,
so a file written by any tool scores the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.errors import StudioError
from inference.parse import parse_response
from inference.specs import SPECS, scored_tasks, spec
from inference.vaubench import BenchRow

SCORED_TASKS: tuple[str, ...] = scored_tasks()
NO_CLASS = "(no class)"


class PredictionsError(StudioError):
    """The predictions file cannot be used (missing, unreadable, mixed settings)."""


@dataclass
class PredictionFile:
    """The records of a predictions file by video (the last record of a video wins)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_lines: list[int] = field(default_factory=list)  # 1-based; not a prediction object
    truncated: bool = False  # the last line was cut off, as an interrupted run leaves it


def read_predictions(path: str | Path) -> PredictionFile:
    """Read a JSONL predictions file, tolerating a cut-off last line and noting bad lines."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PredictionsError(f"{path}: no such predictions file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PredictionsError(f"{path}: cannot read ({error})") from None
    found = PredictionFile()
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = _prediction(line)
        if record is not None:
            found.records[record["video"]] = record
        elif number == len(lines):  # no newline after it: the write was interrupted
            found.truncated = True
        else:
            found.bad_lines.append(number)
    return found


def _prediction(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("video"), str):
        return None
    return record if isinstance(record.get("raw"), str) else None


@dataclass(frozen=True)
class ItemScore:
    """One scored ground-truth row: what was expected, what was predicted, how it scored."""

    video: str
    anomaly_class: str | None
    truth: Any  # QA letter, (start, end), or class name
    predicted: Any  # the parsed answer, None when unparsable or missing
    value: float  # 1/0 for right/wrong, or the IoU for grounding
    missing: bool


@dataclass
class Score:
    """Metrics for one task: the `score --json` object, a per-class breakdown, each item."""

    task: str
    metrics: dict[str, float | int]
    per_class: dict[str, dict[str, float | int]]
    items: list[ItemScore]
    extra: int = 0  # predictions for videos the CSV does not have
    other_task: int = 0  # predictions made for another task, ignored


def rows_by_video(rows: Sequence[BenchRow]) -> dict[str, BenchRow]:
    """Index rows by video name; predictions are matched by it, so names must be unique."""
    by_video: dict[str, BenchRow] = {}
    for row in rows:
        if row.video in by_video:
            first = by_video[row.video].row_number
            raise PredictionsError(
                f"video {row.video!r} appears in rows {first} and {row.row_number}; "
                "predictions are matched by video name, so names must be unique"
            )
        by_video[row.video] = row
    return by_video


def task_truth(rows: Sequence[BenchRow], task: str) -> dict[str, Any]:
    """The ground truth the task's metric scores, by video; rows it cannot score are left out."""
    read = SPECS[task].truth if task in SPECS else None
    if read is None:
        raise PredictionsError(
            f"task {task!r} has no automatic metric; score one of {', '.join(SCORED_TASKS)}"
            + (" (descriptions are judged by an LLM in VAU-Eval)" if task == "description" else "")
        )
    by_video = rows_by_video(rows)
    return {v: truth for v, r in by_video.items() if (truth := read(r)) is not None}


def predicted_value(raw: str, task: str) -> Any:
    """The part of a parsed response the task's metric compares: letter, interval or class."""
    return spec(task).predicted(parse_response(raw, task))


def score_predictions(
    rows: Sequence[BenchRow], predictions: Mapping[str, Mapping[str, Any]], task: str
) -> Score:
    """Score prediction records (by video) for `task` against the rows' ground truth."""
    truth = task_truth(rows, task)
    same_task = {v: p for v, p in predictions.items() if p.get("task", task) == task}
    predicted = {v: predicted_value(p["raw"], task) for v, p in same_task.items() if v in truth}
    classes = {row.video: row.anomaly_class for row in rows}
    task_spec = spec(task)
    metric = task_spec.metric
    per_class: dict[str, dict[str, float | int]] = {}
    for name in sorted({classes[v] or NO_CLASS for v in truth}):
        subset = {v: t for v, t in truth.items() if (classes[v] or NO_CLASS) == name}
        per_class[name] = metric(subset, predicted).to_dict()
    items = [
        ItemScore(v, classes[v], t, guess, task_spec.item_value(t, guess), v not in predicted)
        for v, t in truth.items()
        for guess in [predicted.get(v)]
    ]
    return Score(
        task=task,
        metrics=metric(truth, predicted).to_dict(),
        per_class=per_class,
        items=items,
        extra=sum(1 for v in same_task if v not in classes),
        other_task=len(predictions) - len(same_task),
    )


def format_score(score: Score, title: str = "") -> str:
    """A readable table: the overall metrics, then one line per ground-truth class."""
    names = [k for k in score.metrics if k not in ("n", "missing")]
    widths = {k: max(10, len(k) + 2) for k in names}
    header = f"{'class':<22}{'n':>6}" + "".join(f"{k:>{widths[k]}}" for k in names)
    lines = [title] if title else []
    lines.append(
        f"{score.task}: {score.metrics['n']} rows scored, {score.metrics['missing']} missing"
    )
    lines += [header + f"{'missing':>9}", "-" * (len(header) + 9)]
    for name, values in [("all", score.metrics), *score.per_class.items()]:
        cells = "".join(f"{values[k]:>{widths[k]}.2f}" for k in names)
        lines.append(f"{name[:21]:<22}{values['n']:>6}{cells}{values['missing']:>9}")
        if name == "all":
            lines.append("-" * (len(header) + 9))
    return "\n".join(lines)
