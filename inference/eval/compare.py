"""`python -m inference compare`: is checkpoint B better than A on the same videos, or is it noise?

Both predictions files are scored as `score` scores them (same CSV, task and interval reader).
Each figure is compared video by video: A, B, B - A, the paired bootstrap interval of the
difference (the same videos resampled for both) and a paired permutation p-value
(`inference.eval.bootstrap`); the frame-level AUC / AP the same way, recomputed on each resample.
The items where the two disagree most come with both raw answers, so a reader sees why.
Files whose settings make the comparison unfair are refused unless `--allow-mixed`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from inference.core.tasks import PIXEL_KEYS
from inference.core.vaubench import read_bench_csv
from inference.eval.bootstrap import Paired, Resampling, paired, paired_statistic
from inference.eval.framewise import average_precision, pooled, roc_auc
from inference.eval.score_command import add_resampling_args, made_by_line, resampling
from inference.eval.scoring import (
    READERS,
    SCORED_TASKS,
    PredictionsError,
    Score,
    check_scorable,
    first_record,
    read_predictions,
    score_predictions,
)

# Settings under which two files answer different questions: refused unless --allow-mixed.
FAIR_KEYS = ("fps", "max_frames", *PIXEL_KEYS, "template", "think", "max_new_tokens")
SHOWN = 10  # disagreements listed each way
RAW_CHARS = 400


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `compare` to `python -m inference`."""
    p = subparsers.add_parser("compare", help="paired comparison of two predictions files")
    p.add_argument("--csv", required=True, help="VAU-Bench CSV with the ground truth")
    p.add_argument("--task", choices=SCORED_TASKS, required=True)
    p.add_argument("--pred", action="append", required=True, help="A.jsonl, then B.jsonl")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", metavar="DIR", help="write compare.md here")
    p.add_argument(
        "--allow-mixed", action="store_true", help="compare files made with different settings"
    )
    add_resampling_args(p)
    p.set_defaults(handler=cmd_compare)


def unfair_settings(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    """The settings that differ between two files and make their figures incomparable."""
    return {k: [a.get(k), b.get(k)] for k in FAIR_KEYS if a.get(k) != b.get(k)}


def differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    """Every recorded setting or provenance fact that differs between two first records."""

    def flat(record: dict[str, Any]) -> dict[str, Any]:
        made = record.get("provenance") or {}
        return {**(record.get("settings") or {}),
                **{k: made.get(k) for k in ("weights", "template", "git")}}  # fmt: skip

    left, right = flat(a), flat(b)
    return {k: [left.get(k), right.get(k)] for k in sorted(set(left) | set(right))
            if left.get(k) != right.get(k)}  # fmt: skip


def compare_scores(a: Score, b: Score, options: Resampling) -> dict[str, Paired]:
    """Each figure of A and B compared pairwise over the videos it scores."""
    found = {}
    for name, values in a.item_values.items():
        videos = sorted(values)
        found[name] = paired([values[v] for v in videos],
                             [b.item_values[name][v] for v in videos], options)  # fmt: skip
    if a.alarms:
        videos = sorted(a.alarms)
        found["false_alarm"] = paired([100.0 * a.alarms[v] for v in videos],
                                      [100.0 * b.alarms[v] for v in videos], options)  # fmt: skip
    if a.frames and b.frames:
        found |= _frame_comparisons(a, b, options)
    return found


def _frame_comparisons(a: Score, b: Score, options: Resampling) -> dict[str, Paired]:
    """frame AUC / AP over the videos both scored, recomputed per resample and swap."""
    left = {f.video: f for f in a.frames}
    right = {f.video: f for f in b.frames}
    videos = sorted(set(left) & set(right))
    first, second = [left[v] for v in videos], [right[v] for v in videos]
    return {
        name: paired_statistic(lambda frames, stat=stat: stat(*pooled(frames)), first, second,
                               options)
        for name, stat in (("frame_auc", roc_auc), ("frame_ap", average_precision))
    }  # fmt: skip


def disagreements(a: Score, b: Score, raw: tuple[dict, dict]) -> dict[str, list[dict]]:
    """The items where B beats A most, and the reverse, by correctness or IoU, with raw text."""
    theirs = {item.video: item for item in b.items}
    rows = []
    for item in a.items:
        other = theirs[item.video]
        gap = other.value - item.value
        if gap:
            rows.append((gap, item, other))

    def entry(gap: float, left: Any, right: Any) -> dict[str, Any]:
        def side(item: Any, records: dict) -> dict[str, Any]:
            text = (records.get(item.video) or {}).get("raw")
            predicted = (
                list(item.predicted) if isinstance(item.predicted, tuple) else item.predicted
            )
            return {"predicted": predicted, "value": item.value,
                    "raw": text[:RAW_CHARS] if isinstance(text, str) else None}  # fmt: skip

        truth = list(left.truth) if isinstance(left.truth, tuple) else left.truth
        return {"video": left.video, "truth": truth, "gap": gap,
                "a": side(left, raw[0]), "b": side(right, raw[1])}  # fmt: skip

    rows.sort(key=lambda r: (-r[0], r[1].video))
    better = [entry(*r) for r in rows if r[0] > 0][:SHOWN]
    worse = [entry(*r) for r in reversed(rows) if r[0] < 0][:SHOWN]
    return {"b_better": better, "a_better": worse}


def cmd_compare(args: argparse.Namespace) -> int:
    """Score both files and print (or write) the paired comparison."""
    options = resampling(args)
    if len(args.pred) != 2:
        raise ValueError("compare takes two --pred files: A (the baseline), then B")
    bench = read_bench_csv(args.csv)
    files = [read_predictions(path) for path in args.pred]
    scores = []
    for path, found in zip(args.pred, files, strict=True):
        check_scorable(found, args.task, Path(path).name)
        scores.append(score_predictions(bench.rows, found.records, args.task, args.reader))
    first = [first_record(found, args.task) for found in files]
    unfair = unfair_settings(first[0].get("settings") or {}, first[1].get("settings") or {})
    if unfair and not args.allow_mixed:
        named = ", ".join(f"{k} {a!r} vs {b!r}" for k, (a, b) in unfair.items())
        raise PredictionsError(
            f"the files were made with different settings ({named}): "
            "the comparison would not be fair; --allow-mixed to compare anyway"
        )
    result = {
        "task": args.task,
        "reader": args.reader,
        "n": {name: len(values) for name, values in scores[0].item_values.items()},
        "metrics": {k: v.to_dict() for k, v in compare_scores(*scores, options).items()},
        "differences": differences(*first),
        "mixed": unfair,
        "disagreements": disagreements(*scores, (files[0].records, files[1].records)),
        "resampling": {"ci": options.level, "bootstrap": options.resamples, "seed": options.seed},
    }
    text = format_comparison(result, [Path(p).name for p in args.pred], first)
    if args.json:
        print(json.dumps(result))
    else:
        print(text)
    if args.report:
        folder = Path(args.report)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "compare.md").write_text(markdown(result, text), encoding="utf-8")
        print(f"wrote {folder / 'compare.md'}", file=sys.stderr)
    return 0


