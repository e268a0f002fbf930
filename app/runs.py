"""Running the model from the Studio: one task or all of them, streamed, recorded as runs.

No Gradio here: a run is an iterator of `RunUpdate`s that app.tabs turns into the page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from annotate.errors import InvalidInput
from annotate.records import PRELABEL_MARK
from app.gpu import (
    generation_seconds,
    gpu_task,
    held,
    hold,
    in_worker,
    refusals_explained,
    release,
    settle_in_worker,
    to_host,
)
from app.items import ensure_item, switch_task, with_run
from app.runtime import ModelSlot
from app.services import Studio
from app.state import Session
from inference.core.parse import Result
from inference.core.prompts import DEFAULT as DEFAULT_TEMPLATES
from inference.core.tasks import DEFAULT_FPS, DEFAULT_MAX_FRAMES, TASKS, pixels_of
from inference.errors import ModelUnavailable, VideoError


@dataclass(frozen=True)
class RunRequest:
    """What to run: the task, think on/off, sampling, and the QA question and options."""

    task: str = "grounding"
    think: bool = True
    fps: float | None = None  # None or 0: the task's default (2 fps grounding, 1 fps QA, ...)
    max_frames: int = DEFAULT_MAX_FRAMES
    question: str | None = None
    options: tuple[str, ...] | None = None
    prelabel: bool = False  # the model's first pass over the queue (app.prelabel)

    def checked(self) -> RunRequest:
        """Self, or InvalidInput for a value the model cannot use."""
        if self.task not in TASKS:
            raise InvalidInput(f"unknown task {self.task!r}")
        if self.fps and not 0 < self.fps <= 30:
            raise InvalidInput("fps must be between 0 and 30")
        if self.max_frames < 4:
            raise InvalidInput("max frames must be at least 4")
        if self.task == "qa" and not (self.question and len(self.options or ()) >= 2):
            raise InvalidInput("QA needs a question and at least two options")
        return self


@dataclass(frozen=True)
class RunUpdate:
    """One step of a run for the UI: the session so far, the live text, and a status line."""

    session: Session
    text: str
    message: str
    done: bool = False


def engine_for(models: ModelSlot) -> tuple[Any, str]:
    """The Engine in service and its checkpoint's name (waiting for a load in progress);
    ModelUnavailable when there is none. The name goes with the run the engine makes, even if
    another model is loaded while it generates."""
    models.wait()
    engine, name = models.serving()
    if engine is None:
        raise ModelUnavailable(models.status().message)
    return engine, name or "unknown"


def _gpu_seconds(key: int, clip, prompt, max_new_tokens: int) -> float:
    return generation_seconds(clip.num_frames, max_new_tokens)


def stream_held(key: int, clip, prompt, max_new_tokens: int) -> Iterator:
    """Stream the held engine's events (a serving engine's runs need no GPU here); in a ZeroGPU
    worker, end with the CacheEntries the run made, which die with the worker otherwise."""
    engine, stop = held(key)
    worker = in_worker(key)
    if worker:
        settle_in_worker()
    crossing = worker and hasattr(engine, "caches_since")
    keys, stats = (engine.cache_keys(), dict(engine.prefix_stats)) if crossing else (None, None)
    for event in engine.stream(clip, prompt, max_new_tokens, stop):
        yield to_host(event)
    if crossing:
        yield engine.caches_since(keys, stats)


# On a ZeroGPU Space an in-process engine's runs go inside spaces.GPU.
generate = gpu_task(_gpu_seconds)(stream_held)


def _item_for_run(studio: Studio, session: Session, request: RunRequest) -> Session:
    """The session pointed at the item this run belongs to (task and question included)."""
    if request.task != session.task:
        session = switch_task(studio, session, request.task)
    if request.task == "qa" and (request.question, request.options) != (
        session.question,
        session.options,
    ):
        session = replace(
            session,
            item_id=None,
            question=request.question,
            options=request.options,
            truth=session.truth,
        )
    return ensure_item(studio, session)


def run_model(
    studio: Studio,
    session: Session,
    request: RunRequest,
    stop: threading.Event,
    who: str | None = None,
) -> Iterator[RunUpdate]:
    """Sample, prompt and stream one task; the finished run is recorded in the store."""
    from inference.backends.generation import CacheEntries, Generation, Partial
    from inference.core.prompts import build_prompt
    from inference.video.cache import cached_sample_video

    request = request.checked()
    session = _item_for_run(studio, session, request)
    if not session.video:
        raise VideoError("this item's video file is not on this machine; upload it to run")
    engine, checkpoint = engine_for(studio.models)
    try:
        prompt = build_prompt(request.task, request.think, request.question, request.options)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    fps = request.fps or DEFAULT_FPS[request.task]
    yield RunUpdate(session, "", f"Sampling the video at {fps:g} fps…")
    options = studio.sampling(fps, request.max_frames)
    clip = cached_sample_video(session.video, options)  # later tasks on this video skip decoding
    studio.limiter.take(who or "anonymous")  # counted only once the video is known to be good
    message = f"Generating ({clip.num_frames} frames, {clip.visual_tokens} visual tokens)…"
    yield RunUpdate(replace(session, frame_times=tuple(clip.timestamps)), "", message)
    key = hold(engine, stop)
    try:
        streamer = generate if getattr(engine, "runs_here", True) else stream_held
        events = streamer(key, clip, prompt, studio.settings.max_new_tokens)
        for event in refusals_explained(events):
            if isinstance(event, Partial):
                yield RunUpdate(session, event.text, message)
            elif isinstance(event, CacheEntries):
                engine.adopt(event)  # for the next worker, which is forked from this process
            elif isinstance(event, Generation):
                ran = (engine, checkpoint)
                session = _record(studio, session, event, request, who, ran)
                note = "Stopped: partial output kept." if event.stopped else "Done."
                yield RunUpdate(session, event.text, note, done=True)
    finally:
        release(key)


def _record(
    studio: Studio,
    session: Session,
    generation,
    request: RunRequest,
    who: str | None,
    ran: tuple[Any, str],
) -> Session:
    """Store a finished generation as a model run, under the engine and name that ran it."""
    summary = generation.to_dict()
    engine, checkpoint = ran
    run = studio.store.record_run(
        session.item_id,
        checkpoint=checkpoint,
        settings=_run_settings(studio, request, generation) | engine_facts(engine),
        raw=generation.text,
        parsed=summary["result"],
        timings=summary["timings"],
        created_by=who,
    )
    return replace(with_run(session, run), stopped=generation.stopped)


def engine_facts(engine) -> dict:
    """What the engine that ran says of its model: backend, quantization, device, source.

    Asked of the engine, never read from the start-up settings: a reload with other options
    changes them. An engine without facts (a scripted one in tests) says it ran no model.
    """
    facts = getattr(engine, "facts", None)
    if facts is None:
        return {"quant": None, "dtype": None, "device": None, "model_source": "scripted (no model)"}
    return facts()


def _run_settings(studio: Studio, request: RunRequest, generation) -> dict:
    """Every setting a run depends on, as stored with it."""
    clip, options = generation.clip, generation.clip.options
    return {
        "task": request.task,
        "think": request.think,
        "template": DEFAULT_TEMPLATES,
        "fps": options.fps,  # asked for; max_frames or the pixel budget may lower it
        "sample_fps": clip.sample_fps,  # what the model was told
        "max_frames": options.max_frames,
        "frames": clip.num_frames,
        "frame_size": list(clip.frame_size),
        **pixels_of(options),
        "max_new_tokens": studio.settings.max_new_tokens,
        "question": request.question,
        "options": list(request.options) if request.options else None,
        "timestamps": [round(float(t), 4) for t in clip.timestamps],
        "stopped": generation.stopped,
        **(PRELABEL_MARK if request.prelabel else {}),
    }


def run_all(
    studio: Studio,
    session: Session,
    request: RunRequest,
    stop: threading.Event,
    who: str | None = None,
) -> Iterator[RunUpdate]:
    """Run every task on the video in turn, then show the task the user had chosen."""
    chosen, done = session.task, []
    question, options = _qa_question(studio, session, request)
    for task in TASKS:
        if stop.is_set():
            break
        if task == "qa" and not (question and options):
            done.append("qa: skipped (no question)")
            continue
        step = replace(request, task=task, fps=None, question=None, options=None)
        if task == "qa":
            step = replace(step, question=question, options=options)
        prefix = f"[{len(done) + 1}/{len(TASKS)} {task}] "
        for update in run_model(studio, session, step, stop, who):
            yield replace(update, message=prefix + update.message, done=False)
        session = update.session
        done.append(f"{task}: {_short_answer(session.result)}")
    if session.task != chosen and not stop.is_set():
        session = switch_task(studio, session, chosen)
    yield RunUpdate(
        session, session.result.raw if session.result else "", " · ".join(done), done=True
    )


def _qa_question(
    studio: Studio, session: Session, request: RunRequest
) -> tuple[str | None, tuple[str, ...] | None]:
    """The QA question to ask: the one typed in, else the video's stored QA item's."""
    if request.question and request.options:
        return request.question, request.options
    if session.task == "qa" and session.question:
        return session.question, session.options
    qa = switch_task(studio, session, "qa")
    return qa.question, qa.options


def _short_answer(result: Result | None) -> str:
    if result is None:
        return "no result"
    if result.interval:
        return f"{result.answer or '?'} {result.interval[0]:.1f}–{result.interval[1]:.1f} s"
    return (result.answer or "no answer")[:40]


STOP_WAIT_S = 2.0  # how long Stop waits for the run to end before saying it is stopping


def stop_run(studio: Studio, session_hash: str, wait_s: float = STOP_WAIT_S) -> str | None:
    """Ask this browser session's generation to stop. None once it has ended (its own last
    message says how: a later line would cover it), else the line to show."""
    if not studio.stops.stop(session_hash):
        return NOTHING_RUNNING
    if studio.stops.wait_released(session_hash, wait_s):
        return None
    return "Stopping after the current token…"


NOTHING_RUNNING = "Nothing is running."
