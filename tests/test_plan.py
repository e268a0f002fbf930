"""The memory plan: config.json alone predicts what loading and one video take."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys

import pytest
import torch

from inference.backends.plan import PROMPT_TOKENS, make_plan
from inference.errors import ModelUnavailable
from inference.models.loading import LoadOptions, load_model
from inference.models.tiny import ensure_tiny
from inference.video.sampling import SamplingOptions, sample_video

SAMPLE = "assets/samples/sample_fall.mp4"


def parameter_bytes(model) -> int:
    return sum(t.numel() * t.element_size() for t in model.parameters())


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_the_weights_planned_are_the_weights_loaded(dtype):
    options = LoadOptions(model="tiny", device="cpu", dtype=dtype)
    plan = make_plan(options)
    assert plan.weights_bytes == parameter_bytes(load_model(options).model)


@pytest.mark.parametrize("quant", ["4bit", "8bit"])
def test_quantized_weights_are_planned_within_one_percent(quant):
    options = LoadOptions(model="tiny", quant=quant, device="cpu", dtype="bfloat16")
    loaded = load_model(options).model.get_memory_footprint(return_buffers=False)
    planned = make_plan(options).weights_bytes
    # The plan also counts the quantization scales, which the footprint leaves out.
    assert loaded <= planned <= loaded * 1.01


@pytest.mark.parametrize("quant", ["4bit", "8bit"])
def test_quantized_loading_keeps_the_vision_tower_in_the_compute_dtype(quant):
    model = load_model(LoadOptions(model="tiny", quant=quant, device="cpu", dtype="bfloat16")).model
    vision = {t.dtype for n, t in model.named_parameters() if ".visual." in f".{n}"}
    assert vision == {torch.bfloat16}
    plan = make_plan(LoadOptions(model="tiny", quant=quant, device="cpu", dtype="bfloat16"))
    assert (
        plan.weights_by_part["vision"]
        == make_plan(LoadOptions(model="tiny", device="cpu", dtype="bfloat16")).weights_by_part[
            "vision"
        ]
    )


def test_the_kv_cache_per_token_is_what_a_prefill_stores():
    loaded = load_model(LoadOptions(model="tiny", device="cpu"))
    ids = torch.arange(10, 47).unsqueeze(0)
    with torch.no_grad():
        cache = loaded.model(input_ids=ids, use_cache=True).past_key_values
    stored = sum(
        t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values)
    )
    plan = make_plan(LoadOptions(model="tiny", device="cpu"))
    assert plan.kv_bytes_per_token * ids.shape[1] == stored


def test_the_prefix_and_video_share_follow_the_tokens():
    small = make_plan(LoadOptions(model="tiny", device="cpu"), visual_tokens=100, answer_tokens=0)
    large = make_plan(LoadOptions(model="tiny", device="cpu"), visual_tokens=200, answer_tokens=0)
    assert small.prefix_tokens == 100 + PROMPT_TOKENS
    assert large.kv_bytes_per_video - small.kv_bytes_per_video == 100 * small.kv_bytes_per_token
    assert small.prefix_cache_bytes == small.prefix_cache_entries * small.kv_bytes_per_video
    assert small.total_bytes == (
        small.weights_bytes
        + small.kv_bytes_per_video
        + small.prefix_cache_bytes
        + small.activation_bytes
    )


def test_a_folder_with_only_config_json_is_planned_without_weights(tmp_path):
    shutil.copy(ensure_tiny() / "config.json", tmp_path / "config.json")
    plan = make_plan(LoadOptions(model=str(tmp_path), device="cpu"))
    assert plan.weights_bytes == make_plan(LoadOptions(model="tiny", device="cpu")).weights_bytes


@pytest.mark.parametrize(
    ("model", "tokens", "message"),
    [
        ("/no/such/folder", 10, "does not exist"),
        ("tiny", 0, "at least one visual token"),
    ],
)
def test_a_plan_that_cannot_be_made_says_why(model, tokens, message):
    with pytest.raises(ModelUnavailable, match=message):
        make_plan(LoadOptions(model=model, device="cpu"), visual_tokens=tokens)


def test_a_folder_that_is_no_checkpoint_says_so(tmp_path):
    with pytest.raises(ModelUnavailable, match="no config.json"):
        make_plan(LoadOptions(model=str(tmp_path), device="cpu"))


@pytest.mark.parametrize(
    ("free", "quant", "verdict"),
    [
        (None, "none", "free memory unknown"),
        (10**12, "none", "fits"),
        (1, "none", "does not fit, try 4bit or fewer frames"),
        (1, "4bit", "does not fit, try fewer frames"),
    ],
)
def test_the_verdict_weighs_the_total_against_free_memory(free, quant, verdict):
    plan = dataclasses.replace(
        make_plan(LoadOptions(model="tiny", device="cpu")), free_bytes=free, quant=quant
    )
    assert plan.verdict() == verdict
    assert plan.to_dict()["verdict"] == verdict


def run_plan(*flags: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "inference", "plan", "--model", "tiny", *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_command_prints_the_figures_as_json():
    done = run_plan("--device", "cpu", "--visual-tokens", "500", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["visual_tokens"] == 500
    assert plan["total_bytes"] > plan["weights_bytes"] + plan["kv_bytes_per_video"] > 0
    assert plan["verdict"] in {"fits", "free memory unknown"} or "does not fit" in plan["verdict"]


def test_the_command_sizes_a_video_as_it_would_be_sampled():
    done = run_plan("--device", "cpu", "--video", SAMPLE, "--task", "qa", "--json")
    assert done.returncode == 0, done.stderr
    clip = sample_video(SAMPLE, SamplingOptions(fps=1.0))
    assert json.loads(done.stdout)["visual_tokens"] == clip.visual_tokens


def test_the_command_names_a_missing_model_in_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "inference", "plan", "--model", "/no/such/folder"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: model directory /no/such/folder does not exist"


def test_the_real_shape_bench_measures_what_it_planned():
    done = subprocess.run(
        [sys.executable, "bench/bench_real_shape.py", "--smoke", "--visual-tokens", "128"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = {line[:18].strip(): line[18:].split() for line in done.stdout.splitlines()}
    assert rows["KV cache"][-1] == "1.00"  # the prefill stored exactly the planned bytes
    assert float(rows["peak memory"][-1]) > 0
