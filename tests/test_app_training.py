"""Training from the Studio through gradio_client: an admin starts an SFT job on the approved
corrections, watches its steps and loss curve grow, stops it, resumes it, it finishes, and the
checkpoint it made is listed, loads and runs; a GRPO job's rollouts show in the tab; a Studio
restarted mid-job shows the job as lost."""

from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client

from annotate.jobs import get_job, list_jobs
from annotate.store import Store
from app.training import FORM_FIELDS, JobForm
from app.training_jobs import alive
from inference.core.metrics import iou
from tests.app_helpers import (
    CORRECTED,
    ROOT,
    approve_corrections,
    call,
    free_port,
    item_id,
    launch,
    studio_settings,
)

USERS = "ann:pw-a,rev:pw-r:reviewer,boss:pw-b:admin"


def form(**changes) -> list:
    """/start_training's inputs, in order, from a JobForm with `changes`."""
    values = vars(JobForm(task="grounding", think=False, **changes))
    return [values[name] for name in FORM_FIELDS]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("training")
    settings = replace(studio_settings(root, users=USERS, checkpoints=str(root / "checkpoints")),
                       max_new_tokens=32)  # fmt: skip
    demo, url = launch(settings)
    approve_corrections(demo.studio.store)
    yield demo, url
    demo.studio.training.close()
    demo.close()


def boss(url: str) -> Client:
    return Client(url, auth=("boss", "pw-b"), verbose=False)


def details(client: Client, job_id: int) -> dict:
    return call(client, "training_jobs", job_id)["Job details"]


def wait_for(client: Client, job_id: int, done, what: str, timeout_s: float = 300) -> dict:
    """Poll the job's details until `done(details)`; those details."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen = details(client, job_id)
        assert "state" in seen, f"no job {job_id}"
        if done(seen):
            return seen
        assert seen["state"] not in ("failed", "lost"), seen["message"]
        time.sleep(0.3)
    raise AssertionError(f"job {job_id}: {what} did not happen: {seen}")


def test_the_data_count_is_shown_before_starting(studio):
    demo, url = studio
    out = call(boss(url), "training_data", "sft+grpo", "grounding", False, False)
    assert "Training records now: 4 for SFT, 4 for GRPO" in html.unescape(out["Training data"])


def test_an_admin_trains_stops_resumes_and_loads_the_checkpoint(studio, tiny_checkpoint):
    demo, url = studio
    client = boss(url)
    args = form(base=str(tiny_checkpoint), name="round-1", max_steps=40, save_steps=4,
                sft_lr=3e-3)  # fmt: skip
    out = call(client, "start_training", *args, "typed names do not count")
    assert "Job 1 queued: sft from" in html.unescape(out["Training status"]), out
    first = wait_for(client, 1, lambda d: d["step"] >= 3, "three steps")
    later = wait_for(client, 1, lambda d: d["step"] > first["step"], "another step")
    assert later["metrics"]["loss"] > 0 and later["max_steps"] == 40
    shown = call(client, "training_jobs", 1)
    assert "loss" in str(shown["Metrics"])  # the curve is drawn

    stopping = call(client, "stop_training", 1, "")
    assert "stopping" in html.unescape(stopping["Training status"])
    stopped = wait_for(client, 1, lambda d: d["state"] == "stopped", "the stop", 120)
    assert stopped["message"].startswith("stopped at step "), stopped["message"]
    step = stopped["step"]
    assert 3 <= step < 40 and not (Path(stopped["checkpoint"]) / "training.json").exists()

    call(client, "resume_training", 1, "")
    done = wait_for(client, 1, lambda d: d["state"] == "finished", "the end", 600)
    assert done["step"] == 40 and done["created_by"] == "boss"
    checkpoint = Path(done["checkpoint"])
    assert (checkpoint / "training.json").is_file()
    assert get_job(demo.studio.store, 1).created_by == "boss"

    (row,) = call(client, "checkpoints")["Local checkpoints"]["data"]
    assert row[0] == "round-1" and row[-1] == str(checkpoint)
    status = call(client, "load_model", str(checkpoint), "none", "cpu")["Model status"]
    assert "ready" in status, status
    fight = item_id(demo, "sample_fight.mp4", "grounding")
    call(client, "open_item", fight, "")
    ran = call(client, "run", "grounding", False, 2.0, 768, "", "", "", "", "", "")
    assert "Done." in ran["Run status"], ran["Run status"]
    run = demo.studio.store.runs(fight)[0]
    assert run.checkpoint == str(checkpoint) and run.parsed["format_ok"]
    assert iou(run.parsed["interval"], CORRECTED["sample_fight.mp4"]) >= 0.5


def test_a_grpo_job_writes_rollouts_that_the_tab_shows(studio, tiny_checkpoint):
    demo, url = studio
    client = boss(url)
    args = form(recipe="grpo", base=str(tiny_checkpoint), name="grpo-1", max_steps=2,
                num_generations=2, max_completion_length=12, rollout_steps=1)  # fmt: skip
    out = call(client, "start_training", *args, "")
    job = int(html.unescape(out["Training status"]).split("Job ")[1].split(" ")[0])
    wait_for(client, job, lambda d: d["state"] == "finished", "the end", 600)
    shown = call(client, "training_jobs", job)
    table = html.unescape(shown["Rollouts"])
    assert "Step 2: 1 prompt." in table and table.count("<tr>") == 1 + 2  # header + 2 samples
    assert "<th>IoU</th>" in table
    details = shown["Job details"]
    assert {"GRPO reward (sum)", "format reward", "IoU reward"} & set(details["metrics"])


def test_a_studio_restarted_mid_job_shows_the_job_as_lost(tmp_path, tiny_checkpoint):
    """A Studio in its own process starts a job and dies; its job's process dies too."""
    db, port = f"sqlite:///{tmp_path / 'studio.db'}", free_port()
    folders = {name: str(tmp_path / name) for name in ("checkpoints", "exports", "uploads")}
    command = [sys.executable, "app.py", "--db", db, "--port", str(port), "--users", USERS,
               *(x for name, path in folders.items() for x in (f"--{name}", path))]  # fmt: skip
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = wait_for_studio(f"http://127.0.0.1:{port}/", first)
        approve_corrections(Store(db))  # on the samples the Studio imported
        args = form(base=str(tiny_checkpoint), name="lost-1", max_steps=400, save_steps=100)
        out = call(client, "start_training", *args, "")
        assert "Job 1 queued" in html.unescape(out["Training status"]), out["Training status"]
        wait_for(client, 1, lambda d: d["step"] >= 1, "a step")
    finally:
        first.kill()
        first.wait()
    pid = get_job(Store(db), 1).pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)

    demo, url = launch(studio_settings(tmp_path, users=USERS, checkpoints=str(tmp_path / "ck")))
    try:
        seen = details(boss(url), 1)
        assert seen["state"] == "lost" and "its process is gone" in seen["message"]
        (job,) = list_jobs(demo.studio.store)
        assert job.state == "lost" and not job.active
    finally:
        demo.studio.training.close()
        demo.close()


