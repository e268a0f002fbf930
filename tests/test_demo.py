"""The demo gallery's logic: which runs it replays, how fast, how it labels them, who may pin.

Everything runs on a real SQLite store with the bundled samples imported; no Gradio.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from annotate.errors import InvalidInput
from annotate.records import GroundTruth
from app import demo
from app.items import import_samples
from app.runtime import ModelSlot
from app.services import Studio
from inference.core import protocol
from tests.app_helpers import SCRIPTS, studio_settings


@pytest.fixture
def studio(tmp_path):
    from annotate.store import Store

    settings = studio_settings(tmp_path)
    studio = Studio(settings, Store(settings.db_url), ModelSlot())
    import_samples(studio)
    yield studio
    studio.store.close()


def _item(studio, video: str, task: str):
    return next(i for i in studio.store.list_items(task=task, limit=None) if i.video.name == video)


def _run(studio, item, raw: str, **settings):
    from inference.core.parse import parse_response

    parsed = parse_response(raw, item.task).to_dict()
    values = {"think": True, "sample_fps": 2.0, "frames": 40, **settings}
    return studio.store.record_run(
        item.id,
        checkpoint="scripted (no model)",
        settings=values,
        raw=raw,
        parsed=parsed,
        created_by=demo.RECORDER,  # the runs app.record makes: the demo's
    )


# --- the reference annotation -------------------------------------------------------------------


def test_reference_text_of_a_grounding_item_is_a_tagged_answer_with_its_interval(studio):
    item = _item(studio, "sample_fight.mp4", "grounding")
    text = demo.reference_text(item)
    assert text.startswith("<think>") and "</think><answer>Anomaly</answer>" in text
    assert text.endswith("<glue>[6.0, 12.0]</glue>")
    assert protocol.format_ok(text, "grounding")


def test_reference_text_of_a_normal_video_says_minus_one(studio):
    item = _item(studio, "sample_normal.mp4", "grounding")
    assert demo.reference_text(item).endswith("<answer>Normal</answer><glue>[-1.0, -1.0]</glue>")


def test_reference_text_of_a_description_is_plain_text(studio):
    text = demo.reference_text(_item(studio, "sample_fire.mp4", "description"))
    assert "<" not in text.split("###")[0] and "###" in text


def test_an_item_without_truth_has_no_reference_text(studio):
    item = _item(studio, "sample_fall.mp4", "grounding")
    assert demo.reference_text(replace(item, truth=GroundTruth())) is None


# --- choosing what to replay --------------------------------------------------------------------


def test_without_runs_the_entry_shows_the_reference_annotation(studio):
    (entry,) = [e for e in demo.gallery(studio.store, studio.settings) if "fight" in e.video.name]
    rec = entry.recordings["grounding"]
    assert not rec.recorded and rec.result.interval == (6.0, 12.0)
    assert entry.caption == "sample_fight.mp4 · reference"


def test_the_newest_run_is_replayed(studio):
    item = _item(studio, "sample_fight.mp4", "grounding")
    _run(studio, item, "<answer>Normal</answer><glue>[-1, -1]</glue>")
    newest = _run(studio, item, SCRIPTS["grounding"])
    entry = demo.entry_for(studio.store, item.video.id)
    rec = entry.recordings["grounding"]
    assert rec.run.id == newest.id and rec.result.interval == (6.0, 12.0)
    assert entry.caption == "sample_fight.mp4 · 1 recorded run"


def test_a_stopped_run_is_never_replayed_as_if_it_were_finished(studio):
    item = _item(studio, "sample_fight.mp4", "grounding")
    complete = _run(studio, item, SCRIPTS["grounding"])
    _run(studio, item, "<think>1. At 00:02 a person", stopped=True)  # Stop pressed
    rec = demo.entry_for(studio.store, item.video.id).recordings["grounding"]
    assert rec.run.id == complete.id


def test_a_run_on_an_ad_hoc_question_is_replayed_over_the_reference(studio):
    video = _item(studio, "sample_fight.mp4", "qa").video
    asked = studio.store.add_item(video.id, "qa", question="Who runs?", options=("A", "B"))
    run = _run(studio, asked, "<think>x</think><answer>B</answer>")
    rec = demo.entry_for(studio.store, video.id).recordings["qa"]
    assert (rec.item.id, rec.run.id) == (asked.id, run.id)


@pytest.mark.parametrize(
    ("recorded", "wanted", "first"),
    [
        ((), None, "grounding"),  # all reference: grounding shows the interval
        (("qa",), None, "qa"),  # a recorded run beats a reference
        (("qa", "grounding"), None, "grounding"),  # recorded grounding first
        (("qa", "grounding"), "classification", "classification"),  # the pinned task wins
        ((), "description", "description"),
    ],
)
def test_the_task_an_entry_opens_on(studio, recorded, wanted, first):
    item = _item(studio, "sample_fire.mp4", "grounding")
    recordings = demo.entry_for(studio.store, item.video.id).recordings
    recordings = {
        t: replace(r, run=object()) if t in recorded else r for t, r in recordings.items()
    }
    assert demo.first_task(recordings, wanted) == first


# --- the gallery --------------------------------------------------------------------------------


def test_the_gallery_holds_the_bundled_samples_by_name(studio):
    names = [e.video.name for e in demo.gallery(studio.store, studio.settings)]
    assert names == ["sample_fall.mp4", "sample_fight.mp4", "sample_fire.mp4", "sample_normal.mp4"]


def test_a_pinned_item_joins_the_gallery_after_the_samples(studio, tmp_path):
    video = studio.store.add_video("street.mp4", "upload", path=str(tmp_path / "street.mp4"))
    item = studio.store.add_item(video.id, "grounding")
    _run(studio, item, SCRIPTS["grounding"])
    studio.store.pin(item.id, "boss")
    entries = demo.gallery(studio.store, studio.settings)
    assert entries[-1].video.name == "street.mp4" and entries[-1].pinned_by == "boss"
    assert entries[-1].caption == "street.mp4 · 1 recorded run · pinned"


def test_pinning_a_sample_marks_it_without_repeating_it(studio):
    studio.store.pin(_item(studio, "sample_fire.mp4", "qa").id, "boss")
    entries = demo.gallery(studio.store, studio.settings)
    assert len(entries) == 4
    assert [e.pinned_by for e in entries] == [None, None, "boss", None]


def test_a_pinned_item_with_nothing_to_show_stays_out(studio):
    video = studio.store.add_video("blank.mp4", "upload")
    studio.store.pin(studio.store.add_item(video.id, "grounding").id, "boss")
    assert "blank.mp4" not in [e.video.name for e in demo.gallery(studio.store, studio.settings)]


def test_samples_whose_files_are_gone_stay_out(studio, tmp_path):
    settings = replace(studio.settings, samples=str(tmp_path / "elsewhere.csv"), videos=None)
    assert demo.gallery(studio.store, settings) == []


def test_a_thumbnail_is_a_small_frame_inside_the_anomaly(studio):
    (entry,) = [e for e in demo.gallery(studio.store, studio.settings) if "fire" in e.video.name]
    assert demo.thumb_time(entry) == pytest.approx(15.5)
    image = demo.thumbnail(entry)
    assert image.ndim == 3 and max(image.shape[:2]) == demo.THUMB_SIDE


def test_an_unreadable_video_has_no_thumbnail(studio, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    (entry,) = [e for e in demo.gallery(studio.store, studio.settings) if "fire" in e.video.name]
    assert demo.thumbnail(replace(entry, video=replace(entry.video, path=str(broken)))) is None


# --- replay at reading speed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cps", "cuts"),
    [
        ("", 60, [0]),
        ("one two three", 0, [13]),  # 0: everything at once
        ("one two three", 40, [4, 8, 13, 13]),  # four characters a tick: 13 take four
        ("one two three", 1000, [13]),
        ("abcdefghij", 20, [10] * 5),  # never inside a word; a long word holds the screen
        ("  ", 60, [2]),
    ],
)
def test_replay_cuts_at_word_ends(text, cps, cuts):
    assert demo.replay_cuts(text, cps, tick=0.1) == cuts


def test_replay_takes_as_long_as_reading_the_text():
    text = "word " * 120  # 600 characters
    pauses = []
    shown = list(demo.replay(text, 60, sleep=pauses.append))
    assert shown[-1] == text and all(a in b for a, b in zip(shown, shown[1:], strict=False))
    assert sum(pauses) == pytest.approx(10.0, abs=0.15)  # 600 chars at 60 per second
    assert len(shown) == len(set(shown))  # each step shows something new


def test_a_skipped_replay_shows_everything_at_once():
    text = "word " * 100
    calls = iter([False, False, True])
    shown = list(demo.replay(text, 60, skip=lambda: next(calls), sleep=lambda _: None))
    assert len(shown) == 3 and shown[-1] == text and len(shown[1]) < len(text)


# --- labels -------------------------------------------------------------------------------------


def test_a_recorded_run_is_labelled_with_checkpoint_and_settings(studio):
    item = _item(studio, "sample_fight.mp4", "grounding")
    _run(studio, item, SCRIPTS["grounding"], think=False, sample_fps=1.5, frames=24)
    rec = demo.entry_for(studio.store, item.video.id).recordings["grounding"]
    label = demo.recording_label(rec)
    assert label.startswith(
        "Recorded run · Grounding · scripted (no model) · no think · 1.5 fps × 24 frames"
    )
    assert " by demo-recorder" in label and "UTC" in label
    assert "● RECORDED" in demo.badge_html(rec)


def test_the_badge_names_a_local_checkpoint_by_its_folder_never_its_path(studio, tmp_path):
    item = _item(studio, "sample_fight.mp4", "grounding")
    folder = tmp_path / "srv" / "checkpoints" / "toy-grounding"
    folder.mkdir(parents=True)
    run = _run(studio, item, SCRIPTS["grounding"])
    studio.store.record_run(item.id, checkpoint=str(folder), settings=run.settings, raw=run.raw,
                            parsed=run.parsed, created_by=demo.RECORDER)  # fmt: skip
    label = demo.recording_label(
        demo.entry_for(studio.store, item.video.id).recordings["grounding"]
    )
    assert "toy-grounding" in label and str(folder.parent) not in label


def test_a_reference_annotation_is_labelled_as_no_models_output(studio):
    item = _item(studio, "sample_fight.mp4", "grounding")
    rec = demo.entry_for(studio.store, item.video.id).recordings["grounding"]
    assert "no model run has been recorded" in demo.recording_label(rec)
    assert "REFERENCE" in demo.badge_html(rec) and "RECORDED" not in demo.badge_html(rec)


def test_the_badge_escapes_the_checkpoint_name(studio):
    item = _item(studio, "sample_fight.mp4", "grounding")
    studio.store.record_run(
        item.id, checkpoint="<b>x</b>", settings={}, raw="<answer>A</answer>",
        created_by=demo.RECORDER,
    )  # fmt: skip
    rec = demo.entry_for(studio.store, item.video.id).recordings["grounding"]
    assert "&lt;b&gt;x&lt;/b&gt;" in demo.badge_html(rec)


def test_a_reference_replay_shows_no_model_result(studio):
    entry = demo.entry_for(studio.store, _item(studio, "sample_fight.mp4", "grounding").video.id)
    view = demo.shown(entry, "grounding")
    assert view.session.result is None and view.session.truth.interval == (6.0, 12.0)
    assert view.text.endswith("</glue>") and view.reasoning.startswith("### Specific Anomaly")


def test_pin_and_unpin_through_the_handlers(studio):
    from app.items import open_item

    session = open_item(studio, _item(studio, "sample_fall.mp4", "qa").id)
    pinned = demo.pin(studio, session, "ann")
    assert pinned.startswith("Pinned sample_fall.mp4 · Question answering to the demo gallery")
    assert f"item {session.item_id}" not in pinned  # messages never name the store's ids
    assert [p.pinned_by for p in studio.store.pins()] == ["ann"]
    unpinned = demo.unpin(studio, session, "ann")
    assert unpinned == "sample_fall.mp4 · Question answering is no longer in the demo gallery."
    with pytest.raises(InvalidInput, match="not pinned"):
        demo.unpin(studio, session, "ann")


def test_a_visitors_live_run_never_replaces_the_demos_run(studio):
    item = _item(studio, "sample_fight.mp4", "grounding")
    recorded = _run(studio, item, SCRIPTS["grounding"])
    studio.store.record_run(
        item.id, checkpoint="scripted (no model)", settings={}, raw="<answer>Normal</answer>",
        created_by="visitor",
    )  # fmt: skip
    rec = demo.entry_for(studio.store, item.video.id).recordings["grounding"]
    assert rec.run.id == recorded.id


def test_the_run_an_admin_pins_is_the_one_the_demo_replays(studio):
    from app.items import open_item, with_run

    item = _item(studio, "sample_fight.mp4", "grounding")
    _run(studio, item, SCRIPTS["grounding"])
    chosen = studio.store.record_run(
        item.id, checkpoint="scripted (no model)", settings={}, raw="<answer>Normal</answer>",
        created_by="ann",
    )  # fmt: skip
    _run(studio, item, SCRIPTS["grounding"])  # a newer recording does not displace the choice
    session = with_run(open_item(studio, item.id), chosen)
    when = chosen.created_at.strftime("%Y-%m-%d %H:%M")
    assert f"replays the run on screen (scripted (no model), {when})" in demo.pin(
        studio, session, "boss"
    )
    rec = demo.entry_for(studio.store, item.video.id).recordings["grounding"]
    assert rec.run.id == chosen.id and rec.result.answer == "Normal"
