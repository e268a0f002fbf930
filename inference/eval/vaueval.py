"""VAU-Eval: `python -m inference judge` writes judged lines; `score --task description` sums them.

A judged file has one line per (video, repeat): the five scores (or None and the reason), the
judge's reply, and which judge made it. It is appended as it goes and resumes like `eval`.

Aggregation, as the paper defines VAU-Eval: each criterion's score is the mean over the judged
items (an item judged K times counts once, with the mean of its repeats), and the total is the
sum of the five means (0-50). Items the judge never scored validly are left out of the means and
counted as `unscored`; items with no prediction are counted as `missing`. With K > 1 the judge's
own noise is shown: per criterion, the mean over items of the standard deviation of their
repeats.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from inference.core.rubric import KEYS
from inference.core.vaubench import BenchRow, read_bench_csv
from inference.errors import ServerError, StudioError
from inference.eval.judge import Judge, Reference, Verdict
from inference.eval.judge_agreement import text_digest
from inference.eval.pipeline import pipelined
from inference.eval.scoring import PredictionsError, read_predictions, rows_by_video
from inference.jsonl import repair_tail

TOTAL = "total"
REPEAT_TEMPERATURE = 0.7  # several repeats at temperature 0 would be one judgement K times


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `judge` to `python -m inference`."""
    p = subparsers.add_parser("judge", help="VAU-Eval: an LLM judge scores description predictions")
    p.add_argument("--csv", required=True, help="VAU-Bench CSV with Description and Reasoning")
    p.add_argument("--pred", required=True, help="description predictions written by `eval`")
    p.add_argument("--base-url", required=True, help="the judge server's URL (…/v1)")
    p.add_argument("--model", required=True, help="the judge model's name on that server")
    p.add_argument("--api-key-env", default=None, help="environment variable holding the key")
    p.add_argument("--out", required=True, help="judged JSONL; appended to, so a rerun resumes")
    p.add_argument("--repeats", type=int, default=1, help="judge each item this many times")
    p.add_argument("--concurrency", type=int, default=4, help="judge requests in flight")
    p.add_argument(
        "--seed", type=int, default=0, help="repeat k is sent seed + k, so repeats differ"
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        help=f"sampling temperature (default: 0 with one repeat, {REPEAT_TEMPERATURE} with more, "
        "so repeats measure the judge's noise)",
    )
    p.add_argument("--attempts", type=int, default=3, help="tries per judgement for a valid reply")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait per request")
    p.set_defaults(handler=cmd_judge)


# --- judging ----------------------------------------------------------------------------------


def judge_temperature(repeats: int, temperature: float | None) -> float:
    """The temperature a run judges at: the one asked for, else 0 for one repeat, else sampled."""
    if temperature is None:
        return 0.0 if repeats == 1 else REPEAT_TEMPERATURE
    if not 0.0 <= temperature <= 2.0:
        raise ValueError(f"--temperature is between 0 and 2, got {temperature}")
    return temperature


def cmd_judge(args: argparse.Namespace) -> int:
    """Judge every (description prediction, repeat) not yet in --out, one line each."""
    from inference.backends.remote import ServerOptions, api_key_from

    if args.repeats < 1 or args.concurrency < 1:
        raise ValueError("--repeats and --concurrency must be at least 1")
    temperature = judge_temperature(args.repeats, args.temperature)
    rows = rows_by_video(read_bench_csv(args.csv).rows)
    predictions = _description_predictions(args.pred)
    out = Path(args.out)
    judge_id = {"model": args.model, "base_url": args.base_url, "seed": args.seed}
    judge_id["temperature"] = temperature
    done = _resume_point(out, judge_id, predictions, args.pred)
    todo = [
        (video, repeat)
        for video in predictions
        if video in rows
        for repeat in range(args.repeats)
        if (video, repeat) not in done
    ]
    print(f"{len(todo)} judgements to make, {len(done)} already in {out}", file=sys.stderr)
    if not todo:
        return 0
    options = ServerOptions(args.base_url, args.model, api_key_from(args.api_key_env), args.timeout)
    judge = Judge(options, seed=args.seed, attempts=args.attempts, temperature=temperature)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        unscored = _judge_all(judge, todo, rows, predictions, judge_id, args.concurrency, handle)
    if unscored:
        print(f"{unscored} judgements unscored (see their 'reason')", file=sys.stderr)
    return 0


