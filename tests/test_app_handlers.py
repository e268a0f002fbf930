"""The Studio's handlers without Gradio: real SQLite store, real videos, scripted model text."""

from __future__ import annotations

import itertools
import json
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from annotate.errors import InvalidInput
from annotate.importer import import_csv
from annotate.records import Edit
from annotate.store import Store
from app import checkpoints, corrections, items, progress, review, runs
from app.runs import RunRequest
from app.runtime import ModelSlot
from app.services import Studio
from app.settings import Settings
from app.state import Session, as_shown, from_result
from inference.core.parse import parse_response
from inference.errors import ModelUnavailable, VideoError
from tests.app_helpers import ROOT, ScriptedEngine

SAMPLES = ROOT / "assets" / "samples"
FIGHT = SAMPLES / "sample_fight.mp4"
FAST = RunRequest(task="grounding", max_frames=8)


@pytest.fixture
def studio(tmp_path) -> Studio:
    if not FIGHT.is_file():
        pytest.fail("no sample videos: run `python assets/make_samples.py`")
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'studio.db'}",
        uploads=str(tmp_path / "uploads"),
        exports=str(tmp_path / "exports"),
    )
    store = Store(settings.db_url)
    import_csv(store, ROOT / "assets" / "samples.csv", videos=SAMPLES)
    yield Studio(settings, store, ModelSlot(ScriptedEngine(), "scripted"))
    store.close()


def _item(studio: Studio, video: str, task: str) -> int:
    listed = studio.store.list_items(task=task, limit=None)
    return next(i.id for i in listed if i.video.name == video)


def _finish(updates) -> runs.RunUpdate:
    *_, last = list(updates)
    return last


@pytest.fixture
def fight(studio) -> Session:
    """The fight sample's grounding item, opened."""
    return items.open_item(studio, _item(studio, "sample_fight.mp4", "grounding"))


# --- videos and items --------------------------------------------------------------------


def test_upload_is_kept_and_registered(studio):
    session = items.open_upload(studio, str(FIGHT), "grounding")
    kept = Path(session.video)
    assert kept.parent == Path(studio.settings.uploads)
    assert kept.read_bytes() == FIGHT.read_bytes()
    assert session.duration == pytest.approx(18.0, abs=0.5)
    assert studio.store.find_video(f"sample_fight-{kept.stem[:8]}.mp4", "upload") is not None


def test_same_upload_twice_is_one_video(studio):
    first = items.open_upload(studio, str(FIGHT), "grounding")
    second = items.open_upload(studio, str(FIGHT), "qa")
    assert first.video_id == second.video_id
    assert second.task == "qa"


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.txt", b"not a video at all"), ("empty.mp4", b""), ("broken.mp4", b"\x00" * 4096)],
)
def test_upload_of_a_non_video_is_refused_with_a_message(studio, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VideoError) as caught:
        items.open_upload(studio, str(path), "grounding")
    assert "\n" not in str(caught.value)
    assert not any(Path(studio.settings.uploads).glob("*"))


def test_an_upload_refusal_names_the_file_by_its_own_name_not_the_servers_path(studio, tmp_path):
    upload_cache = tmp_path / "gradio-temp" / "3f9a0c"  # where Gradio keeps an upload
    upload_cache.mkdir(parents=True)
    (upload_cache / "notavideo.mp4").write_text("not a video")
    with pytest.raises(VideoError) as caught:
        items.open_upload(studio, str(upload_cache / "notavideo.mp4"), "grounding")
    assert str(caught.value).startswith("notavideo.mp4") and "gradio-temp" not in str(caught.value)


def test_an_export_message_names_no_server_folder(studio, fight):
    path, summary = progress.export(studio, "trl-sft", "all", True)
    assert summary.endswith(f"in {path.stem}") and studio.settings.exports not in summary


def test_opening_an_item_brings_its_video_task_and_truth(fight):
    assert Path(fight.video).name == "sample_fight.mp4"
    assert fight.task == "grounding"
    assert fight.truth.answer == "Anomaly"
    assert fight.truth.interval == (6.0, 12.0)
    assert fight.duration == pytest.approx(18.0, abs=0.5)
    assert fight.result is None


def test_opening_an_item_shows_its_latest_run(studio, fight):
    done = _finish(runs.run_model(studio, fight, FAST, threading.Event()))
    reopened = items.open_item(studio, fight.item_id)
    assert reopened.run_id == done.session.run_id
    assert reopened.result.interval == (6.0, 12.0)
    assert reopened.frame_times == done.session.frame_times


