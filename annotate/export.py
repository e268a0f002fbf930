"""Training data from corrections: VAU-Bench CSV, TRL SFT / GRPO / DPO, LLaMA-Factory sharegpt.

By default only approved corrections are exported; imported ground truth joins when asked
(for items without a qualifying correction). Every format splits train/validation by video
(a hash of the video's identity, so the split is stable and no video lands in both).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotate import formats
from annotate.errors import NothingToExport, StoreError
from annotate.export_options import (  # noqa: F401  # re-exported: the export's public names
    FORMATS,
    MANIFEST,
    SPLITS,
    STATUS_CHOICES,
    Example,
    ExportOptions,
)
from annotate.records import ItemRecord, RevisionRecord, RunRecord
from annotate.store import Store
from annotate.validate import readable_reasoning
from inference.core.export_layout import data_file
from inference.core.tasks import pixels_of


@dataclass
class ExportReport:
    """Files written with their record counts, and why examples were left out."""

    format: str
    files: dict[str, int] = field(default_factory=dict)
    from_corrections: int = 0
    from_ground_truth: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    videos: dict[str, int] = field(default_factory=dict)  # per split

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary."""
        return {
            "format": self.format,
            "files": dict(self.files),
            "from_corrections": self.from_corrections,
            "from_ground_truth": self.from_ground_truth,
            "skipped": dict(self.skipped),
            "videos": dict(self.videos),
        }


def split_of(video_key: str, train_share: float) -> str:
    """ "train" or "validation" for a video, from a hash of its identity (stable across runs)."""
    digest = hashlib.sha256(video_key.encode("utf-8")).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return "train" if position < train_share else "validation"


def collect(store: Store, options: ExportOptions) -> tuple[list[Example], Counter[str]]:
    """The examples to export, in a stable order, and counts of what was left out."""
    skipped: Counter[str] = Counter()
    examples = []
    statuses = STATUS_CHOICES[options.status]
    pairs = store.current_revisions(
        statuses=statuses, task=options.task, annotator=options.annotator
    )
    runs: dict[int, RunRecord | None] = {}
    for item, revision in pairs:
        if revision.answer is None:
            skipped["correction without an answer"] += 1
            continue
        if options.status == "approved" and revision.self_review:
            skipped["approved by its own author, not by an independent reviewer"] += 1
            continue
        rejected = _rejected_run(store, item, revision, runs) if options.format == "dpo" else None
        examples.append(_from_revision(item, revision, rejected))
    if options.include_ground_truth:
        corrected = {example.item.id for example in examples}
        for item in _all_items(store, options.task):
            if item.id in corrected:
                continue
            if item.truth.answer is None:
                skipped["item without ground truth"] += 1
                continue
            rejected = _latest_run(store, item, runs) if options.format == "dpo" else None
            examples.append(_from_truth(item, rejected))
    examples.sort(key=lambda e: (e.video_key, e.item.task, e.item.id, e.annotator or ""))
    return examples, skipped


def _all_items(store: Store, task: str | None) -> Iterable[ItemRecord]:
    page, offset = 1000, 0
    while batch := store.list_items(task=task, limit=page, offset=offset):
        yield from batch
        offset += page


def _from_revision(
    item: ItemRecord, revision: RevisionRecord, rejected: RunRecord | None
) -> Example:
    return Example(
        item=item,
        answer=revision.answer,  # type: ignore[arg-type]  # checked by the caller
        reasoning=revision.reasoning,
        interval=revision.interval,
        class_name=revision.class_name,
        annotator=revision.annotator,
        revision=revision,
        rejected=rejected,
    )


def _from_truth(item: ItemRecord, rejected: RunRecord | None) -> Example:
    truth = item.truth
    return Example(
        item=item,
        answer=truth.answer,  # type: ignore[arg-type]  # checked by the caller
        reasoning=readable_reasoning(truth.reasoning),
        interval=truth.interval,
        class_name=truth.class_name,
        annotator=None,
        rejected=rejected,
    )


def _rejected_run(
    store: Store, item: ItemRecord, revision: RevisionRecord, cache: dict[int, RunRecord | None]
) -> RunRecord | None:
    """The output the correction fixes: its linked run, else the item's latest run."""
    if revision.run_id is not None:
        return store.get_run(revision.run_id)
    return _latest_run(store, item, cache)


def _latest_run(
    store: Store, item: ItemRecord, cache: dict[int, RunRecord | None]
) -> RunRecord | None:
    if item.id not in cache:
        runs = store.runs(item.id)
        cache[item.id] = runs[0] if runs else None
    return cache[item.id]