def _judge_all(judge, todo, rows, predictions, judge_id, concurrency, handle: TextIO) -> int:
    """Judge the items, writing each line as it completes; the number left unscored."""

    def ask(item: tuple[str, int]) -> Verdict:
        video, repeat = item
        row = rows[video]
        reference = Reference(row.anomaly_class, row.description, row.reasoning)
        return judge.judge(reference, predictions[video], seed=judge.seed + repeat)

    unscored = 0
    for outcome in pipelined(todo, lambda item: item, ask, concurrency):
        video, repeat = outcome.item
        if isinstance(outcome.error, ServerError | StudioError):
            raise outcome.error  # the judge is gone: what was written stays, a rerun resumes
        if outcome.error is not None:
            raise outcome.error
        verdict = outcome.value
        unscored += verdict.scores is None
        record = {"video": video, "repeat": repeat, "text": text_digest(predictions[video])}
        record["scores"] = verdict.scores
        record |= {"total": verdict.total, "reason": verdict.reason, "reply": verdict.reply}
        record |= {"attempts": verdict.attempts, "seed": judge.seed + repeat, "judge": judge_id}
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
    return unscored


def _description_predictions(path: str) -> dict[str, str]:
    """Video -> the description text of each description prediction in an `eval` file."""
    found = read_predictions(path)
    texts = {
        video: record.get("answer") or record["raw"]
        for video, record in found.records.items()
        if record.get("task") == "description"
    }
    if not texts:
        raise PredictionsError(f"{path} holds no description predictions")
    return texts


def _resume_point(
    path: Path, judge_id: dict, predictions: dict[str, str], pred: str
) -> set[tuple[str, int]]:
    """(video, repeat) pairs already judged in `path` from these very predictions.

    A line judged by another judge, or from another text than `pred` now holds for its video
    (each line keeps a digest of the text it judged), is refused: resuming over it would mix
    two models' scores in one file.
    """
    if repair_tail(path):
        print(f"note: removed the cut-off last line of {path} (interrupted run)", file=sys.stderr)
    done = set()
    for record in read_judged(path) if path.exists() else []:
        if record.get("judge") != judge_id:
            raise PredictionsError(
                f"{path} was judged by {record.get('judge')}, not {judge_id}; use another --out"
            )
        video = record["video"]
        if video not in predictions:
            raise PredictionsError(
                f"{path} holds a judgement of {video}, which {pred} has no description for: "
                "it was judged from other predictions; use another --out"
            )
        if record.get("text") != text_digest(predictions[video]):
            raise PredictionsError(
                f"{path} judged another description of {video} than {pred} holds (text "
                f"digest {record.get('text')}, not {text_digest(predictions[video])}): it was "
                "judged from other predictions; use another --out"
            )
        done.add((video, record["repeat"]))
    return done


