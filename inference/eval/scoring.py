"""Score a predictions file against a VAU-Bench CSV with the paper's metrics.

A predictions file is JSON Lines, one object per item with at least `video` (the CSV's
`Video Name`), `task` and `raw` (the model's text). `raw` is parsed with the project's parser,
so a file written by any tool scores the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.core import protocol
from inference.core.parse import parse_response
from inference.core.specs import SPECS, scored_tasks, spec
from inference.core.tasks import PIXEL_KEYS
from inference.core.vaubench import BenchRow
from inference.errors import StudioError
from inference.eval.bootstrap import DEFAULT as DEFAULT_RESAMPLING
from inference.eval.bootstrap import Resampling, intervals, statistic_interval
from inference.eval.framewise import (
    BIN_S,
    VideoFrames,
    average_precision,
    frame_figures,
    pooled,
    roc_auc,
    video_frames,
)

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
    *PIXEL_KEYS,
    "template",
    "max_new_tokens",
)


# How a grounding answer's interval is read from the raw text. "studio": the project's parser
# (sorts swapped ends, reads mm:ss and times in prose; the Studio and the rewards use it);
# "vau-r1": as VAU-R1's evaluation script does, so a figure can stand beside the paper's.
READERS: dict[str, str] = {
    "studio": "the Studio's parser (sorts swapped ends, reads times written in prose)",
    "vau-r1": "VAU-R1's script (the <glue> span, else the first [s, e]; no sorting, no prose)",
}
_GLUE = re.compile(r"<glue>(.*?)</glue>", re.DOTALL)
_PAIR = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]")


def vau_r1_interval(raw: str) -> tuple[float, float] | None:
    """The interval VAU-R1's evaluation script reads: the first [s, e] inside the first <glue>
    span, else the first in the text; ends as written."""
    glue = _GLUE.search(raw)
    pair = _PAIR.search(glue.group(1) if glue else raw) or (_PAIR.search(raw) if glue else None)
    return (float(pair.group(1)), float(pair.group(2))) if pair else None


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
    if not tasks:
        raise PredictionsError(f"{name} holds no predictions")
    if task not in tasks:
        raise PredictionsError(
            f"{name} holds {' and '.join(tasks)} predictions, not {task}: "
            f"score it with --task {tasks[0]}"
        )
    if duplicates := found.duplicates():
        video, where = next(iter(duplicates.items()))
        raise PredictionsError(
            f"{len(duplicates)} videos have more than one prediction in {name}, e.g. {video} "
            f"({', '.join(where)}): were two runs joined? Keep one line per video"
        )
    settings = [r.get("settings") or {} for r in found.records.values()
                if r.get("task", task) == task]  # fmt: skip
    differ = [key for key in SETTING_KEYS if len({json.dumps(s.get(key)) for s in settings}) > 1]
    if differ:
        raise PredictionsError(
            f"{name} mixes predictions made with different settings ({', '.join(differ)}): "
            "score each run on its own"
        )


def first_record(found: PredictionFile, task: str) -> dict[str, Any]:
    """The first prediction of `task` in a file check_scorable accepted: its settings and
    provenance are every line's."""
    return next(r for r in found.records.values() if r.get("task", task) == task)


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
    reader: str = "studio"  # READERS: how intervals were read
    # Each figure's value per scored video (their mean is the figure), for the bootstrap.
    item_values: dict[str, dict[str, float]] = field(default_factory=dict)
    # Grounding: the Normal (0/0) videos and whether each prediction stated an anomaly (a
    # missing prediction counts as one, as a missing answer counts as wrong), and every bin.
    alarms: dict[str, bool] = field(default_factory=dict)
    frames: list[VideoFrames] = field(default_factory=list)

    @property
    def false_alarm(self) -> float | None:
        """Percent of the Normal videos on which the prediction states an anomaly."""
        return 100.0 * sum(self.alarms.values()) / len(self.alarms) if self.alarms else None

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
        if self.task == "grounding":
            result |= {"false_alarm": self.false_alarm, "false_alarm_n": len(self.alarms)}
            result |= frame_figures(self.frames) | {"frame_bin_s": BIN_S}
        result |= {"per_class": self.per_class, "per_source": self.per_source}
        result |= {"extra": self.extra, "other_task": self.other_task, "reader": self.reader}
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
    rows: Sequence[BenchRow],
    predictions: Mapping[str, Mapping[str, Any]],
    task: str,
    reader: str = "studio",
) -> Score:
    """Score prediction records (by video) for `task` against the rows' ground truth."""
    if reader not in READERS:
        raise PredictionsError(f"unknown reader {reader!r}; choose one of {', '.join(READERS)}")
    truth = task_truth(rows, task)
    task_spec = spec(task)
    same_task = {v: p for v, p in predictions.items() if p.get("task", task) == task}
    parsed = {v: parse_response(p["raw"], task) for v, p in same_task.items()}
    predicted = {v: task_spec.predicted(r) for v, r in parsed.items() if v in truth}
    if task == "grounding" and reader == "vau-r1":
        predicted = {v: vau_r1_interval(same_task[v]["raw"]) for v in predicted}
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
    score = Score(
        task=task,
        metrics=metric(truth, predicted).to_dict(),
        per_class=table(classes),
        items=items,
        extra=sum(1 for v in same_task if v not in classes),
        other_task=len(predictions) - len(same_task),
        per_source=table(sources),
        reader=reader,
        item_values=_item_values(task_spec, truth, predicted),
    )
    if task == "grounding":
        _grounding_extras(score, rows, truth, same_task, parsed, predicted)
    return score


