"""Generation on the tiny checkpoint: streaming, timings, stopping, two-turn description,
determinism, and the processor seeing exactly the frames and fps of the clip."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.backends.engine import Engine
from inference.backends.generation import (
    Decoding,
    Generation,
    Partial,
    Timings,
    build_messages,
)
from inference.core.parse import parse_response
from inference.core.prompts import build_prompt
from inference.errors import GenerationError
from inference.models.loading import LoadOptions, load_model
from inference.models.tiny import make_tiny
from inference.video.sampling import Clip, SamplingOptions, VideoInfo, sample_video
from tests.videos import write_video

POSITIVE_TIMINGS = ("preprocess_s", "first_token_s", "generate_s", "tokens_per_s")


def make_clip(frames: int = 4, height: int = 56, width: int = 84, fps: float = 2.0) -> Clip:
    """A clip of seeded random frames, as `sample_video` would return it."""
    pixels = np.random.default_rng(0).integers(0, 256, (frames, height, width, 3), np.uint8)
    info = VideoInfo("clip.mp4", fps, frames, frames / fps, width, height, "pyav")
    return Clip(pixels, [i / fps for i in range(frames)], fps, info, SamplingOptions(fps=fps))


@pytest.fixture(scope="module")
def engine(tiny_checkpoint: Path) -> Engine:
    return Engine(load_model(LoadOptions(str(tiny_checkpoint))))


@pytest.fixture(scope="module")
def clip() -> Clip:
    return make_clip()


@pytest.fixture(scope="module")
def qa():
    return build_prompt("qa", True, "What happens?", ["A fight", "Rain", "A fire", "Nothing"])


@pytest.fixture(scope="module")
def description():
    return build_prompt("description")


@pytest.fixture(scope="module")
def events(engine: Engine, clip: Clip, qa) -> list:
    return list(engine.stream(clip, qa, max_new_tokens=24))


def test_stream_ends_with_one_generation(events: list):
    assert isinstance(events[-1], Generation)
    assert all(isinstance(event, Partial) for event in events[:-1])


def test_stream_sends_partials_while_generating(events: list):
    assert len(events) > 3


def test_partial_texts_grow(events: list):
    texts = [event.text for event in events[:-1]]
    for before, after in zip(texts, texts[1:], strict=False):
        assert after.startswith(before) and len(after) > len(before)


def test_last_partial_is_the_final_text(events: list):
    assert events[-2].text == events[-1].text


def test_generation_has_one_turn_for_qa(events: list):
    generation = events[-1]
    assert generation.turns == [generation.text]


@pytest.mark.parametrize("name", POSITIVE_TIMINGS)
def test_timing_is_positive(events: list, name: str):
    assert getattr(events[-1].timings, name) > 0


def test_counts_new_tokens(events: list):
    assert events[-1].timings.new_tokens == 24


def test_first_token_comes_before_the_end(events: list):
    timings = events[-1].timings
    assert timings.first_token_s < timings.generate_s


def test_sampling_time_defaults_to_zero(events: list):
    assert events[-1].timings.sampling_s == 0.0


def test_prompt_tokens_include_the_video(events: list):
    timings = events[-1].timings
    assert timings.prompt_tokens > timings.visual_tokens > 0


def test_result_is_the_parsed_text(events: list, qa):
    generation = events[-1]
    assert generation.result == parse_response(generation.text, "qa", qa.think)


def test_not_stopped_when_nobody_asked(events: list):
    assert events[-1].stopped is False


@pytest.mark.parametrize(
    "frames, height, width",
    [(4, 56, 84), (2, 28, 28), (6, 112, 56), (8, 84, 140)],
)
def test_visual_tokens_match_the_clip(engine: Engine, qa, frames: int, height: int, width: int):
    clip = make_clip(frames, height, width)
    generation = engine.run(clip, qa, max_new_tokens=1)
    assert generation.timings.visual_tokens == clip.visual_tokens


@pytest.mark.parametrize("fps", [0.5, 1.0, 2.0, 3.0])
def test_processor_reports_the_clips_fps(engine: Engine, qa, fps: float):
    inputs = engine.prepare_inputs(build_messages(qa), make_clip(fps=fps))
    assert inputs["second_per_grid_ts"].tolist() == pytest.approx([2 / fps])


@pytest.mark.parametrize("frames, height, width", [(4, 56, 84), (6, 28, 280)])
def test_processor_keeps_the_clips_frames(engine: Engine, qa, frames, height, width):
    inputs = engine.prepare_inputs(build_messages(qa), make_clip(frames, height, width))
    assert inputs["video_grid_thw"].tolist() == [[frames // 2, height // 14, width // 14]]


def test_visual_tokens_of_a_sampled_video(engine: Engine, qa, tmp_path: Path):
    video = write_video(tmp_path / "v.mp4", seconds=3.0, fps=10.0, size=(160, 120))
    clip = sample_video(video, SamplingOptions(fps=2.0))
    generation = engine.run(clip, qa, max_new_tokens=2)
    assert generation.timings.visual_tokens == clip.visual_tokens


def test_greedy_is_deterministic(engine: Engine, clip: Clip, qa):
    first = engine.run(clip, qa, max_new_tokens=16).text
    assert engine.run(clip, qa, max_new_tokens=16).text == first


def test_a_sampled_run_repeats_with_its_seed_and_varies_across_seeds(engine, clip, qa):
    def sampled(seed: int) -> str:
        return engine.run(clip, qa, max_new_tokens=16, decoding=Decoding(seed=seed)).text

    texts = [sampled(seed) for seed in range(4)]
    assert sampled(0) == texts[0]
    assert len(set(texts)) > 1


@pytest.mark.parametrize(("field", "value"), [("temperature", 0.0), ("top_p", 1.5)])
def test_decoding_refuses_values_a_sampler_cannot_use(field, value):
    with pytest.raises(ValueError, match=field):
        Decoding(**{field: value})


def test_run_returns_what_stream_ends_with(engine: Engine, clip: Clip, qa, events: list):
    assert engine.run(clip, qa, max_new_tokens=24).text == events[-1].text


def test_stop_event_ends_generation_early(engine: Engine, clip: Clip, qa):
    stop = threading.Event()
    for event in engine.stream(clip, qa, max_new_tokens=1000, stop=stop):
        if isinstance(event, Partial):
            stop.set()
        else:
            generation = event
    assert generation.stopped
    # The worker runs ahead of this loop by a few tokens; without the stop it would write 1000.
    assert 0 < generation.timings.new_tokens < 200


def test_stop_before_start_generates_nothing(engine: Engine, clip: Clip, qa):
    stop = threading.Event()
    stop.set()
    generation = engine.run(clip, qa, max_new_tokens=50, stop=stop)
    assert (generation.text, generation.turns, generation.stopped) == ("", [], True)
    assert generation.timings.new_tokens == 0


def test_description_runs_two_turns(engine: Engine, clip: Clip, description):
    generation = engine.run(clip, description, max_new_tokens=8)
    assert len(generation.turns) == 2
    assert generation.text == "\n\n".join(generation.turns)
    assert generation.timings.new_tokens == 16


def test_description_partials_join_the_turns(engine: Engine, clip: Clip, description):
    events = list(engine.stream(clip, description, max_new_tokens=8))
    first_turn = events[-1].turns[0]
    later = [e.text for e in events[:-1] if e.text.startswith(first_turn + "\n\n")]
    assert later and later[-1] == events[-1].text


def test_description_counts_the_video_once(engine: Engine, clip: Clip, description):
    generation = engine.run(clip, description, max_new_tokens=2)
    assert generation.timings.visual_tokens == clip.visual_tokens


def test_stop_during_first_turn_skips_the_second(engine: Engine, clip: Clip, description):
    stop = threading.Event()
    for event in engine.stream(clip, description, max_new_tokens=200, stop=stop):
        if isinstance(event, Partial):
            stop.set()
        else:
            generation = event
    assert len(generation.turns) == 1 and generation.stopped


def test_second_turn_messages_carry_the_first_answer(description):
    messages = build_messages(description, ["It is a fight."])
    roles = [m["role"] for m in messages]
    assert roles[-3:] == ["user", "assistant", "user"]
    assert messages[-2]["content"] == [{"type": "text", "text": "It is a fight."}]
    assert messages[-1]["content"] == [{"type": "text", "text": description.turns[1]}]


def test_video_only_in_the_first_user_turn(description):
    messages = build_messages(description, ["answer"])
    videos = [p for m in messages for p in m["content"] if p.get("type") == "video"]
    first_user = next(m for m in messages if m["role"] == "user")
    assert len(videos) == 1 and first_user["content"][0] == {"type": "video"}


def test_system_prompt_comes_first():
    from dataclasses import replace

    prompt = replace(build_prompt("qa", True, "Q?", ["a", "b"]), system="Be brief.")
    messages = build_messages(prompt)
    assert messages[0] == {"role": "system", "content": [{"type": "text", "text": "Be brief."}]}


def test_to_dict_is_json_without_frames(events: list, clip: Clip):
    payload = events[-1].to_dict()
    text = json.dumps(payload)
    assert payload["task"] == "qa" and "frames" not in payload["clip"]
    assert payload["clip"]["visual_tokens"] == clip.visual_tokens
    assert json.loads(text)["timings"]["new_tokens"] == 24


def test_timings_to_dict_has_every_field(events: list):
    assert set(events[-1].timings.to_dict()) == set(Timings.__dataclass_fields__)


def test_concurrent_streams_do_not_mix(engine: Engine, clip: Clip, qa, events: list):
    other = make_clip(6, 84, 56, fps=1.0)
    expected = {"a": events[-1].text, "b": engine.run(other, qa, max_new_tokens=24).text}
    results: dict[str, str] = {}

    def work(name: str, clip: Clip) -> None:
        results[name] = engine.run(clip, qa, max_new_tokens=24).text

    threads = [threading.Thread(target=work, args=a) for a in (("a", clip), ("b", other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


def test_abandoned_stream_releases_the_model(engine: Engine, clip: Clip, qa):
    stream = engine.stream(clip, qa, max_new_tokens=400)
    next(stream)
    stream.close()
    assert not engine.loaded.lock.locked()
    assert engine.run(clip, qa, max_new_tokens=2).timings.new_tokens == 2


@pytest.mark.parametrize(
    "failure, message",
    [
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9 GiB"), "out of memory"),
        (RuntimeError("device-side assert triggered\nmore"), "failed: device-side assert"),
    ],
)
def test_generate_failure_becomes_generation_error(
    engine: Engine, clip: Clip, qa, monkeypatch, failure: Exception, message: str
):
    def fail(**kwargs):
        raise failure

    monkeypatch.setattr(engine.loaded.model, "generate", fail)
    with pytest.raises(GenerationError, match=message):
        engine.run(clip, qa, max_new_tokens=8)
    assert not engine.loaded.lock.locked()


@pytest.mark.parametrize(
    "shape, message",
    [((0, 56, 84, 3), "no frames"), ((4, 56, 84, 4), "cannot prepare the clip")],
)
def test_unusable_frames_become_generation_error(engine: Engine, qa, shape, message: str):
    info = VideoInfo("clip.mp4", 2.0, 4, 2.0, 84, 56, "pyav")
    clip = Clip(np.zeros(shape, np.uint8), [0.0] * shape[0], 2.0, info, SamplingOptions())
    with pytest.raises(GenerationError, match=message):
        engine.run(clip, qa, max_new_tokens=2)


def test_qwen2_vl_checkpoint_streams(tmp_path: Path, clip: Clip, qa):
    loaded = load_model(LoadOptions(str(make_tiny(tmp_path / "q2", "qwen2_vl"))))
    generation = Engine(loaded).run(clip, qa, max_new_tokens=4)
    assert generation.timings.new_tokens == 4
    assert generation.timings.visual_tokens == clip.visual_tokens


def test_4bit_checkpoint_streams(tiny_checkpoint: Path, clip: Clip, qa):
    loaded = load_model(LoadOptions(str(tiny_checkpoint), quant="4bit", device="cpu"))
    assert Engine(loaded).run(clip, qa, max_new_tokens=4).timings.new_tokens == 4