def read_judged(path: str | Path) -> list[dict[str, Any]]:
    """The judged lines of a file (a cut-off last line is skipped)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise PredictionsError(f"{path}: cannot read ({error})") from None
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "video" in record and "repeat" in record:
            records.append(record)
    return records


# --- aggregation ------------------------------------------------------------------------------


@dataclass
class Group:
    """The means of the criteria and the total over a group of items, and its counts."""

    means: dict[str, float] = field(default_factory=dict)
    judge_sd: dict[str, float] = field(default_factory=dict)
    n: int = 0


@dataclass
class Judged:
    """VAU-Eval for one file: overall, per class and per source, with coverage counts."""

    overall: Group
    per_class: dict[str, Group]
    per_source: dict[str, Group]
    unscored: int
    missing: int
    repeats: int
    items: dict[str, dict[str, float]] = field(default_factory=dict)  # video -> mean scores
    temperature: float | None = None  # what the repeats were sampled at, when the file says

    def to_dict(self) -> dict[str, Any]:
        """The `score --json` object."""

        def group(g: Group) -> dict[str, Any]:
            return {"n": g.n, **{k: round(v, 4) for k, v in g.means.items()}}

        result = group(self.overall) | {"unscored": self.unscored, "missing": self.missing}
        result["repeats"] = self.repeats
        if self.overall.judge_sd:
            result["judge_sd"] = {k: round(v, 4) for k, v in self.overall.judge_sd.items()}
            result["judge_temperature"] = self.temperature
        result["per_class"] = {name: group(g) for name, g in self.per_class.items()}
        result["per_source"] = {name: group(g) for name, g in self.per_source.items()}
        return result


def aggregate(rows: Sequence[BenchRow], records: Iterable[dict[str, Any]]) -> Judged:
    """VAU-Eval's means over the CSV's items from judged records (see the module docstring)."""
    by_video = rows_by_video(rows)
    repeats: dict[str, list[dict[str, int]]] = defaultdict(list)
    seen: set[str] = set()
    most = 0
    temperatures = set()
    for record in records:
        if record["video"] not in by_video:
            continue
        seen.add(record["video"])
        judge = record.get("judge")
        temperatures.add(judge.get("temperature") if isinstance(judge, dict) else None)
        most = max(most, int(record["repeat"]) + 1)
        if record.get("scores"):
            repeats[record["video"]].append(record["scores"])
    items = {video: scores for video, scores in repeats.items()}
    classes: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    for video in items:
        classes[by_video[video].anomaly_class or "(no class)"].append(video)
        sources[by_video[video].source].append(video)
    return Judged(
        overall=_group(items, list(items)),
        per_class={name: _group(items, videos) for name, videos in sorted(classes.items())},
        per_source={name: _group(items, videos) for name, videos in sorted(sources.items())},
        unscored=len(seen - set(items)),
        missing=len(set(by_video) - seen),
        repeats=most,
        items={video: _item_means(scores) for video, scores in sorted(items.items())},
        temperature=temperatures.pop() if len(temperatures) == 1 else None,
    )


def _item_means(repeats: list[dict[str, int]]) -> dict[str, float]:
    """One item's score per criterion (the mean of its repeats) and its total."""
    means = {k: statistics.mean(s[k] for s in repeats) for k in KEYS}
    return means | {TOTAL: sum(means.values())}


def _group(items: dict[str, list[dict[str, int]]], videos: list[str]) -> Group:
    """Means over `videos` of each item's mean score; the judge's noise when items repeat."""
    if not videos:
        return Group()
    means = {
        k: statistics.mean(statistics.mean(s[k] for s in items[v]) for v in videos) for k in KEYS
    }
    means[TOTAL] = sum(means[k] for k in KEYS)
    repeated = [v for v in videos if len(items[v]) > 1]
    sd = {}
    if repeated:
        for key in (*KEYS, TOTAL):
            values = [[_value(s, key) for s in items[v]] for v in repeated]
            sd[key] = statistics.mean(statistics.stdev(vals) for vals in values)
    return Group(means, sd, len(videos))


def _value(scores: dict[str, int], key: str) -> int:
    return sum(scores[k] for k in KEYS) if key == TOTAL else scores[key]


def format_judged(judged: Judged, title: str = "") -> str:
    """The five criteria and the total, overall then per source and per class, as a table."""
    header = f"{'':28}{'n':>5}" + "".join(f"{k[:12]:>14}" for k in (*KEYS, TOTAL))
    lines = [title] if title else []
    lines.append(header)

    def line(name: str, group: Group) -> str:
        cells = "".join(f"{group.means.get(k, 0.0):14.2f}" for k in (*KEYS, TOTAL))
        return f"{name[:28]:28}{group.n:5d}{cells}"

    lines.append(line("all", judged.overall))
    if judged.overall.judge_sd:
        noise = "".join(f"{judged.overall.judge_sd[k]:14.2f}" for k in (*KEYS, TOTAL))
        at = "" if judged.temperature is None else f" (T {judged.temperature:g})"
        lines.append(f"{'  judge sd over repeats' + at:28}{'':5}{noise}")
    for name, group in judged.per_source.items():
        lines.append(line(f"source {name}", group))
    for name, group in judged.per_class.items():
        lines.append(line(f"class {name}", group))
    lines.append(f"unscored {judged.unscored}, missing {judged.missing}, repeats {judged.repeats}")
    return "\n".join(lines)
