"""A pre-label pass started from the Studio: one at a time, in a background thread, its
progress read by the page while the Studio keeps serving. No Gradio here (app.tabs.model)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

from annotate.errors import InvalidInput
from app.prelabel import UNCERTAIN_QUEUE, Report, check_samples, prelabel
from app.services import Studio
from inference.core.tasks import TASKS
from inference.errors import StudioError, first_line


@dataclass(frozen=True)
class JobState:
    """What the page shows of the pass: how far, what failed, when."""

    state: str = "idle"  # idle, running, finished, failed
    task: str | None = None
    started_by: str | None = None
    done: int = 0
    total: int = 0
    skipped: int = 0
    failed: tuple[str, ...] = ()
    message: str = "No pre-label pass has run since the Studio started."
    started_at: float | None = None
    ended_at: float | None = None

    @property
    def running(self) -> bool:
        """True while the pass works."""
        return self.state == "running"

    def line(self) -> str:
        """One line for the status box."""
        if self.state == "idle":
            return self.message
        took = (self.ended_at or time.time()) - (self.started_at or time.time())
        head = f"{self.task}: {self.done + len(self.failed)} of {self.total} items"
        return f"{head} ({self.skipped} already done) in {took:.0f} s · {self.message}"


@dataclass
class PrelabelJobs:
    """The Studio's one pre-label pass at a time."""

    studio: Studio
    _state: JobState = field(default_factory=JobState)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self) -> JobState:
        """The pass now."""
        with self._lock:
            return self._state

    def start(self, task: str, who: str, think: bool, samples: int, scan: bool) -> JobState:
        """Start a pass over `task`'s items with the model in service; InvalidInput while one
        runs or for impossible settings."""
        if task not in TASKS:
            raise InvalidInput(f"unknown task {task!r}")
        check_samples(samples)
        with self._lock:
            if self._state.running:
                raise InvalidInput(f"a pre-label pass is running: {self._state.line()}")
            self._state = JobState("running", task, who, message="starting…",
                                   started_at=time.time())  # fmt: skip
        worker = threading.Thread(
            target=self._work, args=(task, think, samples, scan), daemon=True, name="prelabel"
        )
        worker.start()
        return self.status()

    def _set(self, **changes) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def _follow(self, report: Report, total: int) -> None:
        failed = tuple(f"{video}: {why}" for video, why in report.failed)
        self._set(done=report.done, total=total, skipped=report.skipped, failed=failed,
                  message="working…")  # fmt: skip

    def _work(self, task: str, think: bool, samples: int, scan: bool) -> None:
        try:
            report = prelabel(self.studio, task, think=think, samples=samples, scan=scan,
                              progress=False, on_item=self._follow, say=lambda _: None)  # fmt: skip
        except StudioError as error:
            self._set(state="failed", message=first_line(error), ended_at=time.time())
            return
        except Exception as error:  # noqa: BLE001 - a background pass must report, not vanish
            self._set(state="failed", message=f"stopped: {first_line(error)}",
                      ended_at=time.time())  # fmt: skip
            return
        said = f"done; {len(report.failed)} could not be read" if report.failed else "done"
        if report.queued:
            said += f"; queue {UNCERTAIN_QUEUE.format(task=task)!r} holds {report.queued} items"
        self._set(state="finished", done=report.done, skipped=report.skipped, message=said,
                  ended_at=time.time())  # fmt: skip