def wait_for_studio(url: str, process: subprocess.Popen, timeout_s: float = 120) -> Client:
    """A client once the Studio in `process` answers."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        try:
            return Client(url, auth=("boss", "pw-b"), verbose=False)
        except Exception:  # noqa: BLE001 - not serving yet
            time.sleep(0.5)
    raise AssertionError("the Studio did not start")


def test_evaluate_before_loading_compares_a_checkpoint_with_the_loaded_model(
    studio, tiny_checkpoint
):
    demo, url = studio
    client = boss(url)
    status = call(client, "load_model", str(tiny_checkpoint), "none", "cpu")["Model status"]
    assert "ready" in status, status
    out = call(client, "evaluate_checkpoint", "world", 6, "classification", False, "")
    said = html.unescape(out["Evaluation status"])
    assert "queued as job" in said and "B world on 6 held-out videos" in said, said
    job = int(said.split("job ")[1].split(":")[0])
    done = wait_for(client, job, lambda d: d["state"] == "finished", "the evaluation", 600)
    assert done["message"].startswith("finished: the comparison is below"), done["message"]
    rows = {row[0]: row for row in done["comparison"]}
    accuracy = rows["multiclass_accuracy"]
    a, b, gain, interval = accuracy[1], accuracy[2], accuracy[3], accuracy[4]
    print(f"\nheld-out classification accuracy: A tiny {a}, B world {b}, B − A {gain} {interval}")
    assert b > a and gain == pytest.approx(b - a, abs=0.01)
    shown = call(client, "training_jobs", job)
    table = shown["Evaluation: B (candidate) − A (loaded model)"]
    assert table["data"][0][0] in rows
