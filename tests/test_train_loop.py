"""The loop on CPU: corrections in the store -> export -> `python -m train sft` -> a checkpoint
the Studio's loading code runs, which now answers in the protocol with the corrected interval."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from annotate.export import ExportOptions, export
from annotate.importer import import_csv
from annotate.records import Edit
from annotate.store import Store
from inference.backends.engine import Engine
from inference.core.metrics import grounding_scores, iou
from inference.core.prompts import build_prompt
from inference.models.loading import LoadOptions, load_model
from inference.video.sampling import SamplingOptions, sample_video
from tests.conftest import ROOT, SAMPLES_CSV, SAMPLES_DIR
from train.card import read_card
from train.cli import main
from train.rollouts import read_rollouts
from train.stopping import STOPPED_EXIT

# What the annotator says happens when, where it differs from the bundled truth (a correction).
CORRECTED = {
    "sample_fall.mp4": (7.5, 15.0),
    "sample_fight.mp4": (5.0, 12.0),
    "sample_fire.mp4": (9.0, 21.0),
    "sample_normal.mp4": None,
}
PROMPT = build_prompt("grounding", think=False)
SAMPLING = SamplingOptions(fps=2.0)


def grounding_outputs(model_dir) -> dict[str, object]:
    """The checkpoint's no-think grounding result on each bundled sample, by video name."""
    engine = Engine(load_model(LoadOptions(model=str(model_dir), device="cpu")))
    return {
        name: engine.run(sample_video(SAMPLES_DIR / name, SAMPLING), PROMPT, 32).result
        for name in CORRECTED
    }


def format_rate(results) -> float:
    return sum(r.format_ok for r in results.values()) / len(results)


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    """Two annotators correct the grounding items; a reviewer approves the first one's work."""
    folder = tmp_path_factory.mktemp("loop")
    with Store(f"sqlite:///{folder / 'studio.db'}") as store:
        import_csv(store, SAMPLES_CSV, videos=SAMPLES_DIR)
        for item in store.list_items(task="grounding"):
            interval = CORRECTED[item.video.name]
            edit = Edit(answer="Anomaly" if interval else "Normal", interval=interval)
            saved = store.save_correction(item.id, "ann", edit, status="submitted")
            store.review(saved.id, "rita", "approved")
            wrong = Edit(answer="Anomaly", interval=(0.5, 1.5))  # never approved: not exported
            store.save_correction(item.id, "bob", wrong, status="submitted")
        for fmt in ("trl-sft", "trl-grpo"):
            options = ExportOptions(format=fmt, out=folder / fmt, task="grounding", think=False)
            report = export(store, options)
            assert report.from_corrections == 4
    return folder / "trl-sft"


@pytest.fixture(scope="module")
def trained(export_dir, tiny_checkpoint, tmp_path_factory):
    """`python -m train sft` on the export, as a user runs it."""
    out = tmp_path_factory.mktemp("trained") / "toy-grounding"
    argv = ["sft", "--model", str(tiny_checkpoint), "--data", str(export_dir), "--out", str(out),
            "--max-steps", "60", "--lr", "3e-3", "--save-steps", "30"]  # fmt: skip
    assert main(argv) == 0
    return out


def test_the_trained_checkpoint_answers_in_the_protocol_with_the_corrected_interval(
    trained, tiny_checkpoint
):
    before, after = grounding_outputs(tiny_checkpoint), grounding_outputs(trained)
    print(f"\nformat rate before {format_rate(before):.2f}, after {format_rate(after):.2f}")
    assert format_rate(before) <= 0.25 and format_rate(after) >= 0.9
    truth = {name: span for name, span in CORRECTED.items() if span}
    score = grounding_scores(truth, {name: r.interval for name, r in after.items()})
    print(f"mIoU against the corrections: {score.miou:.1f}")
    for name, span in truth.items():
        assert after[name].answer == "Anomaly" and iou(after[name].interval, span) >= 0.5, name
    assert after["sample_normal.mp4"].answer == "Normal"


