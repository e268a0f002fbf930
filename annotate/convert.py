"""Conversions between ORM rows (annotate.schema) and the frozen records the store returns."""

from __future__ import annotations

import math
from typing import Any

from annotate.records import (
    Edit,
    GroundTruth,
    Interval,
    ItemRecord,
    ItemSpec,
    PinRecord,
    QueueRecord,
    RevisionRecord,
    RubricRecord,
    RunRecord,
    ScanRecord,
    StepText,
    VideoRecord,
)
from annotate.schema import (
    AnomalyScan,
    Correction,
    Item,
    ModelRun,
    Pin,
    Revision,
    RubricScore,
    Video,
    WorkQueue,
)


def _interval(start: float | None, end: float | None) -> Interval | None:
    return None if start is None or end is None else (start, end)


def video(row: Video) -> VideoRecord:
    """The record of a video row."""
    return VideoRecord(
        id=row.id,
        source=row.source,
        name=row.name,
        path=row.path,
        content_hash=row.content_hash,
        duration=row.duration,
        fps=row.fps,
    )


def truth(row: Item) -> GroundTruth:
    """The ground truth stored on an item row."""
    return GroundTruth(
        answer=row.gt_answer,
        interval=_interval(row.gt_start, row.gt_end),
        class_name=row.gt_class,
        description=row.gt_description,
        reasoning=row.gt_reasoning,
        key_objects=row.gt_key_objects,
    )


def set_truth(row: Item, gt: GroundTruth) -> None:
    """Write `gt` into the item row's ground-truth columns."""
    start, end = gt.interval if gt.interval is not None else (None, None)
    row.gt_answer, row.gt_start, row.gt_end = gt.answer, start, end
    row.gt_class, row.gt_description = gt.class_name, gt.description
    row.gt_reasoning, row.gt_key_objects = gt.reasoning, gt.key_objects


def item(row: Item) -> ItemRecord:
    """The record of an item row (with its video)."""
    return ItemRecord(
        id=row.id,
        video=video(row.video),
        task=row.task,
        question=row.question,
        options=tuple(row.options) if row.options is not None else None,
        truth=truth(row),
        origin=row.origin,
        origin_row=row.origin_row,
        created_at=row.created_at,
    )


def spec_fields(spec: ItemSpec) -> dict[str, Any]:
    """The item columns an ItemSpec sets (compared on re-import to tell "updated" apart)."""
    gt = spec.truth
    start, end = gt.interval if gt.interval is not None else (None, None)
    return {
        "question": spec.question,
        "options": list(spec.options) if spec.options is not None else None,
        "gt_answer": gt.answer,
        "gt_start": start,
        "gt_end": end,
        "gt_class": gt.class_name,
        "gt_description": gt.description,
        "gt_reasoning": gt.reasoning,
        "gt_key_objects": gt.key_objects,
        "origin": spec.origin,
        "origin_row": spec.origin_row,
    }


def item_fields(row: Item) -> dict[str, Any]:
    """The same columns as `spec_fields`, read from a row."""
    return {key: getattr(row, key) for key in spec_fields(ItemSpec("", "", "qa", ""))}


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _finite(value)
    return None if number is None else int(number)


def new_run(
    row: Item,
    checkpoint: str,
    settings: dict[str, Any],
    raw: str,
    parsed: dict[str, Any],
    timings: dict[str, Any],
    created_by: str | None,
) -> ModelRun:
    """A model-run row; the searchable columns are copied out of `settings` and `parsed`."""
    interval = parsed.get("interval")
    start, end = (interval[0], interval[1]) if interval else (None, None)
    answer = parsed.get("answer")
    return ModelRun(
        item_id=row.id,
        checkpoint=checkpoint,
        template=settings.get("template"),
        quantization=settings.get("quantization", settings.get("quant")),
        fps=_finite(settings.get("fps")),
        frames=_int(settings.get("frames", settings.get("num_frames"))),
        min_pixels=_int(settings.get("min_pixels")),
        max_pixels=_int(settings.get("max_pixels")),
        total_pixels=_int(settings.get("total_pixels")),
        settings=settings,
        raw=raw,
        answer=None if answer is None else str(answer),
        start=_finite(start),
        end=_finite(end),
        parsed=parsed,
        timings=timings,
        created_by=created_by,
    )


