"""The Review tab's work: the queue of submitted corrections, decisions, and rubric scores."""

from __future__ import annotations

from collections.abc import Sequence

from annotate.errors import InvalidInput
from annotate.records import ItemRecord, RevisionRecord, RunRecord
from app.items import video_of, with_run
from app.scans import with_scan_of
from app.services import Studio
from app.state import Session
from inference.models.loading import display_name


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
    return [(_run_label(by_id[r.item_id], r), r.id) for r in ordered]


def _run_label(item: ItemRecord, run: RunRecord) -> str:
    """A run as a picker names it: its video, its model and when it ran (no store ids)."""
    when = run.created_at.strftime("%Y-%m-%d %H:%M")
    return f"{item.video.name} · {display_name(run.checkpoint)} · {when}"


def score_description(studio: Studio, run_id: int, reviewer: str, scores: Sequence) -> str:
    """Store a reviewer's five VAU-Eval scores (in CRITERIA order); the confirmation line."""
    from inference.core.rubric import KEYS

    values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in scores]
    record = studio.store.score_description(
        int(run_id), reviewer, dict(zip(KEYS, values, strict=False))
    )
    total = sum(record.scores.values())
    model = display_name(record.run.checkpoint)
    return f"Saved {reviewer}'s scores for {model}'s description of {record.video}: {total}/50."


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
    session = with_run(session, runs[0]) if runs else session
    return item, revision, with_scan_of(studio, session, session.checkpoint)


def run_with_item(studio: Studio, run_id: int) -> tuple[ItemRecord, RunRecord]:
    """A model run and the item it ran on."""
    run = studio.store.get_run(run_id)
    return studio.store.get_item(run.item_id), run
