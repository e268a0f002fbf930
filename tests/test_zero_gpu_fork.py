"""The ZeroGPU boundary with a real fork: Stop reaches the worker, its caches come back, and a
scan's result crosses back too.

On a ZeroGPU Space, `spaces.GPU` runs each call in a process forked from the Studio's and streams
the yields back. `ForkingSpaces` does the same with multiprocessing's fork start method around
the Studio's own wrapper (`app.gpu.gpu_task` over `runs.stream_held`); the engine is the
tiny checkpoint through the real loading code, and the store is a real SQLite file.
"""

from __future__ import annotations

import inspect
import multiprocessing
import os
import pickle
import sys
import threading
import time
import types
from dataclasses import replace

import pytest

from annotate.importer import import_csv
from annotate.store import Store
from app import gpu, items, runs, scans
from app.runs import RunRequest
from app.runtime import ModelSlot
from app.services import Studio
from app.settings import Settings
from inference.backends.engine import Engine
from inference.models.loading import LoadOptions, load_model
from tests.app_helpers import ROOT

SAMPLES = ROOT / "assets" / "samples"
QUICK = RunRequest(task="grounding", max_frames=4, think=False)

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"
)


class ForkingSpaces(types.ModuleType):
    """Stands in for the `spaces` package as ZeroGPU runs a call: in a forked worker whose
    yields come back pickled through a queue (and whose memory changes never come back)."""

    def __init__(self) -> None:
        super().__init__("spaces")
        self.workers: list[int] = []

    def GPU(self, duration):  # noqa: N802  # spaces' own name
        def decorate(function):
            if not inspect.isgeneratorfunction(function):  # a plain call returns its value

                def called(*args, **kwargs):
                    once = decorate(lambda *a, **k: (yield function(*a, **k)))
                    return next(once(*args, **kwargs))

                return called

            def on_gpu(*args, **kwargs):
                context = multiprocessing.get_context("fork")
                queue = context.Queue()
                worker = context.Process(target=_serve, args=(function, args, kwargs, queue))
                worker.start()
                self.workers.append(worker.pid)
                try:
                    while (message := queue.get(timeout=60))[0] == "yield":
                        yield pickle.loads(message[1])
                    if message[0] == "error":
                        raise pickle.loads(message[1])
                finally:
                    worker.join(timeout=30)
                    if worker.is_alive():  # a stuck worker must not outlive the test
                        worker.kill()

            return on_gpu

        return decorate


def _serve(function, args, kwargs, queue) -> None:
    # Values cross as pickled bytes, copied: torch's own queue pickling would share tensors
    # through file descriptors, which die with this process.
    try:
        for value in function(*args, **kwargs):
            queue.put(("yield", pickle.dumps(value)))
        queue.put(("done", None))
    except BaseException as error:  # the parent re-raises it
        queue.put(("error", pickle.dumps(error)))


@pytest.fixture
def spaces(monkeypatch) -> ForkingSpaces:
    fake = ForkingSpaces()
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setitem(sys.modules, "spaces", fake)
    # The Studio's wrapper, applied as on a Space (the module applied it off a Space at import).
    monkeypatch.setattr(runs, "generate", gpu.gpu_task(runs._gpu_seconds)(runs.stream_held))
    return fake


@pytest.fixture(scope="module")
def loaded(tiny_checkpoint):
    return load_model(LoadOptions(str(tiny_checkpoint)))


@pytest.fixture
def studio(tmp_path, loaded):
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'studio.db'}",
        uploads=str(tmp_path / "uploads"),
        exports=str(tmp_path / "exports"),
        max_new_tokens=16,
    )
    store = Store(settings.db_url)
    import_csv(store, ROOT / "assets" / "samples.csv", videos=SAMPLES)
    yield Studio(settings, store, ModelSlot(Engine(loaded), "tiny"))
    store.close()


def opened(studio: Studio, video: str, task: str = "grounding"):
    listed = studio.store.list_items(task=task, limit=None)
    item = next(i for i in listed if i.video.name == video)
    return items.open_item(studio, item.id)


def test_a_run_streams_from_a_forked_worker_and_is_recorded(spaces, studio):
    *_, done = runs.run_model(studio, opened(studio, "sample_fight.mp4"), QUICK, threading.Event())
    assert done.done and studio.store.get_run(done.session.run_id) is not None
    assert spaces.workers and os.getpid() not in spaces.workers


def test_a_second_question_on_the_video_hits_the_cache_the_worker_filled(spaces, studio):
    engine = studio.models.engine
    fight = opened(studio, "sample_fight.mp4")
    for _ in runs.run_model(studio, fight, QUICK, threading.Event()):
        pass
    assert engine.prefix_stats == {"hits": 0, "misses": 1}  # the worker's count, brought back
    other = RunRequest(task="classification", max_frames=4, think=False)
    fight = opened(studio, "sample_fight.mp4", "classification")
    *_, done = runs.run_model(studio, fight, other, threading.Event())
    assert done.done
    assert len(spaces.workers) == 2  # two runs, two workers
    assert engine.prefix_stats == {"hits": 1, "misses": 1}  # the second worker found the prefix


def test_stop_ends_the_generation_in_the_worker_within_a_second(spaces, studio):
    studio.settings = replace(studio.settings, max_new_tokens=100_000)  # would run for minutes
    stop = studio.stops.arm("stopper")
    updates = runs.run_model(studio, opened(studio, "sample_fall.mp4"), QUICK, stop)
    stopped_at = None
    for update in updates:
        if update.text and stopped_at is None:  # the worker is generating
            studio.stops.stop("stopper")
            stopped_at = time.perf_counter()
        last = update
    waited = time.perf_counter() - stopped_at
    studio.stops.release("stopper", stop)
    assert last.done and last.session.stopped and last.message.startswith("Stopped")
    assert waited < 1.0, f"the worker went on for {waited:.2f} s after Stop"


def test_a_scan_runs_in_a_forked_worker_and_is_stored(spaces, studio, monkeypatch):
    monkeypatch.setattr(scans, "scan_on_gpu", gpu.gpu_task(scans._gpu_seconds)(scans.scan_held))
    session, record = scans.scan_video(studio, opened(studio, "sample_fire.mp4"), "ann")
    assert spaces.workers and os.getpid() not in spaces.workers
    assert record.curve and record.windows and session.scan.scan_id == record.id
    assert studio.store.scans(session.video_id)[0].created_by == "ann"
