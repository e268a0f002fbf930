"""`python -m inference eval` and `score`: run a checkpoint over VAU-Bench, then measure it.

`eval` writes one JSON line per item as it goes and resumes where it stopped; `score` computes
the paper's metrics from such a file (see `inference.eval.scoring`), optionally with a report.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from inference.core import protocol
from inference.core.tasks import TASKS, pixels_of
from inference.core.vaubench import BenchRow, read_bench_csv
from inference.errors import GenerationError, ServerError, VideoError
from inference.eval.pipeline import pipelined
from inference.eval.scoring import (
    SETTING_KEYS,
    PredictionsError,
    read_predictions,
    rows_by_video,
    task_truth,
)
from inference.flags import (
    add_model_args,
    add_sampling_args,
    backend_options,
    load_templates_arg,
    open_model,
    sampling_options,
)
from inference.jsonl import repair_tail

VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".avi", ".mkv", ".webm")
SOURCE_PREFIXES: tuple[str, ...] = ("msad_", "ucf_", "ecva_")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `eval` subcommand to `python -m inference`."""
    run = subparsers.add_parser("eval", help="run a checkpoint over a VAU-Bench CSV (resumable)")
    run.add_argument("--csv", required=True, help="VAU-Bench CSV")
    run.add_argument(
        "--videos", required=True, help="directory holding the videos (searched recursively)"
    )
    run.add_argument("--task", choices=TASKS, required=True)
    run.add_argument(
        "--out", required=True, help="predictions JSONL; appended to, so a rerun resumes"
    )
    run.add_argument("--limit", type=int, default=None, help="stop after this many new items")
    run.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="generations in flight (a server batches them); videos are decoded ahead anyway",
    )
    add_model_args(run)
    add_sampling_args(run)
    run.set_defaults(handler=cmd_eval)


# --- eval ---------------------------------------------------------------------------------


def find_video(name: str, directory: Path, index: dict[str, Path]) -> Path | None:
    """Locate a CSV video: DIR/name, DIR/stem.<ext>, then anywhere below DIR, prefix-less last."""
    stem = Path(name).stem
    candidates = [name, *(stem + ext for ext in VIDEO_EXTENSIONS)]
    for prefix in SOURCE_PREFIXES:  # val.csv names prepend the dataset to the original name
        if name.lower().startswith(prefix):
            bare = name[len(prefix) :]
            candidates += [bare, *(Path(bare).stem + ext for ext in VIDEO_EXTENSIONS)]
    for candidate in candidates:
        if (directory / candidate).is_file():
            return directory / candidate
    return next((index[c] for c in candidates if c in index), None)


def video_index(directory: Path) -> dict[str, Path]:
    """Every video file below `directory` by file name; the first in sorted walk order wins."""
    index: dict[str, Path] = {}
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if Path(name).suffix.lower() in VIDEO_EXTENSIONS:
                index.setdefault(name, Path(root) / name)
    return index


def eval_rows(rows: Sequence[BenchRow], task: str) -> list[BenchRow]:
    """The rows worth running for `task`: those its metric scores (every row for description),
    and for grounding the Normal (0/0) videos too, on which a stated anomaly is a false alarm."""
    by_video = rows_by_video(rows)
    if task == "description":
        return list(by_video.values())
    keep = task_truth(rows, task)
    if task == "grounding":
        keep |= {v: None for v, r in by_video.items() if (r.start, r.end) == protocol.BENCH_NORMAL}
    return [row for video, row in by_video.items() if video in keep]


def resume_point(path: Path, task: str, settings: dict[str, Any]) -> set[str]:
    """Videos already in `path`; a cut-off last line is removed so appending stays valid JSONL."""
    if not path.exists():
        return set()
    found = read_predictions(path)
    if repair_tail(path):
        print(f"note: removed the cut-off last line of {path} (interrupted run)", file=sys.stderr)
    for record in found.records.values():
        _check_same_settings(path, record, task, settings)
    return set(found.records)


def _check_same_settings(path: Path, record: dict, task: str, settings: dict[str, Any]) -> None:
    if record.get("task") != task:
        raise PredictionsError(
            f"{path} holds {record.get('task')} predictions; use another --out for {task}"
        )
    theirs = record.get("settings") or {}
    for key in SETTING_KEYS:
        if key in theirs and theirs[key] != settings[key]:
            raise PredictionsError(
                f"{path} was written with {key}={theirs[key]!r}, not {settings[key]!r}; "
                "use another --out or the same settings"
            )


@dataclass
class EvalPlan:
    """What one `eval` run will do: the rows to run, where their videos are, what to skip."""

    todo: list[tuple[BenchRow, Path]] = field(default_factory=list)
    done: int = 0
    missing: list[str] = field(default_factory=list)


def plan_eval(rows: Sequence[BenchRow], task: str, videos: Path, done: set[str]) -> EvalPlan:
    """Split the task's rows into already done, missing video, and to run."""
    if not videos.is_dir():
        raise VideoError(f"{videos}: no such directory of videos")
    index = video_index(videos)
    plan = EvalPlan()
    for row in eval_rows(rows, task):
        if row.video in done:
            plan.done += 1
        elif (path := find_video(row.video, videos, index)) is None:
            plan.missing.append(row.video)
        else:
            plan.todo.append((row, path))
    return plan


