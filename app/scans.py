"""Scanning a video from the Studio: the model's anomaly score curve, stored per (video,
checkpoint, settings) and shown on the timeline's Score lane; a stored scan reopens without
running. No Gradio here (app.tabs.studio.run wires the Scan button).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from annotate.records import ScanRecord
from app.gpu import (
    generation_seconds,
    gpu_task,
    held,
    hold,
    in_worker,
    release,
    settle_in_worker,
)
from app.runs import engine_facts, engine_for
from app.services import Studio
from app.state import ScanShown, Session
from inference.core.tasks import DEFAULT_FPS, DEFAULT_MAX_FRAMES, PIXEL_KEYS
from inference.errors import ModelUnavailable, VideoError

SCAN_FPS = DEFAULT_FPS["grounding"]  # windows need grounding's time resolution
SCAN_GPU_TOKENS = 64  # a scan's GPU time, asked as if it generated this many tokens


def scan_settings(studio: Studio) -> dict[str, Any]:
    """What a scan from the Studio asks for: the scan's own settings, its question and the
    sampling (the pixel bounds runs use); also the key a stored scan is found by."""
    from inference.scan.reply import QUESTION
    from inference.scan.windows import ScanSettings

    return asdict(ScanSettings()) | {
        "question": QUESTION,
        "fps": SCAN_FPS,
        "max_frames": DEFAULT_MAX_FRAMES,
        **studio.pixels(),
    }


def shown(scan: ScanRecord) -> ScanShown:
    """A stored scan as the timeline draws it."""
    frames = sorted({float(t) for w in scan.windows for t in w.get("frames") or ()})
    return ScanShown(
        scan_id=scan.id,
        checkpoint=scan.checkpoint,
        curve=tuple((float(t), float(v)) for t, v in scan.curve),
        threshold=float(scan.settings.get("threshold", 0.0)),
        interval=scan.interval,
        frames=tuple(frames),
    )


def with_stored_scan(studio: Studio, session: Session) -> Session:
    """The session with its video's stored scan: the serving model's with today's settings,
    else (no model loaded) the video's newest scan by any checkpoint; None when there is none."""
    if session.video_id is None:
        return replace(session, scan=None)
    _, name = studio.models.serving()
    if name:
        found = studio.store.latest_scan(session.video_id, name, scan_settings(studio))
    else:
        found = next(iter(studio.store.scans(session.video_id)), None)
    return replace(session, scan=shown(found) if found else None)


def with_scan_of(studio: Studio, session: Session, checkpoint: str | None) -> Session:
    """The session with its video's newest stored scan by `checkpoint` (the run shown), else
    by any checkpoint; the Review and Demo players draw it without a model."""
    if session.video_id is None:
        return session
    stored = studio.store.scans(session.video_id)
    found = next((s for s in stored if s.checkpoint == checkpoint), None) or next(
        iter(stored), None
    )
    return replace(session, scan=shown(found) if found else None)


def _gpu_seconds(key: int, clip, settings, question: str) -> float:
    return generation_seconds(clip.num_frames, SCAN_GPU_TOKENS)


def scan_held(key: int, clip, settings, question: str):
    """Scan with the held engine (in a ZeroGPU worker on a Space)."""
    from inference.scan.scanner import scan_clip

    engine, _ = held(key)
    if in_worker(key):
        settle_in_worker()
    return scan_clip(engine, clip, settings, question)


scan_on_gpu = gpu_task(_gpu_seconds)(scan_held)


def scan_video(studio: Studio, session: Session, who: str | None) -> tuple[Session, ScanRecord]:
    """Scan the session's video with the model in service and store the scan; the session
    then shows it. VideoError without a video file, ModelUnavailable without a model."""
    from inference.scan.windows import ScanSettings
    from inference.video.cache import cached_sample_video

    if not session.video or session.video_id is None:
        raise VideoError("this item's video file is not on this machine; upload it to scan")
    engine, checkpoint = engine_for(studio.models)
    if not hasattr(engine, "reply_probabilities"):
        raise ModelUnavailable(f"{checkpoint} cannot scan: it gives no token probabilities")
    wanted = scan_settings(studio)  # sampled exactly as its stored key says
    pixels = {key: wanted[key] for key in PIXEL_KEYS}
    options = studio.sampling(wanted["fps"], wanted["max_frames"], pixels)
    clip = cached_sample_video(session.video, options)
    studio.limiter.take(who or "anonymous")
    settings = ScanSettings(**{k: wanted[k] for k in asdict(ScanSettings())})
    key = hold(engine, None)
    try:
        runner = scan_on_gpu if getattr(engine, "runs_here", True) else scan_held
        result = runner(key, clip, settings, wanted["question"])
    finally:
        release(key)
    record = studio.store.record_scan(
        session.video_id,
        checkpoint=checkpoint,
        settings=wanted,
        scan=result.to_dict(),
        engine=engine_facts(engine),
        created_by=who,
    )
    return replace(session, scan=shown(record)), record


def scan_message(record: ScanRecord) -> str:
    """The status line after a scan: what it proposes, and how long it took."""
    found = record.interval
    said = f"anomaly {found[0]:.1f}–{found[1]:.1f} s" if found else "no anomaly (Normal)"
    seconds = record.timings.get("score_s", 0.0)
    windows = record.timings.get("windows", len(record.windows))
    return (
        f"Scanned with {record.checkpoint}: {said} (threshold "
        f"{record.settings.get('threshold', 0):g}); {windows} windows in {seconds:.1f} s."
    )
