"""train/: the config from YAML and flags, reading exports, and the loss mask."""

from __future__ import annotations

import json
import re

import pytest

from inference.models.loading import LoadOptions, load_model
from tests.conftest import SAMPLES_DIR
from train.cli import parser
from train.collate import IGNORE, AssistantMask
from train.config import TrainConfig, TrainError, from_args
from train.data import read_export

VIDEO = {"type": "video", "video": str(SAMPLES_DIR / "sample_fall.mp4"), "fps": 2.0,
         "min_pixels": 100352, "max_pixels": 602112, "total_pixels": 2809856}  # fmt: skip


def config_of(argv: list[str]) -> TrainConfig:
    args = parser().parse_args(argv)
    return from_args(args.recipe, args)


# --- config -------------------------------------------------------------------------------------


def test_flags_fill_the_config_and_the_recipe_sets_the_learning_rate():
    config = config_of(["sft", "--data", "d", "--out", "o", "--max-steps", "5"])
    assert (config.recipe, config.max_steps, config.learning_rate) == ("sft", 5, 2e-5)
    assert config_of(["sft", "--data", "d", "--out", "o", "--lr", "1e-3"]).learning_rate == 1e-3


def test_flags_win_over_the_yaml_file(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("max-steps: 7\nlr: 1e-4\nlora: true\ndata: d\nout: o\n", encoding="utf-8")
    config = config_of(["sft", "--config", str(path), "--max-steps", "3"])
    assert (config.max_steps, config.lr, config.lora, config.data) == (3, 1e-4, True, "d")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("steps: 3\n", "unknown settings steps"),
        ("max_steps: many\n", "max_steps should be int"),
        ("- a\n- b\n", "a mapping"),
        ("lora: 3\n", "lora should be bool"),
    ],
)
def test_a_bad_yaml_file_is_one_clear_error(tmp_path, yaml_text, message):
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(TrainError, match=message):
        config_of(["sft", "--config", str(path), "--data", "d", "--out", "o"])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ([], "--data is required"),
        (["--data", "d"], "--out is required"),
        (["--data", "d", "--out", "o", "--quant", "4bit"], "add --lora"),
        (["--data", "d", "--out", "o", "--quant", "3bit"], "choose one of none"),
        (["--data", "d", "--out", "o", "--max-steps", "0"], "--max-steps"),
        (["--data", "d", "--out", "o", "--batch-size", "0"], "--batch-size"),
        (["--data", "d", "--out", "o", "--lr", "nan"], "--lr"),
        (["--data", "d", "--out", "o", "--lr", "-1e-3"], "--lr must be a number >= 0, got -0.001"),
        (["--data", "d", "--out", "o", "--lr", "-.5"], "--lr must be a number >= 0, got -0.5"),
        (["--data", "d", "--out", "o", "--epochs", "0"], "--epochs must be more than 0"),
        (["--data", "d", "--out", "o", "--beta", "-4E-2"], "--beta must be a number >= 0"),
    ],
)
def test_bad_settings_are_refused_by_name(flags, message):
    recipe = "grpo" if "--beta" in flags else "sft"
    with pytest.raises(TrainError, match=re.escape(message)):
        config_of([recipe, *flags])


def test_epochs_do_not_matter_when_the_steps_are_set():
    config = config_of(["sft", "--data", "d", "--out", "o", "--epochs", "0", "--max-steps", "3"])
    assert config.max_steps == 3