def test_switching_task_finds_the_videos_item_for_that_task(studio, fight):
    session = items.switch_task(studio, fight, "classification")
    assert session.item_id == _item(studio, "sample_fight.mp4", "classification")
    assert session.truth.answer == "Fighting"


def test_switching_task_on_an_upload_starts_without_an_item(studio):
    upload = items.open_upload(studio, str(FIGHT), "grounding")
    session = items.switch_task(studio, upload, "classification")
    assert (session.task, session.item_id, session.video) == ("classification", None, upload.video)


def test_queue_lists_items_whose_video_is_here(studio):
    studio.store.add_item(studio.store.add_video("elsewhere.mp4", "msad").id, "grounding")
    labels = [label for label, _ in items.queue_choices(studio)]
    assert "sample_fight.mp4 · Grounding" in labels
    assert len(labels) == 16
    assert not any("elsewhere" in label for label in labels)


def test_queue_pages_past_items_without_videos(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'big.db'}")
    video = store.add_video("elsewhere.mp4", "msad")
    for question in range(30):  # older items whose video is not here, more than a page
        store.add_item(video.id, "qa", question=f"q{question}", options=["a", "b"])
    import_csv(store, ROOT / "assets" / "samples.csv", videos=SAMPLES)
    studio = Studio(Settings(), store)
    choices = items.queue_choices(studio, limit=5, page=10)
    store.close()
    assert len(choices) == 5 and all(label.startswith("sample_") for label, _ in choices)


def test_next_item_prefers_own_drafts(studio, fight):
    corrections.save(studio, fight, "ann", Edit(answer="Anomaly", interval=(6, 12)), "draft")
    assert items.next_item(studio, "ann").item_id == fight.item_id
    assert items.next_item(studio, "bo").item_id != fight.item_id


# --- running the model -------------------------------------------------------------------


def test_run_streams_text_then_records_the_run(studio, fight):
    updates = list(runs.run_model(studio, fight, FAST, threading.Event(), "ann"))
    texts = [u.text for u in updates if u.text and not u.done]
    assert len(texts) > 5
    assert all(b.startswith(a) for a, b in itertools.pairwise(texts))
    done = updates[-1]
    assert done.done and done.message == "Done."
    run = studio.store.get_run(done.session.run_id)
    assert (run.answer, run.interval, run.created_by) == ("Anomaly", (6.0, 12.0), "ann")
    assert run.settings["frames"] == 8 and len(run.settings["timestamps"]) == 8
    assert (run.fps, run.settings["sample_fps"]) == (2.0, pytest.approx(8 / 18, rel=0.05))
    assert run.timings["sampling_s"] > 0


def test_run_uses_the_tasks_default_fps(studio, fight):
    done = _finish(runs.run_model(studio, fight, RunRequest("grounding"), threading.Event()))
    times = done.session.frame_times
    assert times[1] - times[0] == pytest.approx(0.5, abs=0.01)  # 2 fps for grounding


def test_stop_keeps_the_partial_output(studio, fight):
    stop = threading.Event()
    updates = []
    for update in runs.run_model(studio, fight, FAST, stop):
        updates.append(update)
        if len(updates) == 6:
            stop.set()
    done = updates[-1]
    assert done.session.stopped and done.message.startswith("Stopped")
    assert 0 < len(done.text) < len(studio.models.engine.scripts["grounding"])
    assert studio.store.get_run(done.session.run_id).settings["stopped"] is True


def test_run_without_a_model_says_why(studio, fight):
    studio.models = ModelSlot()
    with pytest.raises(ModelUnavailable, match="No model loaded"):
        _finish(runs.run_model(studio, fight, FAST, threading.Event()))


def test_run_without_a_video_asks_for_one(studio):
    with pytest.raises(InvalidInput, match="open a video first"):
        _finish(runs.run_model(studio, Session(), FAST, threading.Event()))


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (RunRequest(task="captioning"), "unknown task"),
        (RunRequest(fps=0.0), None),  # 0 means "task default", not an error
        (RunRequest(fps=120.0), "fps must be between"),
        (RunRequest(max_frames=2), "max frames must be at least 4"),
        (RunRequest(task="qa"), "QA needs a question"),
        (RunRequest(task="qa", question="Why?", options=("yes",)), "QA needs"),
    ],
)
def test_run_requests_are_checked(request_, message):
    if message is None:
        assert request_.checked() == request_
        return
    with pytest.raises(InvalidInput, match=message):
        request_.checked()


