"""A new user in a real browser: sample video, grounding, timeline, steps, correction, export.

The model's words are scripted (tests.app_helpers.ScriptedEngine): the tiny checkpoint emits
noise, which has no interval to show. The video sampling, prompt, parser, store, export and
the whole UI are the real ones.
"""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.app_helpers import ROOT, scripted_studio
from tests.browser import (
    NEEDS_BROWSER,
    browser_page,
    edit_step,
    fill,
    lane_bars,
    pick,
    picture,
    player_time,
    take_model_answer,
    value_of,
    wait_for_player_time,
    wait_for_text,
)

pytestmark = NEEDS_BROWSER


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    demo, url = scripted_studio(tmp_path_factory.mktemp("browser"), delay=0.02)
    yield demo, url
    demo.close()


def test_a_new_user_grounds_corrects_saves_and_exports(studio, tmp_path):
    demo, url = studio
    with browser_page(url) as page:
        fill(page, "annotator", "browser-user")
        pick(page, "item-picker", "sample_fight.mp4 · Grounding")
        page.wait_for_selector("#player video")

        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Done")
        assert lane_bars(page, "Model") == ["Model: 6.0–12.0 s"]
        assert "Anomaly" in page.inner_text("#result")
        take_model_answer(page)

        assert "Step 1 of 3" in page.inner_text("#steps")
        page.click("#next-step")
        wait_for_text(page, "steps", "Step 2 of 3")
        assert "From 6.0 to 12.0 seconds" in page.inner_text("#steps mark")
        wait_for_player_time(page, 6.0)  # the step's first time reference

        page.click("#start-here")  # start = where the player is (6.0 s) ...
        page.wait_for_function("document.querySelector('#fix-start input').value == '6'")
        page.click("text=start −0.5")  # ... nudged half a second earlier
        page.wait_for_function("document.querySelector('#fix-start input').value == '5.5'")
        fill(page, "fix-end", "12.5")
        page.wait_for_selector('#timeline .vt-yours[title="Yours: 5.5–12.5 s"]')
        picture(page, "studio.png", docs="screenshot.png")

        edit_step(page, "2. From 5.5 to 12.5 seconds they push and hit each other.")
        wait_for_text(page, "steps", "From 5.5 to 12.5 seconds")

        page.keyboard.press("Control+s")  # the save shortcut
        wait_for_text(page, "save-msg", "Saved draft: revision 1")
        page.keyboard.press("Control+Enter")  # the submit shortcut
        wait_for_text(page, "save-msg", "Submitted: revision 2")

        page.get_by_role("tab", name="Progress & export").click()
        pick(page, "export-format", "trl-grpo")
        pick(page, "export-status", "submitted")
        page.click("#export-btn")
        with page.expect_download() as download:
            page.locator("#export-file a").first.click()
        exported = tmp_path / "export.zip"
        download.value.save_as(exported)

    text = zipfile.ZipFile(exported).read("train.jsonl").decode("utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 1
    assert "5.5" in json.dumps(records[0]) and "12.5" in json.dumps(records[0])
    item = demo.studio.store.list_items(task="grounding", status="submitted")[0]
    revision = demo.studio.store.current(item.id, "browser-user")
    assert (revision.interval, revision.answer) == ((5.5, 12.5), "Anomaly")
    assert "2. From 5.5 to 12.5 seconds they push" in revision.reasoning
    assert revision.reasoning.startswith("1. At 00:02 a person in red")


def test_model_output_is_shown_as_text_never_as_html(studio):
    demo, url = studio
    engine = demo.studio.models.engine
    engine.scripts = {
        **engine.scripts,
        "classification": '<think>1. <img src=x onerror="window.pwned=1"> at 3 s.\n'
        "2. <script>window.pwned=2</script> done.</think><answer>Fire</answer>",
    }
    with browser_page(url) as page:
        pick(page, "item-picker", "sample_fire.mp4 · Classification")
        page.wait_for_selector("#player video")
        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Done")
        take_model_answer(page)
        steps = page.inner_text("#steps")
        assert '<img src=x onerror="window.pwned=1">' in steps
        assert page.locator("#steps img, #steps script").count() == 0
        assert page.evaluate("window.pwned === undefined")
        page.get_by_text("Raw model output").click()  # one click away
        assert "<script>window.pwned=2</script>" in value_of(page, "raw")
        assert player_time(page) == 0


def _upload(page, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click("#upload-btn")
    chooser.value.set_files(str(path))


def test_uploading_a_non_video_explains_and_the_app_keeps_working(studio, tmp_path):
    _, url = studio
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes, not a video", encoding="utf-8")
    with browser_page(url) as page:
        _upload(page, notes)
        message = wait_for_text(page, "save-msg", "notes.txt")
        assert page.locator("#save-msg .warn").count() == 1, message
        _upload(page, ROOT / "assets" / "samples" / "sample_normal.mp4")
        wait_for_text(page, "save-msg", "Uploaded: 16.0 s video")
        page.wait_for_selector("#player video")


def test_an_uploaded_video_is_in_the_picker_once_run_without_a_reload(studio):
    _, url = studio
    with browser_page(url) as page:
        fill(page, "annotator", "uploader")
        _upload(page, ROOT / "assets" / "samples" / "sample_fire.mp4")
        wait_for_text(page, "save-msg", "Uploaded:")
        page.click("#run-btn")
        wait_for_text(page, "run-msg", "Done")
        page.wait_for_function(
            "document.querySelector('#item-picker input').value.startsWith('sample_fire-')"
        )
        page.click("#item-picker input")
        listed = page.locator("ul[role=listbox] li", has_text="sample_fire-")
        assert listed.count() == 1
