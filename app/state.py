"""What one browser session is looking at, kept in gr.State (small: no frames, no models), and
the correction form as `annotate.records.Edit`: the one correction type from the page to the
store."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from annotate.records import Edit, GroundTruth, ItemRecord, RevisionRecord
from annotate.validate import seconds
from inference.core.parse import Result
from inference.core.tasks import CLASSES


@dataclass(frozen=True)
class ScanShown:
    """A stored scan as the timeline draws it: the curve, its threshold and interval, the
    seconds of the frames its windows saw, and which checkpoint made it."""

    scan_id: int
    checkpoint: str
    curve: tuple[tuple[float, float], ...]
    threshold: float
    interval: tuple[float, float] | None
    frames: tuple[float, ...] = ()


@dataclass(frozen=True)
class Session:
    """The current video, item and model result of one user."""

    video: str | None = None  # path of the file in the player
    video_id: int | None = None  # the store's video record
    duration: float | None = None
    fps: float | None = None  # the video file's own frame rate (frame-exact stepping)
    task: str = "grounding"
    item_id: int | None = None  # store item: video + task + question
    question: str | None = None
    options: tuple[str, ...] | None = None
    truth: GroundTruth = field(default_factory=GroundTruth)
    frame_times: tuple[float, ...] = ()
    run_id: int | None = None  # stored model run the result came from
    result: Result | None = None
    checkpoint: str | None = None  # model that produced `result`
    timings: dict | None = None
    stopped: bool = False
    # The form as the page last filled it (from the store, the truth or the model): fields that
    # differ from it are the annotator's unsaved edits, which nothing may overwrite silently.
    shown: Edit | None = None
    skipped: tuple[int, ...] = ()  # items skipped in this browser session; Next passes them
    restore_asked: int | None = None  # a restore that would withdraw a submission, warned of
    scan: ScanShown | None = None  # the video's stored scan on the Score lane

    @classmethod
    def for_item(
        cls, item: ItemRecord, video: str | None, duration: float | None, fps: float | None = None
    ) -> Session:
        """A session on a store item (and its video), with no model result yet."""
        return cls(
            video=video,
            video_id=item.video.id,
            duration=duration,
            fps=fps,
            task=item.task,
            item_id=item.id,
            question=item.question,
            options=item.options,
            truth=item.truth,
        )


def as_shown(edit: Edit) -> Edit:
    """The correction as the page's fields hold it: trimmed text, seconds as the store keeps
    them, a class only when it is one of the list's, no steps (the page edits the reasoning
    whole). Two forms that compare equal here hold the same edits."""

    def text(value: str | None) -> str | None:
        return (value or "").strip() or None

    interval = edit.interval
    if interval is not None:
        interval = tuple(None if t is None else seconds(t) for t in interval)
        interval = None if interval == (None, None) else interval
    known = edit.class_name if edit.class_name in CLASSES else None
    return Edit(
        answer=text(edit.answer),
        reasoning=text(edit.reasoning),
        interval=interval,
        class_name=known,
        comment=text(edit.comment),
    )


def is_blank(edit: Edit) -> bool:
    """True when every field is empty (there is nothing to lose)."""
    return as_shown(edit) == Edit()


def from_result(result: Result) -> Edit:
    """The model's answer as a correction to start from."""
    class_name = result.answer if result.task == "classification" else None
    # Without <think> tags (no-think runs, messy output) the whole output is the reasoning.
    reasoning = result.think or result.raw.strip() or None
    return Edit(
        answer=result.answer, reasoning=reasoning, interval=result.interval, class_name=class_name
    )


def from_revision(revision: RevisionRecord) -> Edit:
    """A stored revision as the form shows it (the reasoning whole, its steps re-derived)."""
    return replace(revision.edit, steps=None)


def from_truth(truth: GroundTruth, task: str) -> Edit:
    """The dataset's ground truth as a correction to refine."""
    class_name = truth.class_name if task in ("classification", "grounding") else None
    return Edit(
        answer=truth.answer,
        reasoning=truth.reasoning,
        interval=truth.interval,
        class_name=class_name,
    )
