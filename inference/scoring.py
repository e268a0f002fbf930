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
# Settings that change the answers: one figure must not mix predictions made with different ones.
SETTING_KEYS: tuple[str, ...] = (
    "backend",
    "model",
    "quant",
    "think",
    "fps",
    "max_frames",
    "template",
    "max_new_tokens",
)


class PredictionsError(StudioError):
    """The predictions file cannot be used (missing, unreadable, mixed settings)."""


@dataclass
class PredictionFile:
    """The records of a predictions file by video (the last record of a video wins)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_lines: list[int] = field(default_factory=list)  # 1-based; not a prediction object
    truncated: bool = False  # the last line was cut off, as an interrupted run leaves it
    places: dict[str, list[str]] = field(default_factory=dict)  # video -> "FILE line N", each

    def duplicates(self) -> dict[str, list[str]]:
        """Videos with more than one prediction line, and where those lines are."""
        return {video: where for video, where in self.places.items() if len(where) > 1}


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
            found.places.setdefault(record["video"], []).append(f"{path.name} line {number}")
        elif number == len(lines):  # no newline after it: the write was interrupted
            found.truncated = True
        else:
            found.bad_lines.append(number)
    return found


def merge_predictions(files: Sequence[PredictionFile]) -> PredictionFile:
    """Shards of one run as one file (`score --merge`); a video in two shards stays a duplicate."""
    merged = PredictionFile()
    for found in files:
        merged.records |= found.records
        merged.bad_lines += found.bad_lines
        merged.truncated = merged.truncated or found.truncated
        for video, where in found.places.items():
            merged.places.setdefault(video, []).extend(where)
    return merged


def check_scorable(found: PredictionFile, task: str, name: str) -> None:
    """PredictionsError, in one line, when `found` cannot give one true figure for `task`:
    it holds no prediction of that task, a video twice, or predictions of mixed settings."""
    tasks = sorted({str(r.get("task", task)) for r in found.records.values()})
    if task not in tasks:
        held = " and ".join(tasks) or "no"
        raise PredictionsError(
            f"{name} holds {held} predictions, not {task}: score it with --task {tasks[0]}"
            if tasks
            else f"{name} holds no predictions"
        )
    if duplicates := found.duplicates():
        video, where = next(iter(duplicates.items()))
        raise PredictionsError(
            f"{len(duplicates)} videos have more than one prediction in {name}, e.g. {video} "
            f"({', '.join(where)}): were two runs joined? Keep one line per video"
        )
    settings = {
        json.dumps([(r.get("settings") or {}).get(k) for k in SETTING_KEYS])
        for r in found.records.values()
        if r.get("task", task) == task
    }
    if len(settings) > 1:
        differ = [
            key
            for index, key in enumerate(SETTING_KEYS)
            if len({json.dumps(json.loads(s)[index]) for s in settings}) > 1
        ]
        raise PredictionsError(
            f"{name} mixes predictions made with different settings ({', '.join(differ)}): "
            "score each run on its own"
        )


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
    source: str = ""
    format_ok: bool | None = None  # the raw text follows the protocol; None when missing

    def to_dict(self) -> dict[str, Any]:
        """`score --json --items`: one item's truth, parsed answer, score and format flag."""
        plain = lambda v: list(v) if isinstance(v, tuple) else v  # noqa: E731
        return {
            "video": self.video,
            "source": self.source,
            "class": self.anomaly_class,
            "truth": plain(self.truth),
            "predicted": plain(self.predicted),
            "value": self.value,
            "format_ok": self.format_ok,
            "missing": self.missing,
        }


@dataclass
class Score:
    """Metrics for one task: the `score --json` object, a per-class breakdown, each item."""

    task: str
    metrics: dict[str, float | int]
    per_class: dict[str, dict[str, float | int]]
    items: list[ItemScore]
    extra: int = 0  # predictions for videos the CSV does not have
    other_task: int = 0  # predictions made for another task, ignored
    per_source: dict[str, dict[str, float | int]] = field(default_factory=dict)

    @property
    def format_rate(self) -> float | None:
        """Percent of the scored predictions whose raw text follows the output protocol.

        The metrics also credit answers read out of malformed text (the parser is lenient), so
        this says how much of a figure rests on such reading."""
        flags = [item.format_ok for item in self.items if item.format_ok is not None]
        return 100.0 * sum(flags) / len(flags) if flags else None

    def to_dict(self, items: bool = False) -> dict[str, Any]:
        """`score --json`: the metrics, the format rate, the per-class and per-source tables."""
        result: dict[str, Any] = dict(self.metrics)
        result["format_rate"] = self.format_rate
        result |= {"per_class": self.per_class, "per_source": self.per_source}
        result |= {"extra": self.extra, "other_task": self.other_task}
        if items:
            result["items"] = [item.to_dict() for item in self.items]
        return result


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
    task_spec = spec(task)
    same_task = {v: p for v, p in predictions.items() if p.get("task", task) == task}
    parsed = {v: parse_response(p["raw"], task) for v, p in same_task.items() if v in truth}
    predicted = {v: task_spec.predicted(result) for v, result in parsed.items()}
    classes = {row.video: row.anomaly_class for row in rows}
    sources = {row.video: row.source for row in rows}
    metric = task_spec.metric

    def table(group_of: Mapping[str, str | None]) -> dict[str, dict[str, float | int]]:
        names = sorted({group_of[v] or NO_CLASS for v in truth})
        return {
            name: metric({v: t for v, t in truth.items() if (group_of[v] or NO_CLASS) == name},
                         predicted).to_dict()
            for name in names
        }  # fmt: skip

    items = [
        ItemScore(v, classes[v], t, guess, task_spec.item_value(t, guess), v not in predicted,
                  sources[v], parsed[v].format_ok if v in parsed else None)
        for v, t in truth.items()
        for guess in [predicted.get(v)]
    ]  # fmt: skip
    return Score(
        task=task,
        metrics=metric(truth, predicted).to_dict(),
        per_class=table(classes),
        items=items,
        extra=sum(1 for v in same_task if v not in classes),
        other_task=len(predictions) - len(same_task),
        per_source=table(sources),
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
    rule = "-" * (len(header) + 9)
    groups = [[("all", score.metrics)], list(score.per_class.items())]
    if len(score.per_source) > 1:
        groups.append([(f"source {name}", v) for name, v in score.per_source.items()])
    lines += [header + f"{'missing':>9}", rule]
    for number, group in enumerate(groups):
        if number > 1:
            lines.append(rule)
        for name, values in group:
            cells = "".join(f"{values[k]:>{widths[k]}.2f}" for k in names)
            lines.append(f"{name[:21]:<22}{values['n']:>6}{cells}{values['missing']:>9}")
        if number == 0:
            lines.append(rule)
    if score.format_rate is not None:
        lines.append(
            f"format: {score.format_rate:.1f}% of the predictions follow the output protocol "
            "(answers are read from the others too)"
        )
    return "\n".join(lines)