def _item_values(task_spec, truth, predicted) -> dict[str, dict[str, float]]:
    """figure -> video -> that video's share, over the videos the figure scores."""
    values: dict[str, dict[str, float]] = {}
    for video, expected in truth.items():
        shares = task_spec.item_metrics(expected, predicted.get(video))
        for name, share in (shares or {}).items():
            values.setdefault(name, {})[video] = share
    return values


def _grounding_extras(score, rows, truth, records, parsed, predicted) -> None:
    """False alarms on the Normal (0/0) videos, and the frame bins of every scored video."""
    normal = [row.video for row in rows if (row.start, row.end) == protocol.BENCH_NORMAL]
    for video in normal:
        result = parsed.get(video)
        interval = result.interval if result else None
        if score.reader == "vau-r1" and video in records:
            interval = vau_r1_interval(records[video]["raw"])
        stated = result is None or result.answer == "Anomaly" or protocol.has_span(interval)
        score.alarms[video] = bool(stated)
        guess = interval if protocol.has_span(interval) else None
        score.frames += _frames(video, None, guess, records.get(video))
    for video, expected in truth.items():
        score.frames += _frames(video, expected, predicted.get(video), records.get(video))


def _frames(video, truth, guess, record) -> list[VideoFrames]:
    record = record or {}
    duration = record.get("duration") if isinstance(record.get("duration"), int | float) else None
    curve = record.get("curve") if isinstance(record.get("curve"), list) else None
    found = video_frames(video, truth, guess, duration, curve)
    return [found] if found else []


def score_intervals(
    score: Score, options: Resampling = DEFAULT_RESAMPLING
) -> dict[str, list[float]]:
    """Each figure's bootstrap interval over videos (`inference.eval.bootstrap`): the metrics, and
    for grounding the false-alarm rate and the frame-level AUC and AP."""
    found = intervals({name: list(values.values()) for name, values in score.item_values.items()},
                      options)  # fmt: skip
    if score.alarms:
        alarms = [100.0 * stated for stated in score.alarms.values()]
        found |= intervals({"false_alarm": alarms}, options)
    if score.frames:
        frames = score.frames
        for name, statistic in (("frame_auc", roc_auc), ("frame_ap", average_precision)):
            picked = statistic_interval(
                lambda picks, f=statistic: f(*pooled([frames[i] for i in picks])),
                len(frames),
                options,
            )
            if picked is not None:
                found[name] = picked
    return found


def format_intervals(ci: dict[str, list[float]], score: Score, options: Resampling) -> str:
    """One line: each figure as `value [low, high]`, with how the intervals were drawn."""
    values = score.to_dict()
    cells = [f"{name} {values[name]:.2f} [{low:.2f}, {high:.2f}]" for name, (low, high) in
             ci.items() if isinstance(values.get(name), int | float)]  # fmt: skip
    how = f"{options.level:.0%} intervals (bootstrap over videos, {options.resamples} resamples, "
    how += f"seed {options.seed})"
    return f"{how}: " + ", ".join(cells)


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
    if score.task == "grounding":
        lines.append(grounding_extras_line(score))
    lines.append(f"interval reader: {READERS[score.reader]}")
    return "\n".join(lines)


def grounding_extras_line(score: Score) -> str:
    """False alarms on the Normal videos and the frame-level figures, in words."""
    found = score.to_dict()
    alarm = (
        f"false alarms {found['false_alarm']:.1f}% of {found['false_alarm_n']} Normal videos"
        if found["false_alarm"] is not None
        else "no Normal (0/0) video to count false alarms"
    )
    frames = ", ".join(f"{k} {found[k]:.3f}" if found[k] is not None else f"{k} n/a"
                       for k in ("frame_auc", "frame_ap"))  # fmt: skip
    return f"{alarm}; {frames} ({BIN_S:g} s bins over {len(score.frames)} videos)"
