"""The `openai` backend against a real vLLM server (CPU build, tiny vLLM-shaped checkpoint).

The shared server computes in float32, like the in-process engine here, so that the scan's
probabilities can be compared number for number.

The server runs from `.venv-vllm` (built by `make test`); without it these tests skip, unless
VAU_REQUIRE_VLLM=1 (set by `make test`) makes a missing server a failure.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import math
import os
import threading
import time

import numpy as np
import pytest
from gradio_client import Client

from inference.backends import BackendOptions, open_engine, serve
from inference.backends.engine import Engine
from inference.backends.generation import Partial
from inference.backends.remote import encode_frames
from inference.cli import main
from inference.core.prompts import build_prompt
from inference.core.tasks import TASKS
from inference.errors import ModelUnavailable, ServerError
from inference.models.loading import LoadOptions, load_model
from inference.models.tiny import make_tiny
from inference.scan.reply import QUESTIONS, normal_reply
from inference.scan.windows import windows
from inference.video.sampling import SamplingOptions, sample_video
from tests.app_helpers import ROOT, call, item_id, launch, studio_settings
from tests.conftest import SAMPLES_CSV

SAMPLES = ROOT / "assets" / "samples"
NAME = "tiny-vllm"


def start_server(tmp_path_factory, checkpoint, dtype: str = serve.DTYPE) -> serve.Server:
    """vLLM serving `checkpoint` as NAME (skips without .venv-vllm unless VAU_REQUIRE_VLLM=1)."""
    try:
        serve.vllm_python()
    except ModelUnavailable as error:
        if os.environ.get("VAU_REQUIRE_VLLM") == "1":
            pytest.fail(str(error))
        pytest.skip(str(error))
    cache = tmp_path_factory.mktemp("vllm-cache")
    return serve.start(str(checkpoint), name=NAME, cache_dir=cache, dtype=dtype)


@pytest.fixture(scope="module")
def vllm_checkpoint(tmp_path_factory):
    return make_tiny(tmp_path_factory.mktemp("tiny-vllm") / NAME, variant=NAME)


@pytest.fixture(scope="module")
def server(tmp_path_factory, vllm_checkpoint):
    running = start_server(tmp_path_factory, vllm_checkpoint, dtype="float32")
    yield running
    running.stop()


def clip_of(name: str = "sample_fall.mp4", frames: int = 8):
    return sample_video(SAMPLES / name, SamplingOptions(fps=1.0, max_frames=frames))


def remote(server) -> object:
    return open_engine(NAME, options=BackendOptions("openai", server.base_url))


def run_flags(server, task: str) -> list[str]:
    flags = ["run", "--backend", "openai", "--base-url", server.base_url, "--model", NAME]
    flags += ["--video", str(SAMPLES / "sample_fall.mp4"), "--task", task, "--max-frames", "8"]
    flags += ["--max-new-tokens", "24", "--json"]
    if task == "qa":
        flags += ["--question", "What happens?", "--options", "A fall", "A fight", "Fire", "None"]
    return flags


@pytest.mark.parametrize("task", TASKS)
def test_run_on_every_task_through_the_server(server, task, capsys):
    assert main(run_flags(server, task)) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["task"] == task and payload["text"]
    assert payload["model"]["backend"] == "openai"
    assert payload["model"]["base_url"] == server.base_url
    assert payload["timings"]["new_tokens"] > 0 and payload["timings"]["prompt_tokens"] > 0


def test_the_server_sees_exactly_the_prompt_the_in_process_engine_builds(server, vllm_checkpoint):
    clip, prompt = clip_of(), build_prompt("grounding", think=True)
    served = remote(server).run(clip, prompt, max_new_tokens=4).timings
    local = Engine(load_model(LoadOptions(str(vllm_checkpoint), device="cpu")))
    here = local.run(clip, prompt, max_new_tokens=4).timings
    # Same frames at the same fps and size: the same visual tokens, the same prompt length.
    assert served.prompt_tokens == here.prompt_tokens
    assert served.visual_tokens == here.visual_tokens == clip.visual_tokens


def test_qwen_s_tokenizer_counts_the_same_prompt_on_the_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qwen-vocab") / "qwen-vocab"
    checkpoint = make_tiny(folder, variant="qwen-vocab")
    running = start_server(tmp_path_factory, checkpoint)
    try:
        clip, prompt = clip_of(), build_prompt("qa", True, "What happens at 12.5 s?", ["A", "B"])
        served = remote(running).run(clip, prompt, max_new_tokens=4)
        local = Engine(load_model(LoadOptions(str(checkpoint), device="cpu")))
        here = local.run(clip, prompt, max_new_tokens=4).timings
        assert served.timings.prompt_tokens == here.prompt_tokens
        assert served.timings.visual_tokens == here.visual_tokens == clip.visual_tokens
        assert 0 < served.timings.new_tokens <= 4
    finally:
        running.stop()


def test_eval_with_four_in_flight_then_score(server, tmp_path, capsys):
    out = tmp_path / "pred.jsonl"
    flags = ["eval", "--csv", str(SAMPLES_CSV), "--videos", str(SAMPLES), "--task", "grounding"]
    flags += ["--backend", "openai", "--base-url", server.base_url, "--model", NAME]
    flags += [
        "--max-frames",
        "8",
        "--max-new-tokens",
        "16",
        "--concurrency",
        "4",
        "--out",
        str(out),
    ]
    assert main(flags) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["video"] for r in records) == [
        "sample_fall.mp4",
        "sample_fight.mp4",
        "sample_fire.mp4",
        "sample_normal.mp4",  # run for the false-alarm rate
    ]
    assert all(r["settings"]["backend"] == "openai" for r in records)
    assert records[0]["provenance"]["engine"]["backend"] == "openai"
    capsys.readouterr()
    assert (
        main(["score", "--csv", str(SAMPLES_CSV), "--pred", str(out), "--task", "grounding"]) == 0
    )
    assert "mIoU" in capsys.readouterr().out


def test_stop_ends_a_served_generation_early(server):
    stop = threading.Event()
    events = []
    for event in remote(server).stream(clip_of(), build_prompt("description"), 2048, stop):
        events.append(event)
        if isinstance(event, Partial):
            stop.set()
    generation = events[-1]
    assert generation.stopped and generation.timings.new_tokens < 2048


def test_the_studio_runs_a_task_on_the_server(server, tmp_path):
    settings = studio_settings(tmp_path, model=NAME, backend="openai", base_url=server.base_url)
    demo, url = launch(settings)
    try:
        assert demo.studio.models.wait(timeout=60) is not None, demo.studio.models.status().message
        status = demo.studio.models.status().message
        assert NAME in status and server.base_url in status
        client = Client(url, verbose=False)
        item = item_id(demo, "sample_fall.mp4", "grounding")
        call(client, "open_item", item, "ann")
        out = call(client, "run", "grounding", True, 1.0, 8, "", "", "", "", "", "ann")
        assert "Done." in out["Run status"], out["Run status"]
        (run,) = demo.studio.store.runs(item)
        assert run.checkpoint == NAME and run.settings["backend"] == "openai"
        assert run.settings["base_url"] == server.base_url and run.raw == out["Raw output"]
    finally:
        demo.close()


def test_a_server_killed_mid_answer_is_one_line_and_nothing_half_done(
    tmp_path_factory, vllm_checkpoint
):
    victim = start_server(tmp_path_factory, vllm_checkpoint)
    try:
        engine = remote(victim)
        started = time.monotonic()
        with pytest.raises(ServerError, match="dropped the connection|ended before|cannot reach"):
            for event in engine.stream(clip_of(), build_prompt("description"), 4096):
                if isinstance(event, Partial):
                    victim.kill()
        assert time.monotonic() - started < 60
    finally:
        victim.stop()


def test_a_tiny_judge_on_the_server_is_recorded_not_crashed_on(server, tmp_path, capsys):
    pred = tmp_path / "pred.jsonl"
    with pred.open("w") as handle:
        for video in ("sample_fall.mp4", "sample_fire.mp4"):
            record = {"video": video, "task": "description", "raw": "A man falls.", "answer": None}
            handle.write(json.dumps(record) + "\n")
    out = tmp_path / "judged.jsonl"
    flags = ["judge", "--csv", str(SAMPLES_CSV), "--pred", str(pred), "--out", str(out)]
    flags += ["--base-url", server.base_url, "--model", NAME, "--attempts", "2"]
    assert main(flags) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 2
    # A random-weight judge's words are noise: each line holds five valid scores or a reason.
    for record in records:
        assert (record["scores"] is None) == (record["reason"] is not None)
        if record["scores"] is not None:
            assert all(0 <= v <= 10 for v in record["scores"].values())


def as_sent(clip):
    """The clip with the frames the server decodes: each one through the JPEG it is sent as."""
    from PIL import Image

    parts = encode_frames(clip).split(",", 1)[1].split(",")
    images = [Image.open(io.BytesIO(base64.b64decode(part))).convert("RGB") for part in parts]
    return dataclasses.replace(clip, frames=np.stack([np.asarray(image) for image in images]))


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_scan_reads_the_same_probabilities_through_the_server(
    server, vllm_checkpoint, question
):
    clip = clip_of("sample_fire.mp4", frames=16)
    spans = [w.frames for w in windows(clip.num_frames // 2, 2, 1)]
    reply, prompt = normal_reply(question), build_prompt(question, think=False)
    local = Engine(load_model(LoadOptions(str(vllm_checkpoint), device="cpu")))
    here = local.reply_probabilities(as_sent(clip), spans, prompt, reply.text, reply.rival)
    served = remote(server).reply_probabilities(clip, spans, prompt, reply.text, reply.rival)
    # float32 on both sides, the same frames: the same log-probabilities, window by window
    assert [math.log(p) for p in served] == pytest.approx([math.log(p) for p in here], abs=0.01)


def test_a_scan_through_the_server_from_the_command_line(server, capsys):
    flags = ["scan", "--backend", "openai", "--base-url", server.base_url, "--model", NAME]
    flags += ["--video", str(SAMPLES / "sample_fire.mp4"), "--fps", "1", "--json"]
    assert main(flags) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["model"]["backend"] == "openai" and payload["windows"]
    # at 1 fps a temporal patch is 2 s: 4 s windows are two patches, one patch apart
    assert len(payload["windows"]) == len(payload["curve"]) - 1
