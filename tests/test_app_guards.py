"""Guard rails for a public Studio: video length on upload and live runs per user per hour."""

from __future__ import annotations

import threading

import pytest

from annotate.store import Store
from app import items, runs
from app.runs import RunRequest
from app.runtime import ModelSlot, RateLimited, RunLimiter
from app.services import Studio
from app.settings import Settings, SettingsError, from_sources
from inference.errors import VideoError
from tests.app_helpers import ROOT, ScriptedEngine

FIGHT = ROOT / "assets" / "samples" / "sample_fight.mp4"  # 18 s long


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_limit_allows_any_number_of_runs():
    limiter = RunLimiter(0)
    for _ in range(1000):
        limiter.take("ann")


def test_a_user_past_the_limit_is_told_when_the_next_run_is_free():
    clock = Clock()
    limiter = RunLimiter(2, clock)
    limiter.take("ann")
    clock.now = 600
    limiter.take("ann")
    with pytest.raises(
        RateLimited, match="all 2 live runs of this hour; the next one is free in 50 min"
    ):
        limiter.take("ann")


def test_each_user_has_their_own_allowance():
    limiter = RunLimiter(1, Clock())
    limiter.take("ann")
    limiter.take("bob")
    with pytest.raises(RateLimited):
        limiter.take("ann")


def test_runs_older_than_an_hour_stop_counting():
    clock = Clock()
    limiter = RunLimiter(1, clock)
    limiter.take("ann")
    clock.now = 3600
    limiter.take("ann")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"VAU_MAX_VIDEO_S": "-1"}, "--max-video-s"),
        ({"VAU_RUNS_PER_HOUR": "-2"}, "--runs-per-hour"),
    ],
)
def test_negative_limits_are_refused(env, expected):
    with pytest.raises(SettingsError, match=expected):
        from_sources([], env)


@pytest.fixture
def guarded(tmp_path):
    def make(**limits) -> Studio:
        settings = Settings(
            db_url=f"sqlite:///{tmp_path / 'studio.db'}",
            uploads=str(tmp_path / "uploads"),
            exports=str(tmp_path / "exports"),
            **limits,
        )
        return Studio(settings, Store(settings.db_url), ModelSlot(ScriptedEngine(), "scripted"))

    return make


def test_an_upload_longer_than_the_limit_is_refused_and_not_kept(guarded, tmp_path):
    studio = guarded(max_video_s=10.0)
    with pytest.raises(VideoError, match="is 18 s long; this Studio accepts videos up to 10 s"):
        items.open_upload(studio, str(FIGHT), "grounding")
    assert not (tmp_path / "uploads").exists()


def test_an_upload_within_the_limit_opens(guarded):
    studio = guarded(max_video_s=60.0)
    session = items.open_upload(studio, str(FIGHT), "grounding")
    assert session.duration == pytest.approx(18.0, abs=0.2)


def test_run_model_stops_a_user_at_the_hourly_limit(guarded):
    studio = guarded(runs_per_hour=1)
    session = items.open_upload(studio, str(FIGHT), "grounding")
    request = RunRequest(task="grounding", max_frames=8)
    *_, done = runs.run_model(studio, session, request, threading.Event(), "ann")
    assert done.done
    with pytest.raises(RateLimited):
        list(runs.run_model(studio, done.session, request, threading.Event(), "ann"))


def _quota_exhausted(*args, **kwargs):
    """What spaces.GPU raises when the visitor's ZeroGPU quota is spent."""
    import gradio as gr

    raise gr.Error(
        "You have exceeded your free ZeroGPU quota (54s requested vs. 3s left). Try again in "
        "0:07:12.",
        title="ZeroGPU quota exceeded",
        print_exception=False,
    )
    yield  # a generator, like the real entry


def test_an_exhausted_gpu_quota_is_a_clear_message_and_nothing_is_stored(guarded, monkeypatch):
    from app.gpu import GpuUnavailable

    studio = guarded()
    monkeypatch.setattr(runs, "generate", _quota_exhausted)
    session = items.open_upload(studio, str(FIGHT), "grounding")
    request = RunRequest(task="grounding", max_frames=8)
    with pytest.raises(
        GpuUnavailable, match=r"GPU quota is used up for now .*Try again in 0:07:12"
    ):
        list(runs.run_model(studio, session, request, threading.Event(), "ann"))
    assert studio.store.counts().runs == 0
    monkeypatch.undo()  # the quota comes back: the next run works
    *_, done = runs.run_model(studio, session, request, threading.Event(), "ann")
    assert done.done and studio.store.counts().runs == 1


def test_the_studio_shows_the_quota_message_in_the_run_status(tmp_path, monkeypatch):
    from gradio_client import Client

    from tests.app_helpers import call, item_id, launch, studio_settings

    monkeypatch.setattr(runs, "generate", _quota_exhausted)
    demo, url = launch(studio_settings(tmp_path, model="scripted"), engine=ScriptedEngine())
    try:
        client = Client(url, verbose=False)
        call(client, "open_item", item_id(demo, "sample_fight.mp4", "grounding"), "ann")
        out = call(client, "run", "grounding", True, 2.0, 8, "", "", "", "", "", "ann")
        assert "GPU quota is used up for now" in out["Run status"]
        assert "Demo tab still replay" in out["Run status"]
    finally:
        demo.close()
