"""What an export takes and what it is made of: the options, the formats and statuses, and one
labelled example. Shared by `annotate.export` (which collects and writes) and
`annotate.formats` (which builds each format's records)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from annotate.errors import InvalidInput
from annotate.records import Interval, ItemRecord, RevisionRecord, RunRecord
from annotate.validate import check_task, clean_name
from inference.core.export_layout import MANIFEST, SPLITS  # noqa: F401  # re-exported
from inference.core.tasks import DEFAULT_FPS, DEFAULT_PIXELS, pixels_of

FORMATS: tuple[str, ...] = ("vau-csv", "trl-sft", "trl-grpo", "dpo", "sharegpt")
STATUS_CHOICES: dict[str, tuple[str, ...]] = {
    "approved": ("approved",),  # by an independent reviewer (self-reviews are left out)
    "submitted": ("submitted", "approved"),  # all finished work a reviewer has not rejected
    "all": ("draft", "submitted", "approved"),  # rejected work is never training data
}


@dataclass(frozen=True)
class ExportOptions:
    """What to export and where (`out` is a folder; file names depend on the format)."""

    format: str
    out: Path
    status: str = "approved"
    include_ground_truth: bool = False
    task: str | None = None
    annotator: str | None = None
    split: float = 1.0  # share of videos in train; the rest go to validation
    think: bool = True  # reasoning in <think> tags (the think variant of the prompts)
    # Videos are written relative to this folder (default: the one holding every located video),
    # which the manifest records; `train --videos` names it on another host.
    video_root: str | None = None
    # How training samples each video: the task's frame rate unless `fps`, and the pixel bounds
    # (VAU-R1's by default; small videos train at their own size with smaller ones).
    fps: float | None = None
    min_pixels: int = DEFAULT_PIXELS["min_pixels"]
    max_pixels: int = DEFAULT_PIXELS["max_pixels"]
    total_pixels: int = DEFAULT_PIXELS["total_pixels"]

    def sampling(self, task: str) -> dict[str, float | int]:
        """The sampling settings written with a video of `task`."""
        fps = DEFAULT_FPS[task] if self.fps is None else self.fps
        return {"fps": fps, **pixels_of(self)}

    def check(self) -> ExportOptions:
        """Return self, or raise InvalidInput naming the bad option."""
        if self.format not in FORMATS:
            raise InvalidInput(
                f"unknown format {self.format!r}; choose one of {', '.join(FORMATS)}"
            )
        if self.status not in STATUS_CHOICES:
            choices = ", ".join(STATUS_CHOICES)
            raise InvalidInput(f"unknown status {self.status!r}; choose one of {choices}")
        if not 0.0 < self.split <= 1.0:
            raise InvalidInput(f"--split is the train share, 0 < split <= 1, got {self.split}")
        if self.task is not None:
            check_task(self.task)
        if self.annotator is not None:
            clean_name(self.annotator)
        self._check_sampling()
        return self

    def _check_sampling(self) -> None:
        from inference.video.sampling import SamplingOptions  # the one rule for valid bounds

        try:
            fps = 1.0 if self.fps is None else self.fps
            SamplingOptions(fps=fps, **pixels_of(self))
        except (TypeError, ValueError) as error:
            raise InvalidInput(str(error)) from None


@dataclass(frozen=True)
class Example:
    """One labelled item: the answer and reasoning a model should learn to give."""

    item: ItemRecord
    answer: str
    reasoning: str | None  # think text; for description, the analysis turn
    interval: Interval | None
    class_name: str | None
    annotator: str | None  # None for imported ground truth
    revision: RevisionRecord | None = None
    rejected: RunRecord | None = None  # the model output this correction fixes (for DPO)

    @property
    def video_key(self) -> str:
        video = self.item.video
        return f"{video.source}/{video.name}"
