"""ZeroGPU support: `gpu_task` runs a function under `spaces.GPU` on a Space, unchanged elsewhere.

On a ZeroGPU Space, CUDA work happens only inside functions decorated with `spaces.GPU`; the
call runs in a worker process, so its arguments must pickle (no engine, no threading.Event)
and its results must not be CUDA tensors. The generation entry therefore takes a `key` into
`held()` — the engine and stop switch stay in this process's memory, which the worker copies
by fork — and yields only host-side values (`to_host`). Locally (no `spaces` package, or not
on a Space) the decorator returns the function itself.

A fork copies memory one way, once. So what must cross it after the fork does so explicitly:
Stop is a `StopFlag` (a flag file the worker sees as soon as this process sets it), and the
engine's caches filled in the worker come back as values that this process adopts
(`app.runs.stream_held`), to be copied into the next worker.

Duration asked of ZeroGPU (shorter requests queue sooner), in seconds:
    clamp(BASE_S + frames * PER_FRAME_S + max_new_tokens * PER_TOKEN_S, MIN_S, MAX_S)
e.g. 64 frames and 1024 tokens -> 20 + 3.2 + 30.72 = 53.9 s.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import itertools
import os
import re
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from inference.errors import StudioError

F = TypeVar("F", bound=Callable[..., Any])

BASE_S = 20.0  # loading the task onto the GPU, preprocessing, the first token
PER_FRAME_S = 0.05  # vision encoder time per sampled frame
PER_TOKEN_S = 0.03  # decode time per new token (a 7B model in bf16 on an H200 slice)
MIN_S, MAX_S = 15.0, 300.0
SPACE_VARS = ("SPACE_ID", "SPACES_ZERO_GPU")  # either is set on every Space


def generation_seconds(frames: int, max_new_tokens: int) -> float:
    """The GPU time to ask for one generation (see the module docstring's formula)."""
    wanted = BASE_S + max(frames, 0) * PER_FRAME_S + max(max_new_tokens, 0) * PER_TOKEN_S
    return round(min(MAX_S, max(MIN_S, wanted)), 2)


def on_space(environ: Mapping[str, str] | None = None) -> bool:
    """True when running on a Hugging Face Space: its SPACE_ID or SPACES_ZERO_GPU is set, or
    SYSTEM=spaces, Gradio's own test. The one test of "on a Space" in the Studio."""
    environ = os.environ if environ is None else environ
    return any(environ.get(name) for name in SPACE_VARS) or environ.get("SYSTEM") == "spaces"


def _spaces_module() -> Any:
    try:
        return importlib.import_module("spaces")
    except ImportError:
        return None


def gpu_task(duration_fn: Callable[..., float]) -> Callable[[F], F]:
    """Decorate with `spaces.GPU(duration=duration_fn)` on a Space; else leave it unchanged.

    `duration_fn` receives the decorated function's arguments and returns seconds.
    Generator functions stay generators (spaces.GPU streams them).
    """

    def decorate(function: F) -> F:
        spaces = _spaces_module() if on_space() else None
        if spaces is None:
            return function
        return spaces.GPU(duration=duration_fn)(function)

    return decorate


class GpuUnavailable(StudioError):
    """ZeroGPU gave this run no GPU: the quota is used up, or no GPU came free in time."""


REPLAY_HINT = "Recorded runs in the Demo tab still replay instantly."


def gpu_refusal(error: BaseException) -> GpuUnavailable | None:
    """ZeroGPU's refusal (a gr.Error titled 'ZeroGPU ...') as a clear message; else None."""
    title = str(getattr(error, "title", None) or "")
    if not title.startswith("ZeroGPU"):
        return None
    said = re.sub(r"<[^>]+>", "", str(getattr(error, "message", None) or error)).strip()
    if "quota" in title.lower() or "quota" in said.lower() or "limit" in said.lower():
        return GpuUnavailable(
            f"The GPU quota is used up for now ({said}). {REPLAY_HINT} Signed-in Hugging Face "
            "users get more GPU time."
        )
    return GpuUnavailable(f"No GPU was free for this run ({said}). {REPLAY_HINT}")


def refusals_explained(events: Iterator[Any]) -> Iterator[Any]:
    """Pass `events` on, turning a ZeroGPU refusal into GpuUnavailable."""
    try:
        yield from events
    except StudioError:
        raise
    except Exception as error:
        refusal = gpu_refusal(error)
        if refusal is None:
            raise
        raise refusal from None


# --- what crosses the process boundary ------------------------------------------------------


class StopFlag:
    """A Stop switch that a forked worker sees too: an Event in this process, and a flag file.

    The worker holds a copy of this object made at the fork; the copy's Event never changes,
    but the file it names appears the moment this process calls `set`. `is_set` costs one
    stat, once per generated token.
    """

    def __init__(self, folder: str | None = None) -> None:
        self._event = threading.Event()
        name = f"vau-stop-{os.getpid()}-{uuid.uuid4().hex}"
        self._path = os.path.join(folder or tempfile.gettempdir(), name)

    def set(self) -> None:
        """Stop: here at once, in a worker at its next check."""
        self._event.set()
        # Without a writable temp folder only in-process runs can be stopped; that must not fail.
        with contextlib.suppress(OSError), open(self._path, "x"):
            pass

    def is_set(self) -> bool:
        """True once `set` was called, in this process or the one that made the flag."""
        return self._event.is_set() or os.path.exists(self._path)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait in this process for `set` (as threading.Event.wait)."""
        return self._event.wait(timeout)

    def close(self) -> None:
        """Remove the flag file once the run is over."""
        with contextlib.suppress(OSError):
            os.remove(self._path)


_held: dict[int, tuple[Any, threading.Event | StopFlag | None, int]] = {}
_keys = itertools.count(1)
_lock = threading.Lock()


def hold(engine: Any, stop: threading.Event | StopFlag | None) -> int:
    """Keep `engine` and `stop` for a GPU call; returns the key to pass instead of them."""
    with _lock:
        key = next(_keys)
        _held[key] = (engine, stop, os.getpid())
    return key


def held(key: int) -> tuple[Any, threading.Event | StopFlag | None]:
    """The engine and stop switch kept under `key`."""
    with _lock:
        engine, stop, _ = _held[key]
    return engine, stop


def in_worker(key: int) -> bool:
    """True in a process other than the one that held `key`: a forked ZeroGPU worker."""
    with _lock:
        return _held[key][2] != os.getpid()


def release(key: int) -> None:
    """Forget what `hold` kept (after the call, whatever its outcome)."""
    with _lock:
        _held.pop(key, None)


def settle_in_worker() -> None:
    """Make a forked worker safe for torch's CPU ops: one thread, so no OpenMP.

    OpenMP's thread pool does not survive a fork: a worker that enters a parallel region the
    Studio's process had set up can wait forever for threads it does not have (seen in the
    fork test, stuck in libgomp's barrier inside a tensor copy). The worker's heavy work is on
    the GPU; its CPU ops (the processor's normalisation) run serially instead.
    """
    torch = sys.modules.get("torch")  # a serving engine's worker never imported it
    if torch is not None:
        torch.set_num_threads(1)


def to_host(value: Any) -> Any:
    """`value` with every torch tensor inside (dataclass fields, lists, dicts) moved to the CPU."""
    torch = sys.modules.get("torch")  # no torch loaded means no tensors to move
    if torch is None:
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            old = getattr(value, f.name)
            new = to_host(old)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, (list, tuple)):
        moved = [to_host(v) for v in value]
        if any(m is not v for m, v in zip(moved, value, strict=True)):
            return type(value)(moved) if isinstance(value, list) else tuple(moved)
        return value
    if isinstance(value, dict):
        moved_dict = {k: to_host(v) for k, v in value.items()}
        if any(moved_dict[k] is not v for k, v in value.items()):
            return moved_dict
    return value
