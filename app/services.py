"""The services every handler works with, and the concurrency groups their events run in."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from annotate.store import Store
from app.runtime import ModelSlot, RunLimiter, StopSwitches
from app.settings import Settings

# Saves and reads share the store; they have their own group so a generation never blocks them.
STORE = {"concurrency_id": "store", "concurrency_limit": 4}
# One generation at a time on the one model.
MODEL = {"concurrency_id": "model", "concurrency_limit": 1}
# Demo replays sleep between characters and never touch the model.
REPLAY = {"concurrency_id": "replay", "concurrency_limit": 32}
# Instant view changes (steps, nudges, seeking) skip the queue and stay out of the API page.
UI = {"queue": False, "api_visibility": "undocumented"}
# The same, for view changes that may answer with a toast (gr.Info reaches only queued events).
UI_TOLD = {"api_visibility": "undocumented", "concurrency_limit": None}


@dataclass
class Studio:
    """The services every handler works with: settings, annotation store, model, stops."""

    settings: Settings
    store: Store
    models: ModelSlot = field(default_factory=ModelSlot)
    stops: StopSwitches = field(default_factory=StopSwitches)
    limiter: RunLimiter | None = None
    keeping: threading.Lock = field(default_factory=threading.Lock)  # app.corrections.keep_edits
    prelabels: Any = None  # app.prelabel_jobs.PrelabelJobs, made when the Model tab is wired
    training: Any = None  # app.training_jobs.TrainingRunner, started when its tab is wired

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = RunLimiter(self.settings.runs_per_hour)

    def pixels(self) -> dict[str, int]:
        """The pixel bounds runs sample with: the Studio's, or, left at VAU-R1's defaults, the
        serving checkpoint's own (`inference.models.card`)."""
        from inference.core.tasks import pixels_of
        from inference.models.card import pixels_for

        return pixels_for(pixels_of(self.settings), self.models.serving()[1])

    def sampling(self, fps: float, max_frames: int, pixels: dict[str, int] | None = None) -> Any:
        """How a run samples its video: its rate and frame cap, and `pixels` (default
        `pixels()`)."""
        from inference.video.sampling import SamplingOptions

        return SamplingOptions(fps=fps, max_frames=max_frames, **(pixels or self.pixels()))
