"""What each button does, as plain functions of the Studio's services: no Gradio in here.

Handlers take and return `Session` values and raise `StudioError` with a one-line message
for anything the user can act on; `app.events` turns both into component updates.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotate.errors import InvalidInput
from annotate.records import Edit, ItemRecord, RevisionRecord, RunRecord
from annotate.schema import STATUSES
from annotate.store import Store
from annotate.videos import content_hash
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
from app.labels import ALL, NEW, count_rows, queue_label
from app.runtime import ModelSlot, RunLimiter, StopSwitches
from app.settings import Settings
from app.state import Form, Session
from inference.errors import ModelUnavailable, StudioError, VideoError
from inference.export_layout import DATASET_INFO
from inference.parse import Result
from inference.prompts import DEFAULT as DEFAULT_TEMPLATES
from inference.tasks import DEFAULT_FPS, DEFAULT_MAX_FRAMES, TASKS
from train.card import list_checkpoints

UPLOAD_SOURCE = "upload"
log = logging.getLogger("vau.studio")


@dataclass
class Studio:
    """The services every handler works with: settings, annotation store, model, stops."""

    settings: Settings
    store: Store
    models: ModelSlot = field(default_factory=ModelSlot)
    stops: StopSwitches = field(default_factory=StopSwitches)
    limiter: RunLimiter | None = None

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = RunLimiter(self.settings.runs_per_hour)


# --- videos and items --------------------------------------------------------------------


def import_samples(studio: Studio) -> None:
    """Import the bundled samples (idempotent) so a fresh Studio has a queue."""
    from annotate.importer import import_csv

    csv = Path(studio.settings.samples) if studio.settings.samples else None
    if csv is None or not csv.is_file():
        return
    videos = studio.settings.sample_videos
    try:
        report = import_csv(studio.store, csv, videos=videos if videos.is_dir() else None)
    except StudioError as error:
        log.warning("samples not imported: %s", message_of(error))
        return
    if report.missing_videos:
        log.warning(
            "sample videos missing (run assets/make_samples.py): %s",
            ", ".join(report.missing_videos),
        )


def open_upload(studio: Studio, path: str | None, task: str) -> Session:
    """Check an uploaded file is a video, keep a copy, and register it in the store."""
    from inference.video import probe_video

    if not path:
        raise VideoError("no file was uploaded")
    source = Path(path)
    try:
        info = probe_video(source)  # VideoError for anything that is not a readable video
    except VideoError as error:  # name the file by its own name, not the server's upload path
        raise VideoError(str(error).replace(str(source), source.name)) from None
    limit = studio.settings.max_video_s
    if limit and info.duration > limit:
        raise VideoError(
            f"{source.name} is {info.duration:.0f} s long; this Studio accepts videos up to "
            f"{limit:g} s"
        )
    digest = content_hash(source)
    folder = Path(studio.settings.uploads)
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"{digest[:16]}{source.suffix.lower()}"
    if not kept.exists():
        shutil.copyfile(source, kept)  # the upload cache is temporary; annotations are not
    name = f"{source.stem}-{digest[:8]}{source.suffix.lower()}"
    video = studio.store.add_video(
        name,
        UPLOAD_SOURCE,
        path=str(kept.resolve()),
        content_hash=digest,
        duration=info.duration,
        fps=info.fps,
    )
    return Session(
        video=video.path, video_id=video.id, duration=info.duration, fps=info.fps, task=task
    )


def open_item(studio: Studio, item_id: int) -> Session:
    """Move to a store item: its video, task, question, truth and latest model run."""
    item = studio.store.get_item(int(item_id))
    session = Session.for_item(item, *video_of(item))
    runs = studio.store.runs(item.id)
    return with_run(session, runs[0]) if runs else session


def video_of(item: ItemRecord) -> tuple[str | None, float | None, float | None]:
    """The item's video file, duration and frame rate; no file when it is not on this machine."""
    from inference.video import probe_video

    video = item.video
    path = video.path
    if not path or not Path(path).is_file():
        return None, video.duration, video.fps
    if video.duration and video.fps:
        return path, video.duration, video.fps
    try:
        info = probe_video(path)
    except VideoError:
        return None, video.duration, video.fps
    return path, video.duration or info.duration, video.fps or info.fps


