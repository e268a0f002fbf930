"""One record builder per export format, and the writers that put records into files.

Chat content is always a list of typed parts (`{"type": "text", ...}`, `{"type": "video",
...}`), for every role, and no column is ever null (unknown text is ""): `datasets` infers
one schema per file, and a column that is null all through one split cannot be merged.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inference.core import protocol
from inference.core.export_layout import DATASET_INFO, data_file
from inference.core.vaubench import BenchRow, write_bench_csv

if TYPE_CHECKING:
    from annotate.export_options import Example, ExportOptions

DATASET_PREFIX = "vau_r1"


class Skip(Exception):
    """This example cannot be written in this format; the message is the reason."""


# --- building blocks ---------------------------------------------------------------------------


def video_path(example: Example, options: ExportOptions) -> str:
    """The video's file relative to the export's root (its bare name when never located), so an
    export made on one host trains on another: `train --videos DIR` names the root there."""
    video = example.item.video
    if not video.path or not options.video_root:
        return video.name
    return Path(os.path.relpath(video.path, options.video_root)).as_posix()


def video_part(example: Example, options: ExportOptions) -> dict[str, Any]:
    """A qwen-vl-utils video content part with the task's sampling settings."""
    return {
        "type": "video",
        "video": video_path(example, options),
        **options.sampling(example.item.task),
    }


def text(value: str) -> dict[str, Any]:
    """A text content part."""
    return {"type": "text", "text": value}


def message(role: str, *parts: dict[str, Any]) -> dict[str, Any]:
    """A chat message with content parts."""
    return {"role": role, "content": list(parts)}


def prompt_of(example: Example, think: bool) -> Any:
    """The prompt the model sees for this item (inference.core.prompts, default templates)."""
    from inference.core.prompts import build_prompt

    item = example.item
    think = think and item.task != "description"  # description is exported as plain prose
    return build_prompt(
        item.task,
        think=think,
        question=item.question,
        options=list(item.options) if item.options else None,
    )


def reply(example: Example, think: bool) -> str:
    """The assistant's reply in the tag protocol (first turn only for description)."""
    task = example.item.task
    if task == "description":
        return protocol.description_turns(example.answer, example.reasoning)[0]
    if think and not (example.reasoning or "").strip():
        raise Skip("no reasoning for the think variant (export with --no-think)")
    try:
        return protocol.write(
            task,
            example.answer,
            reasoning=example.reasoning,
            interval=example.interval,
            think=think,
        )
    except ValueError as error:
        raise Skip(f"not a valid {task} answer: {error}") from None


def prompt_messages(example: Example, options: ExportOptions) -> list[dict[str, Any]]:
    """System (if the template has one) and the first user turn with the video."""
    prompt = prompt_of(example, options.think)
    messages = [message("system", text(prompt.system))] if prompt.system else []
    messages.append(message("user", video_part(example, options), text(prompt.turns[0])))
    return messages


def record_id(example: Example) -> str:
    """The id an example's record carries in every format: source/video/task/item."""
    item = example.item
    return f"{item.video.source}/{item.video.name}/{item.task}/{item.id}"


def _meta(example: Example) -> dict[str, Any]:
    item = example.item
    return {
        "id": record_id(example),
        "task": item.task,
        "label": "correction" if example.annotator else "ground-truth",
        "annotator": example.annotator or "",  # never null: a null-only column breaks loading
    }


# --- records -------------------------------------------------------------------------------------


def sft_record(example: Example, options: ExportOptions) -> dict[str, Any]:
    """TRL SFT: `messages` (system / user with the video / assistant in the tag protocol)."""
    messages = prompt_messages(example, options)
    messages.append(message("assistant", text(reply(example, options.think))))
    if example.item.task == "description":
        analysis = protocol.description_turns(example.answer, example.reasoning)[1]
        if analysis:
            second = prompt_of(example, options.think).turns[1]
            messages += [message("user", text(second)), message("assistant", text(analysis))]
    return {"messages": messages, **_meta(example)}


def grpo_record(example: Example, options: ExportOptions) -> dict[str, Any]:
    """TRL GRPO: `prompt` plus the columns inference.core.metrics' rewards read."""
    task = example.item.task
    if task == "description":
        raise Skip("description has no RFT reward")
    interval = example.interval if task == "grounding" else example.item.truth.interval
    solution = example.answer
    return {
        "prompt": prompt_messages(example, options),
        "solution": solution,
        "answer": solution,
        "interval": protocol.interval_values(interval),
        "class": example.class_name or example.item.truth.class_name or "",
        "think": options.think,  # which format the format reward holds the completions to
        **_meta(example),
    }


def dpo_record(example: Example, options: ExportOptions) -> dict[str, Any]:
    """TRL DPO: the correction is `chosen`, the model's original output `rejected`."""
    if example.item.task == "description":
        raise Skip("description is two turns; no single-turn preference pair")
    if example.rejected is None:
        raise Skip("no model output to pair with")
    chosen, rejected = reply(example, options.think), example.rejected.raw
    if chosen.strip() == rejected.strip():
        raise Skip("model output already equals the correction")
    return {
        "prompt": prompt_messages(example, options),
        "chosen": [message("assistant", text(chosen))],
        "rejected": [message("assistant", text(rejected))],
        "run_id": example.rejected.id,
        "checkpoint": example.rejected.checkpoint,
        **_meta(example),
    }


