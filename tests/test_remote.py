"""The `openai` backend against a scripted OpenAI-compatible server: requests, stream, faults."""

from __future__ import annotations

import base64
import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from inference.backends import BackendOptions, open_engine
from inference.backends.generation import Generation, Partial
from inference.backends.remote import RemoteEngine, ServerOptions, chat_messages, encode_frames
from inference.core.prompts import build_prompt
from inference.errors import GenerationError, ModelUnavailable, ServerError
from inference.video.sampling import SamplingOptions, sample_video
from tests.fake_openai import MODEL, FakeServer


@pytest.fixture(scope="module")
def clip(sample_video):
    return sample_video_clip(sample_video)


def sample_video_clip(path):
    return sample_video(path, SamplingOptions(fps=1.0, max_frames=8))


@pytest.fixture
def server():
    with FakeServer() as fake:
        yield fake


def engine_for(server: FakeServer, **options) -> RemoteEngine:
    return RemoteEngine(ServerOptions(server.base_url, MODEL, **options)).connect()


def grounding():
    return build_prompt("grounding", think=True)


def test_the_request_carries_every_sampled_frame_at_the_clips_fps(server, clip):
    engine_for(server).run(clip, grounding(), max_new_tokens=77)
    (request,) = server.script.requests
    assert request["media_io_kwargs"] == {"video": {"num_frames": -1, "fps": clip.sample_fps}}
    assert (request["temperature"], request["max_tokens"], request["stream"]) == (0.0, 77, True)
    video = request["messages"][-1]["content"][0]
    assert video["type"] == "video_url"
    header, frames = video["video_url"]["url"].split(",", 1)
    assert header == "data:video/jpeg;base64"
    decoded = [np.asarray(Image.open(io.BytesIO(base64.b64decode(f)))) for f in frames.split(",")]
    assert len(decoded) == clip.num_frames
    error = np.abs(np.stack(decoded).astype(int) - clip.frames.astype(int)).mean()
    assert decoded[0].shape == clip.frames[0].shape and error < 3  # JPEG at quality 95


def test_the_messages_are_the_engines_with_the_video_as_a_url(clip):
    prompt = grounding()
    messages = chat_messages(prompt, [], "data:video/jpeg;base64,AAAA")
    user = messages[-1]["content"]
    assert user[0] == {"type": "video_url", "video_url": {"url": "data:video/jpeg;base64,AAAA"}}
    assert user[1] == {"type": "text", "text": prompt.turns[0]}


def test_the_stream_yields_growing_text_then_the_parsed_generation(server, clip):
    events = list(engine_for(server).stream(clip, grounding()))
    partials, (generation,) = events[:-1], events[-1:]
    assert all(isinstance(p, Partial) for p in partials) and len(partials) > 3
    assert partials[-1].text == server.script.text == generation.text
    assert isinstance(generation, Generation) and not generation.stopped
    assert (generation.result.answer, generation.result.interval) == ("Anomaly", (2.0, 4.0))


def test_timings_come_from_the_stream_and_its_usage(server, clip):
    timings = engine_for(server).run(clip, grounding()).timings
    assert timings.prompt_tokens == 321
    assert timings.new_tokens == len(server.script.text.split(" "))
    assert 0 < timings.first_token_s <= timings.generate_s
    assert timings.visual_tokens == clip.visual_tokens


def test_a_description_sends_each_turn_with_the_answers_before_it(server, clip):
    prompt = build_prompt("description", think=True)
    generation = engine_for(server).run(clip, prompt)
    assert len(server.script.requests) == len(prompt.turns) == len(generation.turns)
    second = server.script.requests[1]["messages"]
    assert second[-2] == {
        "role": "assistant",
        "content": [{"type": "text", "text": server.script.text}],
    }


def test_the_clip_is_encoded_once_for_all_its_turns(server, clip, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "inference.backends.remote.encode_frames", lambda c: calls.append(c) or "data:x"
    )
    engine = engine_for(server)
    engine.run(clip, build_prompt("description", think=True))
    engine.run(clip, grounding())
    assert len(calls) == 1


