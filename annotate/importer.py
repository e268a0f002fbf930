"""VAU-Bench CSV import: each usable row becomes up to four items (one per task).

Row reading, sentinels and normalisation are `inference.core.vaubench`'s; this module decides which
tasks a row can serve, attaches the row's ground truth, optionally finds the videos on disk,
probes each found video's duration (so corrections can be checked against it), and upserts
everything in one transaction, so importing the same file again changes nothing.

A row gives: a QA item when question, four options and the correct letter are present; a
grounding item unless the times are -1/-1 (0/0 answers Normal, a span answers Anomaly); a
classification item when the class is known; a description item when the description is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from annotate.errors import InvalidInput
from annotate.records import GroundTruth, ItemSpec
from annotate.store import Store
from annotate.validate import clean_interval
from annotate.videos import VideoIndex, content_hash
from inference.core.vaubench import BenchRow, Problem, read_bench_csv
from inference.errors import VideoError
from inference.video.sampling import probe_video

BENCH_KEY = "vau-bench"  # Item.key of imported items: one per (video, task)


@dataclass
class ImportReport:
    """What one import did, with every row left out or doubted by its row number."""

    file: str
    rows_imported: int = 0
    skipped: list[Problem] = field(default_factory=list)  # rows not imported at all
    notes: list[Problem] = field(default_factory=list)  # imported rows with a remark
    items: Counter[str] = field(default_factory=Counter)  # created / updated / unchanged
    items_by_task: Counter[str] = field(default_factory=Counter)
    videos_matched: int = 0
    missing_videos: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Data rows in the file (imported + skipped)."""
        return self.rows_imported + len(self.skipped)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary."""
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_skipped": len(self.skipped),
            "skipped": [str(p) for p in self.skipped],
            "notes": [str(p) for p in self.notes],
            "items": dict(self.items),
            "items_by_task": dict(self.items_by_task),
            "videos_matched": self.videos_matched,
            "missing_videos": list(self.missing_videos),
        }


def row_truth(row: BenchRow) -> GroundTruth:
    """The facts a row states, shared by every item made from it (answer set per task)."""
    return GroundTruth(
        interval=row.interval,
        class_name=row.anomaly_class,
        description=row.description,
        reasoning=row.reasoning,
        key_objects=row.key_object,
    )


def row_items(row: BenchRow, origin: str) -> list[ItemSpec]:
    """The items one row can serve, each with its task's ground-truth answer."""
    truth = row_truth(row)
    base = {"source": row.source, "video": row.video, "key": BENCH_KEY}
    base |= {"origin": origin, "origin_row": row.row_number}
    answers: list[tuple[str, str]] = []
    if row.usable_qa:
        answers.append(("qa", row.correct))  # type: ignore[arg-type]  # usable_qa: not None
    if not row.is_unannotated:
        answers.append(("grounding", "Anomaly" if row.has_interval else "Normal"))
    if row.anomaly_class is not None:
        answers.append(("classification", row.anomaly_class))
    if row.description is not None:
        answers.append(("description", row.description))
    specs = []
    for task, answer in answers:
        question = row.question if task == "qa" else None
        options = row.options if task == "qa" else None
        gt = replace(truth, answer=answer)
        specs.append(ItemSpec(task=task, question=question, options=options, truth=gt, **base))
    return specs


def import_csv(
    store: Store,
    path: str | Path,
    *,
    videos: str | Path | None = None,
    hash_videos: bool = False,
    source: str | None = None,
) -> ImportReport:
    """Import one VAU-Bench CSV into `store`; re-importing the same file changes nothing.

    `source` overrides the dataset name guessed from each video's prefix or the file name.
    """
    path = Path(path)
    bench = read_bench_csv(path)  # raises BenchFormatError (a StudioError) for a bad file
    report = ImportReport(file=path.name)
    report.skipped = [p for p in bench.problems if p.skipped]
    report.notes = [p for p in bench.problems if not p.skipped]
    index = VideoIndex(videos) if videos is not None else None
    specs: list[ItemSpec] = []
    seen: dict[str, int] = {}
    for row in bench.rows:
        if source is not None:
            row = replace(row, source=source)
        if row.video in seen:
            note = f"video {row.video} also on row {seen[row.video]}; this later row wins"
            report.notes.append(Problem(row.row_number, note))
        seen[row.video] = row.row_number
        row_specs = row_items(row, path.name)
        if not row_specs:
            report.skipped.append(Problem(row.row_number, "nothing usable for any task", True))
            continue
        if index is not None:
            row_specs = _locate(row, row_specs, index, report, hash_videos)
        report.rows_imported += 1
        specs.extend(row_specs)
    report.skipped.sort(key=lambda p: p.row_number)
    outcomes = store.upsert_items(specs)
    report.items.update(outcomes)
    report.items_by_task.update(spec.task for spec in specs)
    return report


def _locate(
    row: BenchRow, specs: list[ItemSpec], index: VideoIndex, report: ImportReport, hash_: bool
) -> list[ItemSpec]:
    """Attach the video file's path (and hash) to a row's items, or list it as missing."""
    match = index.find(row.video, row.source)
    if match.note:
        report.notes.append(Problem(row.row_number, match.note))
    if match.path is None:
        report.missing_videos.append(row.video)
        return specs
    report.videos_matched += 1
    path = str(match.path.resolve())
    digest = content_hash(match.path) if hash_ else None
    try:
        info = probe_video(match.path)
    except VideoError as error:
        report.notes.append(Problem(row.row_number, f"video not readable: {error}"))
        return [replace(spec, video_path=path, content_hash=digest) for spec in specs]
    try:  # the truth is the dataset's; an impossible one is reported, not changed
        clean_interval(row.interval, info.duration)
    except InvalidInput as error:
        report.notes.append(Problem(row.row_number, f"ground truth {error}"))
    facts = {"video_path": path, "content_hash": digest, "duration": info.duration}
    return [replace(spec, **facts, fps=info.fps) for spec in specs]
