"""Nothing typed is lost: a real browser edits the form, then runs the model or moves on.

The model's words are scripted (tests.app_helpers.ScriptedEngine); the page, the events, the
state kept for the session and the store are the real ones.
"""

from __future__ import annotations

import pytest

from annotate.records import Edit
from tests.app_helpers import scripted_studio
from tests.browser import (
    NEEDS_BROWSER,
    browser_page,
    edit_step,
    fill,
    open_item,
    take_model_answer,
    timeline_traces,
    value_of,
    wait_for_text,
)

pytestmark = NEEDS_BROWSER


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    demo, url = scripted_studio(tmp_path_factory.mktemp("edits"), delay=0.01)
    yield demo, url
    demo.close()


def item_of(demo, video: str, task: str = "grounding") -> int:
    return next(i.id for i in demo.studio.store.list_items(task=task) if i.video.name == video)


def test_a_run_keeps_the_edits_and_offers_the_models_answer(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "editor-run", "sample_fight.mp4")
        fill(page, "fix-start", "5")
        fill(page, "fix-end", "13")
        fill(page, "fix-comment", "my own reading")
        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Your edits are kept")
        assert (value_of(page, "fix-start"), value_of(page, "fix-end")) == ("5", "13")
        assert value_of(page, "fix-comment") == "my own reading"
        assert "6.0" in page.inner_text("#result")  # the model's answer sits beside the form
        page.click("#take-model")
        wait_for_text(page, "save-msg", "The model's answer is in the form")
        page.wait_for_function("document.querySelector('#fix-start input').value == '6'")
        assert value_of(page, "fix-comment") == ""


@pytest.mark.parametrize("move", ["button", "Alt+N"])
def test_moving_on_saves_the_edits_as_a_draft(studio, move):
    demo, url = studio
    user = f"editor-{move.replace('+', '')}"
    with browser_page(url) as page:
        open_item(page, user, "sample_fall.mp4")
        fill(page, "fix-comment", f"noted before {move}")
        if move == "button":
            page.click("#next-btn")
        else:
            page.locator("#fix-comment textarea, #fix-comment input").first.press("Alt+n")
        wait_for_text(page, "save-msg", "were saved as draft revision 1")
    revision = demo.studio.store.current(item_of(demo, "sample_fall.mp4"), user)
    assert (revision.status, revision.comment) == ("draft", f"noted before {move}")


def test_edits_that_cannot_be_saved_keep_the_annotator_on_the_item(studio):
    demo, url = studio
    with browser_page(url) as page:
        open_item(page, "editor-bad", "sample_fire.mp4")
        fill(page, "fix-start", "30")
        fill(page, "fix-end", "10")
        page.click("#next-btn")
        wait_for_text(page, "save-msg", "are not saved")
        assert "interval:" in page.inner_text("#save-msg")
        assert (value_of(page, "fix-start"), value_of(page, "fix-end")) == ("30", "10")
        page.click("#discard-edits")
        wait_for_text(page, "save-msg", "Edits discarded")
        page.click("#next-btn")
        wait_for_text(page, "save-msg", "Next item for you")
    assert demo.studio.store.current(item_of(demo, "sample_fire.mp4"), "editor-bad") is None


def test_skip_moves_on_and_the_picker_shows_the_state(studio):
    demo, url = studio
    with browser_page(url) as page:
        open_item(page, "queue-user", "sample_normal.mp4")
        page.click("#skip-btn")
        wait_for_text(page, "save-msg", "Skipped; next item for you")
        assert "sample_normal.mp4 · Grounding" not in value_of(page, "item-picker")
        fill(page, "fix-comment", "done with this one")
        page.click("#submit-btn")
        wait_for_text(page, "save-msg", "Submitted: revision")
        page.wait_for_function(
            "document.querySelector('#item-picker input').value.endsWith(' · submitted')"
        )