def test_qa_with_a_new_question_is_a_new_item(studio, fight):
    ask = RunRequest("qa", max_frames=8, question="Who runs away?", options=("A", "B", "C"))
    done = _finish(runs.run_model(studio, fight, ask, threading.Event()))
    item = studio.store.get_item(done.session.item_id)
    assert (item.task, item.question, item.options) == ("qa", "Who runs away?", ("A", "B", "C"))
    assert done.session.result.answer == "C"


def test_run_all_runs_every_task_then_shows_the_chosen_one(studio, fight):
    done = _finish(runs.run_all(studio, fight, FAST, threading.Event()))
    tasks = [task for task, _ in studio.models.engine.calls]
    assert tasks == ["qa", "grounding", "classification", "description"]
    assert "grounding: Anomaly 6.0–12.0 s" in done.message
    assert "classification: Fighting" in done.message and "qa: C" in done.message
    for item in studio.store.items_for_video(fight.video_id):
        assert len(studio.store.runs(item.id)) == 1
    assert (done.session.task, done.session.item_id) == ("grounding", fight.item_id)
    assert done.session.result.interval == (6.0, 12.0)


def test_run_all_asks_the_videos_stored_qa_question(studio, fight):
    _finish(runs.run_all(studio, fight, FAST, threading.Event()))
    qa = items.switch_task(studio, fight, "qa")
    (run,) = studio.store.runs(qa.item_id)
    assert run.settings["question"] == qa.question and qa.question


def test_run_all_skips_qa_without_a_question(studio):
    upload = items.open_upload(studio, str(FIGHT), "grounding")
    done = _finish(runs.run_all(studio, upload, FAST, threading.Event()))
    assert "qa: skipped (no question)" in done.message
    assert "qa" not in [task for task, _ in studio.models.engine.calls]


def test_stop_reaches_only_the_sessions_own_run(studio):
    mine, theirs = studio.stops.arm("tab-1"), studio.stops.arm("tab-2")
    assert runs.stop_run(studio, "tab-1", wait_s=0.1) == "Stopping after the current token…"
    assert mine.is_set() and not theirs.is_set()
    studio.stops.release("tab-1", mine)
    assert runs.stop_run(studio, "tab-1") == "Nothing is running."


def test_a_stop_that_the_run_answers_in_time_leaves_the_runs_own_last_line(studio):
    # The run ends within Stop's wait: its "Stopped: partial output kept." (or "Done.", when
    # it ended on its own) is the last word; a "Stopping…" arriving after it would stick.
    mine = studio.stops.arm("tab-1")
    ending = threading.Timer(0.2, lambda: studio.stops.release("tab-1", mine))
    ending.start()
    assert runs.stop_run(studio, "tab-1", wait_s=5) is None
    ending.join()


# --- corrections -------------------------------------------------------------------------


def test_draft_then_submit_are_two_revisions_in_the_store(studio, fight):
    form = Edit(answer="Anomaly", reasoning="They fight from 5.5 s.", interval=(5.5, 12.0))
    corrections.save(studio, fight, "ann", form, "draft")
    session, revision = corrections.save(
        studio, fight, "ann", replace(form, interval=(5.5, 12.5)), "submitted"
    )
    history = studio.store.history(session.item_id, "ann")
    assert [(r.number, r.status, r.interval) for r in history] == [
        (1, "draft", (5.5, 12.0)),
        (2, "submitted", (5.5, 12.5)),
    ]
    assert revision.author == "ann" and history[-1].steps


def test_correction_links_the_model_run_it_started_from(studio, fight):
    done = _finish(runs.run_model(studio, fight, FAST, threading.Event()))
    form = from_result(done.session.result)
    _, revision = corrections.save(studio, done.session, "ann", form, "draft")
    assert revision.run_id == done.session.run_id


def test_correction_of_an_upload_creates_its_item(studio):
    upload = items.open_upload(studio, str(FIGHT), "grounding")
    session, revision = corrections.save(studio, upload, "ann", Edit(answer="Normal"), "submitted")
    assert studio.store.get_item(session.item_id).video.id == upload.video_id
    assert revision.status == "submitted"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (Edit(answer="Anomaly", interval=(4.0, None)), "give both the start and the end"),
        (Edit(answer="Anomaly", interval=(9.0, 3.0)), "interval: start 9 s must come before"),
        (Edit(answer="Anomaly", interval=(10.0, 45.0)), "interval: end 45 s is after the video"),
        (Edit(answer="Maybe"), "Anomaly or Normal"),
        (Edit(answer="Anomaly"), "without its interval"),
    ],
)
def test_bad_corrections_are_refused_with_a_message(studio, fight, form, message):
    with pytest.raises(InvalidInput, match=message):
        corrections.save(studio, fight, "ann", form, "submitted")
    assert studio.store.history(fight.item_id, "ann") == []


