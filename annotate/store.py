"""The annotation store: the app's and the CLI's only way into the database.

`Store(url)` opens (and creates or migrates) the database at any SQLAlchemy URL. Every public
method is one transaction, retried on a busy or dropped database, and failures surface as
StoreError with a one-line message. Records handed out are frozen dataclasses
(annotate.records), so callers never hold a database session.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, case, exists, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from annotate import convert
from annotate.db import RetryPolicy, describe, make_engine, parse_url, retrying, upgrade
from annotate.errors import InvalidInput, NotFound
from annotate.records import (
    Counts,
    Edit,
    GroundTruth,
    ItemRecord,
    ItemSpec,
    PinRecord,
    QueueRecord,
    RevisionRecord,
    RubricRecord,
    RunRecord,
    ScanRecord,
    VideoRecord,
    is_prelabel,
)
from annotate.schema import (
    AnomalyScan,
    Correction,
    Item,
    ModelRun,
    Pin,
    Revision,
    RubricScore,
    Video,
    WorkQueue,
    utcnow,
)
from annotate.validate import (
    REVIEW_STATUSES,
    SAVE_STATUSES,
    check_demo_run,
    check_status,
    check_task,
    clean_edit,
    clean_name,
)
from inference.core.tasks import find_class

T = TypeVar("T")
DEFAULT_KEY = "default"  # the key of an item created without a question


def item_key(question: str | None, options: Iterable[str] | None) -> str:
    """The identity of a question within (video, task): a digest, so re-asking finds the item."""
    if question is None and options is None:
        return DEFAULT_KEY
    payload = json.dumps([question, list(options) if options is not None else None])
    return "q:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


class Store:
    """Videos, items, model runs and corrections with full history, in one database."""

    def __init__(
        self,
        url: str,
        *,
        policy: RetryPolicy | None = None,
        migrate: bool = True,
        allow_self_review: bool = False,
    ):
        self.policy = policy or RetryPolicy()
        # A reviewer may judge work they wrote only where one person is the whole team.
        self.allow_self_review = allow_self_review
        self.url = parse_url(url)
        self.where = describe(self.url)
        self.engine = make_engine(self.url, self.policy)
        self._writer = self.engine.execution_options(immediate=True)
        if migrate:
            try:
                retrying(lambda: upgrade(self.engine), self.where, self.policy)
            except BaseException:
                self.engine.dispose()
                raise

    def close(self) -> None:
        """Release every connection (the store can be opened again with a new Store)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.where!r})"

    # --- transactions ---------------------------------------------------------------------

    def _read(self, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with Session(self.engine) as session, session.begin():
                return work(session)

        return retrying(attempt, self.where, self.policy)

    def _write(self, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with Session(self._writer) as session, session.begin():
                return work(session)

        return retrying(attempt, self.where, self.policy)

    # --- videos and items -----------------------------------------------------------------

    def add_video(
        self,
        name: str,
        source: str = "local",
        *,
        path: str | None = None,
        content_hash: str | None = None,
        duration: float | None = None,
        fps: float | None = None,
    ) -> VideoRecord:
        """Get or create the video (source, name), filling in whichever facts are given."""
        name, source = clean_name(name, "video"), clean_name(source, "source")
        facts = {"path": path, "content_hash": content_hash, "duration": duration, "fps": fps}

        def work(session: Session) -> VideoRecord:
            video = _get_video(session, source, name)
            for key, value in facts.items():
                if value is not None:
                    setattr(video, key, value)
            session.flush()
            return convert.video(video)

        return self._write(work)

    def find_video(self, name: str, source: str | None = None) -> VideoRecord | None:
        """The video with this name (and source, when given), or None."""
        query = select(Video).where(Video.name == name).order_by(Video.id).limit(1)
        if source is not None:
            query = query.where(Video.source == source)
        return self._read(lambda s: _maybe(convert.video, s.scalars(query).first()))

    def located_videos(self) -> list[VideoRecord]:
        """Every video whose file was found somewhere (its path is known), by name."""
        query = select(Video).where(Video.path.is_not(None)).order_by(Video.name, Video.id)
        return self._read(lambda s: [convert.video(v) for v in s.scalars(query)])

    def add_item(
        self,
        video_id: int,
        task: str,
        *,
        question: str | None = None,
        options: Iterable[str] | None = None,
        truth: GroundTruth | None = None,
    ) -> ItemRecord:
        """Get or create the item for this video, task and question (ground truth if new)."""
        check_task(task)
        options = tuple(options) if options is not None else None
        key = item_key(question, options)

        def work(session: Session) -> ItemRecord:
            _need(session, Video, video_id)
            item = session.scalars(
                select(Item).filter_by(video_id=video_id, task=task, key=key)
            ).first()
            if item is None:
                item = Item(video_id=video_id, task=task, key=key, question=question)
                item.options = list(options) if options is not None else None
                convert.set_truth(item, truth or GroundTruth())
                session.add(item)
                session.flush()
            return convert.item(item)

        return self._write(work)

    def upsert_items(self, specs: Iterable[ItemSpec]) -> list[str]:
        """Create or refresh many items in one transaction: "created"/"updated"/"unchanged" each."""
        specs = list(specs)
        for spec in specs:
            check_task(spec.task)

        return self._write(lambda session: _upsert_all(session, specs))

    def get_item(self, item_id: int) -> ItemRecord:
        """The item with this id; NotFound if there is none."""
        return self._read(lambda s: convert.item(_need(s, Item, item_id)))

    def items_for_video(self, video_id: int) -> list[ItemRecord]:
        """Every item of one video, in creation order."""
        query = select(Item).where(Item.video_id == video_id).order_by(Item.id)
        return self._read(lambda s: [convert.item(i) for i in s.scalars(query)])

    def list_items(
        self,
        *,
        task: str | None = None,
        source: str | None = None,
        status: str | None = None,
        annotator: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[ItemRecord]:
        """Items in id order; `status` keeps those with a current correction in that status."""
        query = _item_filter(select(Item), task, source, status, annotator)
        query = query.order_by(Item.id).offset(offset).limit(limit)
        return self._read(lambda s: [convert.item(i) for i in s.scalars(query)])

    def count_items(
        self,
        *,
        task: str | None = None,
        source: str | None = None,
        status: str | None = None,
        annotator: str | None = None,
    ) -> int:
        """How many items `list_items` would list with the same filters and no limit."""
        query = _item_filter(select(func.count(Item.id)), task, source, status, annotator)
        return self._read(lambda s: s.scalar(query) or 0)

    def next_item(
        self,
        annotator: str,
        *,
        task: str | None = None,
        source: str | None = None,
        exclude: Iterable[int] = (),
    ) -> ItemRecord | None:
        """What `annotator` should do next: own rejected work, own drafts, then untouched items.

        Untouched items come least-corrected first (so coverage grows evenly), then in id order.
        `exclude`: item ids not to offer (the one on screen, the ones skipped).
        """
        annotator = clean_name(annotator)
        skip = sorted({int(i) for i in exclude})

        def work(session: Session) -> ItemRecord | None:
            unfinished = _current_join(select(Item), annotator=annotator).where(
                Revision.status.in_(("rejected", "draft")), Item.id.not_in(skip)
            )
            unfinished = _scope(unfinished, task, source).order_by(
                case((Revision.status == "rejected", 0), else_=1), Item.id
            )
            item = session.scalars(unfinished.limit(1)).first()
            if item is None:
                fresh = _fresh_items(annotator, task, source).where(Item.id.not_in(skip))
                item = session.scalars(fresh.limit(1)).first()
            return _maybe(convert.item, item)

        return self._read(work)

    # --- model runs -----------------------------------------------------------------------

    def record_run(
        self,
        item_id: int,
        *,
        checkpoint: str,
        settings: dict[str, Any],
        raw: str,
        parsed: dict[str, Any] | None = None,
        timings: dict[str, Any] | None = None,
        created_by: str | None = None,
    ) -> RunRecord:
        """Store one inference: `settings` (fps, frames, pixels, quant, template, ...) as given,
        `parsed` as `inference.core.parse.Result.to_dict()`, `timings` as `Timings.to_dict()`."""
        parsed, timings = parsed or {}, timings or {}
        for what, value in (("settings", settings), ("parsed", parsed), ("timings", timings)):
            _check_json(what, value)

        def work(session: Session) -> RunRecord:
            item = _need(session, Item, item_id)
            run = convert.new_run(item, checkpoint, settings, raw, parsed, timings, created_by)
            if item.task == "classification":
                run.class_name = find_class(run.answer)
            session.add(run)
            session.flush()
            return convert.run(run)

        return self._write(work)

    def record_spread(self, run_id: int, spread: dict[str, Any]) -> RunRecord:
        """Keep how unsure the model was about a stored run (inference.core.spread.spread)."""
        _check_json("spread", spread)
        uncertainty = spread.get("uncertainty")
        if uncertainty is not None and not 0 <= float(uncertainty) <= 1:
            raise InvalidInput(f"an uncertainty is between 0 and 1, got {uncertainty}")

        def work(session: Session) -> RunRecord:
            run = _need(session, ModelRun, run_id)
            run.spread, run.uncertainty = spread, uncertainty
            session.flush()
            return convert.run(run)

        return self._write(work)

    def prelabels(self, item_id: int, checkpoint: str, think: bool) -> list[RunRecord]:
        """The item's complete pre-labels by `checkpoint` with this think setting, newest
        first (records.is_prelabel)."""
        return [r for r in self.runs(item_id) if is_prelabel(r, checkpoint, think)]

    def uncertainties(self) -> list[float]:
        """Every stored run's uncertainty (the runs that have one), for `annotate stats`."""
        query = select(ModelRun.uncertainty).where(ModelRun.uncertainty.is_not(None))
        return self._read(lambda s: [float(u) for u in s.scalars(query)])

    def get_run(self, run_id: int) -> RunRecord:
        """The model run with this id; NotFound if there is none."""
        return self._read(lambda s: convert.run(_need(s, ModelRun, run_id)))

    def runs(self, item_id: int) -> list[RunRecord]:
        """Every model run on an item, newest first."""
        query = select(ModelRun).where(ModelRun.item_id == item_id)
        query = query.order_by(ModelRun.id.desc())
        return self._read(lambda s: [convert.run(r) for r in s.scalars(query)])

    def latest_runs(
        self, item_ids: Iterable[int], *, complete: bool = False, by: str | None = None
    ) -> dict[int, RunRecord]:
        """The newest model run of each item that has one, by item id.

        `complete`: the newest run that was not stopped part-way (its settings say `stopped`).
        `by`: only runs that user made.
        """
        ids = sorted({int(i) for i in item_ids})
        newest = select(func.max(ModelRun.id)).group_by(ModelRun.item_id)
        if by is not None:
            newest = newest.where(ModelRun.created_by == by)

        def work(session: Session) -> dict[int, RunRecord]:
            found: dict[int, RunRecord] = {}
            for chunk in _chunks(ids):
                query = select(ModelRun).where(ModelRun.item_id.in_(chunk))
                if by is not None:
                    query = query.where(ModelRun.created_by == by)
                if not complete:
                    query = query.where(ModelRun.id.in_(newest))
                for row in session.scalars(query.order_by(ModelRun.id.desc())):
                    if complete and (row.settings or {}).get("stopped"):
                        continue
                    if row.item_id not in found:
                        found[row.item_id] = convert.run(row)
            return found

        return self._read(work)

    # --- scans -----------------------------------------------------------------------------

    def record_scan(
        self,
        video_id: int,
        *,
        checkpoint: str,
        settings: dict[str, Any],
        scan: dict[str, Any],
        engine: dict[str, Any] | None = None,
        created_by: str | None = None,
    ) -> ScanRecord:
        """Store a scan (`inference.scan.scanner.Scan.to_dict()`) under the settings that asked
        for it; `engine` (what ran: backend, quantization, ...) is kept beside them."""
        for what, value in (("settings", settings), ("scan", scan), ("engine", engine or {})):
            _check_json(what, value)
        interval = scan.get("interval") or (None, None)

        def work(session: Session) -> ScanRecord:
            _need(session, Video, video_id)
            row = AnomalyScan(
                video_id=video_id,
                checkpoint=checkpoint,
                key=scan_key(settings),
                settings=settings | {"engine": engine or {}},
                curve=scan.get("curve") or [],
                windows=scan.get("windows") or [],
                start=interval[0],
                end=interval[1],
                segments=scan.get("segments") or [],
                timings=scan.get("timings") or {},
                created_by=created_by,
            )
            session.add(row)
            session.flush()
            return convert.scan(row)

        return self._write(work)

    def latest_scan(
        self, video_id: int, checkpoint: str, settings: dict[str, Any]
    ) -> ScanRecord | None:
        """The newest scan of the video by this checkpoint with these settings, if any."""
        query = select(AnomalyScan).where(
            AnomalyScan.video_id == video_id,
            AnomalyScan.checkpoint == checkpoint,
            AnomalyScan.key == scan_key(settings),
        )
        query = query.order_by(AnomalyScan.id.desc()).limit(1)
        return self._read(lambda s: next((convert.scan(r) for r in s.scalars(query)), None))

    def scans(self, video_id: int) -> list[ScanRecord]:
        """Every scan of a video, newest first."""
        query = select(AnomalyScan).where(AnomalyScan.video_id == video_id)
        query = query.order_by(AnomalyScan.id.desc())
        return self._read(lambda s: [convert.scan(r) for r in s.scalars(query)])

    # --- judge calibration ----------------------------------------------------------------

    def score_description(self, run_id: int, reviewer: str, scores: dict) -> RubricRecord:
        """Store a reviewer's five VAU-Eval scores for a description run (a new row each time)."""
        from inference.core.rubric import ReplyError, check_scores

        reviewer = clean_name(reviewer, "reviewer")
        try:
            scores = check_scores(scores)
        except ReplyError as error:
            raise InvalidInput(f"scores: {error}") from None

        def work(session: Session) -> RubricRecord:
            run = _need(session, ModelRun, run_id)
            item = _need(session, Item, run.item_id)
            if item.task != "description":
                raise InvalidInput(
                    f"run {run_id} is a {item.task} run; only descriptions are scored"
                )
            row = RubricScore(run_id=run_id, reviewer=reviewer, scores=scores)
            session.add(row)
            session.flush()
            return convert.rubric(row, run, item.video.name)

        return self._write(work)

    def rubric_scores(self) -> list[RubricRecord]:
        """Each reviewer's newest scores of each run, oldest run first."""
        newest = select(func.max(RubricScore.id)).group_by(RubricScore.run_id, RubricScore.reviewer)
        query = (
            select(RubricScore, ModelRun, Video.name)
            .join(ModelRun, RubricScore.run_id == ModelRun.id)
            .join(Item, ModelRun.item_id == Item.id)
            .join(Video, Item.video_id == Video.id)
            .where(RubricScore.id.in_(newest))
            .order_by(ModelRun.id, RubricScore.reviewer)
        )
        return self._read(lambda s: [convert.rubric(*row) for row in s.execute(query)])

    # --- the demo gallery -----------------------------------------------------------------

    def pin(
        self, item_id: int, by: str, note: str | None = None, run_id: int | None = None
    ) -> PinRecord:
        """Put an item in the demo gallery, replaying `run_id` (one of its complete runs).

        Pinning it again keeps the first pin; with a run, that run becomes the one replayed,
        chosen by `by`."""
        by = clean_name(by, "admin")

        def work(session: Session) -> PinRecord:
            _need(session, Item, item_id)
            if run_id is not None:
                run = _need(session, ModelRun, run_id)
                check_demo_run(run.id, run.item_id, run.settings, item_id)
            row = session.scalars(select(Pin).where(Pin.item_id == item_id)).first()
            if row is None:
                row = Pin(item_id=item_id, pinned_by=by, note=note, run_id=run_id)
                session.add(row)
            elif run_id is not None:
                row.run_id, row.pinned_by = run_id, by
            session.flush()
            return convert.pin(row)

        return self._write(work)

    def unpin(self, item_id: int) -> bool:
        """Take an item out of the demo gallery; False when it was not pinned."""

        def work(session: Session) -> bool:
            row = session.scalars(select(Pin).where(Pin.item_id == item_id)).first()
            if row is not None:
                session.delete(row)
            return row is not None

        return self._write(work)

    def pins(self) -> list[PinRecord]:
        """Every pinned item, oldest pin first."""
        query = select(Pin).order_by(Pin.id)
        return self._read(lambda s: [convert.pin(r) for r in s.scalars(query)])

    # --- work queues ----------------------------------------------------------------------

    def save_queue(
        self, name: str, item_ids: list[int], by: str, note: str | None = None
    ) -> QueueRecord:
        """Keep `item_ids` (in order) as the work queue `name`, replacing one of that name."""
        name, by = clean_name(name, "queue"), clean_name(by, "reviewer")
        if not item_ids:
            raise InvalidInput(f"queue {name!r} would hold no items")

        def work(session: Session) -> QueueRecord:
            for item_id in item_ids:
                _need(session, Item, item_id)
            row = session.scalars(select(WorkQueue).where(WorkQueue.name == name)).first()
            if row is None:
                row = WorkQueue(name=name)
                session.add(row)
            row.item_ids, row.created_by, row.note = list(item_ids), by, note
            row.created_at = utcnow()
            session.flush()
            return convert.work_queue(row)

        return self._write(work)

    def queues(self) -> list[QueueRecord]:
        """Every work queue, the newest first."""
        query = select(WorkQueue).order_by(WorkQueue.created_at.desc(), WorkQueue.id.desc())
        return self._read(lambda s: [convert.work_queue(r) for r in s.scalars(query)])

    def queue(self, name: str) -> QueueRecord:
        """The work queue `name`; NotFound when there is none."""
        query = select(WorkQueue).where(WorkQueue.name == name)

        def work(session: Session) -> QueueRecord:
            row = session.scalars(query).first()
            if row is None:
                raise NotFound(f"no work queue {name!r}")
            return convert.work_queue(row)

        return self._read(work)

    # --- corrections ----------------------------------------------------------------------

    def save_correction(
        self,
        item_id: int,
        annotator: str,
        edit: Edit,
        *,
        status: str = "draft",
        run_id: int | None = None,
    ) -> RevisionRecord:
        """Append a revision to `annotator`'s correction of the item (created on first save)."""
        annotator = clean_name(annotator)
        check_status(status, SAVE_STATUSES)

        def work(session: Session) -> RevisionRecord:
            query = select(Item.task, Video.duration).join(Video).where(Item.id == item_id)
            found = session.execute(query).first()
            if found is None:
                raise NotFound(f"no item {item_id}")
            if run_id is not None and _need(session, ModelRun, run_id).item_id != item_id:
                raise InvalidInput(f"model run {run_id} belongs to another item")
            cleaned = clean_edit(found.task, edit, status, found.duration)
            correction = _get_correction(session, item_id, annotator)
            revision = _append(
                session, correction, cleaned, status, author=annotator, run_id=run_id
            )
            return convert.revision(revision, correction, is_current=True)

        return self._write(work)

    def review(
        self, revision_id: int, reviewer: str, decision: str, comment: str | None = None
    ) -> RevisionRecord:
        """Approve or reject the current revision of a submitted correction (a new revision)."""
        reviewer = clean_name(reviewer, "reviewer")
        check_status(decision, REVIEW_STATUSES)

        def work(session: Session) -> RevisionRecord:
            old, correction = _revision_and_correction(session, revision_id)
            if old.number != correction.head:
                raise InvalidInput(
                    f"revision {old.number} is not the current one ({correction.head}); "
                    "review the current revision"
                )
            if old.status == "draft":
                raise InvalidInput("this correction is a draft; it can be reviewed once submitted")
            own = reviewer in (old.author, correction.annotator)
            if own and not self.allow_self_review:
                raise InvalidInput(
                    f"{reviewer} wrote this correction; another reviewer must approve or reject it"
                )
            new = _append(
                session,
                correction,
                convert.edit_of(old),
                decision,
                author=reviewer,
                reviewer=reviewer,
                review_comment=comment,
                run_id=old.run_id,
                self_review=own,
            )
            return convert.revision(new, correction, is_current=True)

        return self._write(work)

    def restore(self, revision_id: int, by: str) -> RevisionRecord:
        """Make an old revision current again by saving a copy of it as a new draft revision."""
        by = clean_name(by)

        def work(session: Session) -> RevisionRecord:
            old, correction = _revision_and_correction(session, revision_id)
            edit = convert.edit_of(old)
            new = _append(
                session,
                correction,
                edit,
                "draft",
                author=by,
                restored_from=old.number,
                run_id=old.run_id,
            )
            return convert.revision(new, correction, is_current=True)

        return self._write(work)

    def get_revision(self, revision_id: int) -> RevisionRecord:
        """One revision by id; NotFound if there is none."""

        def work(session: Session) -> RevisionRecord:
            revision, correction = _revision_and_correction(session, revision_id)
            return convert.revision(revision, correction)

        return self._read(work)

    def history(self, item_id: int, annotator: str) -> list[RevisionRecord]:
        """Every revision of `annotator`'s correction of the item, oldest first."""
        query = (
            select(Revision, Correction)
            .join(Correction, Revision.correction_id == Correction.id)
            .where(Correction.item_id == item_id, Correction.annotator == annotator)
            .order_by(Revision.number)
        )
        return self._read(lambda s: [convert.revision(r, c) for r, c in s.execute(query)])

    def current(self, item_id: int, annotator: str) -> RevisionRecord | None:
        """The current revision of `annotator`'s correction of the item, or None."""
        found = self.current_revisions(item_id=item_id, annotator=annotator)
        return found[0][1] if found else None

    def corrections(self, item_id: int) -> list[RevisionRecord]:
        """The current revision of every annotator's correction of the item."""
        return [rev for _, rev in self.current_revisions(item_id=item_id)]

    def statuses_of(self, annotator: str) -> dict[int, str]:
        """The status of `annotator`'s current revision of each item they corrected, by item id."""
        query = _current_join(select(Item.id, Revision.status), annotator=clean_name(annotator))
        return self._read(lambda s: {int(i): str(status) for i, status in s.execute(query)})

    def review_queue(
        self, *, task: str | None = None, limit: int | None = None
    ) -> list[tuple[ItemRecord, RevisionRecord]]:
        """(item, revision) of every submitted correction waiting for a review, the longest
        waiting first (by submission time, then revision id)."""
        found = self.current_revisions(statuses=("submitted",), task=task)
        found.sort(key=lambda pair: (pair[1].created_at, pair[1].id))
        return found[:limit]

    def current_revisions(
        self,
        *,
        statuses: Iterable[str] | None = None,
        task: str | None = None,
        annotator: str | None = None,
        item_id: int | None = None,
    ) -> list[tuple[ItemRecord, RevisionRecord]]:
        """(item, current revision) for every matching correction, by item then annotator."""
        query = _current_join(select(Item, Revision, Correction), annotator=annotator)
        if statuses is not None:
            query = query.where(Revision.status.in_([check_status(s) for s in statuses]))
        if task is not None:
            query = query.where(Item.task == check_task(task))
        if item_id is not None:
            query = query.where(Item.id == item_id)
        query = query.order_by(Item.id, Correction.annotator)

        def work(session: Session) -> list[tuple[ItemRecord, RevisionRecord]]:
            rows = session.execute(query)
            return [(convert.item(i), convert.revision(r, c, True)) for i, r, c in rows]

        return self._read(work)

    # --- figures --------------------------------------------------------------------------

    def counts(self) -> Counts:
        """Totals, and corrections counted by current status, task and annotator."""

        def grouped(session: Session, column: Any, query: Select[Any]) -> dict[str, int]:
            rows = session.execute(query.add_columns(column).group_by(column).order_by(column))
            return {str(key): int(n) for n, key in rows}

        def work(session: Session) -> Counts:
            corrections = _current_join(select(func.count(Correction.id)))
            return Counts(
                videos=session.scalar(select(func.count(Video.id))) or 0,
                items=session.scalar(select(func.count(Item.id))) or 0,
                runs=session.scalar(select(func.count(ModelRun.id))) or 0,
                revisions=session.scalar(select(func.count(Revision.id))) or 0,
                items_by_task=grouped(session, Item.task, select(func.count(Item.id))),
                items_by_source=grouped(
                    session, Video.source, select(func.count(Item.id)).join(Item.video)
                ),
                corrections_by_status=grouped(session, Revision.status, corrections),
                corrections_by_task=grouped(session, Item.task, corrections),
                corrections_by_annotator=grouped(session, Correction.annotator, corrections),
            )

        return self._read(work)


# --- query helpers (module-level so each fits on a screen) ------------------------------------


def _maybe(make: Callable[[Any], T], row: Any) -> T | None:
    return None if row is None else make(row)


_NAMES = {Video: "video", Item: "item", ModelRun: "model run", Revision: "revision", Pin: "pin"}


def _need(session: Session, model: type[T], key: int) -> T:
    """The row with this primary key, or NotFound naming what is missing."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"no {_NAMES.get(model, 'row')} {key}")
    return row


def _get_video(session: Session, source: str, name: str) -> Video:
    video = session.scalars(select(Video).filter_by(source=source, name=name)).first()
    if video is None:
        video = Video(source=source, name=name)
        session.add(video)
        session.flush()
    return video


def _chunks(values: list[T], size: int = 500) -> Iterable[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _upsert_all(session: Session, specs: list[ItemSpec]) -> list[str]:
    """Upsert in bulk: load the videos and items involved with a few queries, flush once."""
    names = sorted({spec.video for spec in specs})
    videos: dict[tuple[str, str], Video] = {}
    for chunk in _chunks(names):
        for video in session.scalars(select(Video).where(Video.name.in_(chunk))):
            videos[(video.source, video.name)] = video
    for spec in specs:
        if (spec.source, spec.video) not in videos:
            videos[(spec.source, spec.video)] = video = Video(source=spec.source, name=spec.video)
            session.add(video)
    session.flush()
    ids = sorted({video.id for video in videos.values()})
    items: dict[tuple[int, str, str], Item] = {}
    for chunk in _chunks(ids):
        for item in session.scalars(select(Item).where(Item.video_id.in_(chunk))):
            items[(item.video_id, item.task, item.key)] = item
    outcomes = [_upsert(session, spec, videos[(spec.source, spec.video)], items) for spec in specs]
    session.flush()
    return outcomes


def _upsert(
    session: Session, spec: ItemSpec, video: Video, items: dict[tuple[int, str, str], Item]
) -> str:
    if spec.video_path is not None:
        video.path = spec.video_path
    if spec.content_hash is not None:
        video.content_hash = spec.content_hash
    if spec.duration is not None:
        video.duration, video.fps = spec.duration, spec.fps
    fields = convert.spec_fields(spec)
    item = items.get((video.id, spec.task, spec.key))
    if item is None:
        item = items[(video.id, spec.task, spec.key)] = Item(
            video_id=video.id, task=spec.task, key=spec.key, **fields
        )
        session.add(item)
        return "created"
    if convert.item_fields(item) == fields:
        return "unchanged"
    for key, value in fields.items():
        setattr(item, key, value)
    return "updated"


def _scope(query: Select[Any], task: str | None, source: str | None) -> Select[Any]:
    if task is not None:
        query = query.where(Item.task == check_task(task))
    if source is not None:
        query = query.join(Video, Item.video_id == Video.id).where(Video.source == source)
    return query


def _current_join(query: Select[Any], annotator: str | None = None) -> Select[Any]:
    """Join items to each correction's current revision (the one numbered `head`)."""
    query = (
        query.select_from(Item)
        .join(Correction, Correction.item_id == Item.id)
        .join(
            Revision,
            (Revision.correction_id == Correction.id) & (Revision.number == Correction.head),
        )
    )
    if annotator is not None:
        query = query.where(Correction.annotator == annotator)
    return query


def _item_filter(
    query: Select[Any],
    task: str | None,
    source: str | None,
    status: str | None,
    annotator: str | None,
) -> Select[Any]:
    query = _scope(query.select_from(Item), task, source)
    if status is None and annotator is None:
        return query
    current = _current_join(select(Correction.item_id), annotator)
    if status is not None:
        current = current.where(Revision.status == check_status(status))
    return query.where(Item.id.in_(current))


def _fresh_items(annotator: str, task: str | None, source: str | None) -> Select[Any]:
    """Items `annotator` has not touched, least-corrected first."""
    mine = exists().where(Correction.item_id == Item.id, Correction.annotator == annotator)
    taken = (
        select(func.count(Correction.id))
        .where(Correction.item_id == Item.id)
        .correlate(Item)
        .scalar_subquery()
    )
    return _scope(select(Item).where(~mine), task, source).order_by(taken, Item.id)


def _get_correction(session: Session, item_id: int, annotator: str) -> Correction:
    correction = session.scalars(
        select(Correction).filter_by(item_id=item_id, annotator=annotator)
    ).first()
    if correction is None:
        # A concurrent first save by the same annotator (PostgreSQL) makes this flush fail
        # on the unique constraint; the whole transaction is then retried and finds the row.
        correction = Correction(item_id=item_id, annotator=annotator, head=0)
        session.add(correction)
        session.flush()
    return correction


def _append(
    session: Session,
    correction: Correction,
    edit: Edit,
    status: str,
    *,
    author: str,
    **extra: Any,
) -> Revision:
    """Add the next revision (all fields at once: rows are immutable after the INSERT).

    The atomic increment of `head` numbers concurrent saves to one correction without gaps.
    """
    number = session.execute(
        update(Correction)
        .where(Correction.id == correction.id)
        .values(head=Correction.head + 1)
        .returning(Correction.head)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(correction, "head", number)
    revision = convert.new_revision(correction.id, number, edit, status, author, **extra)
    session.add(revision)
    session.flush()
    return revision


def _revision_and_correction(session: Session, revision_id: int) -> tuple[Revision, Correction]:
    revision = _need(session, Revision, revision_id)
    return revision, _need(session, Correction, revision.correction_id)


def scan_key(settings: dict[str, Any]) -> str:
    """The digest that finds a scan again: its settings, whatever their order."""
    text = json.dumps(settings, sort_keys=True, allow_nan=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _check_json(what: str, value: Any) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{what} must be JSON data (no NaN or objects): {error}") from None
