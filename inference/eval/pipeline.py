"""Run items through two stages at once: decoding ahead on one thread, N generations in flight.

`eval` uses it so a serving engine never waits for the sampler: while the server generates
earlier items, the next videos are already being decoded.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

_END = object()


@dataclass
class Outcome:
    """One item's result (`value`) or the Exception it raised, and when generation began."""

    item: Any
    value: Any = None
    error: Exception | None = None
    started: float = 0.0


def pipelined(
    items: Iterable[Any],
    prepare: Callable[[Any], Any],
    generate: Callable[[Any], Any],
    concurrency: int = 1,
    ahead: int | None = None,
) -> Iterator[Outcome]:
    """Yield each item's Outcome as it completes (in order when `concurrency` is 1).

    `prepare(item)` runs on one thread, at most `ahead` items (default concurrency + 1) before
    generation needs them; `generate(prepared)` runs on `concurrency` threads. An Exception in
    either stage becomes that item's Outcome; anything else (KeyboardInterrupt) propagates.
    """
    if concurrency < 1:
        raise ValueError("--concurrency must be at least 1")
    ahead = concurrency + 1 if ahead is None else ahead
    source = iter(items)
    sampler = ThreadPoolExecutor(1, thread_name_prefix="decode")
    workers = ThreadPoolExecutor(concurrency, thread_name_prefix="generate")
    ready: deque[tuple[Any, Future]] = deque()
    running: set[Future] = set()

    def fill() -> None:
        while len(ready) < ahead and (item := next(source, _END)) is not _END:
            ready.append((item, sampler.submit(prepare, item)))

    try:
        fill()
        while ready or running:
            while ready and len(running) < concurrency:
                item, prepared = ready.popleft()
                running.add(workers.submit(_finish, item, prepared, generate))
                fill()
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: f.result().started):
                yield future.result()
    finally:
        sampler.shutdown(wait=False, cancel_futures=True)
        workers.shutdown(wait=False, cancel_futures=True)


def _finish(item: Any, prepared: Future, generate: Callable[[Any], Any]) -> Outcome:
    started = time.perf_counter()
    try:
        return Outcome(item, generate(prepared.result()), started=started)
    except Exception as error:  # noqa: BLE001 - the caller decides what an error means
        return Outcome(item, error=error, started=started)