def test_history_is_newest_first_and_restore_makes_a_new_draft(studio, fight):
    corrections.save(studio, fight, "ann", Edit(answer="Anomaly", interval=(1, 2)), "draft")
    corrections.save(studio, fight, "ann", Edit(answer="Normal"), "draft")
    restored = corrections.restore(studio, fight, "ann", 1)
    assert (restored.number, restored.restored_from, restored.interval) == (3, 1, (1.0, 2.0))
    assert [r.number for r in corrections.history(studio, fight, "ann")] == [3, 2, 1]
    assert corrections.current_form(studio, fight, "ann") == Edit(
        answer="Anomaly", interval=(1.0, 2.0)
    )


def test_restoring_a_revision_that_does_not_exist_says_so(studio, fight):
    with pytest.raises(InvalidInput, match="no revision 4"):
        corrections.restore(studio, fight, "ann", 4)


def test_review_approves_a_submitted_correction(studio, fight):
    form = Edit(answer="Anomaly", interval=(6, 12))
    _, submitted = corrections.save(studio, fight, "ann", form, "submitted")
    approved = review.review(studio, submitted.id, "rev", "approved", "looks right")
    assert (approved.status, approved.reviewer, approved.annotator) == ("approved", "rev", "ann")


def test_progress_counts_corrections_per_annotator(studio, fight):
    corrections.save(studio, fight, "ann", Edit(answer="Anomaly", interval=(6, 12)), "submitted")
    other = items.switch_task(studio, fight, "classification")
    corrections.save(studio, other, "ann", Edit(answer="Fighting"), "draft")
    totals, people = progress.progress(studio)
    assert ["items", 16] in totals and ["corrections submitted", 1] in totals
    assert people == [["ann", 1, 1, 0, 0, 2]]