def sharegpt_record(example: Example, options: ExportOptions) -> dict[str, Any]:
    """LLaMA-Factory sharegpt: `conversations` with one `<video>` tag, `videos`, `system`."""
    prompt = prompt_of(example, options.think)
    turns = [
        {"from": "human", "value": "<video>" + prompt.turns[0]},
        {"from": "gpt", "value": reply(example, options.think)},
    ]
    if example.item.task == "description":
        analysis = protocol.description_turns(example.answer, example.reasoning)[1]
        if analysis:
            turns += [
                {"from": "human", "value": prompt.turns[1]},
                {"from": "gpt", "value": analysis},
            ]
    return {
        "conversations": turns,
        "system": prompt.system or "",
        "videos": [video_path(example, options)],
        **_meta(example),
    }


BUILDERS: dict[str, Callable[[Example, ExportOptions], dict[str, Any]]] = {
    "trl-sft": sft_record,
    "trl-grpo": grpo_record,
    "dpo": dpo_record,
    "sharegpt": sharegpt_record,
}


# --- VAU-Bench CSV -------------------------------------------------------------------------------


def bench_row(examples: list[Example], include_truth: bool) -> BenchRow:
    """One CSV row for a video: its ground truth (if included), overlaid by corrections."""
    video = examples[0].item.video
    row: dict[str, Any] = dict.fromkeys(
        ("question", "options", "correct", "key_object", "description", "reasoning"), None
    )
    row["anomaly_class"], times = None, protocol.NO_ANOMALY
    if include_truth:
        times = _truth_fields(examples, row)
    for example in examples:  # later corrections (newer revisions) win
        if example.annotator is not None:
            times = _correction_fields(example, row, times)
    return BenchRow(row_number=0, video=video.name, source=video.source, **row, start=times[0],
                    end=times[1])  # fmt: skip


def _truth_fields(examples: list[Example], row: dict[str, Any]) -> tuple[float, float]:
    times = protocol.NO_ANOMALY
    for example in examples:
        item, truth = example.item, example.item.truth
        for key, value in (
            ("key_object", truth.key_objects),
            ("description", truth.description),
            ("reasoning", truth.reasoning),
            ("anomaly_class", truth.class_name),
        ):
            row[key] = row[key] if row[key] is not None else value
        if item.task == "qa" and truth.answer is not None:
            row["question"], row["options"], row["correct"] = (
                item.question,
                item.options,
                truth.answer,
            )
        if item.task == "grounding" and truth.answer is not None:
            times = truth.interval or protocol.BENCH_NORMAL
    return times


def _correction_fields(
    example: Example, row: dict[str, Any], times: tuple[float, float]
) -> tuple[float, float]:
    item = example.item
    if item.task == "qa":
        row["question"], row["options"], row["correct"] = (
            item.question,
            item.options,
            example.answer,
        )
    elif item.task == "grounding":
        if example.class_name:  # the class set on a grounding item is the video's class too
            row["anomaly_class"] = example.class_name
        anomalous = example.answer == "Anomaly" and example.interval
        return example.interval if anomalous else protocol.BENCH_NORMAL
    elif item.task == "classification":
        row["anomaly_class"] = example.answer
    elif item.task == "description":
        row["description"], row["reasoning"] = example.answer, example.reasoning
    return times


def _write_bench(options: ExportOptions, split: str, examples: list[Example]) -> dict[Path, int]:
    """`{split}_{source}.csv` per dataset, so re-import tells the sources apart by file name."""
    by_source: dict[str, dict[str, list[Example]]] = defaultdict(lambda: defaultdict(list))
    for example in sorted(examples, key=_recency):
        video = example.item.video
        by_source[video.source][video.name].append(example)
    written = {}
    for stale in options.out.glob(f"{split}_*.csv"):  # a source with no rows this time
        stale.unlink()
    for source, videos in sorted(by_source.items()):
        rows = [
            bench_row(group, options.include_ground_truth) for _, group in sorted(videos.items())
        ]
        path = options.out / f"{split}_{source}.csv"
        write_bench_csv(rows, path)
        written[path] = len(rows)
    return written


def _recency(example: Example) -> tuple[Any, ...]:
    revision = example.revision
    return (revision is not None, revision.created_at if revision else None, example.item.id)


# --- writing -------------------------------------------------------------------------------------


def write(
    options: ExportOptions, split: str, examples: list[Example], skipped: Counter[str]
) -> dict[Path, int]:
    """Write one split's file(s) in `options.format`; returns each path with its record count."""
    if options.format == "vau-csv":
        return _write_bench(options, split, examples)
    records = []
    for example in examples:
        try:
            records.append(BUILDERS[options.format](example, options))
        except Skip as reason:
            skipped[str(reason)] += 1
    path = options.out / data_file(split, options.format)
    if not records:
        # No file rather than an empty one (which `datasets` cannot load); drop a stale one.
        path.unlink(missing_ok=True)
        return {}
    if options.format == "sharegpt":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    else:
        lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        path.write_text("".join(lines), encoding="utf-8")
    return {path: len(records)}


def write_dataset_info(folder: Path, splits: list[str]) -> Path:
    """LLaMA-Factory's dataset_info.json describing the sharegpt files in `folder`."""
    info = {
        f"{DATASET_PREFIX}_{split}": {
            "file_name": data_file(split, "sharegpt"),
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system", "videos": "videos"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
            },
        }
        for split in splits
    }
    path = folder / DATASET_INFO
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path