@pytest.mark.parametrize(
    ("recipe", "says", "never"),
    [
        ("sft", ["--format trl-sft", "(default: 2e-05)"], ["trl-grpo", "--num-generations"]),
        ("grpo", ["--format trl-grpo", "(default: 1e-06)", "--num-generations"], ["trl-sft"]),
    ],
)
def test_each_recipes_help_offers_what_it_takes(capsys, recipe, says, never):
    with pytest.raises(SystemExit):
        parser().parse_args([recipe, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(phrase in text for phrase in says) and not any(p in text for p in never)


# --- reading an export --------------------------------------------------------------------------


def write_export(folder, records):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) if not isinstance(r, str) else r for r in records]
    (folder / "train.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def sft_record(video=VIDEO, reply="<glue>[8.0, 15.0]</glue>"):
    user = {"role": "user", "content": [video, {"type": "text", "text": "When?"}]}
    answer = {"role": "assistant", "content": [{"type": "text", "text": reply}]}
    return {"messages": [user, answer], "task": "grounding", "id": "x"}


def test_an_export_gives_records_sampled_as_the_export_says(tmp_path):
    data = read_export(write_export(tmp_path / "e", [sft_record()]), "sft", max_frames=8)
    (record,) = data.records
    assert (record.task, record.sampling.fps, record.sampling.max_frames) == ("grounding", 2.0, 8)
    assert record.sampling.min_pixels == VIDEO["min_pixels"]
    assert data.summary()["tasks"] == {"grounding": 1} and len(data.sha256) == 64


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([], "has no records: nothing to train on"),
        (["{not json"], "line 1: not JSON"),
        ([{"prompt": [], "solution": "A"}], "holds a trl-grpo export; `train sft` reads"),
        ([{"conversations": []}], "holds no such export"),
        ([sft_record(video={"type": "text", "text": "no video"})], "no video in the record"),
        ([sft_record(video={**VIDEO, "video": "/nowhere/gone.mp4"})], "missing under "),
        ([sft_record(video={**VIDEO, "fps": -2})], "bad sampling options"),
    ],
)
def test_an_unusable_export_is_one_clear_error(tmp_path, records, message):
    with pytest.raises(TrainError, match=message):
        read_export(write_export(tmp_path / "e", records), "sft")


def test_an_export_moved_to_another_host_finds_its_videos_under_videos(tmp_path):
    import shutil

    here = tmp_path / "annotation-host" / "videos"
    here.mkdir(parents=True)
    shutil.copy(SAMPLES_DIR / "sample_fall.mp4", here)
    export = write_export(tmp_path / "e", [sft_record(video={**VIDEO, "video": "sample_fall.mp4"})])
    (export / "manifest.json").write_text(json.dumps({"video_root": str(here)}))
    (record,) = read_export(export, "sft").records  # where the manifest says
    assert record.video == str(here / "sample_fall.mp4")
    there = tmp_path / "gpu-host" / "data"
    shutil.move(here, there)
    with pytest.raises(TrainError, match="pass --videos DIR"):
        read_export(export, "sft")
    (record,) = read_export(export, "sft", videos=there).records
    assert record.video == str(there / "sample_fall.mp4") and record.clip().num_frames > 0


def test_the_validation_split_is_read_beside_the_training_data(tmp_path):
    export = write_export(tmp_path / "e", [sft_record()])
    (export / "validation.jsonl").write_text(json.dumps(sft_record() | {"id": "v"}) + "\n")
    data = read_export(export, "sft")
    assert len(data.records) == 1 and [r.columns["id"] for r in data.validation] == ["v"]
    assert data.summary()["validation_records"] == 1


def test_a_folder_without_training_data_says_how_to_make_it(tmp_path):
    with pytest.raises(TrainError, match="no such folder"):
        read_export(tmp_path / "absent", "sft")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainError, match="annotate export --format trl-sft"):
        read_export(tmp_path / "empty", "sft")


# --- the loss mask ------------------------------------------------------------------------------


def test_only_the_assistant_replies_and_their_end_token_are_learned(tiny_checkpoint):
    processor = load_model(LoadOptions(model=str(tiny_checkpoint), device="cpu")).processor
    tokenizer = processor.tokenizer
    chat = [
        {"role": "user", "content": [{"type": "text", "text": "Describe."}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A man walks."}]},
        {"role": "user", "content": [{"type": "text", "text": "Why?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "He is late."}]},
    ]
    ids = tokenizer(processor.apply_chat_template(chat, tokenize=False), return_tensors="pt")
    labels = AssistantMask(tokenizer).labels(ids["input_ids"])[0]
    learned = tokenizer.decode([t for t in labels.tolist() if t != IGNORE])
    assert learned == "A man walks.<|im_end|>He is late.<|im_end|>"
    assert (labels == IGNORE).sum() > 0


def test_resuming_skips_a_checkpoint_that_a_kill_cut_short(tmp_path):
    from train.loop import resume_point

    folder = tmp_path / "checkpoints"
    for step, state in ((4, "{}"), (8, "{}"), (12, '{"trunc'), (16, None), (20, "{}")):
        (folder / f"checkpoint-{step}").mkdir(parents=True)
        if state is not None:
            (folder / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    assert resume_point(tmp_path) == str(folder / "checkpoint-20")
    (folder / "checkpoint-20" / "trainer_state.json").unlink()  # killed mid-save
    assert resume_point(tmp_path) == str(folder / "checkpoint-8")
    assert resume_point(tmp_path / "fresh") is None