def test_export_contains_the_approved_correction(studio, fight):
    form = Edit(answer="Anomaly", reasoning="A fight from 5 to 11.5 s.", interval=(5.0, 11.5))
    _, submitted = corrections.save(studio, fight, "ann", form, "submitted")
    review.review(studio, submitted.id, "rev", "approved", None)
    path, summary = progress.export(studio, "trl-grpo", "approved", False)
    text = zipfile.ZipFile(path).read("train.jsonl").decode("utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert summary.startswith("1 records (1 corrections")
    assert len(records) == 1 and "11.5" in json.dumps(records[0])


@pytest.mark.parametrize(
    ("fmt", "files"),
    [
        ("trl-sft", {"train.jsonl"}),
        ("trl-grpo", {"train.jsonl"}),
        ("vau-csv", {"train_other.csv"}),  # one CSV per source: the samples are "other"
        ("sharegpt", {"train.json", "dataset_info.json"}),
    ],
)
def test_every_download_is_the_export_folder_with_its_manifest(studio, fight, fmt, files):
    path, _ = progress.export(studio, fmt, "all", True)
    assert path.suffix == ".zip"
    assert set(zipfile.ZipFile(path).namelist()) == files | {"manifest.json"}


def test_the_model_tab_plans_memory_at_the_studio_budget(studio):
    lines = checkpoints.memory_plan(studio, "tiny", "none", "cpu")
    budget = studio.settings.total_pixels // (28 * 28)
    assert any(f"{budget} visual" in line for line in lines)
    assert lines[-1].startswith("total")


def test_the_model_tab_needs_a_name_to_plan_memory(studio):
    with pytest.raises(InvalidInput, match="name a checkpoint"):
        checkpoints.memory_plan(studio, "  ", "none", "cpu")


def test_load_model_needs_a_name(studio):
    with pytest.raises(InvalidInput, match="name a checkpoint"):
        checkpoints.load_model(studio, "  ", "none", "auto")


def test_loading_a_missing_checkpoint_says_why_and_keeps_the_model_serving(studio, tmp_path):
    serving = studio.models.engine
    status = checkpoints.load_model(studio, str(tmp_path / "nowhere"), "none", "cpu")
    assert "does not exist" in status.message and "still serving" in status.message
    assert studio.models.engine is serving is not None and status.state == "ready"


# --- unsaved edits ------------------------------------------------------------------------


SHOWN = Edit(
    answer="Anomaly",
    reasoning="They fight.",
    interval=(6.0, 12.0),
    class_name="Fighting",
    comment=None,
)


@pytest.mark.parametrize(
    ("form", "edited"),
    [
        (None, False),  # the page has not reported its fields
        (Edit(), False),  # blank: nothing to lose
        (SHOWN, False),
        (
            Edit(
                answer="Anomaly",
                reasoning="They fight.",
                interval=(6.0, 12.0),
                class_name="Fighting",
                comment="sure?",
            ),
            True,
        ),
        (
            Edit(
                answer="Anomaly",
                reasoning="They fight.",
                interval=(6.5, 12.0),
                class_name="Fighting",
                comment=None,
            ),
            True,
        ),
    ],
)
def test_edits_are_what_differs_from_what_the_page_showed(fight, form, edited):
    assert corrections.edited(replace(fight, shown=SHOWN), form) is edited


MODEL = parse_response("<answer>Anomaly</answer><glue>[6.0, 12.0]</glue>", "grounding")


@pytest.mark.parametrize(
    ("form", "fills"),
    [
        (None, True),  # an API caller sent no fields
        (Edit(), True),  # blank
        (from_result(MODEL), True),  # the model's previous answer, as the page put it there
        (Edit(answer="Anomaly", interval=(6.0, 12.0), class_name="Fighting"), False),  # truth
        (Edit(answer="Anomaly", interval=(5.0, 12.0)), False),  # typed
    ],
)
def test_a_run_fills_only_a_blank_form_or_one_with_the_models_last_answer(fight, form, fills):
    assert corrections.run_fills(replace(fight, result=MODEL), form) is fills


def test_a_run_over_a_form_pre_filled_from_truth_keeps_it(studio, fight):
    truth = corrections.initial_form(studio, fight, "ann")
    assert truth.interval == (6.0, 12.0)  # the sample's ground truth
    assert not corrections.run_fills(fight, truth)


def test_a_round_trip_through_the_page_is_not_an_edit():
    model = Edit(
        answer="anomaly ",
        reasoning="Why.\n",
        interval=(6.04999, 12.0),
        class_name="fighting (lowercase, not a class)",
        comment="",
    )
    shown = as_shown(model)
    assert shown == Edit(
        answer="anomaly", reasoning="Why.", interval=(6.05, 12.0), class_name=None, comment=None
    )
    assert as_shown(shown) == shown


def test_leaving_with_edits_saves_them_as_a_draft(studio, fight):
    edits = Edit(
        answer="Anomaly",
        reasoning=None,
        interval=(5.0, 12.5),
        class_name=None,
        comment="before moving on",
    )
    note = corrections.keep_edits(studio, fight, "ann", edits)
    assert note == "Your edits on sample_fight.mp4 · Grounding were saved as draft revision 1. "
    revision = studio.store.current(fight.item_id, "ann")
    assert (revision.status, revision.interval, revision.comment) == (
        "draft",
        (5.0, 12.5),
        "before moving on",
    )


@pytest.mark.parametrize(
    ("who", "form", "says"),
    [
        (None, Edit(comment="x"), "enter your name to keep them"),
        (
            "ann",
            Edit(answer="Anomaly", interval=(12.0, 3.0)),
            "are not saved .*interval: start 12 s must come before",
        ),
    ],
)
def test_edits_that_cannot_be_kept_stop_the_move(studio, fight, who, form, says):
    with pytest.raises(InvalidInput, match=says):
        corrections.keep_edits(studio, fight, who, form)
    assert studio.store.current(fight.item_id, "ann") is None


EDITS = Edit(answer="Anomaly", interval=(5.0, 12.5), comment="before moving on")


def test_one_pick_reported_twice_keeps_the_edits_once(studio, fight):
    # The second report carries the same old page (same session, same fields) as the first.
    first = corrections.keep_edits(studio, fight, "ann", EDITS)
    second = corrections.keep_edits(studio, fight, "ann", EDITS)
    assert [r.number for r in studio.store.history(fight.item_id, "ann")] == [1]
    assert first.endswith("were saved as draft revision 1. ")
    assert second == "Your edits on sample_fight.mp4 · Grounding are in draft revision 1. "


def test_two_reports_at_once_keep_the_edits_once(studio, fight):
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: corrections.keep_edits(studio, fight, "ann", EDITS), range(2)))
    assert len(studio.store.history(fight.item_id, "ann")) == 1


