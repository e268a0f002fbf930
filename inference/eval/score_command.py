"""`python -m inference score`: the paper's metrics for a predictions file, with intervals.

One true figure or a one-line refusal (`scoring.check_scorable`); each figure with its
bootstrap interval over videos (`inference.eval.bootstrap`); for grounding also the false-alarm rate
on Normal videos and the frame-level AUC / AP (`inference.eval.framewise`); optionally a report.
Descriptions are scored from the judge's file (`inference.eval.vaueval`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from inference.core.vaubench import read_bench_csv
from inference.eval.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, Resampling
from inference.eval.scoring import (
    READERS,
    SCORED_TASKS,
    PredictionsError,
    check_scorable,
    first_record,
    format_intervals,
    format_score,
    merge_predictions,
    read_predictions,
    score_intervals,
    score_predictions,
)
from inference.eval.vaueval import aggregate, format_judged, read_judged


def add_resampling_args(parser: argparse.ArgumentParser) -> None:
    """The flags of the bootstrap intervals and the interval reader."""
    parser.add_argument("--ci", type=float, default=DEFAULT_LEVEL, help="confidence level")
    parser.add_argument(
        "--bootstrap", type=int, default=DEFAULT_RESAMPLES, help="bootstrap resamples"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the resampling")
    parser.add_argument(
        "--reader",
        choices=tuple(READERS),
        default="studio",
        help="; ".join(f"{name}: {text}" for name, text in READERS.items()),
    )


def resampling(args: argparse.Namespace) -> Resampling:
    """The Resampling the flags ask for (ValueError naming a bad one)."""
    return Resampling(args.ci, args.bootstrap, args.seed).check()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `score` to `python -m inference`."""
    score = subparsers.add_parser(
        "score", help="compute the paper's metrics for a predictions file"
    )
    score.add_argument("--csv", required=True, help="VAU-Bench CSV with the ground truth")
    score.add_argument(
        "--pred", nargs="+", help="predictions JSONL written by `eval` (several with --merge)"
    )
    score.add_argument(
        "--merge", action="store_true", help="score several --pred files as shards of one run"
    )
    score.add_argument(
        "--judged", help="description: the judged JSONL written by `judge` (VAU-Eval)"
    )
    score.add_argument("--task", choices=(*SCORED_TASKS, "description"), required=True)
    score.add_argument(
        "--json", action="store_true", help="print one JSON object: metrics and their tables"
    )
    score.add_argument("--items", action="store_true", help="with --json: every item's result")
    score.add_argument("--report", metavar="DIR", help="write summary.md and report.html here")
    add_resampling_args(score)
    score.set_defaults(handler=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    """Score a predictions file; print JSON or a table; optionally write the report."""
    options = resampling(args)
    if args.task == "description":
        if not args.judged:
            raise ValueError("descriptions are scored by the judge: run `judge`, then --judged")
        return cmd_score_judged(args)
    if not args.pred:
        raise ValueError(f"--pred is needed to score {args.task}")
    if len(args.pred) > 1 and not args.merge:
        raise ValueError("several --pred files: add --merge to score them as shards of one run")
    bench = read_bench_csv(args.csv)
    found = merge_predictions([read_predictions(path) for path in args.pred])
    name = " + ".join(Path(path).name for path in args.pred)
    score = score_predictions(bench.rows, found.records, args.task, args.reader)
    if score.metrics["n"] == 0:
        raise PredictionsError(f"{args.csv} has no rows that {args.task} can be scored on")
    check_scorable(found, args.task, name)
    for note in _score_notes(found, score):
        print(f"note: {note}", file=sys.stderr)
    first = first_record(found, args.task)
    ci = score_intervals(score, options)
    if args.json:
        print(json.dumps(score.to_dict(items=args.items) | {"ci": ci}))
    else:
        print(format_score(score, title=f"{Path(args.csv).name} ← {name}"))
        print(format_intervals(ci, score, options))
        print(made_by_line(first))
    if args.report:
        from inference.eval.report import (
            write_report,  # plotly loads only when a report is asked for
        )

        title = f"{Path(args.csv).name}: {args.task} ({name})"
        made_by = (first.get("settings") or {}) | {"provenance": first.get("provenance")}
        for path in write_report(score, args.report, title, made_by, ci):
            print(f"wrote {path}", file=sys.stderr)
    return 0


def made_by_line(record: dict[str, Any]) -> str:
    """What made the predictions, in one line, from a record's settings and provenance."""
    settings, recorded = record.get("settings") or {}, record.get("provenance") or {}
    parts = [f"{k} {settings[k]}" for k in ("model", "backend", "quant", "fps", "max_frames",
                                             "total_pixels", "think") if k in settings]  # fmt: skip
    parts += [f"{k} {recorded[k]}" for k in ("weights", "template", "git") if recorded.get(k)]
    return "made by: " + (", ".join(parts) if parts else "not recorded in the predictions")


def _score_notes(found: Any, score: Any) -> list[str]:
    notes = []
    if found.truncated:
        notes.append("the last line of the predictions file is cut off and was ignored")
    if found.bad_lines:
        shown = ", ".join(map(str, found.bad_lines[:10]))
        notes.append(f"{len(found.bad_lines)} lines are not prediction records (lines {shown})")
    if score.other_task:
        notes.append(f"{score.other_task} predictions are for another task and were ignored")
    if score.extra:
        notes.append(f"{score.extra} predictions are for videos not in the CSV")
    return notes


def cmd_score_judged(args: argparse.Namespace) -> int:
    """`score --task description --judged FILE`: print VAU-Eval (table or --json)."""
    bench = read_bench_csv(args.csv)
    judged = aggregate(bench.rows, read_judged(args.judged))
    if judged.overall.n == 0:
        raise PredictionsError(f"{args.judged}: no validly judged item matches {args.csv}")
    if args.json:
        print(json.dumps(judged.to_dict()))
    else:
        print(format_judged(judged, f"VAU-Eval ({args.judged})"))
    if args.report:
        from inference.eval.judge_report import write_judged_report  # plotly only when asked

        title = f"{Path(args.csv).name}: VAU-Eval ({Path(args.judged).name})"
        for path in write_judged_report(judged, args.report, title):
            print(f"wrote {path}", file=sys.stderr)
    return 0