def test_a_reviewer_sees_the_evidence_and_decides_from_the_keyboard(studio):
    demo, url = studio
    with browser_page(url) as page:
        open_item(page, "ann-review", "sample_fight.mp4")
        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Done")
        take_model_answer(page)
        fill(page, "fix-end", "12.5")
        edit_step(page, "1. A guard comes in at the end.")
        wait_for_text(page, "steps", "A guard comes in")
        page.click("#submit-btn")
        wait_for_text(page, "save-msg", "Submitted")

        fill(page, "annotator", "rev-review")
        page.get_by_role("tab", name="Review").click()
        page.locator("#review-table [role=gridcell]", has_text="ann-review").first.click()
        page.wait_for_selector("#review-player video")
        traces = timeline_traces(page, "review-timeline")
        assert any(t.startswith("Model: 6.0–12.0") for t in traces), traces
        assert any(t.startswith("Your correction: 6.0–12.5") for t in traces), traces
        assert page.locator("#review-diff ins").count() > 0  # what the annotator changed

        fill(page, "review-comment", "good catch on the guard")
        page.keyboard.press("Alt+a")
        wait_for_text(page, "review-msg", "Approved: ann-review's correction of")
        assert value_of(page, "review-comment") == ""
    item = item_of(demo, "sample_fight.mp4")
    revision = demo.studio.store.current(item, "ann-review")
    assert (revision.status, revision.reviewer) == ("approved", "rev-review")
    assert revision.review_comment == "good catch on the guard"


def test_a_local_studio_remembers_the_typed_name_in_the_browser(studio):
    _, url = studio
    with browser_page(url) as page:
        fill(page, "annotator", "remembered-annotator")
        page.wait_for_timeout(500)  # the name goes to the browser's storage
        page.reload()
        page.wait_for_selector("#player")
        page.wait_for_function(
            "document.querySelector('#annotator input, #annotator textarea').value"
            " == 'remembered-annotator'"
        )


def test_a_click_on_a_history_row_picks_the_revision_to_restore(studio):
    demo, url = studio
    with browser_page(url) as page:
        open_item(page, "historian", "sample_fall.mp4")
        fill(page, "fix-comment", "first reading")
        page.click("#save-btn")
        wait_for_text(page, "save-msg", "revision 1")
        fill(page, "fix-comment", "second reading")
        page.click("#save-btn")
        wait_for_text(page, "save-msg", "revision 2")
        page.get_by_text("Revision history").click()
        page.locator("#history [role=gridcell]", has_text="first reading").first.click()
        page.wait_for_function("document.querySelector('#restore-no input').value == '1'")
        page.click("#restore-btn")
        wait_for_text(page, "save-msg", "Restored revision 1 as draft revision 3")
        assert value_of(page, "fix-comment") == "first reading"
    revision = demo.studio.store.current(item_of(demo, "sample_fall.mp4"), "historian")
    assert (revision.number, revision.comment) == (3, "first reading")


def test_stop_after_the_run_leaves_its_last_line(studio):
    _, url = studio
    with browser_page(url) as page:
        open_item(page, "late-stopper", "sample_fall.mp4")
        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Done")
        page.click("#stop-btn")  # too late: nothing is running any more
        page.wait_for_timeout(1000)
        assert "Done." in page.inner_text("#run-msg")


# Words of letters drawn over more than one line (a word wrapped inside itself).
BROKEN_WORDS = """() => {
  const broken = [];
  const cells = document.querySelectorAll("#history td, #history th");
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.textContent.matchAll(/[A-Za-z_]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def test_the_history_breaks_lines_between_words_never_inside_one(studio):
    demo, url = studio
    fight = item_of(demo, "sample_fight.mp4")
    for klass in ("Fighting", "Traffic_accident"):
        edit = Edit(
            answer="Anomaly",
            interval=(6.0, 12.0),
            class_name=klass,
            comment="a longer comment that has to wrap over a few lines of the table",
        )
        demo.studio.store.save_correction(fight, "word-wrap", edit)  # fmt: skip
    with browser_page(url) as page:
        open_item(page, "word-wrap", "sample_fight.mp4")
        page.get_by_text("Revision history").click()
        wait_for_text(page, "history", "Traffic_accident")
        assert page.evaluate(BROKEN_WORDS) == []