def test_new_edits_after_a_kept_draft_are_a_new_revision(studio, fight):
    corrections.keep_edits(studio, fight, "ann", EDITS)
    corrections.keep_edits(studio, fight, "ann", replace(EDITS, comment="changed my mind"))
    assert [r.comment for r in studio.store.history(fight.item_id, "ann")] == [
        "before moving on",
        "changed my mind",
    ]


def test_no_edits_nothing_saved(studio, fight):
    assert corrections.keep_edits(studio, fight, "ann", None) == ""
    assert corrections.keep_edits(studio, fight, "ann", Edit()) == ""
    assert studio.store.current(fight.item_id, "ann") is None


# --- the queue ----------------------------------------------------------------------------


def test_queue_labels_carry_the_annotators_state(studio, fight):
    corrections.save(studio, fight, "ann", Edit(answer="Anomaly", interval=(6, 12)), "submitted")
    labels = dict((i, label) for label, i in items.queue_choices(studio, "ann"))
    assert labels[fight.item_id] == "sample_fight.mp4 · Grounding · submitted"
    assert labels[_item(studio, "sample_fall.mp4", "grounding")].endswith(" · new")
    anonymous = dict((i, label) for label, i in items.queue_choices(studio))
    assert anonymous[fight.item_id] == "sample_fight.mp4 · Grounding"


@pytest.mark.parametrize(
    ("fields", "count"),
    [
        (("all", "all", "all", True), 16),
        (("grounding", "all", "all", True), 4),
        (("all", "all", "submitted", True), 1),
        (("all", "all", "new", True), 15),
        (("qa", "all", "submitted", True), 0),
        (("all", "nowhere", "all", True), 0),
    ],
)
def test_queue_filters_by_task_source_and_state(studio, fight, fields, count):
    corrections.save(studio, fight, "ann", Edit(answer="Normal"), "submitted")
    filters = items.QueueFilter.from_fields(*fields)
    assert len(items.queue_choices(studio, "ann", filters)) == count


def test_queue_can_list_items_whose_video_is_elsewhere(studio):
    studio.store.add_item(studio.store.add_video("elsewhere.mp4", "msad").id, "grounding")
    filters = items.QueueFilter.from_fields("all", "all", "all", False)
    assert len(items.queue_choices(studio, "ann", filters)) == 17


def test_next_never_offers_the_item_on_screen(studio, fight):
    corrections.save(studio, fight, "ann", Edit(comment="draft"), "draft")  # drafts come first
    assert items.next_item(studio, "ann", fight).item_id != fight.item_id


def test_skipped_items_are_passed_until_the_session_ends(studio, fight):
    first = items.next_item(studio, "ann", fight, skip=True)
    assert first.skipped == (fight.item_id,)
    second = items.next_item(studio, "ann", first, skip=True)
    assert second.item_id not in (fight.item_id, first.item_id)
    assert second.skipped == (fight.item_id, first.item_id)


def test_an_export_with_nothing_to_write_says_why_instead_of_offering_a_file(studio):
    from annotate.errors import NothingToExport

    with pytest.raises(NothingToExport, match="no correction is approved"):
        progress.export(studio, "dpo", "approved", False)


def test_the_review_queue_is_oldest_submission_first_as_it_says(studio):
    fall = items.open_item(studio, _item(studio, "sample_fall.mp4", "grounding"))
    fire = items.open_item(studio, _item(studio, "sample_fire.mp4", "grounding"))
    later_item, earlier_item = sorted([fall, fire], key=lambda s: s.item_id, reverse=True)
    form = Edit(answer="Normal")
    _, first = corrections.save(studio, later_item, "ann", form, "submitted")
    _, second = corrections.save(studio, earlier_item, "ann", form, "submitted")
    assert [rev.id for _, rev in review.submitted_queue(studio)] == [first.id, second.id]


def test_the_picker_lists_a_just_made_item_even_when_its_filter_would_not(studio):
    session = items.ensure_item(studio, items.open_upload(studio, str(FIGHT), "grounding"))
    samples_only = items.QueueFilter(source="samples")
    listed = [item for _, item in items.queue_choices(studio, "ann", samples_only)]
    assert session.item_id not in listed
    choices = items.queue_choices(studio, "ann", samples_only, include=session.item_id)
    assert choices[0][1] == session.item_id and "· new" in choices[0][0]
    assert [item for _, item in choices[1:]] == listed
