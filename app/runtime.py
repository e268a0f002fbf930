"""The model behind the Studio: loaded in the background, reloadable, and its stop switches."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.gpu import StopFlag
from inference.backends import BackendOptions, open_engine
from inference.errors import StudioError
from inference.models.loading import display_name
from inference.models.named import note_for


@dataclass(frozen=True)
class ModelStatus:
    """What the header says about the model: `state` is none, loading, ready or failed."""

    state: str
    name: str | None
    message: str  # the whole story, for whoever loads models (a failure's reason included)

    @property
    def pill(self) -> str:
        """The header's few words: the model that serves, by its display name; never a reason."""
        shown = display_name(self.name)
        return {
            "ready": f"{shown} ready",
            "loading": f"Loading {shown}…",
            "failed": "No model: the last load failed",
            "none": "No model loaded",
        }[self.state]

    @property
    def note(self) -> str:
        """What a named model is ("toy model ...; not VAU-R1"), while it serves or loads."""
        return note_for(self.name) if self.state in ("ready", "loading") else ""


class ModelSlot:
    """Holds at most one serving Engine; a load runs beside it and replaces it only on success.

    The model in service keeps answering while another loads, and stays when that load fails,
    so one bad load never takes the model away from everyone. (Both sit in memory while the
    new one loads: a load that does not fit fails and says so, and the old model stays.)
    """

    def __init__(
        self, engine: Any = None, name: str | None = None, backend: BackendOptions | None = None
    ) -> None:
        self.backend = backend or BackendOptions()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._engine = engine
        self._name = name if engine is None else (name or "injected engine")
        self._detail = ""
        self._error: str | None = None
        self._loading: str | None = None

    @property
    def engine(self) -> Any:
        """The Engine in service, or None."""
        return self._engine

    def serving(self) -> tuple[Any, str | None]:
        """The Engine in service and its checkpoint's name, read together."""
        with self._lock:
            return self._engine, self._name if self._engine is not None else None

    def status(self) -> ModelStatus:
        """The current state with a one-line explanation for the UI."""
        with self._lock:
            serving = f"{self._name} ready{self._detail}" if self._engine is not None else ""
            if not self._idle.is_set():
                meanwhile = f" ({serving} meanwhile)" if serving else ""
                return ModelStatus("loading", self._loading, f"Loading {self._loading}…{meanwhile}")
            if self._engine is not None:
                note = f". {self._error}" if self._error else ""
                return ModelStatus("ready", self._name, serving + note)
            if self._error:
                return ModelStatus("failed", self._loading, self._error)
            return ModelStatus("none", None, "No model loaded: annotation and review still work.")

    def load(self, name: str, quant: str = "none", device: str = "auto") -> ModelStatus:
        """Load `name` now; it replaces the model in service only if it loads."""
        if self._begin(name):
            self._finish(name, quant, device)
        return self.status()

    def load_in_background(self, name: str, quant: str = "none", device: str = "auto") -> None:
        """Start loading on a daemon thread; `status()` reports progress, `wait()` the end."""
        if self._begin(name):
            args = (name, quant, device)
            threading.Thread(target=self._finish, args=args, daemon=True).start()

    def wait(self, timeout: float | None = None) -> Any:
        """Block until no load is in progress (or `timeout`); return the Engine or None."""
        self._idle.wait(timeout)
        return self._engine

    def _begin(self, name: str) -> bool:
        with self._lock:
            if not self._idle.is_set():
                return False
            self._idle.clear()
            self._loading, self._error = name, None
            return True

    def _finish(self, name: str, quant: str, device: str) -> None:
        engine, detail, error = None, "", None
        try:
            engine = open_engine(name, quant, device, self.backend)
            detail = engine.describe()
        except (StudioError, ValueError) as exc:
            error = f"Model {name} did not load: {exc}"
        finally:
            with self._lock:
                if engine is not None:
                    self._engine, self._name, self._detail = engine, name, detail
                else:
                    error = error or f"Model {name} did not load."
                    if self._engine is not None:
                        error += f"; {self._name} is still serving"
                self._error = error
                self._idle.set()


class StopSwitches:
    """One stop switch per browser session, so Stop ends only that session's run.

    Each is a StopFlag, which also reaches a generation running in a forked ZeroGPU worker.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, StopFlag] = {}

    def arm(self, session: str) -> StopFlag:
        """A fresh, unset switch for a new run of `session`."""
        event = StopFlag()
        with self._lock:
            self._events[session] = event
        return event

    def take_over(self, session: str) -> StopFlag:
        """A fresh switch for `session` that also ends the run it replaces (a new demo pick
        ends the replay still typing)."""
        event = StopFlag()
        with self._lock:
            previous = self._events.get(session)
            self._events[session] = event
        if previous is not None:
            previous.set()
        return event

    def current(self, session: str, event: StopFlag) -> bool:
        """True while `event` is the session's newest switch (no later run took over)."""
        with self._lock:
            return self._events.get(session) is event

    def stop(self, session: str) -> bool:
        """Set the session's Event; False when it has no run."""
        with self._lock:
            event = self._events.get(session)
        if event is None:
            return False
        event.set()
        return True

    def wait_released(self, session: str, timeout: float) -> bool:
        """Wait up to `timeout` s for the session's run to end; True once it has none."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if session not in self._events:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def release(self, session: str, event: StopFlag) -> None:
        """Forget the session's switch once its run is over (unless a newer run replaced it)."""
        event.close()
        with self._lock:
            if self._events.get(session) is event:
                del self._events[session]


class RateLimited(StudioError):
    """A user asked for more live runs than this Studio allows per hour."""


class RunLimiter:
    """At most `per_hour` live runs per user in any sliding hour; 0 means no limit."""

    def __init__(self, per_hour: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_hour, self._clock = per_hour, clock
        self._runs: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, user: str) -> None:
        """Count one run for `user`, or raise RateLimited saying when the next one is free."""
        if not self.per_hour:
            return
        with self._lock:
            now = self._clock()
            window = self._runs.setdefault(user, deque())
            while window and now - window[0] >= 3600:
                window.popleft()
            if len(window) >= self.per_hour:
                minutes = math.ceil((3600 - (now - window[0])) / 60)
                raise RateLimited(
                    f"{user} has used all {self.per_hour} live runs of this hour; the next one "
                    f"is free in {minutes} min (recorded runs still replay)"
                )
            window.append(now)
