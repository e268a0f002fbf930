"""A checkpoint trained by our recipes runs on videos the way it was trained: pixel bounds left at
VAU-R1's defaults become the ones its training.json records; bounds anyone sets are kept."""

from __future__ import annotations

import json

import pytest

from inference.cli import main as inference_main
from inference.core.tasks import DEFAULT_PIXELS
from inference.models.card import pixels_for, trained_pixels
from world.recipe import Recipe

WORLD = {k: v for k, v in Recipe.read().sampling.items() if k != "fps"}
SMALL = {"min_pixels": 3136, "max_pixels": 6272, "total_pixels": 100352}


def card(folder, sampling) -> str:
    """A checkpoint folder whose training.json records `sampling` (a list of ways)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "training.json").write_text(json.dumps({"data": {"sampling": sampling}}))
    return str(folder)


def test_the_world_model_records_the_bounds_it_was_trained_at():
    assert trained_pixels("world") == WORLD


@pytest.mark.parametrize(
    ("name", "why"),
    [("Qwen/Qwen2.5-VL-3B-Instruct", "a hub id: no local card"),
     ("tiny", "built here, never trained"),
     (None, "no model")],
)  # fmt: skip
def test_other_checkpoints_record_none(name, why):
    assert trained_pixels(name) is None, why


@pytest.mark.parametrize(
    ("sampling", "expected"),
    [([{"fps": 1.0, "max_frames": 768, **SMALL}], SMALL),
     ([{"fps": 1.0, **SMALL}, {"fps": 2.0, **SMALL}], SMALL),  # rates differ, bounds agree
     ([{"fps": 1.0, **SMALL}, {"fps": 1.0, **DEFAULT_PIXELS}], None),  # two ways: no rule
     ([{"fps": 1.0, "min_pixels": 3136}], None),  # a damaged card
     ("not a list", None)],
)  # fmt: skip
def test_a_card_names_bounds_only_when_its_videos_agree(tmp_path, sampling, expected):
    assert trained_pixels(card(tmp_path / "ckpt", sampling)) == expected


def test_an_unreadable_card_is_no_card(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "training.json").write_text("{torn")
    assert trained_pixels(str(folder)) is None


def test_bounds_left_at_the_defaults_become_the_checkpoints_and_set_ones_are_kept():
    assert pixels_for(DEFAULT_PIXELS, "world") == WORLD
    assert pixels_for(SMALL, "world") == SMALL
    assert pixels_for(DEFAULT_PIXELS, "tiny") == DEFAULT_PIXELS


def visual_tokens(capsys, *flags) -> int:
    video = "assets/world-samples/world_2000039.mp4"
    assert inference_main(["plan", "--model", "world", "--video", video, "--task",
                           "classification", "--json", *flags]) == 0  # fmt: skip
    return json.loads(capsys.readouterr().out)["visual_tokens"]


def test_the_command_line_samples_the_world_model_as_it_was_trained(capsys):
    world = [x for k, v in WORLD.items() for x in (f"--{k.replace('_', '-')}", str(v))]
    own = visual_tokens(capsys)
    assert own == visual_tokens(capsys, *world)
    assert own < visual_tokens(capsys, "--min-pixels", str(DEFAULT_PIXELS["min_pixels"] + 784))