def test_training_json_says_what_was_trained_on_what_and_who_approved_it(trained, export_dir):
    card = read_card(trained)
    assert (card["recipe"], card["steps"], card["config"]["learning_rate"]) == ("sft", 60, 3e-3)
    assert card["data"]["records"] == 4 and card["data"]["tasks"] == {"grounding": 4}
    examples = card["data"]["manifest"]["examples"]
    assert {(e["annotator"], e["reviewer"], e["status"]) for e in examples} == {
        ("ann", "rita", "approved")
    }
    assert card["metrics"]["train_loss"] > 0 and card["versions"]["trl"] == "1.16.0"
    assert card["note"].startswith("toy model from the tiny random checkpoint: trained on 4 ")
    assert "for 60 steps (loss " in card["note"] and card["note"].endswith("not a VAU-R1 model")
    logged = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "loss" in r] == list(range(1, 61))


def test_grpo_goes_on_from_the_sft_checkpoint_with_the_protocols_rewards(
    trained, export_dir, tmp_path
):
    out = tmp_path / "grpo"
    data = export_dir.parent / "trl-grpo"
    argv = ["grpo", "--model", str(trained), "--data", str(data), "--out", str(out),
            "--max-steps", "2", "--max-completion-length", "24", "--lr", "1e-6",
            "--rollout-steps", "2"]  # fmt: skip
    assert main(argv) == 0
    card = read_card(out)
    assert (card["recipe"], card["steps"], card["config"]["beta"]) == ("grpo", 2, 0.04)
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in logged if "reward" in r]
    assert len(steps) == 2
    assert all(r["rewards/format_reward/mean"] >= 0.5 for r in steps)
    assert {"rewards/accuracy_reward/mean", "rewards/iou_reward/mean", "kl"} <= set(steps[0])
    assert format_rate(grounding_outputs(out)) >= 0.9
    # rollouts.jsonl: at step 2 (every 2 steps), the batch's prompt with its 4 completions, each
    # scored per component; the totals are the components' sum.
    (rollout,) = read_rollouts(out)
    assert rollout["step"] == 2 and rollout["task"] == "grounding"
    assert rollout["prompt"].endswith(".mp4") or "sample_" in rollout["prompt"]
    assert len(rollout["completions"]) == 4
    for completion in rollout["completions"]:
        rewards = completion["rewards"]
        assert set(rewards) == {"format_reward", "accuracy_reward", "iou_reward"}
        assert completion["total"] == pytest.approx(sum(rewards.values()))
        assert completion["text"]


def test_sigterm_stops_at_a_saved_checkpoint_and_the_same_command_resumes(
    export_dir, tiny_checkpoint, tmp_path
):
    out = tmp_path / "stopped"
    command = sft_command(tiny_checkpoint, export_dir, out)
    running = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, env=ONE_THREAD)
    deadline = time.monotonic() + 300
    while not (out / "metrics.jsonl").exists():
        assert running.poll() is None and time.monotonic() < deadline, "no step logged"
        time.sleep(0.05)
    running.send_signal(signal.SIGTERM)
    _, err = running.communicate(timeout=120)
    assert running.returncode == STOPPED_EXIT, err[-2000:]
    said = err.strip().splitlines()[-1]
    step = int(said.split("stopped at step ")[1].split(";")[0])
    assert said.startswith("stopped: stopped at step ") and 1 <= step < 16, said
    assert (out / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json").is_file()
    assert not (out / "training.json").exists()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=ONE_THREAD)
    assert done.returncode == 0, done.stderr[-2000:]
    card = read_card(out)
    assert card["resumed_from"]["step"] == step and card["steps"] == 16


