"""The tiny model with Qwen2.5-VL's own tokenizer: what a real checkpoint's tokens do to the parser,
the stream, the rewards and the training mask (the 768-token test BPE hides all of it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from app import views
from inference.backends.engine import Engine
from inference.backends.generation import Generation, Partial
from inference.core.metrics import format_reward, temporal_iou_reward
from inference.core.parse import parse_response
from inference.core.prompts import build_prompt
from inference.models.loading import LoadOptions, load_model
from inference.models.tiny import QWEN_VOCAB_ROWS, make_tiny
from inference.video import sampling
from train.collate import IGNORE, SFTCollator
from train.data import Record

GROUNDED = (
    "<think>At 3.5 to 7.0 seconds a person falls.</think>"
    "<answer>Anomaly</answer><glue>[3.5, 7.0]</glue>"
)
SAMPLING = sampling.SamplingOptions(fps=1.0, min_pixels=3136, max_pixels=18816, total_pixels=188160)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return make_tiny(tmp_path_factory.mktemp("qwen-vocab") / "qwen-vocab", variant="qwen-vocab")


@pytest.fixture(scope="module")
def loaded(checkpoint: Path):
    return load_model(LoadOptions(model=str(checkpoint), device="cpu"))


@pytest.fixture(scope="module")
def tokenizer(loaded):
    return loaded.processor.tokenizer


@pytest.mark.parametrize(
    ("token", "qwen_id"),
    [
        ("<|endoftext|>", 151643),
        ("<|im_start|>", 151644),
        ("<|im_end|>", 151645),
        ("<|vision_start|>", 151652),
        ("<|vision_end|>", 151653),
        ("<|image_pad|>", 151655),
        ("<|video_pad|>", 151656),
    ],
)
def test_special_tokens_have_qwen_2_5_vl_ids(tokenizer, token: str, qwen_id: int):
    assert tokenizer.convert_tokens_to_ids(token) == qwen_id


def test_the_vocabulary_is_qwen_2_5_vl_s(checkpoint: Path, tokenizer):
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["text_config"]["vocab_size"] == QWEN_VOCAB_ROWS == 151936
    assert config["video_token_id"] == 151656
    assert len(tokenizer) == 151665  # 151,643 BPE tokens and 22 added ones, no <think>


@pytest.mark.parametrize("tag", ["<think>", "</think>", "<answer>", "<glue>", "</glue>"])
def test_protocol_tags_are_ordinary_text_of_several_tokens(tokenizer, tag: str):
    ids = tokenizer.encode(tag, add_special_tokens=False)
    assert len(ids) > 1 and max(ids) < 151643


def test_times_are_spelled_a_digit_a_token(tokenizer):
    pieces = tokenizer.convert_ids_to_tokens(tokenizer.encode("12.5", add_special_tokens=False))
    assert pieces == ["1", "2", ".", "5"]


def test_decoded_text_round_trips_and_earns_its_rewards(tokenizer):
    decoded = tokenizer.decode(tokenizer.encode(GROUNDED, add_special_tokens=False))
    assert decoded == GROUNDED
    assert format_reward([decoded], task="grounding", think=True) == [1.0]
    assert temporal_iou_reward([decoded], interval=[[3.5, 7.0]]) == [1.0]
    assert parse_response(decoded, "grounding").interval == (3.5, 7.0)


def test_a_stream_never_shows_a_half_written_tag(tokenizer):
    ids = tokenizer.encode(GROUNDED, add_special_tokens=False)
    for n in range(1, len(ids) + 1):
        shown = views.live_html(tokenizer.decode(ids[:n]))
        assert "&lt;" not in shown, (n, tokenizer.decode(ids[:n]))


def test_a_generation_stopped_at_any_token_parses_and_is_only_well_formed_when_whole(tokenizer):
    ids = tokenizer.encode(GROUNDED, add_special_tokens=False)
    formats = [
        parse_response(tokenizer.decode(ids[:n]), "grounding").format_ok
        for n in range(1, len(ids) + 1)
    ]
    assert formats[-1] and not any(formats[:-1])


def test_the_training_mask_keeps_exactly_the_assistant_reply(loaded, sample_video: Path):
    reply = "<answer>B</answer>"
    messages = [
        {"role": "user", "content": [{"type": "video", "video": str(sample_video)},
                                     {"type": "text", "text": "What happens?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": reply}]},
    ]  # fmt: skip
    record = Record("line 1: x", messages, str(sample_video), SAMPLING, "qa")
    batch = SFTCollator(loaded.processor, [record])([{"index": 0}])
    kept = batch["labels"][0][batch["labels"][0] != IGNORE].tolist()
    assert loaded.processor.tokenizer.decode(kept) == reply + "<|im_end|>"


def test_a_run_on_a_sample_streams_and_parses(loaded, sample_video: Path):
    clip = sampling.sample_video(sample_video, SAMPLING)
    events = list(Engine(loaded).stream(clip, build_prompt("grounding"), max_new_tokens=12))
    partials = [e for e in events if isinstance(e, Partial)]
    (done,) = [e for e in events if isinstance(e, Generation)]
    assert partials and all(done.text.startswith(p.text) for p in partials)
    assert 0 < done.timings.new_tokens <= 12
    assert done.result.to_dict()["raw"] == done.text  # the parser takes whatever it produced


def test_a_turn_ends_at_im_end_which_never_reaches_the_text(checkpoint: Path, sample_video: Path):
    ending = load_model(LoadOptions(model=str(checkpoint), device="cpu"))  # changed below: its own
    im_end = ending.processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    head = ending.model.lm_head
    biased = torch.nn.Linear(head.in_features, head.out_features, bias=True)
    biased.weight = head.weight  # the same (maybe tied) weights, plus a bias that picks im_end
    with torch.no_grad():
        biased.bias.zero_()
        biased.bias[im_end] = 1e4
    ending.model.lm_head = biased
    clip = sampling.sample_video(sample_video, SAMPLING)
    events = list(Engine(ending).stream(clip, build_prompt("grounding"), max_new_tokens=12))
    (done,) = [e for e in events if isinstance(e, Generation)]
    assert done.timings.new_tokens == 1  # the first token ended the turn; 12 would mean no stop
    assert done.text == "" and not done.stopped
    assert not done.result.format_ok  # an empty reply is answered as malformed, not a crash
