"""The timeline is where intervals are made: a real browser drags, draws, clicks and steps.

The model's words are scripted (tests.app_helpers.ScriptedEngine); the page, its scripts
(assets/timeline.js, assets/keys.js), the sample videos and the store are the real ones.
"""

from __future__ import annotations

import pytest

from tests.app_helpers import item_id, scripted_studio
from tests.browser import (
    NEEDS_BROWSER,
    browser_page,
    fill,
    lane_bars,
    open_item,
    picture,
    player_time,
    take_model_answer,
    value_of,
    wait_for_number,
    wait_for_player_time,
    wait_for_text,
)

pytestmark = NEEDS_BROWSER
SAMPLE_FPS = 10.0  # every bundled sample (assets/make_samples.py)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    demo, url = scripted_studio(tmp_path_factory.mktemp("timeline"))
    yield demo, url
    demo.close()


def x_of(page, lane: str, seconds: float) -> tuple[float, float]:
    """The page point of `seconds` on a lane of the timeline."""
    track = page.locator(f'#timeline [data-lane="{lane}"] .vt-track').bounding_box()
    span = float(page.eval_on_selector("#timeline .vt", "e => e.dataset.span"))
    return track["x"] + track["width"] * seconds / span, track["y"] + track["height"] / 2


def click_at(page, seconds: float, lane: str = "Model") -> None:
    """Click a lane at `seconds` and wait for the player to get there."""
    page.mouse.click(*x_of(page, lane, seconds))
    wait_for_player_time(page, seconds, tolerance=0.15)


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()


def grip(page, edge: str) -> tuple[float, float]:
    box = page.locator(f'#timeline .vt-yours .vt-grip[data-edge="{edge}"]').bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_dragging_an_edge_of_yours_sets_the_field_and_saves(studio):
    demo, url = studio
    with browser_page(url) as page:
        open_item(page, "drag-edge", "sample_fight.mp4")
        assert lane_bars(page, "Yours") == ["Yours: 6.0–12.0 s"]  # from the ground truth
        drag(page, grip(page, "end"), x_of(page, "Yours", 14.0))
        wait_for_number(page, "fix-end", 14.0)
        assert float(value_of(page, "fix-start")) == 6.0
        page.wait_for_selector('#timeline .vt-yours[title="Yours: 6.0–14.0 s"]')
        page.click("#save-btn")
        wait_for_text(page, "save-msg", "Saved draft")
    revision = demo.studio.store.current(
        item_id(demo, "sample_fight.mp4", "grounding"), "drag-edge"
    )
    assert revision.interval == (6.0, 14.0)


def test_a_drag_never_leaves_the_video(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "drag-far", "sample_fall.mp4")
        far = page.locator("#timeline .vt").bounding_box()
        drag(page, grip(page, "end"), (far["x"] + far["width"] + 200, x_of(page, "Yours", 0)[1]))
        wait_for_number(page, "fix-end", 20.0)
        drag(page, grip(page, "start"), x_of(page, "Yours", 25.0))  # past its own end
        wait_for_number(page, "fix-start", 19.9)


def test_a_fresh_page_draws_no_interval_of_yours(studio):
    _, url = studio
    with browser_page(url) as page:
        page.wait_for_selector("#timeline .vt")
        page.wait_for_timeout(500)  # the lane follows the fields every few frames
        assert page.locator("#timeline .vt-yours").count() == 0


def test_empty_times_and_revision_fields_read_empty_not_0(studio):
    _, url = studio
    with browser_page(url) as page:
        page.get_by_role("tab", name="Studio").click()
        page.get_by_text("Revision history").click()
        page.wait_for_selector("#restore-no input")
        assert [value_of(page, f) for f in ("fix-start", "fix-end", "restore-no")] == ["", "", ""]
        open_item(page, "no-anomaly", "sample_fight.mp4")
        page.wait_for_function("document.querySelector('#fix-start input').value == '6'")
        page.click("#no-anomaly")  # Normal: no interval, so no times
        page.wait_for_function("document.querySelector('#fix-start input').value === ''")
        assert value_of(page, "fix-end") == ""