def test_the_command_line_runs_the_checkpoint(trained):
    video = SAMPLES_DIR / "sample_fight.mp4"
    argv = ["-m", "inference", "run", "--model", str(trained), "--video", str(video),
            "--task", "grounding", "--no-think", "--max-new-tokens", "32", "--json"]  # fmt: skip
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["format_ok"] and iou(result["interval"], CORRECTED["sample_fight.mp4"]) >= 0.5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "{missing}"], "no such folder"),
        (["--data", "{empty}"], "has no records"),
        (["--model", "{not_qwen}"], "has no model weights"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, export_dir, capsys, argv, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "train.jsonl").write_text("", encoding="utf-8")
    not_qwen = tmp_path / "not_qwen"
    not_qwen.mkdir()
    (not_qwen / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    paths = {"missing": tmp_path / "absent", "empty": tmp_path / "empty", "not_qwen": not_qwen}
    argv = [a.format(**paths) for a in argv]
    base = {"--data": str(export_dir), "--model": "tiny", "--out": str(tmp_path / "out")}
    base.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    code = main(["sft", *(x for pair in base.items() for x in pair), "--max-steps", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "out").exists()  # a failed start leaves nothing behind


def sft_command(model, data, out, *extra, processes: int = 1) -> list[str]:
    launch = [sys.executable]
    if processes > 1:
        torchrun = Path(sys.executable).with_name("torchrun")
        launch = [str(torchrun), "--nproc_per_node", str(processes)]
    return [*launch, "-m", "train", "sft", "--model", str(model), "--data", str(data),
            "--out", str(out), "--max-steps", "16", "--save-steps", "4", "--lr", "3e-3",
            *extra]  # fmt: skip


ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def kill_after_a_checkpoint(command: list[str], out: Path) -> None:
    """Start `command` and SIGKILL it (all its processes) once checkpoint-8 appears."""
    first = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ONE_THREAD,
    )
    deadline = time.monotonic() + 300
    while not (out / "checkpoints" / "checkpoint-8").is_dir() and first.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint-8 within 300 s"
        time.sleep(0.05)
    for pid in [
        first.pid,
        *descendants(first.pid),
    ]:  # torchrun's workers have sessions of their own
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    first.wait()
    assert not (out / "training.json").exists()


def losses(out: Path) -> dict[int, float]:
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in logged if "loss" in r}


def weights(out: Path) -> dict:
    model = load_model(LoadOptions(model=str(out), device="cpu")).model
    return {name: p.detach().clone() for name, p in model.named_parameters()}


# kind: flags, processes, how far the final weights may differ from the uninterrupted run's
# (4-bit kernels round differently from one call to the next).
RESUMES = {
    "full": ([], 1, 1e-4),
    "lora": (["--lora", "--lora-r", "4"], 1, 1e-4),
    "qlora": (["--lora", "--lora-r", "4", "--quant", "4bit"], 1, 5e-3),
    "full-torchrun": (["--device", "cpu"], 2, 1e-4),
}


@pytest.mark.parametrize("kind", list(RESUMES))
def test_a_killed_run_resumes_with_its_trained_weights(export_dir, tiny_checkpoint, tmp_path, kind):
    extra, processes, tolerance = RESUMES[kind]
    reference, out = tmp_path / "uninterrupted", tmp_path / "resumed"
    command = sft_command(tiny_checkpoint, export_dir, reference, *extra, processes=processes)
    assert subprocess.run(command, cwd=ROOT, env=ONE_THREAD).returncode == 0
    command = sft_command(tiny_checkpoint, export_dir, out, *extra, processes=processes)
    kill_after_a_checkpoint(command, out)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=ONE_THREAD)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "missing keys" not in done.stderr and "unexpected keys" not in done.stderr
    card = read_card(out)
    step = card["resumed_from"]["step"]  # checkpoint-8 may be half-written at the kill: then 4
    assert card["resumed_from"] == {"checkpoint": f"checkpoints/checkpoint-{step}", "step": step}
    assert step in (4, 8) and card["steps"] == 16
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "loss" in r] == list(range(1, 17))  # each step once
    assert {"step": step, "resumed_from": card["resumed_from"]} in logged
    # The first step after the resume continues the run (a random model's loss is ~9) ...
    theirs, ours = losses(reference), losses(out)
    assert ours[step + 1] == pytest.approx(theirs[step + 1], rel=1e-3, abs=1e-3)
    assert ours[step + 1] < 0.8 * theirs[1]
    # ... and ends where the uninterrupted run with the same seed ends, within float noise.
    final, resumed = weights(reference), weights(out)
    worst = max((final[name] - resumed[name]).abs().max().item() for name in final)
    assert worst < tolerance, worst


