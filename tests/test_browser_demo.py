"""A stakeholder in a real browser: the Space's landing page replays a recorded run.

The runs were recorded beforehand (app.record, with the scripted engine standing in for a
trained checkpoint's words); the Studio serving the page has no model, no GPU and no network.
"""

from __future__ import annotations

import time

import pytest

from annotate.store import Store
from app import record
from app.items import import_samples
from app.runtime import ModelSlot
from app.services import Studio
from tests.app_helpers import SCRIPTED, ScriptedEngine, launch, studio_settings
from tests.browser import (
    NEEDS_BROWSER,
    browser_page,
    lane_bars,
    picture,
    timeline_traces,
    wait_for_text,
    wait_for_trace,
)

pytestmark = NEEDS_BROWSER


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    settings = studio_settings(
        tmp_path_factory.mktemp("space"), landing="demo", replay_cps=150, model=None
    )
    studio = Studio(settings, Store(settings.db_url), ModelSlot(ScriptedEngine(), SCRIPTED))
    import_samples(studio)
    record.record(studio, tasks=("grounding",), say=lambda _: None)
    studio.store.close()
    demo, url = launch(settings)  # a fresh Studio on that database, without any model
    yield demo, url
    demo.close()


def test_a_stakeholder_sees_a_recorded_run_at_once_and_steps_through_it(space):
    demo, url = space
    assert demo.studio.models.engine is None
    started = time.monotonic()
    with browser_page(url, ready="#demo-gallery") as page:
        wait_for_text(page, "demo-badge", "RECORDED")
        page.wait_for_selector("#demo-player video")
        wait_for_text(page, "demo-steps", "Step 1 of 3")
        print(f"landing page to a replayed run: {time.monotonic() - started:.1f} s")
        assert SCRIPTED in page.inner_text("#demo-badge")
        assert "Model: 6.0–12.0 s" in timeline_traces(page, "demo-timeline")
        assert "Ground truth: 8.0–15.0 s" in timeline_traces(page, "demo-timeline")  # the fall

        thumbnails = page.locator("#demo-gallery button.thumbnail-item")
        thumbnails.filter(has_text="sample_fight.mp4").click()
        page.wait_for_selector("#demo-steps .vau-live")  # the text arrives at reading speed
        wait_for_text(page, "demo-steps", "Step 1 of 3")
        # the fight's own truth: this is the video that was picked
        wait_for_trace(page, "demo-timeline", "Ground truth: 6.0–12.0 s")
        assert "Fighting" in page.inner_text("#demo-result")
        page.click("#demo-next")
        wait_for_text(page, "demo-steps", "Step 2 of 3")
        assert "From 6.0 to 12.0 seconds" in page.inner_text("#demo-steps mark")
        page.wait_for_function(
            "Math.abs(document.querySelector('#demo-player video').currentTime - 6.0) < 0.3"
        )
        picture(page, "demo.png")

        page.click("#demo-open")  # a correction is one click away
        wait_for_text(page, "save-msg", "Opened from the demo")
        page.wait_for_selector("#player video")
        assert lane_bars(page, "Model") == ["Model: 6.0–12.0 s"]


def test_skip_shows_the_whole_reasoning_at_once(space, monkeypatch):
    demo, url = space
    monkeypatch.setattr(demo.studio, "settings", replace_cps(demo.studio.settings, 5))
    with browser_page(url, ready="#demo-gallery") as page:
        wait_for_text(page, "demo-steps", "Step 1 of 3")
        page.click("#demo-replay")
        page.wait_for_selector("#demo-steps .vau-live")
        page.click("#demo-skip")
        wait_for_text(page, "demo-steps", "Step 1 of 3")  # 5 chars/s would take a minute