@pytest.mark.parametrize(("start", "end"), [("-5", "10"), ("5", "30"), ("1e12", "15")])
def test_an_impossible_typed_interval_stays_on_its_lane(studio, start, end):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, f"typist{start}", "sample_fall.mp4")
        fill(page, "fix-start", start)
        fill(page, "fix-end", end)
        page.wait_for_selector("#timeline .vt-yours.vt-outside")
        track = page.locator('#timeline [data-lane="Yours"] .vt-track').bounding_box()
        bar = page.locator("#timeline .vt-yours").bounding_box()
        assert (
            bar["x"] >= track["x"] - 1
            and bar["x"] + bar["width"] <= track["x"] + track["width"] + 1
        )


def test_drawing_on_an_empty_lane_makes_a_new_interval(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "drawer", "sample_normal.mp4")
        assert lane_bars(page, "Yours") == []
        assert "drag here to draw" in page.inner_text("#timeline")
        drag(page, x_of(page, "Yours", 9.0), x_of(page, "Yours", 3.0))  # right to left works too
        wait_for_number(page, "fix-end", 9.0)
        assert float(value_of(page, "fix-start")) == 3.0
        page.wait_for_selector('#timeline .vt-yours[title="Yours: 3.0–9.0 s"]')


def test_moving_the_middle_keeps_the_length(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "mover", "sample_fire.mp4")  # truth 9-22 s: the whole end of the video
        fill(page, "fix-start", "4")
        fill(page, "fix-end", "8")
        page.wait_for_selector('#timeline .vt-yours[title="Yours: 4.0–8.0 s"]')
        drag(page, x_of(page, "Yours", 6.0), x_of(page, "Yours", 11.0))
        wait_for_number(page, "fix-start", 9.0)
        assert float(value_of(page, "fix-end")) == 13.0


def test_a_click_on_a_lane_moves_the_player_and_the_playhead(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "seeker", "sample_fight.mp4")
        click_at(page, 9.0, "Truth")
        page.wait_for_function(
            "Math.abs(document.querySelector('#timeline .vt-playhead').style"
            ".getPropertyValue('--t') - 0.5) < 0.01"  # 9 s of 18
        )
        assert page.inner_text("#timeline .vt-clock").startswith("9.0")


def settled_frame(page) -> int:
    """The frame the player shows once it has finished seeking, as the timeline's clock says
    it ('5.15 s · frame 51'), checked against the player's own time."""
    page.wait_for_function(
        "fps => { const v = document.querySelector('#player video');"
        " const clock = document.querySelector('#timeline .vt-clock').textContent;"
        " const frame = Math.floor(v.currentTime * fps + 1e-6);"
        " return !v.seeking && clock.endsWith(`frame ${frame}`); }",
        arg=SAMPLE_FPS,
    )
    return int(page.inner_text("#timeline .vt-clock").rsplit("frame ", 1)[1])


@pytest.mark.parametrize(
    ("seconds", "clock"),
    [(9.997, "9.99 s · frame 99"), (9.99999, "10.00 s · frame 100"), (5.15, "5.15 s · frame 51")],
)
def test_the_clock_names_the_frame_on_screen_and_never_rounds_past_it(studio, seconds, clock):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, f"clock-{seconds}", "sample_fight.mp4")  # 10 fps
        page.evaluate(f"document.querySelector('#player video').currentTime = {seconds}")
        page.wait_for_function(
            "c => document.querySelector('#timeline .vt-clock').textContent === c", arg=clock
        )


def test_frame_keys_step_one_frame_and_shift_one_second(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "stepper", "sample_fight.mp4")
        click_at(page, 5.0)
        page.keyboard.press(".")
        frame, first = settled_frame(page), player_time(page)
        assert page.evaluate("document.querySelector('#player video').paused")
        page.keyboard.press(".")
        assert settled_frame(page) == frame + 1
        assert player_time(page) - first == pytest.approx(1 / SAMPLE_FPS, abs=1e-3)
        page.keyboard.press(",")
        assert settled_frame(page) == frame
        page.keyboard.press(",")
        assert settled_frame(page) == frame - 1
        assert first - player_time(page) == pytest.approx(1 / SAMPLE_FPS, abs=1e-3)
        page.keyboard.press("Shift+Period")
        wait_for_player_time(page, first - 1 / SAMPLE_FPS + 1.0, tolerance=1e-3)


