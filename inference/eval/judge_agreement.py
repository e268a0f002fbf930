"""`python -m inference judge-agreement`: how far the judge agrees with reviewers, per criterion.

Pairs are (a reviewer's scores, the judge's scores) of the same description: same video, same
text (the judged file and the reviewers' file both carry a digest of the text). The judge's
score of an item is the mean of its repeats. Per criterion and for the total: Spearman's rank
correlation (ties ranked by their mean) and, on the 0-10 scale, quadratically weighted Cohen's
kappa (the judge's mean rounded), so a team knows how far to trust its judge.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inference.core.rubric import KEYS, MAX_SCORE
from inference.eval.scoring import PredictionsError

TOTAL = "total"


def text_digest(text: str) -> str:
    """A short digest naming a description's exact text (pairs human and judge scores)."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- pure maths -------------------------------------------------------------------------------


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties given the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rho; None with fewer than 2 pairs or when either side never varies."""
    if len(a) < 2 or len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return statistics.correlation(ranks(a), ranks(b))


def weighted_kappa(a: Sequence[int], b: Sequence[int], top: int = MAX_SCORE) -> float | None:
    """Quadratically weighted Cohen's kappa on the scale 0..top; None when undefined."""
    n = len(a)
    if n == 0:
        return None
    observed = [[0] * (top + 1) for _ in range(top + 1)]
    for x, y in zip(a, b, strict=True):
        observed[x][y] += 1
    row = [sum(r) for r in observed]
    col = [sum(observed[i][j] for i in range(top + 1)) for j in range(top + 1)]
    weight = [[(i - j) ** 2 / top**2 for j in range(top + 1)] for i in range(top + 1)]
    cells = range(top + 1)
    disagree = sum(weight[i][j] * observed[i][j] for i in cells for j in cells)
    chance = sum(weight[i][j] * row[i] * col[j] / n for i in cells for j in cells)
    return None if chance == 0 else 1 - disagree / chance


def agreement(pairs: Sequence[tuple[dict[str, float], dict[str, float]]]) -> dict[str, dict]:
    """Per criterion and total: pairs, rho, weighted kappa, mean judge - human difference."""
    result = {}
    for key in (*KEYS, TOTAL):
        human = [_value(h, key) for h, _ in pairs]
        judge = [_value(j, key) for _, j in pairs]
        kappa = None
        if key != TOTAL:
            kappa = weighted_kappa([round(v) for v in human], [round(v) for v in judge])
        result[key] = {
            "pairs": len(pairs),
            "spearman": spearman(human, judge),
            "weighted_kappa": kappa,
            "judge_minus_human": statistics.mean(j - h for h, j in zip(human, judge, strict=True))
            if pairs
            else None,
        }
    return result


def _value(scores: dict[str, float], key: str) -> float:
    return sum(scores[k] for k in KEYS) if key == TOTAL else scores[key]


# --- files ------------------------------------------------------------------------------------


def pairs_of(human: list[dict], judged: list[dict]) -> list[tuple[dict, dict]]:
    """(human scores, the judge's mean scores) for every reviewer line the judge also scored."""
    repeats: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in judged:
        if record.get("scores") and record.get("text"):
            repeats[(record["video"], record["text"])].append(record["scores"])
    means = {
        key: {k: statistics.mean(s[k] for s in found) for k in KEYS}
        for key, found in repeats.items()
    }
    pairs = []
    for record in human:
        key = (record["video"], record.get("text") or text_digest(record["raw"]))
        if key in means:
            pairs.append((record["human"]["scores"], means[key]))
    return pairs


def _lines(path: str) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PredictionsError(f"{path}: cannot read ({error})") from None
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # a cut-off last line
    return records


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `judge-agreement` to `python -m inference`."""
    p = subparsers.add_parser(
        "judge-agreement", help="judge vs reviewers: Spearman and weighted kappa per criterion"
    )
    p.add_argument("--judged", required=True, help="the judged JSONL written by `judge`")
    p.add_argument("--human", required=True, help="reviewers' scores: `annotate export-rubric`")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_agreement)


def cmd_agreement(args: argparse.Namespace) -> int:
    """Print the agreement table (or JSON)."""
    human = [r for r in _lines(args.human) if isinstance(r.get("human"), dict)]
    pairs = pairs_of(human, _lines(args.judged))
    if not pairs:
        raise PredictionsError(
            f"no description in {args.human} was judged in {args.judged}: run `judge --pred "
            f"{args.human}` first"
        )
    result = agreement(pairs)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'criterion':24}{'pairs':>7}{'spearman':>10}{'kappa(w)':>10}{'judge-human':>13}")
    for key, row in result.items():
        cells = [_fmt(row["spearman"]), _fmt(row["weighted_kappa"]), _fmt(row["judge_minus_human"])]
        print(f"{key:24}{row['pairs']:7d}{cells[0]:>10}{cells[1]:>10}{cells[2]:>13}")
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