def run(row: ModelRun) -> RunRecord:
    """The record of a model-run row."""
    return RunRecord(
        id=row.id,
        item_id=row.item_id,
        checkpoint=row.checkpoint,
        template=row.template,
        quantization=row.quantization,
        fps=row.fps,
        frames=row.frames,
        min_pixels=row.min_pixels,
        max_pixels=row.max_pixels,
        total_pixels=row.total_pixels,
        settings=row.settings,
        raw=row.raw,
        answer=row.answer,
        interval=_interval(row.start, row.end),
        class_name=row.class_name,
        parsed=row.parsed,
        timings=row.timings,
        created_by=row.created_by,
        created_at=row.created_at,
        spread=row.spread,
    )


def scan(row: AnomalyScan) -> ScanRecord:
    """The record of a scan row."""
    return ScanRecord(
        id=row.id,
        video_id=row.video_id,
        checkpoint=row.checkpoint,
        key=row.key,
        settings=row.settings,
        curve=row.curve,
        windows=row.windows,
        interval=_interval(row.start, row.end),
        segments=row.segments,
        timings=row.timings,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def work_queue(row: WorkQueue) -> QueueRecord:
    """The record of a work queue."""
    return QueueRecord(
        name=row.name,
        item_ids=tuple(row.item_ids),
        created_by=row.created_by,
        note=row.note,
        created_at=row.created_at,
    )


def pin(row: Pin) -> PinRecord:
    """The record of a demo pin, with its item."""
    return PinRecord(
        item=item(row.item),
        pinned_by=row.pinned_by,
        note=row.note,
        created_at=row.created_at,
        run_id=row.run_id,
    )


def rubric(row: RubricScore, run_row: ModelRun, video: str) -> RubricRecord:
    """The record of a reviewer's rubric scores, with the run they score."""
    return RubricRecord(
        id=row.id,
        run=run(run_row),
        video=video,
        reviewer=row.reviewer,
        scores=dict(row.scores),
        created_at=row.created_at,
    )


def new_revision(
    correction_id: int, number: int, edit: Edit, status: str, author: str, **extra: Any
) -> Revision:
    """A revision row holding `edit`; `extra` sets reviewer, run_id and the like."""
    start, end = edit.interval if edit.interval is not None else (None, None)
    return Revision(
        correction_id=correction_id,
        number=number,
        reasoning=edit.reasoning,
        steps=[s.to_dict() for s in edit.steps or ()],
        answer=edit.answer,
        start=start,
        end=end,
        class_name=edit.class_name,
        comment=edit.comment,
        status=status,
        author=author,
        **extra,
    )


def edit_of(row: Revision) -> Edit:
    """The content of a revision row, to copy into a new revision."""
    return Edit(
        answer=row.answer,
        reasoning=row.reasoning,
        steps=tuple(StepText(s.get("title"), s["text"]) for s in row.steps or ()),
        interval=_interval(row.start, row.end),
        class_name=row.class_name,
        comment=row.comment,
    )


def revision(
    row: Revision, correction: Correction, is_current: bool | None = None
) -> RevisionRecord:
    """The record of a revision row; current when it is the correction's head."""
    content = edit_of(row)
    return RevisionRecord(
        id=row.id,
        correction_id=correction.id,
        item_id=correction.item_id,
        annotator=correction.annotator,
        number=row.number,
        is_current=row.number == correction.head if is_current is None else is_current,
        answer=content.answer,
        reasoning=content.reasoning,
        steps=content.steps or (),
        interval=content.interval,
        class_name=content.class_name,
        comment=content.comment,
        status=row.status,
        author=row.author,
        reviewer=row.reviewer,
        review_comment=row.review_comment,
        restored_from=row.restored_from,
        run_id=row.run_id,
        created_at=row.created_at,
        self_review=bool(row.self_review),
    )
