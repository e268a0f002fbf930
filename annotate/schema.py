"""The database schema: videos, items, model runs, corrections, immutable revisions, demo pins,
reviewers' rubric scores.

A correction is one annotator's thread of work on one item; every save appends a `Revision`
(never an UPDATE), and `Correction.head` names the latest one, which is the current state.
Migrations under `annotate/migrations/` create exactly these tables; change both together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from inference.core.tasks import TASKS

STATUSES: tuple[str, ...] = ("draft", "submitted", "approved", "rejected")

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass a timezone-aware time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime,
    }


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = (UniqueConstraint("source", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # dataset: msad, ucf, ecva, local, ...
    name: Mapped[str] = mapped_column(String(512))  # file name as the dataset spells it
    path: Mapped[str | None] = mapped_column(Text)  # where the file was found, if anywhere
    content_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 hex of the file
    duration: Mapped[float | None] = mapped_column(Float)
    fps: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[Item]] = relationship(back_populates="video")


class Item(Base):
    """A video + task + question/options: one thing to annotate, with ground truth if known."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("video_id", "task", "key"),
        CheckConstraint(_in("task", TASKS), name="task"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id"), index=True)
    task: Mapped[str] = mapped_column(String(16))
    # Identity within (video, task): "vau-bench" for imported items, a digest of the question
    # and options for items the app creates, so the same question twice is one item.
    key: Mapped[str] = mapped_column(String(64))
    question: Mapped[str | None] = mapped_column(Text)
    options: Mapped[list[Any] | None] = mapped_column(JSON)
    gt_answer: Mapped[str | None] = mapped_column(Text)
    gt_start: Mapped[float | None] = mapped_column(Float)
    gt_end: Mapped[float | None] = mapped_column(Float)
    gt_class: Mapped[str | None] = mapped_column(String(64))
    gt_description: Mapped[str | None] = mapped_column(Text)
    gt_reasoning: Mapped[str | None] = mapped_column(Text)
    gt_key_objects: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(255))  # e.g. the CSV file name
    origin_row: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    video: Mapped[Video] = relationship(back_populates="items", lazy="joined")


class ModelRun(Base):
    """One inference on an item: checkpoint, every setting, raw output, parsed fields, timings."""

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    checkpoint: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(128))
    quantization: Mapped[str | None] = mapped_column(String(16))
    fps: Mapped[float | None] = mapped_column(Float)
    frames: Mapped[int | None] = mapped_column(Integer)
    min_pixels: Mapped[int | None] = mapped_column(Integer)
    max_pixels: Mapped[int | None] = mapped_column(Integer)
    total_pixels: Mapped[int | None] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # everything, including the above
    raw: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    class_name: Mapped[str | None] = mapped_column(String(64))
    parsed: Mapped[dict[str, Any]] = mapped_column(JSON)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How unsure the model was (inference.core.spread): the parts, and their mean to sort by.
    spread: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    uncertainty: Mapped[float | None] = mapped_column(Float)


class Correction(Base):
    """One annotator's correction thread on one item; the revisions hold the content."""

    __tablename__ = "corrections"
    __table_args__ = (UniqueConstraint("item_id", "annotator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    annotator: Mapped[str] = mapped_column(String(128), index=True)
    head: Mapped[int] = mapped_column(Integer, default=0)  # number of the latest revision
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Revision(Base):
    """An immutable snapshot of a correction; database triggers refuse UPDATE and DELETE."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("correction_id", "number"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index("ix_revisions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within the correction
    reasoning: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[list[Any] | None] = mapped_column(JSON)  # [{"title": ..., "text": ...}]
    answer: Mapped[str | None] = mapped_column(Text)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    class_name: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(128))  # who saved this revision
    reviewer: Mapped[str | None] = mapped_column(String(128))
    review_comment: Mapped[str | None] = mapped_column(Text)
    restored_from: Mapped[int | None] = mapped_column(Integer)  # revision number copied
    run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))  # output corrected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A review by the revision's own author (allowed only where the Studio is single-user).
    self_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Pin(Base):
    """An item an admin put in the demo gallery, beside the bundled samples, with the run it
    replays (an admin's choice: no visitor's live run replaces it)."""

    __tablename__ = "pins"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    pinned_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The run the demo replays for this item; None: the recorded run, else the reference.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))

    item: Mapped[Item] = relationship(lazy="joined")


class WorkQueue(Base):
    """A named list of items for the annotators, in the order to work through them (e.g. the
    videos where two checkpoints disagree, most first). Sending a list under the same name
    replaces it."""

    __tablename__ = "work_queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    item_ids: Mapped[list[int]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RubricScore(Base):
    """A reviewer's VAU-Eval scores for a model run's description (to calibrate the judge).

    Rows are never changed: scoring a run again adds a row, and the newest one counts."""

    __tablename__ = "rubric_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(128))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)  # the five criteria, 0-10 each
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnomalyScan(Base):
    """One scan of a video by a checkpoint: per-window scores, the curve and the interval it
    proposes. Kept per (video, checkpoint, settings): `key` digests the settings, so a stored
    scan reopens without running when the same checkpoint and settings ask again."""

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_lookup", "video_id", "checkpoint", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id"))
    checkpoint: Mapped[str] = mapped_column(String(512))
    key: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # window, sampling, engine facts
    curve: Mapped[list[Any]] = mapped_column(JSON)  # [[t, score], ...]
    windows: Mapped[list[Any]] = mapped_column(JSON)  # [{start, end, score, frames}, ...]
    start: Mapped[float | None] = mapped_column(Float)  # the proposed interval; None: Normal
    end: Mapped[float | None] = mapped_column(Float)
    segments: Mapped[list[Any]] = mapped_column(JSON)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


JOB_STATES: tuple[str, ...] = ("queued", "running", "stopping", "stopped", "finished", "failed",
                               "lost")  # fmt: skip
ACTIVE_JOB_STATES = JOB_STATES[:3]  # a job that waits or works
ENDED_JOB_STATES = JOB_STATES[3:]  # a job left only by Resume
RESUMABLE_JOB_STATES = ("stopped", "failed", "lost")  # not "finished": its checkpoint is made


class TrainingJob(Base):
    """A fine-tuning job started from the Studio: its stages (one `python -m train` command
    each), the data it exports, and where it stands. The Studio's runner updates it as the job
    goes, so a restarted Studio shows every job (one whose process is gone, as lost)."""

    __tablename__ = "training_jobs"
    __table_args__ = (CheckConstraint(_in("state", JOB_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))  # the new checkpoint's folder name
    recipe: Mapped[str] = mapped_column(String(16))  # sft, grpo, sft+grpo
    base: Mapped[str] = mapped_column(String(512))
    stages: Mapped[list[Any]] = mapped_column(JSON)  # [{recipe, argv, out, data, max_steps}]
    stage: Mapped[int] = mapped_column(Integer, default=0)  # the stage running, or next
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the selection and what it exported
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # the recipe settings asked for
    state: Mapped[str] = mapped_column(String(16), default="queued")
    pid: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
