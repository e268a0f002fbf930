"""The Studio as plain functions for API and MCP callers: list videos, run or scan, score.

No Gradio here (app/api.py wires these as endpoints and MCP tools). Each takes and returns
JSON-shaped values: an agent names a video the Studio has, not a file on its own disk, and
hands predictions over as JSON Lines text, not an upload.
"""

from __future__ import annotations

import tempfile
import threading
from collections import deque
from pathlib import Path

from annotate.errors import InvalidInput
from app import evaluation, runs, scans
from app.services import Studio
from app.state import Session
from inference.errors import VideoError


def video_list(studio: Studio) -> list[dict]:
    """Every video on this machine the Studio can run on: name, seconds, tasks with truth."""
    found = []
    for video in studio.store.located_videos():
        if not video.path or not Path(video.path).is_file():
            continue
        tasks = sorted({item.task for item in studio.store.items_for_video(video.id)})
        found.append({"video": video.name, "duration_s": video.duration, "tasks": tasks})
    return found


def session_for(studio: Studio, name: str, task: str) -> Session:
    """A session on the stored video called `name`; InvalidInput naming the choices if none."""
    video = studio.store.find_video(name.strip())
    if video is None or not video.path:
        known = ", ".join(v["video"] for v in video_list(studio)[:8])
        raise InvalidInput(f"no video called {name!r} in this Studio; some it has: {known}")
    if not Path(video.path).is_file():
        raise VideoError(f"{video.name}'s file is not on this machine")
    return Session(
        video=video.path, video_id=video.id, duration=video.duration, fps=video.fps, task=task
    )


def run_video(
    studio: Studio,
    name: str,
    task: str,
    think: bool,
    question: str | None = None,
    options: list[str] | None = None,
    who: str | None = None,
) -> dict:
    """Run the loaded model on a stored video to the end (recorded like a run in the page)."""
    request = runs.RunRequest(
        task=task, think=think, question=question or None, options=tuple(options or ()) or None
    ).checked()  # the page's own refusals (unknown task, QA without options) before any lookup
    session = session_for(studio, name, task)
    # Only the last update matters: it holds the finished run (each update repeats the text).
    last = deque(runs.run_model(studio, session, request, threading.Event(), who), maxlen=1)
    done = last[0].session if last else session
    if done.result is None:
        raise InvalidInput(last[0].message if last else "the run made no result")
    return {
        "video": name,
        "task": task,
        "checkpoint": done.checkpoint,
        "run_id": done.run_id,
        **done.result.to_dict(),
    }


def scan_video(studio: Studio, name: str, who: str | None = None) -> dict:
    """The loaded model's anomaly score curve over a stored video: the stored scan by this
    model with the Studio's settings when there is one, else a new scan (stored like the
    page's)."""
    session = scans.with_stored_scan(studio, session_for(studio, name, "grounding"))
    stored = session.scan is not None
    if not stored:
        session, _ = scans.scan_video(studio, session, who)
    record = next(s for s in studio.store.scans(session.video_id) if s.id == session.scan.scan_id)
    return {
        "video": name,
        "checkpoint": record.checkpoint,
        "scan_id": record.id,
        "stored": stored,
        "interval": list(record.interval) if record.interval else None,
        "segments": record.segments,
        "threshold": record.settings.get("threshold"),
        "curve": record.curve,
    }


def score_text(studio: Studio, truth: str | None, task: str, predictions: str) -> dict:
    """Score predictions given as JSON Lines text against one of the Studio's truth CSVs
    (by file name; none: the bundled samples')."""
    if not predictions.strip():
        raise InvalidInput("predictions are empty: pass the predictions file's JSON Lines")
    truth = truth or Path(studio.settings.samples or "").name
    with tempfile.TemporaryDirectory(prefix="vau-score-") as folder:
        path = Path(folder) / "predictions.jsonl"
        path.write_text(predictions, encoding="utf-8")
        figures = evaluation.evaluate(studio, truth, task, [str(path)])
    return {
        "figures": [dict(zip(figures.headers, row, strict=True)) for row in figures.rows],
        "notes": figures.notes,
    }
