"""The Studio tab's items: the queue and its filters, opening items, uploads, the samples.

Plain functions of the Studio's services (no Gradio): they take and return `Session` values
and raise `StudioError` with a one-line message for anything the user can act on.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from annotate.errors import InvalidInput
from annotate.records import ItemRecord, RunRecord
from annotate.videos import content_hash
from app.labels import ALL, NEW, queue_label
from app.services import Studio
from app.state import Session
from inference.core.parse import Result
from inference.errors import StudioError, VideoError, first_line

UPLOAD_SOURCE = "upload"
log = logging.getLogger("vau.studio")


def import_samples(studio: Studio) -> None:
    """Import the bundled samples and world videos (idempotent) so a fresh Studio has a queue."""
    from annotate.importer import import_csv

    for csv, videos in studio.settings.bundled:
        if not csv.is_file():
            continue
        try:
            found = videos if videos is not None and videos.is_dir() else None
            report = import_csv(studio.store, csv, videos=found)
        except StudioError as error:
            log.warning("%s not imported: %s", csv.name, first_line(error))
            continue
        if report.missing_videos:
            log.warning(
                "videos of %s missing (see the README's samples section): %s",
                csv.name,
                ", ".join(report.missing_videos),
            )


def open_upload(studio: Studio, path: str | None, task: str) -> Session:
    """Check an uploaded file is a video, keep a copy, and register it in the store."""
    from inference.video.sampling import probe_video

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
    from inference.video.sampling import probe_video

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
        scan=session.scan,  # a scan is of the video, whatever the task
    )
    if session.video_id is None:
        return base
    items = [i for i in studio.store.items_for_video(session.video_id) if i.task == task]
    if not items:
        return base
    # Prefer the item with ground truth (an imported one) over ad-hoc questions.
    item = max(items, key=lambda i: (i.truth.known, -i.id))
    return replace(open_item(studio, item.id), scan=session.scan)


@dataclass(frozen=True)
class QueueFilter:
    """Which items the picker lists: by task, source, the annotator's state, video here, and
    a work queue (its items, in its order)."""

    task: str | None = None
    source: str | None = None
    state: str | None = None  # one of labels.ITEM_STATES
    video_here: bool = True
    queue: str | None = None  # a work queue's name (annotate.store.Store.save_queue)

    @classmethod
    def from_fields(cls, task, source, state, video_here, queue=None) -> QueueFilter:
        """From the filter row's values ('all' or empty keeps everything)."""

        def chosen(value):
            return None if value in (None, "", ALL) else value

        return cls(chosen(task), chosen(source), chosen(state), bool(video_here), chosen(queue))


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

    def kept(item: ItemRecord) -> tuple[str, int] | None:
        here = bool(item.video.path and Path(item.video.path).is_file())
        state = state_of(item)
        if (here or not filters.video_here) and filters.state in (None, state):
            return queue_label(item, state), item.id
        return None

    if filters.queue is not None:
        listed = [studio.store.get_item(i) for i in studio.store.queue(filters.queue).item_ids]
        chosen = (i for i in listed if filters.task in (None, i.task)
                  and filters.source in (None, i.video.source))  # fmt: skip
        choices = [c for c in map(kept, chosen) if c is not None][:limit]
    else:
        choices = _paged(studio, filters, kept, limit, page)
    if include is not None and all(item_id != include for _, item_id in choices):
        item = studio.store.get_item(include)
        choices.insert(0, (queue_label(item, state_of(item)), item.id))
    return choices


def _paged(studio: Studio, filters: QueueFilter, kept, limit: int, page: int) -> list:
    choices: list[tuple[str, int]] = []
    offset = 0
    # Imported VAU-Bench rows often have no video on this machine; page past them.
    while len(choices) < limit:
        items = studio.store.list_items(
            task=filters.task, source=filters.source, limit=page, offset=offset
        )
        choices += [c for c in map(kept, items) if c is not None]
        if len(items) < page:
            break
        offset += page
    return choices[:limit]


def queue_names(studio: Studio) -> list[str]:
    """The work queues the picker's filter offers, the newest first."""
    return [queue.name for queue in studio.store.queues()]


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