def test_the_api_key_comes_from_the_named_variable(server, clip, monkeypatch):
    monkeypatch.setenv("MY_SERVER_KEY", "s3cret")
    options = BackendOptions("openai", server.base_url, api_key_env="MY_SERVER_KEY")
    open_engine(MODEL, options=options).run(clip, grounding())
    assert server.script.requests[0]["authorization"] == "Bearer s3cret"


def test_an_unset_api_key_variable_is_named(server, monkeypatch):
    monkeypatch.delenv("MY_SERVER_KEY", raising=False)
    options = BackendOptions("openai", server.base_url, api_key_env="MY_SERVER_KEY")
    with pytest.raises(ModelUnavailable, match="MY_SERVER_KEY .* is not set"):
        open_engine(MODEL, options=options)


def test_connecting_to_a_model_the_server_lacks_names_what_it_serves(server):
    with pytest.raises(ModelUnavailable, match=f"serves {MODEL}, not other-model"):
        RemoteEngine(ServerOptions(server.base_url, "other-model")).connect()


def test_connecting_to_no_server_is_one_line():
    url = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    with pytest.raises(ModelUnavailable, match="cannot reach the server at http://127.0.0.1:9/v1"):
        RemoteEngine(ServerOptions(url, MODEL, max_retries=0)).connect()


def test_the_facts_name_the_server_and_what_it_serves(server):
    facts = engine_for(server).facts()
    assert facts["backend"] == "openai" and facts["base_url"] == server.base_url
    assert facts["model_source"] == "/models/scripted" and facts["quant"] is None


@pytest.mark.parametrize(
    ("fault", "status", "message", "error", "says"),
    [
        ("status", 500, "boom", ServerError, r"refused the request \(HTTP 500\): boom"),
        ("status", 400, "too many tokens", GenerationError, r"\(HTTP 400\): too many tokens"),
        (
            "status",
            400,
            "Per-request media_io_kwargs are disabled. Start with --trust-request-mm-kwargs",
            GenerationError,
            "must be started with --trust-request-mm-kwargs",
        ),
        ("drop", 0, "", ServerError, "dropped the connection|ended before the answer"),
        ("no_finish", 0, "", ServerError, "ended before the answer did"),
        ("malformed", 0, "", ServerError, "malformed|failed mid-answer"),
        ("mid_error", 0, "", ServerError, "failed mid-answer: engine died"),
    ],
)
def test_a_failing_server_is_one_line(server, clip, fault, status, message, error, says):
    server.script.fault, server.script.status, server.script.message = fault, status, message
    engine = RemoteEngine(ServerOptions(server.base_url, MODEL, max_retries=0)).connect()
    with pytest.raises(error, match=says) as caught:
        engine.run(clip, grounding())
    assert "\n" not in str(caught.value)


def test_a_server_that_does_not_answer_in_time_is_a_timeout(server, clip):
    server.script.fault = "slow"
    engine = RemoteEngine(ServerOptions(server.base_url, MODEL, timeout_s=0.5, max_retries=0))
    # The client's own timeout or the whole-request deadline, whichever a loaded machine
    # reaches first: both are the same one line.
    with pytest.raises(ServerError, match=r"did not (answer|finish the answer) within 0\.5 s"):
        engine.connect().run(clip, grounding())


def test_the_timeout_bounds_the_whole_streamed_answer_not_each_chunk(server, clip):
    server.script.delay_s = 0.1  # every chunk in time, the answer far too slow
    server.script.text = " ".join(["word"] * 100)
    engine = RemoteEngine(ServerOptions(server.base_url, MODEL, timeout_s=1.0, max_retries=0))
    started = time.perf_counter()
    with pytest.raises(ServerError, match="did not finish the answer within 1 s"):
        engine.connect().run(clip, grounding())
    assert time.perf_counter() - started < 3.0


def test_stop_ends_the_stream_and_keeps_what_came(server, clip):
    server.script.delay_s = 0.05
    server.script.text = " ".join(["word"] * 200)
    stop = threading.Event()
    started = time.perf_counter()
    generation = None
    for event in engine_for(server).stream(clip, grounding(), stop=stop):
        if isinstance(event, Partial) and len(event.text) > 20:
            stop.set()
        generation = event
    assert generation.stopped and 20 < len(generation.text) < 200
    assert time.perf_counter() - started < 5  # 200 words would take 10 s
    deadline = time.monotonic() + 5
    while server.script.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.script.in_flight == 0  # the server saw the client go