def test_a_pick_during_a_replay_opens_the_picked_video_at_once(space, monkeypatch):
    demo, url = space
    monkeypatch.setattr(demo.studio, "settings", replace_cps(demo.studio.settings, 5))
    with browser_page(url, ready="#demo-gallery") as page:
        wait_for_text(page, "demo-steps", "Step 1 of 3")
        thumbnails = page.locator("#demo-gallery button.thumbnail-item")
        thumbnails.filter(has_text="sample_fire.mp4").click()  # typed at 5 chars/s: a minute
        page.wait_for_selector("#demo-steps .vau-live")
        # The fire is on screen before the next pick. Two picks inside one redraw are Gradio's
        # to order: on a loaded machine its Plot and Video, handed a second value before the
        # first is drawn, were seen to keep the first video and mix the two figures.
        wait_for_trace(page, "demo-timeline", "Ground truth: 9.0–22.0 s")
        thumbnails.filter(has_text="sample_fight.mp4").click()  # while the fire's still types
        # the fight's own truth: the picked video is on screen, well before the fire's minute
        wait_for_trace(page, "demo-timeline", "Ground truth: 6.0–12.0 s", timeout_ms=30_000)
        page.wait_for_function(
            "document.querySelector('#demo-player video').src.includes('sample_fight')"
        )
        page.click("#demo-skip")  # the fight's replay, not the fire's, reaches its steps
        wait_for_text(page, "demo-steps", "Step 1 of 3")
        assert "Fighting" in page.inner_text("#demo-result")
        time.sleep(1.5)  # the fire's replay, taken over, never writes again
        assert "Fighting" in page.inner_text("#demo-result")
        assert "Ground truth: 6.0–12.0 s" in timeline_traces(page, "demo-timeline")


def replace_cps(settings, cps: float):
    from dataclasses import replace

    return replace(settings, replay_cps=cps)


def test_a_fresh_space_shows_the_reference_annotation_labelled_as_such(tmp_path):
    settings = studio_settings(tmp_path, landing="demo", replay_cps=0)
    demo, url = launch(settings)  # nothing recorded yet, no model
    try:
        with browser_page(url, ready="#demo-gallery") as page:
            badge = wait_for_text(page, "demo-badge", "REFERENCE")
            assert "no model run has been recorded" in badge and "RECORDED" not in badge
            wait_for_text(page, "demo-steps", "Step 1 of 6")
            traces = timeline_traces(page, "demo-timeline")
            assert "Ground truth: 8.0–15.0 s" in traces
            assert not any(t.startswith("Model") for t in traces)  # no model said anything
            picture(page, "demo-reference.png")
    finally:
        demo.close()


def test_the_highlighted_step_of_a_long_reasoning_stays_in_view(space):
    from app.demo import RECORDER
    from inference.core.parse import parse_response

    demo, url = space
    store = demo.studio.store
    fire = next(i for i in store.list_items(task="grounding") if i.video.name == "sample_fire.mp4")
    steps = [
        f"{n}. At {n}.0 s the smoke thickens over the parked car; "
        + "the flames spread along the roof and nobody comes near it. " * 3
        for n in range(1, 9)
    ]
    raw = "<think>" + "\n".join(steps) + "</think><answer>Anomaly</answer><glue>[9.0, 22.0]</glue>"
    parsed = parse_response(raw, "grounding").to_dict()
    store.record_run(fire.id, checkpoint=SCRIPTED, settings={}, raw=raw, parsed=parsed,
                     created_by=RECORDER)  # fmt: skip
    with browser_page(url, ready="#demo-gallery") as page:
        thumbnails = page.locator("#demo-gallery button.thumbnail-item")
        thumbnails.filter(has_text="sample_fire.mp4").click()
        page.click("#demo-skip")
        wait_for_text(page, "demo-steps", "Step 1 of 8")
        for n in range(2, 8):
            page.click("#demo-next")
            wait_for_text(page, "demo-steps", f"Step {n} of 8")
        page.wait_for_function(  # the mark sits inside the box's visible part
            "() => { const box = document.querySelector('#demo-steps .vau-text');"
            " const mark = box.querySelector('mark.vau-current');"
            " const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();"
            " return box.scrollTop > 0 && m.top >= b.top - 1 && m.bottom <= b.bottom + 1; }",
            timeout=5_000,
        )


def test_every_gallery_caption_is_shown_whole(space):
    _, url = space
    with browser_page(url, ready="#demo-gallery") as page:
        page.wait_for_selector("#demo-gallery .caption-label")
        cut = page.evaluate(
            "Array.from(document.querySelectorAll('#demo-gallery .caption-label'))"
            ".filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)"
        )
        assert cut == []
