"""What one browser session is looking at, kept in gr.State (small: no frames, no models)."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotate.records import GroundTruth, ItemRecord, RevisionRecord
from inference.core.parse import Result
from inference.core.tasks import CLASSES

Interval = tuple[float, float]


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
    shown: Form | None = None
    skipped: tuple[int, ...] = ()  # items skipped in this browser session; Next passes them

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


@dataclass(frozen=True)
class Form:
    """The correction fields as the annotator left them (None = empty)."""

    answer: str | None = None
    start: float | None = None
    end: float | None = None
    class_name: str | None = None
    reasoning: str | None = None
    comment: str | None = None

    def as_shown(self) -> Form:
        """The form as the page's fields hold it: trimmed text, seconds to 3 decimals, and a
        class only when it is one of the list's (what a round trip through the page gives)."""

        def text(value: str | None) -> str | None:
            return (value or "").strip() or None

        def seconds(value: float | None) -> float | None:
            return None if value is None else round(float(value), 3)

        known = self.class_name if self.class_name in CLASSES else None
        return Form(
            text(self.answer),
            seconds(self.start),
            seconds(self.end),
            known,
            text(self.reasoning),
            text(self.comment),
        )

    @property
    def blank(self) -> bool:
        """True when every field is empty (there is nothing to lose)."""
        return self == Form()

    @property
    def interval(self) -> Interval | None:
        """(start, end) when both are set; None when both are empty."""
        if self.start is None and self.end is None:
            return None
        return (self.start, self.end)  # type: ignore[return-value]

    @classmethod
    def from_result(cls, result: Result) -> Form:
        """A form pre-filled with the model's answer, to correct."""
        start, end = result.interval if result.interval else (None, None)
        answer = result.answer
        class_name = result.answer if result.task == "classification" else None
        # Without <think> tags (no-think runs, messy output) the whole output is the reasoning.
        reasoning = result.think or result.raw.strip() or None
        return cls(answer, start, end, class_name, reasoning)

    @classmethod
    def from_revision(cls, revision: RevisionRecord) -> Form:
        """A form showing a stored revision."""
        start, end = revision.interval if revision.interval else (None, None)
        return cls(
            revision.answer, start, end, revision.class_name, revision.reasoning, revision.comment
        )

    @classmethod
    def from_truth(cls, truth: GroundTruth, task: str) -> Form:
        """A form pre-filled with the dataset's ground truth, to refine."""
        start, end = truth.interval if truth.interval else (None, None)
        class_name = truth.class_name if task in ("classification", "grounding") else None
        return cls(truth.answer, start, end, class_name, truth.reasoning)