def test_generations_run_side_by_side_on_one_engine(server, clip):
    server.script.delay_s = 0.02
    engine = engine_for(server)
    threads = [threading.Thread(target=engine.run, args=(clip, grounding())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.script.most_in_flight == 4


def test_encode_frames_keeps_order_and_count(clip):
    url = encode_frames(clip)
    assert url.startswith("data:video/jpeg;base64,") and url.count(",") == clip.num_frames


def eval_flags(server: FakeServer, out, *extra: str) -> list[str]:
    from tests.conftest import SAMPLES_CSV

    videos = SAMPLES_CSV.parent / "samples"
    flags = ["eval", "--csv", str(SAMPLES_CSV), "--videos", str(videos), "--task", "grounding"]
    flags += ["--backend", "openai", "--base-url", server.base_url, "--model", MODEL]
    return [*flags, "--max-frames", "8", "--out", str(out), *extra]


def test_eval_keeps_the_asked_number_of_requests_in_flight(server, tmp_path):
    from inference.cli import main

    server.script.gather = 3  # answers once three were asked at once: a sequential client waits
    assert main(eval_flags(server, tmp_path / "pred.jsonl", "--concurrency", "3")) == 0
    assert server.script.most_in_flight == 3
    assert len((tmp_path / "pred.jsonl").read_text().splitlines()) == 4  # with the Normal one


def test_eval_stops_when_the_server_goes_and_resumes_after(server, tmp_path, capsys):
    from inference.cli import main

    out = tmp_path / "pred.jsonl"
    server.script.fault, server.script.fault_from = "drop", 1  # the second request is cut
    assert main(eval_flags(server, out, "--timeout", "5")) == 2
    err = capsys.readouterr().err
    assert "stopped after writing 1 new items" in err
    assert "error: the server at" in err and "dropped the connection mid-answer" in err
    assert len(out.read_text().splitlines()) == 1  # nothing half-written
    server.script.fault = None
    assert main(eval_flags(server, out)) == 0
    assert "3 to run, 1 already in" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 4


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--backend", "openai"], "--backend openai needs --base-url"),
        (["--backend", "openai", "--base-url", "localhost:8000"], "must be an http"),
        (["--backend", "openai", "--base-url", "http://h/v1", "--quant", "4bit"], "--quant is"),
        (["--timeout", "0"], "--timeout must be positive"),
    ],
)
def test_backend_flags_that_do_not_fit_are_one_line(flags, says, capsys):
    from inference.cli import main
    from tests.conftest import SAMPLES_CSV

    video = str(SAMPLES_CSV.parent / "samples" / "sample_fall.mp4")
    argv = ["run", "--model", MODEL, "--video", video, "--task", "grounding", *flags]
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_a_sampled_run_sends_its_temperature_top_p_and_seed(server, clip):
    from inference.backends.generation import Decoding

    engine_for(server).run(clip, grounding(), max_new_tokens=8, decoding=Decoding(0.7, 0.9, 5))
    (request,) = server.script.requests
    assert (request["temperature"], request["top_p"], request["seed"]) == (0.7, 0.9, 5)


def test_a_scan_through_a_server_without_prompt_logprobs_says_what_it_needs(server, clip):
    from inference.scan.reply import normal_reply

    reply = normal_reply()
    with pytest.raises(GenerationError, match="sent no prompt_logprobs"):
        engine_for(server).reply_probabilities(clip, [range(0, 4)], build_prompt(
            "classification", think=False), reply.text, reply.rival)  # fmt: skip
    (request,) = server.script.requests
    assert request["continue_final_message"] is True and request["prompt_logprobs"] == 0
    assert request["messages"][-1] == {"role": "assistant", "content": "<answer>Normal"}
    assert len(request["messages"][-2]["content"][0]["video_url"]["url"].split(",")) == 1 + 4
