"""The Score lane in a real browser: the world model's scan is drawn under the Model lane, a
hover reads the score at the pointer, a click seeks the player there."""

from __future__ import annotations

import pytest

from tests.app_helpers import world_studio
from tests.browser import (
    NEEDS_BROWSER,
    browser_page,
    fill,
    pick,
    picture,
    wait_for_player_time,
    wait_for_text,
)

pytestmark = NEEDS_BROWSER


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    demo, url, item, video = world_studio(tmp_path_factory.mktemp("browser-scan"))
    yield demo, url
    demo.close()


def x_of(page, seconds: float) -> tuple[float, float]:
    """The page point of `seconds` on the Score lane."""
    track = page.locator('#timeline [data-lane="Score"] .vt-track').bounding_box()
    span = float(page.eval_on_selector("#timeline .vt", "e => e.dataset.span"))
    return track["x"] + track["width"] * seconds / span, track["y"] + track["height"] / 2


def test_the_score_lane_reads_on_hover_and_seeks_on_click(studio):
    with browser_page(studio[1]) as page:
        fill(page, "annotator", "ann")
        pick(page, "item-picker", "world_2000002.mp4 · Grounding")
        page.wait_for_selector("#player video")
        page.click("#scan-btn")
        wait_for_text(page, "run-msg", "Scanned with world: anomaly")
        page.wait_for_selector('#timeline [data-lane="Score"] .vt-curve polyline')
        page.mouse.move(*x_of(page, 14.0))
        readout = page.locator("#timeline .vt-readout")
        readout.filter(has_text="score").wait_for()
        score, at = readout.inner_text().removeprefix("score ").split(" at ")
        assert float(score) > 0.8 and abs(float(at.removesuffix(" s")) - 14.0) < 1.0
        page.mouse.move(*x_of(page, 2.0))
        readout.filter(has_text="score 0.5").wait_for()  # the calm street before the fire
        page.mouse.click(*x_of(page, 12.0))
        wait_for_player_time(page, 12.0, tolerance=0.2)
        picture(page, "score-lane.png", around=("#player", "#timeline"))
