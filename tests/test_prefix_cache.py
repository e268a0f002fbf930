"""The engine's video-prefix KV cache on the tiny checkpoint: greedy text is identical with and
without it for every task and for a follow-up question, it is hit only by the same clip, and
requests on other clips in between do not disturb the multimodal rotary positions; the clip's
processed pixels are reused exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inference.backends.engine import PREFIX_CACHE_ENTRIES, Engine
from inference.backends.generation import build_messages
from inference.core.prompts import build_prompt
from inference.core.tasks import TASKS
from inference.models.loading import LoadOptions, load_model
from inference.video.sampling import Clip, SamplingOptions, VideoInfo

TOKENS = 16
OPTIONS = ["A fight", "Rain", "A fire", "Nothing"]


def make_clip(seed: int = 0, frames: int = 4, fps: float = 2.0) -> Clip:
    """A clip of seeded random frames (56 x 84), as `sample_video` would return it."""
    pixels = np.random.default_rng(seed).integers(0, 256, (frames, 56, 84, 3), np.uint8)
    info = VideoInfo(f"clip-{seed}.mp4", fps, frames, frames / fps, 84, 56, "pyav")
    return Clip(pixels, [i / fps for i in range(frames)], fps, info, SamplingOptions(fps=fps))


def prompt_for(task: str, question: str = "What happens?"):
    return build_prompt(task, True, question, OPTIONS if task == "qa" else None)


@pytest.fixture(scope="module")
def loaded(tiny_checkpoint: Path):
    return load_model(LoadOptions(str(tiny_checkpoint)))


@pytest.fixture
def cached(loaded) -> Engine:
    return Engine(loaded)


@pytest.fixture(scope="module")
def plain(loaded) -> Engine:
    return Engine(loaded, prefix_cache=False)


def text(engine: Engine, clip: Clip, prompt) -> str:
    return engine.run(clip, prompt, max_new_tokens=TOKENS).text


@pytest.mark.parametrize("task", TASKS)
def test_cached_text_equals_uncached_for_every_task(cached, plain, task: str):
    clip, prompt = make_clip(), prompt_for(task)
    first = text(cached, clip, prompt)  # fills the cache
    second = text(cached, clip, prompt)  # answers from it
    assert cached.prefix_stats["hits"] >= 1
    assert first == second == text(plain, clip, prompt)


def test_second_question_reuses_the_prefix_and_matches_uncached(cached, plain):
    clip = make_clip()
    text(cached, clip, prompt_for("qa", "What happens?"))
    follow_up = prompt_for("qa", "Who is involved, and where does it happen?")
    assert text(cached, clip, follow_up) == text(plain, clip, follow_up)
    assert cached.prefix_stats == {"hits": 1, "misses": 1}


def test_description_second_turn_hits_the_cache(cached, plain):
    clip, prompt = make_clip(), prompt_for("description")
    assert text(cached, clip, prompt) == text(plain, clip, prompt)
    assert cached.prefix_stats == {"hits": 1, "misses": 1}  # turn 2 reuses turn 1's prefix


@pytest.mark.parametrize(
    "other",
    [make_clip(seed=1), make_clip(fps=1.0), make_clip(frames=6)],
    ids=["other-pixels", "other-fps", "other-frame-count"],
)
def test_a_different_clip_misses(cached, other: Clip):
    text(cached, make_clip(), prompt_for("qa"))
    text(cached, other, prompt_for("qa"))
    assert cached.prefix_stats == {"hits": 0, "misses": 2}


def test_a_different_system_prompt_misses(cached):
    clip = make_clip()
    text(cached, clip, prompt_for("qa"))
    text(cached, clip, prompt_for("qa").__class__(**{**vars(prompt_for("qa")), "system": "Hi."}))
    assert cached.prefix_stats["misses"] == 2


def test_interleaved_clips_keep_their_own_positions(cached, plain):
    # The model keeps rope_deltas from the last prefill; clip b's must not leak into clip a's.
    a, b = make_clip(seed=0), make_clip(seed=1, frames=8, fps=1.0)
    question = prompt_for("grounding")
    text(cached, a, question)
    text(cached, b, question)
    assert text(cached, a, prompt_for("grounding", "When?")) == text(
        plain, a, prompt_for("grounding", "When?")
    )


def test_cache_keeps_a_bounded_number_of_prefixes(cached):
    for seed in range(PREFIX_CACHE_ENTRIES + 1):
        text(cached, make_clip(seed=seed), prompt_for("qa"))
    text(cached, make_clip(seed=0), prompt_for("qa"))  # the oldest was evicted
    assert cached.prefix_stats["hits"] == 0


def test_read_only_frames_from_the_frame_cache_work(cached, plain):
    clip = make_clip()
    clip.frames.flags.writeable = False
    assert text(cached, clip, prompt_for("qa")) == text(plain, make_clip(), prompt_for("qa"))


def test_opting_out_never_touches_the_cache(plain):
    before = dict(plain.prefix_stats)
    text(plain, make_clip(), prompt_for("qa"))
    assert plain.prefix_stats == before


def test_second_question_reuses_the_processed_pixels(cached, plain):
    clip, follow_up = make_clip(), build_messages(prompt_for("qa", "Where is it?"))
    cached.prepare_inputs(build_messages(prompt_for("qa")), clip)
    reused, fresh = cached.prepare_inputs(follow_up, clip), plain.prepare_inputs(follow_up, clip)
    assert sorted(reused.keys()) == sorted(fresh.keys())
    for name, tensor in fresh.items():
        assert reused[name].dtype == tensor.dtype and torch.equal(reused[name], tensor), name


def test_second_question_skips_the_video_processor(cached, monkeypatch):
    clip = make_clip()
    cached.prepare_inputs(build_messages(prompt_for("qa")), clip)
    calls = []
    video_processor = type(cached.processor.video_processor)
    original = video_processor.__call__
    monkeypatch.setattr(
        video_processor, "__call__", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    cached.prepare_inputs(build_messages(prompt_for("qa", "Where is it?")), clip)
    cached.prepare_inputs(build_messages(prompt_for("qa")), make_clip(seed=1))
    assert len(calls) == 1  # only the new clip