def with_run(session: Session, run: RunRecord) -> Session:
    """The session showing a stored model run's result."""
    result = Result.from_dict(run.parsed) if run.parsed else None
    times = tuple(float(t) for t in run.settings.get("timestamps") or ())
    return replace(
        session,
        run_id=run.id,
        result=result,
        checkpoint=run.checkpoint,
        timings=run.timings,
        frame_times=times or session.frame_times,
        stopped=False,
    )


def next_item(
    studio: Studio, annotator_name: str, session: Session | None = None, skip: bool = False
) -> Session:
    """The next unfinished item for this annotator (own rejected work, drafts, then untouched
    items), never the one on screen nor one skipped; `skip` also skips the one on screen."""
    session = session or Session()
    skipped = session.skipped
    if skip and session.item_id is not None:
        skipped = (*skipped, session.item_id)
    exclude = {*skipped, *([session.item_id] if session.item_id is not None else [])}
    item = studio.store.next_item(annotator_name, exclude=exclude)
    if item is None:
        left = " (skipped items: reload the page to see them again)" if skipped else ""
        raise InvalidInput(f"nothing left to annotate: every item has your correction{left}")
    return replace(open_item(studio, item.id), skipped=skipped)


def peek_next(studio: Studio, annotator_name: str | None) -> ItemRecord | None:
    """The item `next_item` would open for this annotator, without opening it."""
    return studio.store.next_item(annotator_name) if annotator_name else None


def switch_task(studio: Studio, session: Session, task: str) -> Session:
    """Same video, another task: the video's item for that task if the store has one."""
    if task == session.task:
        return session
    base = Session(
        video=session.video,
        video_id=session.video_id,
        duration=session.duration,
        fps=session.fps,
        task=task,
    )
    if session.video_id is None:
        return base
    items = [i for i in studio.store.items_for_video(session.video_id) if i.task == task]
    if not items:
        return base
    # Prefer the item with ground truth (an imported one) over ad-hoc questions.
    item = max(items, key=lambda i: (i.truth.known, -i.id))
    return open_item(studio, item.id)


@dataclass(frozen=True)
class QueueFilter:
    """Which items the picker lists: by task, source, the annotator's state, video here."""

    task: str | None = None
    source: str | None = None
    state: str | None = None  # one of labels.ITEM_STATES
    video_here: bool = True

    @classmethod
    def from_fields(cls, task, source, state, video_here) -> QueueFilter:
        """From the filter row's values ('all' or empty keeps everything)."""

        def chosen(value):
            return None if value in (None, "", ALL) else value

        return cls(chosen(task), chosen(source), chosen(state), bool(video_here))


def queue_choices(
    studio: Studio,
    who: str | None = None,
    filters: QueueFilter | None = None,
    limit: int = 200,
    page: int = 500,
    include: int | None = None,
) -> list[tuple[str, int]]:
    """(label, item id) for the item picker: the first `limit` items the filter keeps, each
    labelled with its state for `who` (new, draft, submitted, approved, rejected); item
    `include` (the one just opened, e.g. an upload) is listed first if the filter left it out."""
    filters = filters or QueueFilter()
    states = studio.store.statuses_of(who) if who else {}

    def state_of(item: ItemRecord) -> str | None:
        return states.get(item.id, NEW) if who else None

    choices: list[tuple[str, int]] = []
    offset = 0
    # Imported VAU-Bench rows often have no video on this machine; page past them.
    while len(choices) < limit:
        items = studio.store.list_items(
            task=filters.task, source=filters.source, limit=page, offset=offset
        )
        for item in items:
            here = bool(item.video.path and Path(item.video.path).is_file())
            state = state_of(item)
            if (here or not filters.video_here) and filters.state in (None, state):
                choices.append((queue_label(item, state), item.id))
        if len(items) < page:
            break
        offset += page
    choices = choices[:limit]
    if include is not None and all(item_id != include for _, item_id in choices):
        item = studio.store.get_item(include)
        choices.insert(0, (queue_label(item, state_of(item)), item.id))
    return choices


def item_sources(studio: Studio) -> list[str]:
    """The datasets the store's items come from (for the picker's filter)."""
    return sorted(studio.store.counts().items_by_source)


def ensure_item(studio: Studio, session: Session) -> Session:
    """Give the session a store item for its video, task and question (created if new)."""
    if session.item_id is not None:
        return session
    if session.video_id is None:
        raise InvalidInput("open a video first: upload one or pick an item")
    item = studio.store.add_item(
        session.video_id, session.task, question=session.question, options=session.options
    )
    return replace(session, item_id=item.id, truth=item.truth)


