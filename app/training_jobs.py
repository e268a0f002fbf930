"""The Studio's training runner: one job at a time, each stage a `python -m train` subprocess,
further jobs queued, every state change written to the store. No Gradio here.

Stop sends SIGTERM: the recipe ends after the step under way with a resumable checkpoint
(train.stopping), and Resume runs the same stage's command again, which goes on from it. A job
recorded as running when the Studio starts was left by an earlier Studio: it is marked lost.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from annotate.errors import InvalidInput
from annotate.jobs import get_job, list_jobs, update_job
from annotate.records import TrainingJobRecord
from annotate.schema import RESUMABLE_JOB_STATES, utcnow
from app.services import Studio
from app.settings import ROOT
from app.training import LOG
from inference.errors import StudioError, first_line
from train.stopping import STOPPED_EXIT

log = logging.getLogger("vau.training")

POLL_S = 0.5  # how often the runner looks at its process and the stop requests


def alive(pid: int | None) -> bool:
    """True when a process with this id runs (and is not a zombie)."""
    if not pid:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return state != "Z"


def log_path(job: TrainingJobRecord) -> Path:
    """The job's log: every stage's output, appended."""
    return Path(job.data["folder"]) / LOG


def last_error(path: Path) -> str | None:
    """The recipe's own one-line message ("error: ...") from the end of a log, if it wrote one."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-50:]
    except OSError:
        return None
    said = [line for line in lines if line.startswith(("error: ", "stopped: "))]
    return said[-1] if said else None


@dataclass
class Running:
    """The process of the stage under way, and when it started (for the time left)."""

    job_id: int
    stage: int
    process: subprocess.Popen
    started: float = field(default_factory=time.time)
    seen: tuple[float, int] | None = None  # (time, step) first seen, for the time left


