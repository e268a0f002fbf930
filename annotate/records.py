"""Plain, frozen records the store hands out (never live ORM objects), and the edit it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inference.core.times import Interval

PRELABELER = "prelabel"  # who a pre-label run is by (app.prelabel, annotate import-runs)
PRELABEL_MARK = {"prelabel": True}  # what a pre-label run's settings carry


@dataclass(frozen=True)
class StepText:
    """One reasoning step as an annotator sees it: optional section title and its text."""

    title: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, as stored."""
        return {"title": self.title, "text": self.text}


@dataclass(frozen=True)
class VideoRecord:
    id: int
    source: str
    name: str
    path: str | None
    content_hash: str | None
    duration: float | None
    fps: float | None


@dataclass(frozen=True)
class GroundTruth:
    """What the dataset says about an item; every field may be unknown (None)."""

    answer: str | None = None  # QA letter, class name, "Anomaly"/"Normal", or description
    interval: Interval | None = None  # anomaly span in seconds; None for Normal or unknown
    class_name: str | None = None
    description: str | None = None
    reasoning: str | None = None  # raw text as imported (markdown sections or a dict string)
    key_objects: str | None = None

    @property
    def known(self) -> bool:
        """True when the item has a ground-truth answer for its task."""
        return self.answer is not None


@dataclass(frozen=True)
class ItemRecord:
    id: int
    video: VideoRecord
    task: str
    question: str | None
    options: tuple[str, ...] | None
    truth: GroundTruth
    origin: str | None
    origin_row: int | None
    created_at: datetime


@dataclass(frozen=True)
class ItemSpec:
    """An item to create or refresh in bulk (the importer's unit); identity: video, task, key."""

    source: str
    video: str
    task: str
    key: str
    question: str | None = None
    options: tuple[str, ...] | None = None
    truth: GroundTruth = field(default_factory=GroundTruth)
    origin: str | None = None
    origin_row: int | None = None
    video_path: str | None = None
    content_hash: str | None = None
    duration: float | None = None  # seconds, probed when the video file was found
    fps: float | None = None


@dataclass(frozen=True)
class RunRecord:
    id: int
    item_id: int
    checkpoint: str
    template: str | None
    quantization: str | None
    fps: float | None
    frames: int | None
    min_pixels: int | None
    max_pixels: int | None
    total_pixels: int | None
    settings: dict[str, Any]
    raw: str
    answer: str | None
    interval: Interval | None
    class_name: str | None
    parsed: dict[str, Any]
    timings: dict[str, Any]
    created_by: str | None
    created_at: datetime
    spread: dict[str, Any] | None = None  # how unsure the model was (inference.core.spread)

    @property
    def uncertainty(self) -> float | None:
        """The spread's mean, which the queue sorts by (None: not measured)."""
        return (self.spread or {}).get("uncertainty")


@dataclass(frozen=True)
class ScanRecord:
    """A stored scan: who ran which checkpoint with which settings, and what it found."""

    id: int
    video_id: int
    checkpoint: str
    key: str
    settings: dict[str, Any]
    curve: list[list[float]]
    windows: list[dict[str, Any]]
    interval: Interval | None
    segments: list[list[float]]
    timings: dict[str, Any]
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True)
class QueueRecord:
    """A named work queue: its items in order, who sent it, when, and why."""

    name: str
    item_ids: tuple[int, ...]
    created_by: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class PinRecord:
    """An item pinned to the demo gallery: by whom, when, and why."""

    item: ItemRecord
    pinned_by: str
    note: str | None
    created_at: datetime
    run_id: int | None = None  # the run the demo replays for the item (None: the recorded one)


@dataclass(frozen=True)
class RubricRecord:
    """A reviewer's five VAU-Eval scores for a model run's description, and when."""

    id: int
    run: RunRecord
    video: str
    reviewer: str
    scores: dict[str, int]
    created_at: datetime


@dataclass(frozen=True)
class Edit:
    """The content of one save: a whole snapshot, not a patch (None = empty field)."""

    answer: str | None = None
    reasoning: str | None = None  # whole text; steps are derived from it when not given
    steps: tuple[StepText, ...] | None = None
    interval: Interval | None = None
    class_name: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class RevisionRecord:
    id: int
    correction_id: int
    item_id: int
    annotator: str  # owner of the correction thread
    number: int  # 1, 2, 3 ... within the thread
    is_current: bool
    answer: str | None
    reasoning: str | None
    steps: tuple[StepText, ...]
    interval: Interval | None
    class_name: str | None
    comment: str | None
    status: str
    author: str  # who saved this revision (the annotator, a reviewer, whoever restored it)
    reviewer: str | None
    review_comment: str | None
    restored_from: int | None
    run_id: int | None  # the model run the correction started from
    created_at: datetime
    self_review: bool = False  # reviewed by its own author (a single-user Studio's choice)

    @property
    def edit(self) -> Edit:
        """This revision's content, ready to save again."""
        return Edit(
            answer=self.answer,
            reasoning=self.reasoning,
            steps=self.steps,
            interval=self.interval,
            class_name=self.class_name,
            comment=self.comment,
        )


@dataclass(frozen=True)
class Counts:
    """Totals for dashboards and `python -m annotate stats`."""

    videos: int
    items: int
    runs: int
    revisions: int
    items_by_task: dict[str, int]
    items_by_source: dict[str, int]
    corrections_by_status: dict[str, int]  # by the current revision's status
    corrections_by_task: dict[str, int]
    corrections_by_annotator: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return dict(self.__dict__)


def is_prelabel(run, checkpoint: str, think: bool) -> bool:
    """True for a complete pre-label run by `checkpoint` with this think setting."""
    settings = run.settings or {}
    return (
        run.created_by == PRELABELER
        and run.checkpoint == checkpoint
        and all(settings.get(k) == v for k, v in PRELABEL_MARK.items())
        and settings.get("think") == think
        and not settings.get("stopped")
    )


@dataclass(frozen=True)
class TrainingJobRecord:
    """A training job started from the Studio (annotate.jobs): what it trains, where it stands."""

    id: int
    name: str
    recipe: str
    base: str
    stages: list[dict[str, Any]]
    stage: int
    data: dict[str, Any]
    settings: dict[str, Any]
    state: str
    pid: int | None
    message: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def active(self) -> bool:
        """True while the job waits or works (queued, running, stopping)."""
        from annotate.schema import ACTIVE_JOB_STATES  # the records stay free of SQLAlchemy

        return self.state in ACTIVE_JOB_STATES

    @property
    def out(self) -> str:
        """The folder of the checkpoint the job makes: its last stage's --out."""
        return self.stages[-1]["out"]