# --- running the model -------------------------------------------------------------------


@dataclass(frozen=True)
class RunRequest:
    """What to run: the task, think on/off, sampling, and the QA question and options."""

    task: str = "grounding"
    think: bool = True
    fps: float | None = None  # None or 0: the task's default (2 fps grounding, 1 fps QA, ...)
    max_frames: int = DEFAULT_MAX_FRAMES
    question: str | None = None
    options: tuple[str, ...] | None = None

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
    from inference.cache import cached_sample_video
    from inference.generation import CacheEntries, Generation, Partial
    from inference.prompts import build_prompt
    from inference.video import SamplingOptions

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
    options = SamplingOptions(fps=fps, max_frames=request.max_frames)
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
        "min_pixels": options.min_pixels,
        "max_pixels": options.max_pixels,
        "total_pixels": options.total_pixels,
        "max_new_tokens": studio.settings.max_new_tokens,
        "question": request.question,
        "options": list(request.options) if request.options else None,
        "timestamps": [round(float(t), 4) for t in clip.timestamps],
        "stopped": generation.stopped,
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


def stop_run(studio: Studio, session_hash: str) -> str:
    """Ask this browser session's generation to stop."""
    if studio.stops.stop(session_hash):
        return "Stopping after the current token…"
    return "Nothing is running."


# --- corrections -------------------------------------------------------------------------


def save(
    studio: Studio, session: Session, who: str, form: Form, status: str
) -> tuple[Session, RevisionRecord]:
    """Save the form as a new revision (draft or submitted) of who's correction."""
    if form.interval is not None and None in form.interval:
        raise InvalidInput("give both the start and the end of the interval, or neither")
    session = ensure_item(studio, session)
    edit = Edit(
        answer=form.answer,
        reasoning=form.reasoning,
        interval=form.interval,
        class_name=form.class_name,
        comment=form.comment,
    )
    run_id = session.run_id
    revision = studio.store.save_correction(
        session.item_id, who, edit, status=status, run_id=run_id
    )
    return session, revision


def edited(session: Session, form: Form | None) -> bool:
    """True when `form` (the fields as the annotator left them) holds edits the page did not
    put there, and is not blank."""
    return form is not None and not form.blank and form != session.shown


def keep_edits(studio: Studio, session: Session, who: str | None, form: Form | None) -> str:
    """Before the form is replaced: save unsaved edits as a draft; the note saying so.

    A refusal (no name, an impossible interval) is an InvalidInput naming the problem, so the
    caller stays on the item with the edits as typed.
    """
    if (session.item_id is None and session.video is None) or not edited(session, form):
        return ""
    where = f"item {session.item_id}" if session.item_id is not None else "this video"
    if not who:
        raise InvalidInput(f"your edits on {where} are unsaved: enter your name to keep them")
    try:
        session, revision = save(studio, session, who, form, "draft")
    except InvalidInput as error:
        raise InvalidInput(
            f"your edits on {where} are not saved ({error}): fix them, or press Discard edits"
        ) from None
    return f"Your edits on item {session.item_id} were saved as draft revision {revision.number}. "


def current_form(studio: Studio, session: Session, who: str | None) -> Form | None:
    """Who's current revision of the item as a form, or None when they have none."""
    if not who or session.item_id is None:
        return None
    revision = studio.store.current(session.item_id, who)
    return Form.from_revision(revision) if revision else None


def initial_form(studio: Studio, session: Session, who: str | None) -> Form:
    """What the correction fields start from: own revision, else truth, else the model."""
    form = current_form(studio, session, who)
    if form is not None:
        return form
    if session.truth.known:
        return Form.from_truth(session.truth, session.task)
    return Form.from_result(session.result) if session.result else Form()


def history(studio: Studio, session: Session, who: str | None) -> list[RevisionRecord]:
    """Every revision of who's correction of the current item, newest first."""
    if not who or session.item_id is None:
        return []
    return list(reversed(studio.store.history(session.item_id, who)))


def restore(studio: Studio, session: Session, who: str, number: int) -> RevisionRecord:
    """Make revision `number` of who's correction current again (as a new draft)."""
    revisions = {r.number: r for r in history(studio, session, who)}
    if number not in revisions:
        raise InvalidInput(f"your correction of this item has no revision {number}")
    return studio.store.restore(revisions[number].id, by=who)


