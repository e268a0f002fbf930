"""Stopping a run cleanly: SIGTERM asks, the trainer ends after the step under way with a
resumable checkpoint, and `python -m train` exits with STOPPED_EXIT (the Studio's jobs read it).

Light on purpose: the CLI and the Studio import it without torch.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from train.config import TrainError

STOPPED_EXIT = 3  # the exit code of a run that stopped when asked, its checkpoint saved
STOP_REQUESTED = threading.Event()  # set by SIGTERM (listen_for_stop), read between steps


class Stopped(TrainError):
    """The run was asked to stop: it saved a resumable checkpoint at `step` and wrote no model."""

    def __init__(self, checkpoints: Path, step: int) -> None:
        super().__init__(f"stopped at step {step}; the same command resumes from {checkpoints}")
        self.step = step


def listen_for_stop() -> None:
    """Make SIGTERM a request to stop cleanly: the step under way ends, a checkpoint is saved."""
    signal.signal(signal.SIGTERM, lambda *_: STOP_REQUESTED.set())
