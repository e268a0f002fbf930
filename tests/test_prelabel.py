"""`python -m app.prelabel`: the model's first pass over the queue, with the tiny checkpoint
through the Studio's own run code, into a real SQLite file."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from annotate.cli import main as annotate_main
from annotate.records import Edit
from annotate.store import Store
from app import items
from app.prelabel import PRELABELER
from app.prelabel import main as prelabel_main
from app.runtime import ModelSlot
from app.services import Studio
from app.settings import Settings
from tests.conftest import ROOT, SAMPLES_CSV

SAMPLES = ROOT / "assets" / "samples"
FLAGS = ["--max-new-tokens", "8", "--quiet"]


@pytest.fixture
def db(tmp_path):
    """A store holding the bundled samples' items, their videos copied beside it."""
    videos = tmp_path / "videos"
    shutil.copytree(SAMPLES, videos)
    url = f"sqlite:///{tmp_path / 'studio.db'}"
    assert annotate_main(["import-csv", str(SAMPLES_CSV), "--videos", str(videos),
                          "--db", url]) == 0  # fmt: skip
    return url, videos


def prelabels(url: str, task: str = "grounding") -> dict[str, int]:
    """Pre-label runs per video name for the task's items."""
    with Store(url) as store:
        found = {}
        for item in store.list_items(task=task, limit=None):
            runs = [r for r in store.runs(item.id) if r.created_by == PRELABELER]
            found[item.video.name] = len(runs)
        return found


def test_every_item_gets_one_prelabel_and_a_rerun_adds_none(db, tiny_checkpoint, capsys):
    url, _ = db
    args = ["--task", "grounding", "--model", str(tiny_checkpoint), "--db", url, *FLAGS]
    assert prelabel_main(args) == 0
    assert "pre-labelled 4 grounding items" in capsys.readouterr().out
    assert set(prelabels(url).values()) == {1}
    assert prelabel_main(args) == 0
    out = capsys.readouterr().out
    assert "pre-labelled 0 grounding items" in out and "4 already done" in out
    assert set(prelabels(url).values()) == {1}


def test_a_prelabel_records_the_checkpoint_and_its_settings(db, tiny_checkpoint):
    url, _ = db
    assert prelabel_main(["--task", "classification", "--model", str(tiny_checkpoint),
                          "--db", url, "--no-think", *FLAGS]) == 0  # fmt: skip
    with Store(url) as store:
        item = store.list_items(task="classification", limit=1)[0]
        (run,) = store.runs(item.id)
    assert run.checkpoint == str(tiny_checkpoint) and run.created_by == PRELABELER
    assert run.settings["prelabel"] is True and run.settings["think"] is False
    assert run.settings["backend"] == "transformers" and run.settings["max_new_tokens"] == 8


def test_another_think_setting_is_another_prelabel(db, tiny_checkpoint):
    url, _ = db
    base = ["--task", "grounding", "--model", str(tiny_checkpoint), "--db", url, *FLAGS]
    assert prelabel_main(base) == 0
    assert prelabel_main([*base, "--no-think"]) == 0
    assert set(prelabels(url).values()) == {2}


def test_an_unreadable_video_is_one_line_and_the_rest_are_labelled(db, tiny_checkpoint, capsys):
    url, videos = db
    (videos / "sample_fight.mp4").write_bytes(b"this is not a video")
    args = ["--task", "grounding", "--model", str(tiny_checkpoint), "--db", url, *FLAGS]
    assert prelabel_main(args) == 1
    out = capsys.readouterr()
    assert "sample_fight.mp4:" in out.out + out.err
    assert "3 grounding items" in out.out and "1 could not be read" in out.out
    assert prelabels(url) == {"sample_fall.mp4": 1, "sample_fight.mp4": 0,
                              "sample_fire.mp4": 1, "sample_normal.mp4": 1}  # fmt: skip


def test_a_killed_pass_resumes_without_duplicates(db, tiny_checkpoint):
    url, _ = db
    command = [sys.executable, "-m", "app.prelabel", "--task", "grounding", "--model",
               str(tiny_checkpoint), "--db", url, *FLAGS]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(prelabels(url).values()) == 0:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert subprocess.run(command, cwd=ROOT, check=False).returncode == 0
    assert set(prelabels(url).values()) == {1}