def _provenance(example: Example, split: str) -> dict[str, Any]:
    """Where one exported example came from: which revision, by whom, reviewed by whom."""
    revision = example.revision
    return {
        "id": formats.record_id(example),
        "split": split,
        "label": "correction" if example.annotator else "ground-truth",
        "annotator": example.annotator,
        "revision": revision.id if revision else None,
        "revision_number": revision.number if revision else None,
        "author": revision.author if revision else None,
        "status": revision.status if revision else None,
        "reviewer": revision.reviewer if revision else None,
    }


SCANS = "scans.jsonl"


def write_scans(store: Store, out: Path, examples: list[Example]) -> int:
    """`scans.jsonl` beside the data: the newest stored scan of each exported video by each
    checkpoint (curve, interval, settings); none written when no video has one. Its lines."""
    lines, seen = [], set()
    for example in examples:
        video = example.item.video
        if video.id in seen:
            continue
        seen.add(video.id)
        newest: dict[str, Any] = {}
        for scan in store.scans(video.id):  # newest first
            newest.setdefault(scan.checkpoint, scan)
        for scan in newest.values():
            lines.append({
                "video": video.name, "source": video.source, "checkpoint": scan.checkpoint,
                "settings": scan.settings, "interval": scan.interval and list(scan.interval),
                "segments": scan.segments, "curve": scan.curve, "windows": scan.windows,
                "created_by": scan.created_by, "created_at": scan.created_at.isoformat(),
            })  # fmt: skip
    if lines:
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        (out / SCANS).write_text(text, encoding="utf-8")
    return len(lines)


def write_manifest(
    options: ExportOptions,
    report: ExportReport,
    by_split: dict[str, list[Example]],
    scans: int = 0,
) -> Path:
    """`manifest.json` in the export folder: the options, the report, each example's origin,
    and the scans file when there is one."""
    manifest = {
        "format": options.format,
        "options": {
            "status": options.status,
            "include_ground_truth": options.include_ground_truth,
            "task": options.task,
            "annotator": options.annotator,
            "split": options.split,
            "think": options.think,
            "fps": options.fps,
            **pixels_of(options),
        },
        "video_root": options.video_root,
        "report": report.to_dict(),
        "examples": [_provenance(e, split) for split, group in by_split.items() for e in group],
    }
    if scans:
        manifest["scans"] = {"file": SCANS, "lines": scans}
    path = options.out / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _video_root(options: ExportOptions, examples: list[Example]) -> str | None:
    """The folder the export's video paths are relative to: the asked one, else the deepest
    folder holding every located video; None when no video was ever located."""
    if options.video_root:
        return str(Path(options.video_root).resolve())
    located = sorted({str(Path(e.item.video.path).resolve().parent) for e in examples
                      if e.item.video.path})  # fmt: skip
    return os.path.commonpath(located) if located else None


def nothing_written(options: ExportOptions, report: ExportReport) -> str:
    """Why an export wrote no record: what was left out and why, or what there was to take."""
    if report.skipped:
        reasons = "; ".join(f"{n} {reason}" for reason, n in report.skipped.most_common())
        return f"nothing to export as {options.format}: every example was left out ({reasons})"
    task = f" {options.task}" if options.task else ""
    truth = "" if options.include_ground_truth else ", or include ground truth"
    return (
        f"nothing to export: no{task} correction is {options.status} (--status "
        f"{options.status}); review some{truth}"
    )


def export(store: Store, options: ExportOptions) -> ExportReport:
    """Write the training data `options` asks for and report what went where."""
    options.check()
    examples, skipped = collect(store, options)
    options = replace(options, video_root=_video_root(options, examples))
    report = ExportReport(format=options.format, skipped=skipped)
    report.from_corrections = sum(1 for e in examples if e.annotator is not None)
    report.from_ground_truth = len(examples) - report.from_corrections
    by_split: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_split[split_of(example.video_key, options.split)].append(example)
    splits = SPLITS if options.split < 1.0 else SPLITS[:1]
    made = not options.out.exists()
    try:
        options.out.mkdir(parents=True, exist_ok=True)
        for split in splits:
            chosen = by_split.get(split, [])
            report.videos[split] = len({e.video_key for e in chosen})
            written = formats.write(options, split, chosen, report.skipped)
            report.files.update({str(path): n for path, n in written.items()})
        if not report.files:
            if made:
                options.out.rmdir()
            raise NothingToExport(nothing_written(options, report), report)
        if options.format == "sharegpt":
            written = [s for s in splits if (options.out / data_file(s, "sharegpt")).exists()]
            formats.write_dataset_info(options.out, written)
        scans = write_scans(store, options.out, examples)
        write_manifest(options, report, by_split, scans)
    except OSError as error:
        raise StoreError(f"cannot write to {options.out}: {error.strerror or error}") from None
    return report