def eval_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings recorded with every prediction line."""
    return {
        "backend": args.backend,
        "model": args.model,
        "quant": args.quant,
        "device": args.device,
        "think": args.think,
        "fps": sampling_options(args, args.task).fps,
        "max_frames": args.max_frames,
        **pixels_of(args),
        "template": args.template,
        "max_new_tokens": args.max_new_tokens,
    }


def cmd_eval(args: argparse.Namespace) -> int:
    """Run the checkpoint over the CSV's rows for the task, appending one JSON line per item."""
    options = sampling_options(args, args.task)  # cheap checks before the slow model load
    templates = load_templates_arg(args.template)
    backend_options(args)
    if args.concurrency < 1:
        raise ValueError("--concurrency must be at least 1")
    settings = eval_settings(args)
    bench = read_bench_csv(args.csv)
    out = Path(args.out)
    plan = plan_eval(
        bench.rows, args.task, Path(args.videos), resume_point(out, args.task, settings)
    )
    if args.limit is not None:
        plan.todo = plan.todo[: max(args.limit, 0)]
    counts = f"{len(plan.todo)} to run, {plan.done} already in {out}"
    print(f"{counts}, {len(plan.missing)} videos missing", file=sys.stderr)
    failed: list[str] = []
    if plan.todo:
        runner = _runner(args, options, templates)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as handle:
            failed = _run_all(runner, plan.todo, args, settings, handle)
    _report_misses("missing videos", plan.missing)
    _report_misses("failed", failed)
    return 0


class Runner:
    """Samples an item's video and prompt, then generates on it; `eval` overlaps the two."""

    def __init__(self, engine: Any, args: argparse.Namespace, options: Any, templates: Any):
        self.engine, self.args, self.options, self.templates = engine, args, options, templates
        self.stop = threading.Event()  # set on Ctrl-C so generations in flight end promptly

    def made_by(self) -> dict[str, Any]:
        """What every line records of what made it (`inference.eval.provenance`)."""
        from inference.eval.provenance import provenance

        return provenance(self.engine.facts(), self.templates, self.options)

    def sample(self, item: tuple[BenchRow, Path]) -> tuple[Any, Any]:
        """The item's prompt and sampled clip (VideoError for an unreadable video)."""
        from inference.core.prompts import build_prompt
        from inference.video.sampling import sample_video

        row, path = item
        task = self.args.task
        question, choices = (row.question, list(row.options)) if task == "qa" else (None, None)
        prompt = build_prompt(task, self.args.think, question, choices, self.templates)
        return prompt, sample_video(path, self.options)

    def generate(self, prepared: tuple[Any, Any]) -> Any:
        """Generate on a sampled item; a generation cut short by Ctrl-C is not a result."""
        prompt, clip = prepared
        max_new_tokens = self.args.max_new_tokens
        generation = self.engine.run(clip, prompt, max_new_tokens=max_new_tokens, stop=self.stop)
        if generation.stopped:
            raise GenerationError("interrupted")
        return generation


def _runner(args: argparse.Namespace, options: Any, templates: Any) -> Runner:
    """Load the model (or connect to the server) once; the Runner that uses it."""
    # Every item is a different video: the in-process prefix cache would only cost memory.
    return Runner(open_model(args, prefix_cache=False), args, options, templates)


def _run_all(
    runner: Runner, todo: list, args: argparse.Namespace, settings: dict, handle: TextIO
) -> list[str]:
    """Run the items, writing each line as it completes; the failures, one line each.

    A bad video or a refused request fails only its item; a server that is down or drops the
    connection ends the run (what was written stays, and the same command resumes).
    """
    from tqdm import tqdm

    failed: list[str] = []
    written = 0
    made_by = runner.made_by()
    outcomes = pipelined(todo, runner.sample, runner.generate, args.concurrency)
    progress = tqdm(total=len(todo), unit="video", file=sys.stderr, dynamic_ncols=True)
    try:
        for outcome in outcomes:
            progress.update()
            row, _ = outcome.item
            if isinstance(outcome.error, ServerError):
                print(f"stopped after writing {written} new items", file=sys.stderr)
                raise outcome.error
            if isinstance(outcome.error, VideoError | GenerationError):
                failed.append(f"{row.video}: {outcome.error}")
                continue
            if outcome.error is not None:
                raise outcome.error
            record = prediction_record(row, args.task, outcome.value, settings, outcome.started)
            record["provenance"] = made_by
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()  # a crash loses at most the items in flight
            written += 1
    except BaseException:
        runner.stop.set()
        raise
    finally:
        outcomes.close()
        progress.close()
    return failed


def prediction_record(
    row: BenchRow, task: str, generation: Any, settings: dict, started: float
) -> dict:
    """One JSONL line: the item, the model's raw text, its parsed answer, settings, timings."""
    result = generation.result
    return {
        "video": row.video,
        "row": row.row_number,
        "task": task,
        "raw": generation.text,
        "answer": result.answer,
        "interval": list(result.interval) if result.interval else None,
        "format_ok": result.format_ok,
        "duration": round(generation.clip.info.duration, 3),  # frame-level figures bin to it
        "settings": settings,
        "timings": {
            **generation.timings.to_dict(),
            "total_s": round(time.perf_counter() - started, 4),
        },
    }


def _report_misses(label: str, names: list[str]) -> None:
    if names:
        print(f"{len(names)} {label}:", file=sys.stderr)
        for name in names:
            print(f"  {name}", file=sys.stderr)