def test_a_correction_of_a_prelabelled_item_names_the_run_it_started_from(db, tiny_checkpoint):
    url, _ = db
    assert prelabel_main(["--task", "grounding", "--model", str(tiny_checkpoint), "--db", url,
                          *FLAGS]) == 0  # fmt: skip
    with Store(url) as store:
        item = store.list_items(task="grounding", limit=1)[0]
        (run,) = store.runs(item.id)
        studio = Studio(Settings(db_url=url), store, ModelSlot())
        session = items.open_item(studio, item.id)  # what the Studio opens
        assert session.run_id == run.id and session.checkpoint == str(tiny_checkpoint)
        revision = store.save_correction(item.id, "ann", Edit(answer="Anomaly"),
                                         run_id=session.run_id)  # fmt: skip
        assert store.get_run(revision.run_id).settings["prelabel"] is True


def test_without_a_model_it_says_so_and_writes_nothing(db, capsys):
    url, _ = db
    assert prelabel_main(["--task", "grounding", "--db", url, *FLAGS]) == 2
    assert "name the checkpoint" in capsys.readouterr().err
    assert set(prelabels(url).values()) == {0}


def test_samples_keep_each_prelabel_s_spread_and_queue_the_most_uncertain_first(
    db, tiny_checkpoint, capsys
):
    url, _ = db
    assert prelabel_main(["--task", "grounding", "--model", str(tiny_checkpoint), "--db", url,
                          "--samples", "3", *FLAGS]) == 0  # fmt: skip
    assert "work queue 'most uncertain first: grounding': 4 items" in capsys.readouterr().out
    with Store(url) as store:
        runs = {i.id: store.runs(i.id)[0] for i in store.list_items(task="grounding", limit=None)}
        assert all(r.spread["samples"] == 3 and 0 <= r.uncertainty <= 1 for r in runs.values())
        queue = store.queue("most uncertain first: grounding")
    ordered = [runs[i].uncertainty for i in queue.item_ids]
    assert ordered == sorted(ordered, reverse=True) and len(ordered) == 4


@pytest.mark.parametrize("samples", ["1", "-2"])
def test_one_sample_is_no_spread_and_is_refused(db, tiny_checkpoint, capsys, samples):
    url, _ = db
    assert prelabel_main(["--task", "grounding", "--model", str(tiny_checkpoint), "--db", url,
                          "--samples", samples, *FLAGS]) == 2  # fmt: skip
    assert "--samples" in capsys.readouterr().err


# --- two hosts: inference eval there, annotate import-runs here -------------------------------


@pytest.fixture
def predictions(tmp_path, tiny_checkpoint):
    """A grounding predictions file of the tiny model on the bundled samples."""
    from inference.cli import main as inference_main

    out = tmp_path / "pred.jsonl"
    assert inference_main(["eval", "--csv", str(SAMPLES_CSV), "--videos", str(SAMPLES),
                           "--task", "grounding", "--model", str(tiny_checkpoint),
                           "--max-frames", "8", "--max-new-tokens", "8",
                           "--out", str(out)]) == 0  # fmt: skip
    return out


def test_imported_predictions_are_prelabels_and_a_second_import_adds_none(
    db, predictions, tiny_checkpoint, capsys
):
    url, _ = db
    args = ["import-runs", str(predictions), "--task", "grounding", "--db", url]
    assert annotate_main(args) == 0
    assert "4 pre-labels stored, 0 already there, 0 not placed" in capsys.readouterr().out
    assert annotate_main(args) == 0
    assert "0 pre-labels stored, 4 already there" in capsys.readouterr().out
    with Store(url) as store:
        item = store.list_items(task="grounding", limit=1)[0]
        (run,) = store.runs(item.id)
    assert run.created_by == PRELABELER and run.checkpoint == str(tiny_checkpoint)
    assert run.settings["prelabel"] is True and run.settings["provenance"]["weights"]
    assert run.parsed["format_ok"] in (True, False) and run.raw


def test_a_prediction_for_a_video_not_in_the_store_is_reported(tmp_path, predictions, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert annotate_main(["import-runs", str(predictions), "--task", "grounding",
                          "--db", url]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "0 pre-labels stored" in out and "not placed: sample_fall.mp4: no such video" in out
