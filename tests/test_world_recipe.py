"""The world model's recipe: its settings file, its merged exports, its work folder."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from inference.core.export_layout import MANIFEST, TRAIN_FILE
from world.recipe import RECIPE, Recipe, RecipeError, Run, Stage, merge_exports


def test_the_shipped_recipe_reads_and_samples_the_world_at_its_own_size():
    recipe = Recipe.read()
    assert recipe.stages[0].settings["model"] == "tiny-init"
    assert [s.recipe for s in recipe.stages] == ["sft", "sft", "grpo"]
    assert recipe.sampling_flags()[:2] == ["--fps", "1"]
    assert "--total-pixels" in recipe.sampling_flags()


def test_a_stage_exports_each_task_in_each_reasoning_style():
    stage = Stage("s", "sft", ["qa", "grounding"], [False, True], {})
    assert stage.export_names() == [
        ("qa", False), ("grounding", False), ("qa", True), ("grounding", True)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("videos: [", "cannot read"),
        ("- a list", "needs exactly"),
        ("videos: 3", "needs exactly"),
        ("videos: 3\nsampling: {}\nstages: [{name: a}]", "stage 1: needs exactly"),
        (
            "videos: 3\nsampling: {}\nstages: [{name: a, recipe: dpo, tasks: [], think: [], "
            "settings: {}}]",
            "recipe is sft or grpo",
        ),
    ],
)
def test_a_recipe_file_that_cannot_be_followed_is_refused(tmp_path, text, message):
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    with pytest.raises(RecipeError, match=message):
        Recipe.read(path)


def test_an_unknown_setting_is_refused(tmp_path):
    values = yaml.safe_load(RECIPE.read_text()) | {"epochs": 3}
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(values))
    with pytest.raises(RecipeError, match="needs exactly"):
        Recipe.read(path)


def export(folder, lines, root="/videos", fmt="trl-sft"):
    folder.mkdir()
    (folder / TRAIN_FILE).write_text("".join(f"{json.dumps(x)}\n" for x in lines))
    examples = [{"id": x["id"]} for x in lines]
    manifest = {"format": fmt, "video_root": root, "examples": examples}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


def test_merged_exports_hold_every_record_in_order_and_each_manifest(tmp_path):
    a = export(tmp_path / "a", [{"id": 1}, {"id": 2}])
    b = export(tmp_path / "b", [{"id": 3}])
    out = merge_exports([a, b], tmp_path / "out")
    ids = [json.loads(x)["id"] for x in (out / TRAIN_FILE).read_text().splitlines()]
    manifest = json.loads((out / MANIFEST).read_text())
    assert ids == [1, 2, 3] and manifest["video_root"] == "/videos"
    assert manifest["format"] == "trl-sft"
    assert [(m["example_count"], "examples" in m) for m in manifest["merged"]] == [
        (2, False),
        (1, False),
    ]


@pytest.mark.parametrize(("root", "fmt"), [("/elsewhere", "trl-sft"), ("/videos", "trl-grpo")])
def test_exports_of_other_roots_or_formats_do_not_merge(tmp_path, root, fmt):
    a = export(tmp_path / "a", [{"id": 1}])
    b = export(tmp_path / "b", [{"id": 2}], root, fmt)
    with pytest.raises(RecipeError, match="one format and one video root"):
        merge_exports([a, b], tmp_path / "out")


def test_a_work_folder_serves_one_recipe_only(tmp_path):
    recipe = Recipe.read()
    Run(recipe, tmp_path).claim()
    Run(recipe, tmp_path).claim()  # the same settings carry on
    other = dataclasses.replace(recipe, videos=recipe.videos + 1)
    with pytest.raises(RecipeError, match="other settings"):
        Run(other, tmp_path).claim()


def test_a_failed_step_says_which_command_and_its_last_lines(tmp_path):
    lines = []
    run = Run(Recipe.read(), tmp_path, lines.append)
    command = ["train", "sft", "--data", tmp_path / "missing", "--out", tmp_path / "out"]
    with pytest.raises(RecipeError, match=r"python -m train sft .* failed \(exit 2\):\n.*missing"):
        run.step(tmp_path / "done", command)
    assert lines[0].startswith("  $ python -m train sft") and "(output: " in lines[0]
    assert not (tmp_path / "done").exists()


def test_a_step_whose_output_is_there_is_skipped(tmp_path):
    (tmp_path / "done").touch()
    lines = []
    Run(Recipe.read(), tmp_path, lines.append).step(tmp_path / "done", ["train", "--bad"])
    assert lines == ["  have done"]
