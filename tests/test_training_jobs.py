"""Training jobs without training: the form's checks, the stages a job plans, the store's job
records, and what the tab reads from a job's files (progress, curves, warnings, log)."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from annotate.errors import InvalidInput, NotFound
from annotate.jobs import add_job, get_job, list_jobs, update_job
from annotate.store import Store
from app.services import Studio
from app.settings import Settings
from app.training import JobForm, count_examples, plan_job
from app.training_jobs import Running, last_error
from app.training_view import curves, job_rows, log_tail, progress, zero_warnings
from tests.app_helpers import approve_corrections
from tests.conftest import SAMPLES_CSV, SAMPLES_DIR
from train.config import TrainError


@pytest.fixture
def studio(tmp_path):
    from annotate.importer import import_csv

    settings = Settings(db_url=f"sqlite:///{tmp_path / 'studio.db'}",
                        exports=str(tmp_path / "exports"),
                        checkpoints=str(tmp_path / "checkpoints"))  # fmt: skip
    store = Store(settings.db_url)
    import_csv(store, SAMPLES_CSV, videos=SAMPLES_DIR)
    approve_corrections(store)
    yield Studio(settings, store)
    store.close()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recipe": "dpo"}, "unknown recipe 'dpo'"),
        ({"base": "  "}, "name the base checkpoint"),
        ({"name": ""}, "name the new checkpoint"),
        ({"name": "../escape"}, "name the new checkpoint"),
        ({"name": "a b"}, "name the new checkpoint"),
        ({"max_steps": None}, "fill in max steps"),
        ({"sft_lr": None}, "fill in sft lr"),
    ],
)
def test_the_form_refuses_what_cannot_train(changes, message):
    form = replace(JobForm(name="ok"), **changes)
    with pytest.raises(InvalidInput, match=message):
        form.check()


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"max_steps": 0}, "--max-steps is a positive number"), ({"sft_lr": -1.0}, "--lr must be")],
)
def test_impossible_settings_are_refused_before_anything_is_queued(studio, changes, message):
    with pytest.raises(TrainError, match=message):
        plan_job(
            studio, replace(JobForm(name="bad", task="grounding", think=False), **changes), "boss"
        )
    assert list_jobs(studio.store) == []


def test_the_count_is_what_the_export_would_hold(studio):
    form = JobForm(recipe="sft+grpo", task="grounding", think=False)
    assert count_examples(studio, form) == {"sft": 4, "grpo": 4}
    with_truth = replace(form, task="all", ground_truth=True)
    counts = count_examples(studio, with_truth)
    assert counts["sft"] > counts["grpo"] > 4  # GRPO has no reward for descriptions


def test_sft_then_grpo_plans_two_stages_the_second_from_the_first(studio):
    job = plan_job(studio, JobForm(recipe="sft+grpo", name="round-2", task="grounding", think=False,
                                   max_steps=7, grpo_lr=3e-6), "boss")  # fmt: skip
    sft, grpo = job.stages
    checkpoints = studio.settings.checkpoints
    assert sft["out"] == f"{checkpoints}/round-2-sft" and grpo["out"] == f"{checkpoints}/round-2"
    assert grpo["argv"][grpo["argv"].index("--model") + 1] == sft["out"]
    assert grpo["argv"][grpo["argv"].index("--lr") + 1] == "3e-06"
    assert sft["argv"][2:4] == ["train", "sft"] and grpo["argv"][2:4] == ["train", "grpo"]
    assert (sft["max_steps"], job.state, job.created_by) == (7, "queued", "boss")
    exports = job.data["exports"]
    assert exports["trl-sft"]["from_corrections"] == exports["trl-grpo"]["from_corrections"] == 4


def test_a_name_whose_checkpoint_exists_is_refused(studio, tmp_path):
    (tmp_path / "checkpoints" / "taken").mkdir(parents=True)
    with pytest.raises(InvalidInput, match="taken exists: choose another name"):
        plan_job(studio, JobForm(name="taken", task="grounding", think=False), "boss")


def test_no_approved_data_is_refused_with_the_exports_reason(studio):
    with pytest.raises(InvalidInput, match="nothing to export|no "):
        plan_job(studio, JobForm(name="empty", task="qa"), "boss")
    assert list_jobs(studio.store) == []


def job_in(studio, tmp_path, recipe="grpo", max_steps=40):
    out = tmp_path / "run"
    out.mkdir(exist_ok=True)
    stage = {"recipe": recipe, "argv": ["true"], "out": str(out), "max_steps": max_steps}
    return add_job(studio.store, name="j", recipe=recipe, base="tiny", stages=[stage],
                   data={"folder": str(tmp_path / "work")}, settings={},
                   created_by="boss")  # fmt: skip


def write_metrics(folder, records):
    lines = [json.dumps(record) for record in records]
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n{half a line", encoding="utf-8")


def test_the_store_keeps_a_jobs_state_and_refuses_what_cannot_change(studio, tmp_path):
    job = job_in(studio, tmp_path)
    assert (job.state, job.message, job.active) == ("queued", "queued", True)
    running = update_job(studio.store, job.id, state="running", pid=4242)
    assert running.pid == 4242 and running.ended_at is None
    ended = update_job(studio.store, job.id, state="failed", message="failed: x")
    assert ended.ended_at is not None and ended.pid is None and not ended.active
    with pytest.raises(InvalidInput, match="unknown job state"):
        update_job(studio.store, job.id, state="paused")
    with pytest.raises(InvalidInput, match="cannot change"):
        update_job(studio.store, job.id, base="world")
    with pytest.raises(NotFound, match="no training job 99"):
        get_job(studio.store, 99)
    assert [j.id for j in list_jobs(studio.store, states=("failed",))] == [job.id]


def test_curves_come_from_the_metrics_file_and_a_torn_line_is_skipped(studio, tmp_path):
    job = job_in(studio, tmp_path)
    write_metrics(tmp_path / "run", [
        {"step": 1, "loss": 2.0, "reward": 0.5, "rewards/iou_reward/mean": 0.0, "kl": 0.0},
        {"step": 2, "loss": 1.5, "reward": 0.7, "rewards/iou_reward/mean": 0.1, "kl": 0.01},
    ])  # fmt: skip
    found = curves(job)
    assert found["loss"] == [(1, 2.0), (2, 1.5)] and found["IoU reward"] == [(1, 0.0), (2, 0.1)]
    assert progress(job, None).step == 2


@pytest.mark.parametrize(("zeros", "warned"), [(20, True), (19, False)])
def test_a_reward_stuck_at_zero_is_warned_of(studio, tmp_path, zeros, warned):
    job = job_in(studio, tmp_path)
    records = [{"step": s, "rewards/iou_reward/mean": 0.2} for s in range(1, 6)]
    records += [{"step": 5 + s, "rewards/iou_reward/mean": 0.0} for s in range(1, zeros + 1)]
    write_metrics(tmp_path / "run", records)
    said = zero_warnings(curves(job))
    assert bool(said) is warned
    if warned:
        assert said[0].startswith("IoU reward has been 0 for the last 20 logged steps")


def test_the_time_left_comes_from_the_steps_the_running_process_made(studio, tmp_path):
    job = update_job(studio.store, job_in(studio, tmp_path).id, state="running")
    write_metrics(tmp_path / "run", [{"step": 10, "loss": 1.0}])
    running = Running(job.id, 0, process=None)
    assert progress(job, running).left_s is None  # one look is no rate yet
    running.seen = (time.time() - 10.0, 5)  # 5 steps took 10 s: 30 steps to go take ~60 s
    assert progress(job, running).left_s == pytest.approx(60.0, rel=0.05)
    (row,) = job_rows([job], running)
    assert row[3:5] == ["running", "step 10 / 40"] and row[6] == "1 min 0 s"


def test_the_log_keeps_each_progress_bars_last_state_and_the_error_line(studio, tmp_path):
    job = job_in(studio, tmp_path)
    (tmp_path / "work").mkdir()
    text = "starting\n 10%|#   \r 50%|#####\r100%|##########\nerror: --data: no such folder\n"
    (tmp_path / "work" / "job.log").write_text(text, encoding="utf-8")
    assert log_tail(job).splitlines() == [
        "starting",
        "100%|##########",
        "error: --data: no such folder",
    ]
    assert last_error(tmp_path / "work" / "job.log") == "error: --data: no such folder"
