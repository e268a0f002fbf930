"""The Progress tab's evaluation: one or two predictions files scored against a VAU-Bench CSV
with the command line's figures and intervals (`inference score`, `inference compare`).

No Gradio here. The ground truth is one of the CSVs this Studio ships or imported at start-up,
chosen by name: a browser never names a server path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotate.errors import InvalidInput
from app.services import Studio
from app.settings import ROOT
from inference.core.vaubench import read_bench_csv
from inference.eval.bootstrap import DEFAULT as RESAMPLING
from inference.eval.compare import compare_scores, unfair_settings
from inference.eval.score_command import made_by_line
from inference.eval.scoring import (
    SCORED_TASKS,
    PredictionsError,
    Score,
    check_scorable,
    first_record,
    read_predictions,
    score_intervals,
    score_predictions,
)

BENCH_FOLDER = ROOT / "data" / "vau-bench"
ONE_HEADERS = ["figure", "value", "interval"]
TWO_HEADERS = ["figure", "A", "B", "B − A", "interval of B − A", "p"]


@dataclass(frozen=True)
class Figures:
    """What the tab shows: a table, lines about the files, and the videos A and B disagree on."""

    headers: list[str]
    rows: list[list]
    notes: list[str]
    disagree: list[str] = field(default_factory=list)  # video names, largest gap first
    queue: str | None = None  # the default name of their work queue


def ground_truths(studio: Studio) -> dict[str, Path]:
    """The CSVs a researcher may score against, by file name: the shipped VAU-Bench splits and
    the samples and world videos the Studio imported."""
    found = {path.name: path for path in sorted(BENCH_FOLDER.glob("*.csv"))}
    for csv, _ in studio.settings.bundled:
        if csv.is_file():
            found.setdefault(csv.name, csv)
    return found


def evaluate(studio: Studio, truth: str | None, task: str, files: list[str]) -> Figures:
    """Score one predictions file (figures with intervals), or compare two (A, then B)."""
    csv = ground_truths(studio).get(truth or "")
    if csv is None:
        raise InvalidInput("choose the ground truth to score against")
    if task not in SCORED_TASKS:
        raise InvalidInput(f"choose a task: {', '.join(SCORED_TASKS)}")
    if not files or len(files) > 2:
        raise InvalidInput("upload one predictions file, or two to compare (A, then B)")
    return score_files(csv, task, files, [Path(path).name for path in files])


def score_files(csv: Path, task: str, files: list[str], names: list[str]) -> Figures:
    """The figures of one predictions file against `csv`, or the paired comparison of two
    (A, then B), each file called by its name in `names`."""
    rows = read_bench_csv(csv).rows
    found = [read_predictions(path) for path in files]
    scores = []
    for name, predictions in zip(names, found, strict=True):
        check_scorable(predictions, task, name)
        scores.append(score_predictions(rows, predictions.records, task))
    made = [made_by_line(first_record(predictions, task)) for predictions in found]
    notes = [f"{name}: {line}" for name, line in zip(names, made, strict=True)]
    if len(scores) == 1:
        return Figures(ONE_HEADERS, _one(scores[0]), [_counted(scores[0], csv), *notes])
    return _two(scores, found, names, notes, task)


def _one(score: Score) -> list[list]:
    values, ci = score.to_dict(), score_intervals(score, RESAMPLING)
    shown = {k: v for k, v in ci.items() if isinstance(values.get(k), int | float)}
    return [[k, round(values[k], 2), f"[{lo:.2f}, {hi:.2f}]"] for k, (lo, hi) in shown.items()]


def _two(scores: list[Score], found, names: list[str], notes: list[str], task: str) -> Figures:
    first = [first_record(predictions, task) for predictions in found]
    unfair = unfair_settings(first[0].get("settings") or {}, first[1].get("settings") or {})
    if unfair:
        named = ", ".join(f"{k} {a!r} vs {b!r}" for k, (a, b) in unfair.items())
        raise PredictionsError(f"{names[0]} and {names[1]} were made with different settings "
                               f"({named}): the comparison would not be fair")  # fmt: skip
    compared = compare_scores(*scores, RESAMPLING)
    rows = [
        [name, round(p.a, 2), round(p.b, 2), round(p.diff, 2), f"[{p.ci[0]:.2f}, {p.ci[1]:.2f}]",
         round(p.p, 4)]
        for name, p in compared.items()
    ]  # fmt: skip
    videos = disagreeing(*scores)
    head = f"A = {names[0]}, B = {names[1]}: {_counted(scores[0])}; "
    head += f"they disagree on {len(videos)} of {len(scores[0].items)} videos"
    return Figures(TWO_HEADERS, rows, [head, *notes], videos, queue_name(names, task))


def disagreeing(a: Score, b: Score) -> list[str]:
    """The videos A and B score differently (correctness or IoU), the largest gap first."""
    theirs = {item.video: item.value for item in b.items}
    gaps = [
        (abs(theirs[i.video] - i.value), i.video) for i in a.items if theirs[i.video] != i.value
    ]
    return [video for _, video in sorted(gaps, key=lambda g: (-g[0], g[1]))]


def _counted(score: Score, csv: Path | None = None) -> str:
    level = f"{RESAMPLING.level:.0%} intervals over videos ({RESAMPLING.resamples} resamples)"
    against = f" against {csv.name}" if csv else ""
    return f"{len(score.items)} videos{against}, {score.reader} reader, {level}"


def queue_name(names: list[str], task: str) -> str:
    """The default name of a comparison's work queue: "A vs B · task"."""
    return f"{names[0]} vs {names[1]} · {task}"


def send_to_queue(studio: Studio, name: str | None, task: str, videos: list[str], who: str) -> str:
    """Keep the store's items of `task` for the disagreeing `videos` (in their order) as the
    work queue `name`, for the annotators' picker; the line saying what was sent."""
    if not videos:
        raise InvalidInput("compare two predictions files first: no disagreements to send")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name the queue")
    by_video = {i.video.name: i.id for i in studio.store.list_items(task=task, limit=None)}
    found = [by_video[v] for v in videos if v in by_video]
    if not found:
        raise InvalidInput(
            f"none of the {len(videos)} videos has a {task} item here: import the ground truth "
            "CSV first (python -m annotate import CSV)"
        )
    note = f"where two checkpoints disagree ({len(found)} of {len(videos)} videos)"
    studio.store.save_queue(name, found, who, note=note)
    missing = len(videos) - len(found)
    absent = f"; {missing} videos have no {task} item here" if missing else ""
    return f"Sent {len(found)} items to the work queue {name!r}{absent}."