@dataclass
class TrainingRunner:
    """Runs the store's queued jobs one after another in a background thread."""

    studio: Studio
    _stops: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _closed: threading.Event = field(default_factory=threading.Event)
    running: Running | None = None
    _thread: threading.Thread | None = None

    def start(self) -> TrainingRunner:
        """Mark jobs an earlier Studio left running as lost, then start working the queue."""
        self._recover()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="training")
        self._thread.start()
        atexit.register(self.close)
        return self

    def close(self) -> None:
        """Stop working the queue; a job under way is asked to stop (it saves a checkpoint)."""
        self._closed.set()
        self._wake.set()
        current = self.running
        if current is not None and current.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                current.process.send_signal(signal.SIGTERM)

    # --- what handlers call -------------------------------------------------------------

    def submitted(self) -> None:
        """A job was queued: look at the queue now."""
        self._wake.set()

    def stop(self, job_id: int) -> TrainingJobRecord:
        """Ask a job to stop: a queued one stops at once, a running one after its step."""
        job = get_job(self.studio.store, job_id)
        if job.state == "queued":
            return update_job(
                self.studio.store, job_id, state="stopped", message="stopped before it started"
            )
        if job.state not in ("running", "stopping"):
            raise InvalidInput(f"job {job_id} is {job.state}: only a queued or running job stops")
        with self._lock:
            self._stops.add(job_id)
        return update_job(
            self.studio.store,
            job_id,
            state="stopping",
            message="stopping after the step under way…",
        )

    def resume(self, job_id: int) -> TrainingJobRecord:
        """Queue a stopped, failed or lost job again; it goes on from its last checkpoint."""
        job = get_job(self.studio.store, job_id)
        if job.state not in RESUMABLE_JOB_STATES:
            raise InvalidInput(
                f"job {job_id} is {job.state}: only a stopped, failed or lost job resumes"
            )
        if alive(job.pid):
            raise InvalidInput(
                f"job {job_id}'s earlier process ({job.pid}) is still running; "
                "resume it once it has ended"
            )
        job = update_job(
            self.studio.store,
            job_id,
            state="queued",
            pid=None,
            ended_at=None,
            message="queued to resume from its last checkpoint",
        )
        self._wake.set()
        return job

    # --- the worker -----------------------------------------------------------------------

    def _recover(self) -> None:
        for job in list_jobs(self.studio.store, states=("running", "stopping")):
            if alive(job.pid):  # an earlier Studio's process: ask it to save and stop
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(job.pid, signal.SIGTERM)
                said = (
                    f"lost: the Studio restarted while it ran; its process ({job.pid}) was "
                    "asked to stop at a checkpoint. Resume once it has ended"
                )
            else:
                said = (
                    "lost: the Studio restarted while it ran and its process is gone. "
                    "Resume goes on from its last checkpoint"
                )
            update_job(self.studio.store, job.id, state="lost", pid=job.pid, message=said)

    def _loop(self) -> None:
        while not self._closed.is_set():
            queued = list_jobs(self.studio.store, states=("queued",))
            if not queued:  # only this Studio queues jobs, and it wakes the runner when it does
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                self._run(queued[0])
            except StudioError as error:  # the store failed: say so on the job if it can
                log.error("training job %s: %s", queued[0].id, first_line(error))
                self._wake.wait(timeout=30.0)  # try again later, or when asked
                self._wake.clear()
            except Exception as error:  # noqa: BLE001 - the runner must outlive one bad job
                log.exception("training job %s", queued[0].id)
                with contextlib.suppress(StudioError):
                    update_job(
                        self.studio.store,
                        queued[0].id,
                        state="failed",
                        message=f"failed: {first_line(error)}",
                    )

    def _run(self, job: TrainingJobRecord) -> None:
        """Run the job's stages from the one it stands at; record how it ended."""
        store = self.studio.store
        if job.started_at is None:
            job = update_job(store, job.id, started_at=utcnow())
        for stage in range(job.stage, len(job.stages)):
            code = self._run_stage(job, stage)
            if code == 0:
                continue
            if code == STOPPED_EXIT or job.id in self._stops:
                said = last_error(log_path(job)) or "stopped"
                update_job(
                    store,
                    job.id,
                    state="stopped",
                    stage=stage,
                    message=f"{said.removeprefix('stopped: ')}; Resume goes on from there",
                )
            else:
                said = last_error(log_path(job)) or f"the recipe exited with code {code}"
                update_job(
                    store,
                    job.id,
                    state="failed",
                    stage=stage,
                    message=f"failed at stage {stage + 1}: {said}",
                )
            return
        said = job.data.get("finished") or f"finished: the checkpoint is {job.out}"
        update_job(store, job.id, state="finished", stage=len(job.stages) - 1, message=said)

    def _run_stage(self, job: TrainingJobRecord, stage: int) -> int:
        """Run one stage's command to its end, passing on a stop request; its exit code."""
        spec = job.stages[stage]
        path = log_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with path.open("a", encoding="utf-8") as sink:
            sink.write(
                f"\n=== stage {stage + 1} of {len(job.stages)}: {spec['recipe']} "
                f"({time.strftime('%Y-%m-%d %H:%M:%S')})\n$ {' '.join(spec['argv'])}\n"
            )
            sink.flush()
            # A session of its own: a Ctrl-C meant for the Studio does not kill the job unsaved.
            process = subprocess.Popen(
                spec["argv"],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.running = Running(job.id, stage, process)
        update_job(
            self.studio.store,
            job.id,
            state="running",
            stage=stage,
            pid=process.pid,
            message=f"stage {stage + 1} of {len(job.stages)}: {spec['recipe']} training…",
        )
        try:
            return self._wait(job.id, process)
        finally:
            self.running = None
            with self._lock:
                self._stops.discard(job.id)

    def _wait(self, job_id: int, process: subprocess.Popen) -> int:
        signalled = False
        while True:
            try:
                return process.wait(timeout=POLL_S)
            except subprocess.TimeoutExpired:
                pass
            with self._lock:
                asked = job_id in self._stops
            if asked and not signalled:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                signalled = True
