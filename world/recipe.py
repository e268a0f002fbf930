"""The world model's recipe: the Studio's own command lines, run in order from `recipe.yaml`.

Each step runs the CLI a user would (`world generate`, `annotate import-csv` / `export`,
`train sft` / `grpo`) in a work folder and is skipped when its output is already there, so an
interrupted run picks up where it stopped. The result is copied into `--out` without the
resumable trainer states: weights, tokenizer, processor, every stage's training.json and the
recipe.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inference.core.export_layout import MANIFEST, RECIPE_FORMATS, TRAIN_FILE
from inference.errors import StudioError
from inference.models.card import CARD  # what every `python -m train` writes beside its weights

RECIPE = Path(__file__).with_name("recipe.yaml")
WORK = Path("var/world-model")  # the default work folder
SHIPPED = (  # what a checkpoint folder needs to load, and what says how it was made
    "config.json", "generation_config.json", "model.safetensors", "chat_template.jinja",
    "processor_config.json", "tokenizer.json", "tokenizer_config.json", CARD,
)  # fmt: skip


class RecipeError(StudioError):
    """A recipe file that cannot be followed, or a step that failed."""


@dataclass(frozen=True)
class Stage:
    """One `python -m train` run: its recipe, the tasks and reasoning styles of its data, and
    its settings (the model defaults to the previous stage's checkpoint)."""

    name: str
    recipe: str  # a `python -m train` recipe: sft or grpo
    tasks: list[str]
    think: list[bool]
    settings: dict[str, Any]

    def export_names(self) -> list[tuple[str, bool]]:
        """The (task, think) exports its data merges."""
        return [(task, think) for think in self.think for task in self.tasks]


@dataclass(frozen=True)
class Recipe:
    """The settings of `recipe.yaml`."""

    videos: int
    sampling: dict[str, float]
    stages: list[Stage]

    @classmethod
    def read(cls, path: Path = RECIPE) -> Recipe:
        """The recipe in `path`; RecipeError naming what is missing or unknown."""
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise RecipeError(f"{path}: cannot read ({error})") from None
        _check_keys(values, set(cls.__dataclass_fields__), str(path))
        stages = values["stages"] if isinstance(values["stages"], list) else [None]
        for n, stage in enumerate(stages, 1):
            _check_keys(stage, set(Stage.__dataclass_fields__), f"{path} stage {n}")
            if stage["recipe"] not in RECIPE_FORMATS:
                raise RecipeError(f"{path} stage {n}: recipe is {' or '.join(RECIPE_FORMATS)}")
        return cls(values["videos"], values["sampling"], [Stage(**stage) for stage in stages])

    def sampling_flags(self) -> list[str]:
        """The export's sampling flags (`--fps 1 --min-pixels ...`)."""
        return [x for k, v in self.sampling.items() for x in (f"--{k.replace('_', '-')}", str(v))]


def _check_keys(values: Any, names: set[str], where: str) -> None:
    if not isinstance(values, dict) or set(values) != names:
        found = sorted(values) if isinstance(values, dict) else []
        raise RecipeError(f"{where}: needs exactly {sorted(names)}, has {found}")


def merge_exports(folders: list[Path], out: Path) -> Path:
    """One export folder holding the records of several (same format, same video root)."""
    manifests = [json.loads((f / MANIFEST).read_text(encoding="utf-8")) for f in folders]
    roots = {m["video_root"] for m in manifests}
    if len(roots) != 1 or len({m["format"] for m in manifests}) != 1:
        raise RecipeError("exports merge only with one format and one video root")
    out.mkdir(parents=True, exist_ok=True)
    lines = [(f / TRAIN_FILE).read_text(encoding="utf-8") for f in folders]
    (out / TRAIN_FILE).write_text("".join(lines), encoding="utf-8")
    # Each part's manifest without its per-example list (thousands of world items, all ground
    # truth), which would make every checkpoint's training.json a megabyte.
    parts = [{k: v for k, v in m.items() if k != "examples"} | {"example_count": len(
        m.get("examples", []))} for m in manifests]  # fmt: skip
    merged = {"format": manifests[0]["format"], "video_root": roots.pop(), "merged": parts}
    (out / MANIFEST).write_text(json.dumps(merged, indent=1), encoding="utf-8")
    return out


class Run:
    """One run of the recipe in a work folder; `say` hears each step."""

    def __init__(self, recipe: Recipe, work: Path, say: Callable[[str], None] = print):
        self.recipe, self.work, self.say = recipe, work, say

    def step(self, done: Path, *commands: list[str | Path]) -> None:
        """Run `commands` unless `done` exists, each one's output in a log file of the work
        folder (`tail -f` it to watch); RecipeError with the failing command's last lines."""
        if done.exists():
            self.say(f"  have {done.relative_to(self.work)}")
            return
        for command in commands:
            shown = " ".join(map(str, command))
            log = self.work / "logs" / f"{len(list(self.work.glob('logs/*.log'))):02d}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            self.say(f"  $ python -m {shown}\n    (output: {log})")
            began = time.monotonic()
            with log.open("w", encoding="utf-8") as out:
                argv = [sys.executable, "-m", *map(str, command)]
                code = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT).returncode
            if code != 0:
                lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                tail = "\n".join(line.rsplit("\r", 1)[-1] for line in lines[-15:])
                raise RecipeError(f"python -m {shown} failed (exit {code}):\n{tail}")
            self.say(f"    {time.monotonic() - began:.0f} s")

    def config(self, name: str, values: dict[str, Any]) -> Path:
        """A `train --config` file of the recipe's settings for one recipe."""
        path = self.work / f"{name}.yaml"
        path.write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
        return path

    def export(self, db: Path, fmt: str, task: str, think: bool) -> Path:
        """An `annotate export` of every item's ground truth for one task and reasoning style."""
        out = self.work / "exports" / f"{fmt}-{task}-{'think' if think else 'no-think'}"
        self.step(out / TRAIN_FILE, ["annotate", "export", "--db", db, "--format", fmt,
                                     "--task", task, *([] if think else ["--no-think"]),
                                     "--include-ground-truth", "--status", "all",
                                     *self.recipe.sampling_flags(), "--out", out])  # fmt: skip
        return out

    def __call__(self, out: Path) -> Path:
        """Every step in order; the finished model copied into `out`."""
        r, w = self.recipe, self.work
        self.claim()
        videos, db = w / "videos", w / "world.db"
        self.say(f"{r.videos} train-split world videos")
        self.step(videos / "world.csv", ["world", "generate", "--out", videos, "--count",
                                         r.videos, "--split", "train", "--jobs", "2"])  # fmt: skip
        self.step(db, ["annotate", "import-csv", videos / "world.csv", "--videos", videos,
                       "--db", db])  # fmt: skip
        model, done = "", []
        for stage in r.stages:
            self.say(f"stage {stage.name}: train {stage.recipe} on {', '.join(stage.tasks)}")
            fmt = RECIPE_FORMATS[stage.recipe]
            parts = [self.export(db, fmt, task, think) for task, think in stage.export_names()]
            data = merge_exports(parts, w / "data" / stage.name)
            settings = {**({"model": model} if model else {}), **stage.settings}
            stage_out = w / stage.name
            self.step(stage_out / CARD, ["train", stage.recipe, "--config",
                      self.config(stage.name, settings), "--data", data,
                      "--out", stage_out])  # fmt: skip
            model = str(stage_out)
            done.append(stage_out)
        return self.ship(done, out)

    def claim(self) -> None:
        """Keep the work folder to one recipe: steps done under other settings are not reused."""
        self.work.mkdir(parents=True, exist_ok=True)
        mine, path = yaml.safe_dump(dataclasses.asdict(self.recipe)), self.work / "recipe.yaml"
        if path.is_file() and path.read_text(encoding="utf-8") != mine:
            raise RecipeError(
                f"{self.work} holds steps of other settings ({path}); remove it or pass --work"
            )
        path.write_text(mine, encoding="utf-8")

    def ship(self, stages: list[Path], out: Path) -> Path:
        """The loadable files of the last stage, every stage's card and the recipe, into `out`."""
        staging = out.with_name(f".{out.name}-new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in SHIPPED:
            if (stages[-1] / name).is_file():
                shutil.copy2(stages[-1] / name, staging / name)
        for stage in stages[:-1]:
            shutil.copy2(stage / CARD, staging / f"{Path(CARD).stem}-{stage.name}.json")
        shutil.copy2(self.work / "recipe.yaml", staging / "recipe.yaml")  # the settings used
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
        self.say(f"the world model: {out}")
        return out
