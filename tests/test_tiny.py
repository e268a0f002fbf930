"""The tiny offline checkpoint: what it contains, that it is reproducible, and how it is cached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoProcessor

from inference.errors import ModelUnavailable
from inference.models.tiny import MARKER, SPECIAL_TOKENS, TINY_VERSION, ensure_tiny, make_tiny

ID_FIELDS = {
    "bos_token_id": "<|endoftext|>",
    "eos_token_id": "<|im_end|>",
    "pad_token_id": "<|endoftext|>",
    "image_token_id": "<|image_pad|>",
    "video_token_id": "<|video_pad|>",
    "vision_start_token_id": "<|vision_start|>",
    "vision_end_token_id": "<|vision_end|>",
}
TEXT_ID_FIELDS = ("bos_token_id", "eos_token_id", "pad_token_id")
ROUND_TRIP = [
    "<think> The car crashes into a pole. </think><answer> Anomaly </answer>",
    "<glue>[12.5, 20.0]</glue>",
    "<answer>B</answer> at 01:02",
    "Explosion near the Traffic_accident, 00:00:01.5",
]


@pytest.fixture(scope="module")
def processor(tiny_checkpoint: Path):
    return AutoProcessor.from_pretrained(tiny_checkpoint)


@pytest.fixture(scope="module")
def config(tiny_checkpoint: Path) -> dict:
    return json.loads((tiny_checkpoint / "config.json").read_text())


@pytest.mark.parametrize(
    "name",
    [
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "processor_config.json",
        "chat_template.jinja",
        MARKER,
    ],
)
def test_checkpoint_has_file(tiny_checkpoint: Path, name: str):
    assert (tiny_checkpoint / name).is_file()


def test_config_is_qwen2_5_vl(config: dict):
    assert config["model_type"] == "qwen2_5_vl"
    assert config["architectures"] == ["Qwen2_5_VLForConditionalGeneration"]


def test_text_model_is_tiny(config: dict):
    text = config["text_config"]
    assert (text["num_hidden_layers"], text["hidden_size"]) == (2, 64)
    head_dim = text["hidden_size"] // text["num_attention_heads"]
    assert sum(text["rope_parameters"]["mrope_section"]) * 2 == head_dim


def test_vision_tower_feeds_the_text_model(config: dict):
    vision = config["vision_config"]
    assert vision["out_hidden_size"] == config["text_config"]["hidden_size"]
    assert (vision["patch_size"], vision["temporal_patch_size"]) == (14, 2)
    assert vision["spatial_merge_size"] == 2


@pytest.mark.parametrize("field, token", ID_FIELDS.items())
def test_top_level_token_id_matches_tokenizer(config: dict, processor, field: str, token: str):
    assert config[field] == processor.tokenizer.convert_tokens_to_ids(token)


@pytest.mark.parametrize("field", TEXT_ID_FIELDS)
def test_text_config_repeats_token_id(config: dict, field: str):
    assert config["text_config"][field] == config[field]


def test_vocab_size_covers_the_tokenizer(config: dict, processor):
    assert config["text_config"]["vocab_size"] == len(processor.tokenizer)


@pytest.mark.parametrize("token", SPECIAL_TOKENS)
def test_special_token_is_one_token(processor, token: str):
    assert len(processor.tokenizer(token).input_ids) == 1


def test_special_tokens_follow_qwens_order(processor):
    ids = processor.tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS))
    assert ids == list(range(ids[0], ids[0] + len(SPECIAL_TOKENS)))


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_tokenizer_round_trips(processor, text: str):
    tokenizer = processor.tokenizer
    assert tokenizer.decode(tokenizer(text).input_ids) == text


@pytest.mark.parametrize("tag", ["<think>", "Anomaly", " Normal", "glue"])
def test_tag_vocabulary_is_learned(processor, tag: str):
    assert len(processor.tokenizer(tag).input_ids) <= 2


def test_chat_template_renders_video_part(processor):
    messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "Q?"}]}]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>Q?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_generation_config_is_greedy(tiny_checkpoint: Path):
    generation = json.loads((tiny_checkpoint / "generation_config.json").read_text())
    assert generation["do_sample"] is False


def test_build_is_deterministic(tmp_path: Path):
    first, second = make_tiny(tmp_path / "a"), make_tiny(tmp_path / "b")
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_qwen2_vl_variant(tmp_path: Path):
    config = json.loads((make_tiny(tmp_path / "q2", "qwen2_vl") / "config.json").read_text())
    assert config["architectures"] == ["Qwen2VLForConditionalGeneration"]


@pytest.mark.parametrize(("variant", "std"), [("tiny", 0.3), ("tiny-init", 0.02)])
def test_a_variant_draws_its_weights_at_its_own_scale(tmp_path: Path, variant: str, std: float):
    from safetensors.torch import load_file

    folder = make_tiny(tmp_path / variant, variant=variant)
    weights = load_file(str(folder / "model.safetensors"))
    projection = next(t for name, t in weights.items() if name.endswith("q_proj.weight"))
    assert projection.std().item() == pytest.approx(std, rel=0.1)
    assert json.loads((folder / "config.json").read_text())["initializer_range"] == std


def test_unknown_variant_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="model_type"):
        make_tiny(tmp_path / "x", "llava")


def test_ensure_tiny_defaults_to_vau_home(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VAU_HOME", str(tmp_path))
    assert ensure_tiny() == tmp_path / "tiny"
    assert (tmp_path / "tiny" / "model.safetensors").is_file()


def test_ensure_tiny_builds_once(tmp_path: Path):
    path = ensure_tiny(tmp_path / "tiny")
    built = (path / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny(tmp_path / "tiny") == path
    assert (path / "model.safetensors").stat().st_mtime_ns == built


def test_ensure_tiny_leaves_no_staging_dirs(tmp_path: Path):
    ensure_tiny(tmp_path / "tiny")
    assert [p.name for p in tmp_path.iterdir()] == ["tiny"]


def test_ensure_tiny_rebuilds_a_stale_version(tmp_path: Path):
    path = ensure_tiny(tmp_path / "tiny")
    (path / MARKER).write_text("vau-tiny-0\n")
    (path / "leftover.txt").write_text("old")
    ensure_tiny(path)
    assert (path / MARKER).read_text().strip() == TINY_VERSION
    assert not (path / "leftover.txt").exists()


def test_ensure_tiny_fills_an_empty_directory(tmp_path: Path):
    (tmp_path / "tiny").mkdir()
    assert (ensure_tiny(tmp_path / "tiny") / "config.json").is_file()


def test_ensure_tiny_refuses_to_replace_foreign_files(tmp_path: Path):
    foreign = tmp_path / "tiny"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ModelUnavailable, match="not a tiny checkpoint"):
        ensure_tiny(foreign)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_ensure_tiny_refuses_a_file_in_the_way(tmp_path: Path):
    (tmp_path / "tiny").write_text("not a directory")
    with pytest.raises(ModelUnavailable, match="not a tiny checkpoint"):
        ensure_tiny(tmp_path / "tiny")


def test_ensure_tiny_where_it_cannot_write(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ModelUnavailable, match="cannot build the tiny checkpoint"):
        ensure_tiny(blocker / "tiny")
