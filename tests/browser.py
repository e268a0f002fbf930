"""Driving the Studio in Debian's chromium through Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Every browser test module's `pytestmark`: marked, and skipped (saying why) without chromium.
NEEDS_BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium: apt-get install -y chromium"
    ),
]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
# Headless, and nothing that phones home: the test machines have no network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 1000}


@contextmanager
def browser_page(url: str, ready: str = "#player") -> Iterator:
    """A fresh chromium page (a new user: no cookies, no storage) open on `url`, once `ready`
    (a CSS selector) is on it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(url)
            page.wait_for_selector(ready)
            yield page
        finally:
            browser.close()


def pick(page, elem_id: str, option: str) -> None:
    """Choose `option` in the Gradio dropdown `elem_id`."""
    page.click(f"#{elem_id} input")
    page.locator("ul[role=listbox] li", has_text=option).first.click()


def open_item(page, user: str, video: str, task: str = "Grounding") -> None:
    """As `user`, open a bundled sample's item from the picker; wait for its video and for the
    timeline to know the video (its frame rate)."""
    fill(page, "annotator", user)
    pick(page, "item-picker", f"{video} · {task}")
    page.wait_for_selector("#player video")
    page.wait_for_selector("#timeline .vt[data-fps]:not([data-fps=''])")


def take_model_answer(page) -> None:
    """After a run, put the model's answer in the form (a run fills only a blank form or one
    showing the model's last answer: a form pre-filled from the ground truth stays)."""
    page.click("#take-model")
    wait_for_text(page, "save-msg", "The model's answer is in the form")


def fill(page, elem_id: str, value: str) -> None:
    """Type into a Gradio textbox or number field and leave it, as a user would.

    Typed again if the field does not hold it a moment later: a field in an accordion that has
    just opened is mounted then, and a fill during the mount was reset to the field's default
    (the full suite's run of test_browser_prelabel pre-labelled with 0 samples instead of 2).
    """
    field = page.locator(f"#{elem_id} input, #{elem_id} textarea").first
    for _ in range(3):
        field.fill(value)
        field.press("Tab")
        page.wait_for_timeout(150)
        if field.input_value() == value:
            return


def edit_step(page, text: str) -> None:
    """Open "Edit this step", replace the step's text with `text` and apply it.

    The editor is filled only once it shows the step it edits: the accordion mounts its textbox
    when first opened, and on a loaded machine a fill during the mount was replaced by the
    step's own text (the Space suite's CI run applied the unchanged step).
    """
    page.get_by_text("Edit this step").click()
    page.wait_for_function(
        "(() => { const box = document.querySelector('#step-edit textarea');"
        " return !!box && box.offsetParent !== null && box.value.trim() !== ''; })()"
    )
    fill(page, "step-edit", text)
    page.wait_for_function(
        "text => document.querySelector('#step-edit textarea').value == text", arg=text
    )
    page.click("#apply-step")


def value_of(page, elem_id: str) -> str:
    """The current value of a Gradio textbox or number field."""
    return page.locator(f"#{elem_id} input, #{elem_id} textarea").first.input_value()


def wait_for_number(page, elem_id: str, value: float) -> None:
    """Wait until the Gradio number field `elem_id` holds `value` ('14' and '14.0' alike)."""
    page.wait_for_function(
        "([id, v]) => Number(document.querySelector(`#${id} input`).value) === v",
        arg=[elem_id, value],
    )


def wait_for_text(page, elem_id: str, pattern: str) -> str:
    """Wait until the element's text matches `pattern`; return the text."""
    locator = page.locator(f"#{elem_id}")
    locator.filter(has_text=re.compile(pattern)).first.wait_for()
    return locator.inner_text()


def player_time(page) -> float:
    """Seconds into the video the player is at."""
    return page.evaluate("document.querySelector('#player video').currentTime")


def wait_for_player_time(page, seconds: float, tolerance: float = 0.3) -> None:
    """Wait until the player has moved to `seconds`."""
    page.wait_for_function(
        "([t, tol]) => { const v = document.querySelector('#player video');"
        " return v && Math.abs(v.currentTime - t) <= tol; }",
        arg=[seconds, tolerance],
    )


def lane_bars(page, lane: str) -> list[str]:
    """The labels of the bars in a lane of the Studio's timeline editor ('Model: 6.0–12.0 s')."""
    page.wait_for_selector("#timeline .vt")
    return page.eval_on_selector_all(
        f'#timeline [data-lane="{lane}"] .vt-bar', "bars => bars.map(b => b.title)"
    )


def timeline_traces(page, elem_id: str = "timeline") -> list[str]:
    """The hover texts of the timeline's bars (plotly keeps the figure on its div)."""
    page.wait_for_selector(f"#{elem_id} .js-plotly-plot")
    return page.evaluate(
        f"Array.from(document.querySelector('#{elem_id} .js-plotly-plot').data)"
        ".map(t => (t.hovertext || [''])[0])"
    )


def wait_for_trace(page, elem_id: str, label: str, timeout_ms: float = 30_000) -> None:
    """Wait until the plot in `elem_id` draws a bar whose hover text is `label` (plotly swaps
    its div while it redraws, so a missing plot counts as not yet)."""
    page.wait_for_function(
        "([id, label]) => { const plot = document.querySelector(`#${id} .js-plotly-plot`);"
        " return !!plot && Array.from(plot.data || []).some("
        "t => (t.hovertext || [''])[0] == label); }",
        arg=[elem_id, label],
        timeout=timeout_ms,
    )


def picture(page, name: str, *, around: tuple[str, ...] = (), docs: str | None = None) -> Path:
    """Save the page (or the region around the elements at the `around` selectors) as
    tests/artifacts/NAME; with VAU_UPDATE_SCREENSHOT=1 also as docs/DOCS (default NAME). The
    docs' pictures change only on request, so a test run never dirties the checkout."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    if around:
        boxes = [page.locator(selector).first.bounding_box() for selector in around]
        left, top = min(b["x"] for b in boxes), min(b["y"] for b in boxes)
        right = max(b["x"] + b["width"] for b in boxes)
        bottom = max(b["y"] + b["height"] for b in boxes)
        clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
        page.screenshot(path=str(path), clip=clip)
    else:
        page.screenshot(path=str(path), full_page=True)
    if os.environ.get("VAU_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(path, ROOT / "docs" / (docs or name))
    return path