def test_speed_keys_go_from_a_quarter_to_four_times(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "speeder", "sample_fight.mp4")
        rate = "document.querySelector('#player video').playbackRate"
        for _ in range(12):
            page.keyboard.press("]")
        assert page.evaluate(rate) == 4
        for _ in range(12):
            page.keyboard.press("[")
        assert page.evaluate(rate) == 0.25
        page.keyboard.press("\\")
        assert page.evaluate(rate) == 1
        page.keyboard.press("[")
        page.wait_for_function(
            "document.querySelector('#timeline .vt-speed').textContent == '0.75×'"
        )


def test_keys_wait_while_the_annotator_types(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "typist", "sample_fight.mp4")
        field = page.locator("#fix-comment textarea, #fix-comment input").first
        field.fill("")
        field.press_sequentially("a, b. [c]? ok")
        assert field.input_value() == "a, b. [c]? ok"
        assert page.evaluate("document.querySelector('#player video').playbackRate") == 1
        assert page.locator(".vau-help").is_hidden()


def test_question_mark_opens_the_list_of_keys_and_escape_closes_it(studio):
    _, url = studio
    with browser_page(url) as page:
        page.keyboard.press("?")
        page.wait_for_selector(".vau-help", state="visible")
        assert "one frame back / forward" in page.inner_text(".vau-help")
        assert "drag an edge of Yours" in page.inner_text(".vau-help")
        page.keyboard.press("Escape")
        page.wait_for_selector(".vau-help", state="hidden")
        page.click(".vau-keys .vau-help-open")  # the reminder under the form opens it too
        page.wait_for_selector(".vau-help", state="visible")
        page.click(".vau-help-close")
        page.wait_for_selector(".vau-help", state="hidden")


def test_in_and_out_keys_set_the_interval_at_the_playhead(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "in-out", "sample_normal.mp4")
        click_at(page, 2.0)
        page.keyboard.press("i")
        wait_for_number(page, "fix-start", 2.0)
        click_at(page, 7.0)
        page.keyboard.press("o")
        wait_for_number(page, "fix-end", 7.0)


def test_reasoning_steps_are_captions_on_the_player_at_their_times(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "captions", "sample_fight.mp4")
        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Done")
        take_model_answer(page)
        page.mouse.click(*x_of(page, "Model", 8.0))
        page.wait_for_function(
            "(document.querySelector('#player .vau-caption') || {}).textContent"
            "?.startsWith('Step 2 · From 6.0 to 12.0 seconds')"
        )
        page.mouse.click(*x_of(page, "Model", 16.5))  # no step speaks of this moment
        page.wait_for_selector("#player .vau-caption", state="hidden")


def test_a_drag_in_progress_shows_its_interval_before_the_form_takes_it(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "picture", "sample_fight.mp4")
        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Done")
        take_model_answer(page)
        page.mouse.click(*x_of(page, "Truth", 9.0))  # the fight, with step 2 as its caption
        page.wait_for_selector("#player .vau-caption", state="visible")
        page.mouse.move(*grip(page, "end"))
        page.mouse.down()
        page.mouse.move(*x_of(page, "Yours", 13.5), steps=8)
        wait_for_text(page, "timeline", "6.0–13.5 s")  # the live readout
        assert float(value_of(page, "fix-end")) == 12.0  # the form waits for the release
        # The README's picture of timeline editing: the player with its caption, mid-drag.
        picture(page, "timeline.png", around=("#player", "#timeline"))
        page.mouse.up()
        wait_for_number(page, "fix-end", 13.5)


def test_seek_buttons_say_when_there_is_nothing_to_go_to(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "nowhere", "sample_normal.mp4")  # Normal: no interval, no run yet
        page.click("#seek-model")
        page.get_by_text("No model run on this item yet: press Run.").wait_for()
        page.click("#seek-truth")
        page.get_by_text("This item has no ground-truth interval.").wait_for()
        page.click("#seek-step")  # the truth's first section names no time
        page.get_by_text("Step 1 names no time.").wait_for()
        assert player_time(page) == 0
