"""A training job from the Studio's form: the data it exports, the `python -m train` commands it
runs (one per stage), checked before anything is queued. No Gradio here (app.tabs.training).

A job's work folder, `<exports>/training/<name>/`, holds its exports (one per recipe format) and
`job.log`; the checkpoint goes to `<checkpoints>/<name>` (an SFT-then-GRPO job's SFT stage to
`<checkpoints>/<name>-sft`), so the Model tab lists it when it finishes.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, fields, replace
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from annotate.errors import InvalidInput, NothingToExport
from annotate.export import ExportOptions, export
from annotate.jobs import add_job
from annotate.records import TrainingJobRecord
from app.services import Studio
from inference.core.export_layout import RECIPE_FORMATS
from train.config import DEFAULT_LR, TrainConfig

# The form's recipes: the stages each one runs, in order.
RECIPES: dict[str, tuple[str, ...]] = {
    "sft": ("sft",),
    "grpo": ("grpo",),
    "sft+grpo": ("sft", "grpo"),
}
ALL_TASKS = "all"
TRAINING_PACKAGES = ("trl", "peft", "datasets")  # requirements-train.txt: the recipes import them
LOG = "job.log"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class JobForm:
    """What an admin asks for in the Training tab; /start_training takes the fields in order."""

    recipe: str = "sft"
    base: str = "tiny"
    name: str = ""
    task: str = ALL_TASKS
    ground_truth: bool = False
    think: bool = True
    max_steps: int = 50
    save_steps: int = 10
    sft_lr: float = DEFAULT_LR["sft"]
    grpo_lr: float = DEFAULT_LR["grpo"]
    num_generations: int = TrainConfig.num_generations
    max_completion_length: int = TrainConfig.max_completion_length
    temperature: float = TrainConfig.temperature
    beta: float = TrainConfig.beta
    rollout_steps: int = 5

    def check(self) -> JobForm:
        """Return self trimmed, or raise InvalidInput naming what is wrong."""
        form = replace(self, name=(self.name or "").strip(), base=(self.base or "").strip())
        if form.recipe not in RECIPES:
            choices = ", ".join(RECIPES)
            raise InvalidInput(f"unknown recipe {form.recipe!r}; choose one of {choices}")
        if not form.base:
            raise InvalidInput("name the base checkpoint: a listed one, a folder or a hub id")
        for field in fields(self):
            value = getattr(form, field.name)
            if field.type in ("int", "float") and not isinstance(value, int | float):
                raise InvalidInput(f"fill in {field.name.replace('_', ' ')}: a number")
        if not NAME.match(form.name):
            raise InvalidInput(
                "name the new checkpoint: letters, digits, '.', '_' or '-', at most 64 characters"
            )
        return form

    def selection(self, fmt: str, out: Path) -> ExportOptions:
        """The export this form selects, in `fmt`, written to `out`."""
        task = None if self.task in (ALL_TASKS, "", None) else self.task
        return ExportOptions(
            format=fmt,
            out=out,
            status="approved",
            task=task,
            include_ground_truth=self.ground_truth,
            think=self.think,
        )

    def stage_settings(self, recipe: str) -> dict[str, Any]:
        """The TrainConfig fields a stage of `recipe` sets (the rest keep the recipe defaults)."""
        common = {"max_steps": int(self.max_steps), "save_steps": int(self.save_steps)}
        if recipe == "sft":
            return common | {"lr": float(self.sft_lr)}
        return common | {
            "lr": float(self.grpo_lr),
            "num_generations": int(self.num_generations),
            "max_completion_length": int(self.max_completion_length),
            "temperature": float(self.temperature),
            "beta": float(self.beta),
            "rollout_steps": int(self.rollout_steps),
        }


FORM_FIELDS = tuple(field.name for field in fields(JobForm))  # the tab's inputs, in order


def work_folder(studio: Studio, name: str) -> Path:
    """Where a job keeps its exports and its log."""
    return Path(studio.settings.exports) / "training" / name


def count_examples(studio: Studio, form: JobForm) -> dict[str, int]:
    """How many training records each stage's export would hold now (written to a scratch
    folder, exactly as `annotate export` selects them)."""
    form = replace(form, name=form.name or "preview")
    counts = {}
    with tempfile.TemporaryDirectory(prefix="vau-preview-") as scratch:
        for recipe in dict.fromkeys(RECIPES[form.check().recipe]):
            fmt = RECIPE_FORMATS[recipe]
            try:
                report = export(studio.store, form.selection(fmt, Path(scratch) / fmt))
            except NothingToExport:
                counts[recipe] = 0
                continue
            counts[recipe] = sum(report.files.values())  # the whole export trains (no split)
    return counts


def preview_line(counts: dict[str, int]) -> str:
    """The count the form shows before Start."""
    parts = [f"{n} for {recipe.upper()}" for recipe, n in counts.items()]
    return "Training records now: " + ", ".join(parts)


def plan_job(studio: Studio, form: JobForm, who: str) -> TrainingJobRecord:
    """Export the selected data, check every stage's config, and queue the job."""
    form = form.check()
    missing = [name for name in TRAINING_PACKAGES if find_spec(name) is None]
    if missing:
        raise InvalidInput(
            f"training needs {', '.join(missing)} here: pip install -r "
            "requirements-train.txt (a Space serves without them)"
        )
    checkpoints, work = Path(studio.settings.checkpoints), work_folder(studio, form.name)
    stages_of = RECIPES[form.recipe]
    outs = [
        checkpoints / (form.name if i == len(stages_of) - 1 else f"{form.name}-{r}")
        for i, r in enumerate(stages_of)
    ]
    taken = [str(out) for out in outs if out.exists()]
    if taken:
        raise InvalidInput(f"{taken[0]} exists: choose another name for the new checkpoint")
    shutil.rmtree(work, ignore_errors=True)  # a job never queued (its export failed) left it
    exported, stages, model = {}, [], form.base
    for recipe, out in zip(stages_of, outs, strict=True):
        fmt = RECIPE_FORMATS[recipe]
        if fmt not in exported:
            report = export(studio.store, form.selection(fmt, work / fmt))  # NothingToExport
            exported[fmt] = report.to_dict()
        settings = form.stage_settings(recipe)
        config = TrainConfig(
            recipe=recipe, model=model, data=str(work / fmt), out=str(out), **settings
        ).check()
        stages.append(
            {
                "recipe": recipe,
                "argv": command(config, settings),
                "out": str(out),
                "max_steps": config.max_steps,
            }
        )
        model = str(out)
    data = {
        "selection": {
            "task": form.task,
            "ground_truth": form.ground_truth,
            "think": form.think,
            "status": "approved",
        },
        "exports": exported,
        "folder": str(work),
    }
    return add_job(
        studio.store,
        name=form.name,
        recipe=form.recipe,
        base=form.base,
        stages=stages,
        data=data,
        settings=vars(form),
        created_by=who,
    )


def command(config: TrainConfig, settings: dict[str, Any]) -> list[str]:
    """The `python -m train` command line of one stage."""
    argv = [
        sys.executable,
        "-m",
        "train",
        config.recipe,
        "--model",
        config.model,
        "--data",
        config.data,
        "--out",
        config.out,
    ]
    for key, value in settings.items():
        argv += ["--" + key.replace("_", "-"), str(value)]
    return argv
