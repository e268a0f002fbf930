"""The launched Studio through gradio_client: the real tiny checkpoint, a real SQLite file."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from annotate.store import Store
from inference.core.tasks import DEFAULT_FPS
from tests.app_helpers import ROOT, call, item_id, launch, studio_settings

SAMPLES = ROOT / "assets" / "samples"


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_checkpoint):
    """The Studio serving the tiny checkpoint (loaded the way `--model DIR` loads it)."""
    if not any(SAMPLES.glob("*.mp4")):
        pytest.fail("no sample videos: run `python assets/make_samples.py`")
    settings = studio_settings(tmp_path_factory.mktemp("studio"), model=str(tiny_checkpoint))
    demo, url = launch(settings)
    assert demo.studio.models.wait(timeout=300) is not None, demo.studio.models.status().message
    yield demo, url
    demo.close()


@pytest.fixture
def client(studio) -> Client:
    return Client(studio[1], verbose=False)


def run_args(task: str, name: str = "ann", question: str = "", options=("",) * 4) -> tuple:
    return (task, True, DEFAULT_FPS[task], 8, question, *options, name)


@pytest.mark.parametrize("task", ["grounding", "classification", "qa", "description"])
def test_each_task_runs_and_gives_a_parsed_result(studio, client, task):
    demo, _ = studio
    item = demo.studio.store.get_item(item_id(demo, "sample_fall.mp4", task))
    call(client, "open_item", item.id, "ann")
    options = tuple(item.options or ("",) * 4)
    out = call(client, "run", *run_args(task, question=item.question or "", options=options))
    assert "Done." in out["Run status"], out["Run status"]
    assert "Model answer" in out["Result"]
    (run,) = demo.studio.store.runs(item.id)
    assert run.raw == out["Raw output"] != ""
    assert run.parsed["task"] == task and "format_ok" in run.parsed
    assert run.settings["frames"] == 8 and run.checkpoint.endswith("tiny-qwen2.5-vl")
    assert run.timings["new_tokens"] > 0 and run.timings["sampling_s"] > 0


def test_a_run_keeps_a_form_pre_filled_from_the_ground_truth(studio, client):
    demo, _ = studio
    opened = call(client, "open_item", item_id(demo, "sample_fight.mp4", "grounding"), "prefill")
    assert (opened["Start (s)"], opened["End (s)"]) == ("6", "12")  # the truth, as shown
    answer = opened["Answer"]["value"]  # an update: the answer box is sized for the task
    fields = [answer, *(opened[k] for k in ("Start (s)", "End (s)", "Class", "Reasoning"))]
    out = call(client, "run", *run_args("grounding", "prefill"), *fields, "")
    assert "The pre-filled form is kept" in out["Run status"]
    assert (out["Start (s)"], out["End (s)"]) == ("6", "12")


def test_draft_and_submit_land_in_the_database(studio, client):
    demo, _ = studio
    fight = item_id(demo, "sample_fight.mp4", "grounding")
    call(client, "open_item", fight, "cli-annotator")
    form = ("Anomaly", 5.5, 12.0, "Fighting", "They fight from 5.5 s to 12 s.", "first pass")
    saved = call(client, "save_draft", *form, "cli-annotator")
    assert "Saved draft: revision 1" in saved["Save status"]
    submitted = call(client, "submit", *form[:2], 12.5, *form[3:], "cli-annotator")
    assert "Submitted: revision 2" in submitted["Save status"]
    with Store(demo.studio.settings.db_url) as store:  # a second connection, as a reader would
        history = store.history(fight, "cli-annotator")
    assert [(r.number, r.status, r.interval, r.author) for r in history] == [
        (1, "draft", (5.5, 12.0), "cli-annotator"),
        (2, "submitted", (5.5, 12.5), "cli-annotator"),
    ]
    assert history[-1].class_name == "Fighting" and history[-1].comment == "first pass"


def test_restoring_over_a_submission_asks_first_and_the_second_press_does_it(studio, client):
    demo, _ = studio
    fire = item_id(demo, "sample_fire.mp4", "grounding")
    call(client, "open_item", fire, "restorer")
    call(client, "save_draft", "Anomaly", 9.0, 20.0, None, "", "", "restorer")
    call(client, "submit", "Anomaly", 9.0, 21.0, None, "", "", "restorer")

    def waiting() -> list[str]:
        return [r.annotator for _, r in demo.studio.store.review_queue()]

    asked = call(client, "restore", 1, "restorer")["Save status"]
    assert "Revision 2 is submitted and waiting for review" in asked
    assert "restorer" in waiting() and len(demo.studio.store.history(fire, "restorer")) == 2
    done = call(client, "restore", 1, "restorer")["Save status"]
    assert "Restored revision 1 as draft revision 3" in done
    assert "restorer" not in waiting()


def test_a_bad_correction_is_a_message_and_nothing_is_saved(studio, client):
    demo, _ = studio
    fire = item_id(demo, "sample_fire.mp4", "grounding")
    call(client, "open_item", fire, "bad-input")
    out = call(client, "submit", "Anomaly", 12.0, 3.0, None, "", "", "bad-input")
    assert "interval: start 12 s must come before end 3 s" in out["Save status"]
    assert demo.studio.store.history(fire, "bad-input") == []


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (("Normal", None, None, None, "", "x" * 1_000_001), "comment: 1,000,001 characters"),
        (("Anomaly", 1.0, 3.0, None, "y" * 50_001, ""), "reasoning: 50,001 characters is more"),
    ],
)
def test_wrong_or_huge_fields_through_the_api_are_refused_by_name(studio, client, fields, says):
    demo, _ = studio
    fire = item_id(demo, "sample_fire.mp4", "grounding")
    call(client, "open_item", fire, "api-input")
    out = call(client, "save_draft", *fields, "api-input")
    assert says in out["Save status"] and 'class="warn"' in out["Save status"]
    assert demo.studio.store.history(fire, "api-input") == []


def test_non_video_upload_shows_a_message_and_the_app_keeps_working(studio, client, tmp_path):
    demo, _ = studio
    text = tmp_path / "notes.txt"
    text.write_text("this is not a video", encoding="utf-8")
    out = call(client, "upload", handle_file(str(text)), "grounding", "ann")
    assert 'class="warn"' in out["Save status"] and "notes.txt" in out["Save status"]
    fall = item_id(demo, "sample_fall.mp4", "grounding")
    opened = call(client, "open_item", fall, "ann")
    assert opened["Video"]["value"].endswith("sample_fall.mp4")


def test_video_upload_is_kept_and_registered(studio, client):
    demo, _ = studio
    video = SAMPLES / "sample_normal.mp4"
    out = call(client, "upload", handle_file(str(video)), "grounding", "")
    assert "Uploaded:" in out["Save status"]
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    record = demo.studio.store.find_video(f"sample_normal-{digest[:8]}.mp4", "upload")
    assert record is not None and record.content_hash == digest
    assert Path(record.path).read_bytes() == video.read_bytes()


def test_saves_go_through_while_a_generation_runs(studio, client):
    demo, url = studio
    fall = item_id(demo, "sample_fall.mp4", "grounding")
    call(client, "open_item", fall, "runner")
    short = demo.studio.settings
    demo.studio.settings = replace(short, max_new_tokens=4096)  # long enough to overlap
    try:
        job = client.submit(*run_args("grounding", "runner"), api_name="/run")
        _wait_for_text(job)
        other = Client(url, verbose=False)
        call(other, "open_item", item_id(demo, "sample_fire.mp4", "grounding"), "saver")
        started = time.monotonic()
        saved = call(other, "save_draft", "Normal", None, None, None, "", "", "saver")
        assert "Saved draft" in saved["Save status"]
        assert not job.done(), "the save waited for the generation"
        assert time.monotonic() - started < 10
        said = call(client, "stop")["Run status"]
        # A bare update when the run ended within Stop's wait: its own last line stands.
        assert said.get("__type__") == "update" if isinstance(said, dict) else "Stopping" in said
        final = job.result(timeout=60)
    finally:
        demo.studio.settings = short
    assert "Stopped: partial output kept." in str(final)


def _wait_for_text(job, timeout: float = 60) -> None:
    """Wait until the job has streamed some model text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(isinstance(o, tuple) and o[1] for o in job.outputs()):
            return
        time.sleep(0.2)
    pytest.fail("no streamed text within a minute")


def test_a_run_records_the_quantization_of_the_model_that_ran_it(studio, client, tiny_checkpoint):
    demo, _ = studio
    fall = item_id(demo, "sample_fall.mp4", "grounding")
    try:
        status = call(client, "load_model", str(tiny_checkpoint), "4bit", "cpu")["Model status"]
        assert "ready" in status, status
        call(client, "open_item", fall, "ann")
        out = call(client, "run", *run_args("grounding"))
        assert "Done." in out["Run status"], out["Run status"]
        run = demo.studio.store.runs(fall)[0]
        assert demo.studio.settings.quant == "none"  # what the Studio started with
        assert (run.quantization, run.settings["quant"], run.settings["device"]) == (
            "4bit",
            "4bit",
            "cpu",
        )
        assert run.settings["model_source"] == str(tiny_checkpoint)
    finally:
        call(client, "load_model", str(tiny_checkpoint), "none", "auto")
