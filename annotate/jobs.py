"""Training jobs in the annotation store: the Studio's runner (app.training_jobs) adds them,
moves them through their states, and a restarted Studio reads them back."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import select

from annotate.errors import InvalidInput, NotFound
from annotate.records import TrainingJobRecord
from annotate.schema import ENDED_JOB_STATES, JOB_STATES, TrainingJob, utcnow
from annotate.store import Store, _check_json

CHANGEABLE = ("stage", "state", "pid", "message", "started_at", "ended_at", "data")


def _record(row: TrainingJob) -> TrainingJobRecord:
    return TrainingJobRecord(**{f.name: getattr(row, f.name) for f in fields(TrainingJobRecord)})


def add_job(
    store: Store,
    *,
    name: str,
    recipe: str,
    base: str,
    stages: list[dict[str, Any]],
    data: dict[str, Any],
    settings: dict[str, Any],
    created_by: str,
) -> TrainingJobRecord:
    """Queue a new job."""
    for what, value in (("stages", stages), ("data", data), ("settings", settings)):
        _check_json(what, value)
    if not stages:
        raise InvalidInput("a training job needs at least one stage")

    def work(session) -> TrainingJobRecord:
        row = TrainingJob(name=name, recipe=recipe, base=base, stages=stages, stage=0, data=data,
                          settings=settings, state="queued", message="queued",
                          created_by=created_by)  # fmt: skip
        session.add(row)
        session.flush()
        return _record(row)

    return store._write(work)


def update_job(store: Store, job_id: int, **changes: Any) -> TrainingJobRecord:
    """Change a job's progress fields (CHANGEABLE) and return it; an ended state stamps ended_at."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidInput(f"a job's {', '.join(unknown)} cannot change")
    if "state" in changes and changes["state"] not in JOB_STATES:
        raise InvalidInput(f"unknown job state {changes['state']!r}")
    if changes.get("state") in ENDED_JOB_STATES:
        changes.setdefault("ended_at", utcnow())
        changes.setdefault("pid", None)

    def work(session) -> TrainingJobRecord:
        row = session.get(TrainingJob, job_id)
        if row is None:
            raise NotFound(f"no training job {job_id}")
        for key, value in changes.items():
            setattr(row, key, value)
        session.flush()
        return _record(row)

    return store._write(work)


def get_job(store: Store, job_id: int) -> TrainingJobRecord:
    """One job; NotFound when there is none."""

    def work(session) -> TrainingJobRecord:
        row = session.get(TrainingJob, job_id)
        if row is None:
            raise NotFound(f"no training job {job_id}")
        return _record(row)

    return store._read(work)


def list_jobs(store: Store, *, states: tuple[str, ...] | None = None) -> list[TrainingJobRecord]:
    """Jobs, oldest first (the queue's order), optionally only those in `states`."""
    query = select(TrainingJob).order_by(TrainingJob.id)
    if states is not None:
        query = query.where(TrainingJob.state.in_(states))
    return store._read(lambda s: [_record(r) for r in s.scalars(query)])