def test_a_checkpoint_that_does_not_load_cleanly_stops_the_run(
    export_dir, tiny_checkpoint, tmp_path
):
    from safetensors.torch import load_file, save_file

    out = tmp_path / "broken"
    checkpoint = out / "checkpoints" / "checkpoint-4"
    shutil.copytree(tiny_checkpoint, checkpoint)
    (checkpoint / "trainer_state.json").write_text('{"global_step": 4}')
    tensors = load_file(checkpoint / "model.safetensors")
    dropped = sorted(tensors)[0]
    save_file({k: v for k, v in tensors.items() if k != dropped}, checkpoint / "model.safetensors")
    done = subprocess.run(
        sft_command(tiny_checkpoint, export_dir, out), cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: cannot resume from") and " missing (e.g. " in line, line
    assert not (out / "metrics.jsonl").exists() and not (out / "training.json").exists()


def test_lora_adapters_are_merged_into_a_checkpoint_that_loads(
    export_dir, tiny_checkpoint, tmp_path
):
    out = tmp_path / "lora"
    argv = ["sft", "--model", str(tiny_checkpoint), "--data", str(export_dir), "--out", str(out),
            "--max-steps", "2", "--lr", "1e-2", "--lora", "--lora-r", "4"]  # fmt: skip
    assert main(argv) == 0
    assert not (out / "adapter").exists() and read_card(out)["config"]["lora"] is True
    base = load_model(LoadOptions(model=str(tiny_checkpoint), device="cpu")).model
    merged = load_model(LoadOptions(model=str(out), device="cpu")).model
    name = "model.language_model.layers.0.self_attn.q_proj.weight"
    weights = dict(base.named_parameters()), dict(merged.named_parameters())
    assert not weights[0][name].equal(weights[1][name])
    vision = next(n for n in weights[0] if n.startswith("model.visual."))
    assert weights[0][vision].equal(weights[1][vision])  # the vision tower stays frozen


def test_the_studio_lists_the_checkpoint_loads_it_and_records_runs_by_it(trained, tmp_path):
    from gradio_client import Client

    from tests.app_helpers import call, item_id, launch, studio_settings

    settings = replace(
        studio_settings(tmp_path, checkpoints=str(trained.parent)), max_new_tokens=32
    )
    demo, url = launch(settings)
    try:
        client = Client(url, verbose=False)
        (row,) = call(client, "checkpoints")["Local checkpoints"]["data"]
        assert row[0] == trained.name and row[1:4] == ["sft", row[2], 60]
        status = call(client, "load_model", row[-1], "none", "cpu")["Model status"]
        assert "ready" in status, status
        fight = item_id(demo, "sample_fight.mp4", "grounding")
        call(client, "open_item", fight, "ann")
        out = call(client, "run", "grounding", False, 2.0, 768, "", "", "", "", "", "ann")
        assert "Done." in out["Run status"], out["Run status"]
        (run,) = demo.studio.store.runs(fight)
        assert run.checkpoint == str(trained) and run.parsed["format_ok"]
        assert iou(run.parsed["interval"], CORRECTED["sample_fight.mp4"]) >= 0.5
    finally:
        demo.close()


def test_two_processes_train_data_parallel_over_gloo(export_dir, tiny_checkpoint, tmp_path):
    out = tmp_path / "ddp"
    torchrun = Path(sys.executable).with_name("torchrun")
    command = [str(torchrun), "--nproc_per_node", "2", "-m", "train", "sft", "--model",
               str(tiny_checkpoint), "--data", str(export_dir), "--out", str(out),
               "--max-steps", "2", "--device", "cpu"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("checkpoint: ") == 1  # one process reports, one writes
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    # 4 records, one per process per step: each step is half an epoch.
    assert [r["epoch"] for r in logged if "loss" in r] == [0.5, 1.0]
    assert read_card(out)["steps"] == 2
    load_model(LoadOptions(model=str(out), device="cpu"))


def test_training_evaluates_on_the_exports_validation_split(export_dir, tiny_checkpoint, tmp_path):
    split = tmp_path / "split"
    with Store(f"sqlite:///{export_dir.parent / 'studio.db'}") as store:
        options = ExportOptions(format="trl-sft", out=split, task="grounding", think=False,
                                split=0.6)  # fmt: skip
        report = export(store, options)
    held_out = report.files[str(split / "validation.jsonl")]
    assert held_out >= 1 and report.files[str(split / "train.jsonl")] >= 1
    out = tmp_path / "out"
    argv = ["sft", "--model", str(tiny_checkpoint), "--data", str(split), "--out", str(out),
            "--max-steps", "4", "--save-steps", "2", "--lr", "3e-3"]  # fmt: skip
    assert main(argv) == 0
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "eval_loss" in r] == [2, 4, 4]  # checkpoints, then end
    card = read_card(out)
    assert card["metrics"]["eval_loss"] > 0 and card["data"]["validation_records"] == held_out


@pytest.mark.parametrize(
    ("base", "toy"),
    [("tiny", True), ("tiny-init", True), ("qwen-vocab", True), ("acme/vau", False)],
)
def test_a_model_trained_from_any_tiny_checkpoint_is_a_toy(base, toy):
    from train.card import is_toy

    assert is_toy(base) is toy