def format_comparison(result: dict[str, Any], names: list[str], first: list[dict]) -> str:
    """The comparison as a table, what differs between the files, and the reader used."""
    level = result["resampling"]["ci"]
    header = f"{'figure':<22}{'A':>9}{'B':>9}{'B - A':>9}  {f'{level:.0%} interval':<20}{'p':>7}"
    lines = [f"A = {names[0]}", f"  {made_by_line(first[0])}",
             f"B = {names[1]}", f"  {made_by_line(first[1])}", "", header]  # fmt: skip
    for name, m in result["metrics"].items():
        ci = f"[{m['ci'][0]:.2f}, {m['ci'][1]:.2f}]"
        lines.append(
            f"{name:<22}{m['a']:9.2f}{m['b']:9.2f}{m['diff']:+9.2f}  {ci:<20}{m['p']:7.4f}"
        )
    counts = ", ".join(f"{k} {n}" for k, n in result["n"].items())
    lines += ["", f"paired videos: {counts}", f"interval reader: {READERS[result['reader']]}"]
    if result["mixed"]:
        lines.append(f"MIXED SETTINGS (compared with --allow-mixed): {result['mixed']}")
    if result["differences"]:
        lines.append(f"the files differ in: {', '.join(result['differences'])}")
    for key, label in (
        ("b_better", "B right where A is wrong"),
        ("a_better", "A right where B is wrong"),
    ):
        shown = result["disagreements"][key]
        lines.append(f"{label} ({len(shown)} shown): {', '.join(d['video'] for d in shown)}")
    return "\n".join(lines)


def markdown(result: dict[str, Any], text: str) -> str:
    """compare.md: the table as printed, then each disagreement with both raw answers."""
    lines = ["# Paired comparison", "", "```", text, "```", ""]
    for key, label in (("b_better", "B better"), ("a_better", "A better")):
        lines += [f"## {label}", ""]
        for d in result["disagreements"][key]:
            lines += [f"### {d['video']} (truth {d['truth']}, gap {d['gap']:+.2f})", "",
                      f"- A ({d['a']['value']:.2f}): `{(d['a']['raw'] or '').replace('`', '')}`",
                      f"- B ({d['b']['value']:.2f}): `{(d['b']['raw'] or '').replace('`', '')}`",
                      ""]  # fmt: skip
    return "\n".join(lines)