def review(
    studio: Studio, revision_id: int, reviewer: str, decision: str, comment: str | None
) -> RevisionRecord:
    """Approve or reject a submitted correction."""
    if decision not in ("approved", "rejected"):
        raise InvalidInput(f"unknown decision {decision!r}")
    return studio.store.review(int(revision_id), reviewer, decision, comment or None)


def description_runs(studio: Studio, limit: int = 200) -> list[tuple[str, int]]:
    """(label, run id) of each description item's newest complete run, newest first."""
    items = studio.store.list_items(task="description", limit=None)
    by_id = {item.id: item for item in items}
    runs = studio.store.latest_runs(by_id, complete=True)
    ordered = sorted(runs.values(), key=lambda run: run.id, reverse=True)[:limit]
    return [(f"run {r.id} · {by_id[r.item_id].video.name} · {r.checkpoint}", r.id) for r in ordered]


def score_description(studio: Studio, run_id: int, reviewer: str, scores: Sequence) -> str:
    """Store a reviewer's five VAU-Eval scores (in CRITERIA order); the confirmation line."""
    from inference.rubric import KEYS

    values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in scores]
    record = studio.store.score_description(
        int(run_id), reviewer, dict(zip(KEYS, values, strict=False))
    )
    total = sum(record.scores.values())
    return f"Saved {reviewer}'s scores for run {record.run.id} ({record.video}): {total}/50."


def submitted_queue(studio: Studio) -> list[tuple[ItemRecord, RevisionRecord]]:
    """Every submitted correction waiting for a review, with its item, oldest first."""
    return studio.store.review_queue()


def revision_with_item(studio: Studio, revision_id: int) -> tuple[ItemRecord, RevisionRecord]:
    """A revision and the item it corrects."""
    revision = studio.store.get_revision(revision_id)
    return studio.store.get_item(revision.item_id), revision


def review_evidence(studio: Studio, revision_id: int) -> tuple[ItemRecord, RevisionRecord, Session]:
    """A correction under review with its item, and a session on the item showing the model run
    the correction started from (else the item's newest run), for the player and the timeline."""
    item, revision = revision_with_item(studio, revision_id)
    session = Session.for_item(item, *video_of(item))
    run_id = revision.run_id
    runs = [studio.store.get_run(run_id)] if run_id else studio.store.runs(item.id)[:1]
    return item, revision, with_run(session, runs[0]) if runs else session


def run_with_item(studio: Studio, run_id: int) -> tuple[ItemRecord, RunRecord]:
    """A model run and the item it ran on."""
    run = studio.store.get_run(run_id)
    return studio.store.get_item(run.item_id), run


def progress(studio: Studio) -> tuple[list[list], list[list]]:
    """(totals and corrections by status, per-annotator counts by status) for the dashboard."""
    counts = studio.store.counts()
    rows = []
    for name in sorted(counts.corrections_by_annotator):
        per_status = [studio.store.count_items(status=s, annotator=name) for s in STATUSES]
        rows.append([name, *per_status, sum(per_status)])
    return count_rows(counts), rows


def export(studio: Studio, fmt: str, status: str, with_truth: bool) -> tuple[Path, str]:
    """Write training data in `fmt`; return one downloadable file and a summary line."""
    from annotate.export import ExportOptions
    from annotate.export import export as write_export

    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path(studio.settings.exports) / f"{stamp}-{fmt}"
    options = ExportOptions(format=fmt, out=folder, status=status, include_ground_truth=with_truth)
    report = write_export(studio.store, options)
    records = sum(report.files.values())
    files = [Path(p) for p in report.files]
    if fmt == "sharegpt":
        files.append(folder / DATASET_INFO)
    summary = (
        f"{records} records ({report.from_corrections} corrections, "
        f"{report.from_ground_truth} ground truth) in {folder.name}"
    )
    if len(files) == 1:
        return files[0], summary
    archive = shutil.make_archive(str(folder), "zip", root_dir=folder)
    return Path(archive), summary


def checkpoint_rows(studio: Studio) -> list[list]:
    """The Model tab's table: local checkpoints with their training.json summaries."""
    return [summary.row() for summary in list_checkpoints(studio.settings.checkpoints)]


def load_model(studio: Studio, name: str | None, quant: str, device: str):
    """(Re)load a checkpoint from the UI; the status says how it went."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name a checkpoint: a hub id, a local directory, or 'tiny'")
    return studio.models.load(name, quant, device)


def message_of(error: StudioError) -> str:
    """The one-line message of a domain error, for the UI."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
