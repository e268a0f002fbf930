"""The `python -m inference` command line, end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "inference", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


TASK_ARGS = {
    "qa": [
        "--question",
        "What happens to the person?",
        "--options",
        "Falls",
        "Runs",
        "Sits",
        "Waves",
    ],
    "grounding": [],
    "classification": [],
    "description": [],
}


@pytest.mark.parametrize("think", ["--think", "--no-think"])
@pytest.mark.parametrize("task", list(TASK_ARGS))
def test_run_prints_one_json_result_per_task(tiny_checkpoint, sample_video, task, think):
    proc = run_cli(
        "run",
        "--model",
        str(tiny_checkpoint),
        "--video",
        str(sample_video),
        "--task",
        task,
        think,
        "--max-new-tokens",
        "24",
        "--json",
        *TASK_ARGS[task],
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["task"] == task
    assert isinstance(payload["text"], str)
    assert payload["result"]["task"] == task
    assert set(payload["timings"]) >= {"sampling_s", "preprocess_s", "first_token_s", "generate_s"}
    assert payload["timings"]["visual_tokens"] > 0
    assert payload["clip"]["num_frames"] >= 4


def test_run_streams_text_then_summary_without_json(tiny_checkpoint, sample_video):
    proc = run_cli(
        "run",
        "--model",
        str(tiny_checkpoint),
        "--video",
        str(sample_video),
        "--task",
        "grounding",
        "--max-new-tokens",
        "16",
    )
    assert proc.returncode == 0, proc.stderr
    assert "── result" in proc.stdout
    assert "first_token_s" in proc.stdout


def test_model_tiny_builds_the_offline_checkpoint(tmp_path, sample_video):
    proc = run_cli(
        "run",
        "--model",
        "tiny",
        "--video",
        str(sample_video),
        "--task",
        "grounding",
        "--max-new-tokens",
        "8",
        "--json",
        env_extra={"VAU_HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "tiny" / "config.json").exists()


def test_make_tiny_writes_a_loadable_checkpoint(tmp_path):
    proc = run_cli("make-tiny", str(tmp_path / "ckpt"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ckpt" / "config.json").exists()


def test_a_negative_number_is_read_as_a_number(sample_video):
    proc = run_cli("run", "--model", "tiny", "--video", str(sample_video), "--task", "grounding",
                   "--fps", "-2e0")  # fmt: skip
    assert proc.returncode == 2 and proc.stderr == "error: --fps must be positive\n"


def test_make_tiny_refuses_a_folder_holding_another_checkpoint_unless_forced(tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "config.json").write_text('{"model_type": "qwen2_5_vl", "mine": true}')
    proc = run_cli("make-tiny", str(other))
    assert proc.returncode == 2 and "holds another checkpoint" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "mine" in (other / "config.json").read_text()
    proc = run_cli("make-tiny", str(other), "--force")
    assert proc.returncode == 0, proc.stderr
    assert "mine" not in (other / "config.json").read_text()
    assert run_cli("make-tiny", str(other)).returncode == 0  # a tiny one may be rebuilt


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a video\n", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64],
    ids=["empty", "text", "truncated-mp4"],
)
def test_bad_video_is_one_line_on_stderr(tiny_checkpoint, tmp_path, content):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    proc = run_cli(
        "run", "--model", str(tiny_checkpoint), "--video", str(bad), "--task", "grounding"
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_missing_model_is_one_line_on_stderr(tmp_path, sample_video):
    proc = run_cli(
        "run",
        "--model",
        str(tmp_path / "no-such-model"),
        "--video",
        str(sample_video),
        "--task",
        "grounding",
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


def test_qa_without_a_question_is_refused_before_loading(sample_video):
    proc = run_cli("run", "--model", "/nonexistent", "--video", str(sample_video), "--task", "qa")
    assert proc.returncode == 2
    assert "question" in proc.stderr.lower()


class ClosedPipe:
    """stdout after the reader (`head`) has gone: every write fails as the OS says."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_output_piped_into_a_reader_that_left_stops_quietly(tmp_path, monkeypatch, capsys):
    from inference.cli import main

    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"video": "sample_fall.mp4", "task": "grounding",
                                "raw": "<glue>[8.0, 15.0]</glue>"}) + "\n")  # fmt: skip
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    args = ["--csv", str(ROOT / "assets" / "samples.csv"), "--pred", str(pred)]
    assert main(["score", *args, "--task", "grounding", "--bootstrap", "100"]) == 0
    assert capsys.readouterr().err == ""
