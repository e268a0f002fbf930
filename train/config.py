"""One config dataclass per training run, filled from a YAML file and then from flags.

Every field is a flag (`--max-steps`, `--lora`/`--no-lora`, ...) with the help text below;
`--config FILE.yaml` sets any of them first. Defaults follow VAU-R1 (SFT lr 2e-5; GRPO lr 1e-6,
4 generations, 1024-token completions, beta 0.04, temperature 1.0).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from inference.backends.generation import DEFAULT_MAX_NEW_TOKENS
from inference.core.export_layout import RECIPE_FORMATS
from inference.core.tasks import DEFAULT_MAX_FRAMES
from inference.errors import StudioError
from inference.models.loading import DEVICES, QUANTS

RECIPES: tuple[str, ...] = ("sft", "grpo")
DEFAULT_LR = {"sft": 2e-5, "grpo": 1e-6}


GRPO_ONLY = ("num_generations", "max_completion_length", "beta", "temperature", "rollout_steps")


class TrainError(StudioError):
    """A training run cannot start or go on (bad config, bad export, unusable model)."""


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class TrainConfig:
    """Everything a recipe needs; `check()` validates it in one place."""

    recipe: str = _opt("sft", "sft or grpo (set by the subcommand)")
    model: str = _opt("tiny", "hub id, checkpoint directory, tiny, or tiny-init (the tiny "
                      "architecture at Qwen's 0.02 init, to train from scratch)")  # fmt: skip
    data: str = _opt("", "folder written by `annotate export --format {format}`")
    out: str = _opt("", "output folder: the checkpoint, training.json, metrics.jsonl")
    videos: str = _opt("", "folder holding the export's videos on this machine (default: the "
                       "root the export records)")  # fmt: skip
    max_steps: int = _opt(-1, "optimizer steps (-1: --epochs decide)")
    epochs: float = _opt(1.0, "passes over the data when --max-steps is -1")
    lr: float = _opt(0.0, "learning rate")
    batch_size: int = _opt(1, "examples per device per step (GRPO: prompts, with all generations)")
    grad_accum: int = _opt(1, "gradient accumulation steps")
    seed: int = _opt(0, "random seed")
    quant: str = _opt("none", "load the base model in none, 4bit (QLoRA) or 8bit")
    device: str = _opt("auto", "auto, cpu or cuda")
    lora: bool = _opt(False, "train LoRA adapters (merged into the saved checkpoint)")
    lora_r: int = _opt(16, "LoRA rank")
    lora_alpha: int = _opt(32, "LoRA alpha")
    lora_dropout: float = _opt(0.05, "LoRA dropout")
    gradient_checkpointing: bool = _opt(False, "trade compute for memory")
    save_steps: int = _opt(50, "save a resumable checkpoint every N steps")
    logging_steps: int = _opt(1, "log metrics every N steps")
    max_frames: int = _opt(DEFAULT_MAX_FRAMES, "at most this many frames per video")
    num_generations: int = _opt(4, "GRPO: completions per prompt")
    max_completion_length: int = _opt(DEFAULT_MAX_NEW_TOKENS, "GRPO: tokens per completion")
    beta: float = _opt(0.04, "GRPO: KL coefficient")
    temperature: float = _opt(1.0, "GRPO: sampling temperature")
    rollout_steps: int = _opt(10, "GRPO: write each prompt's completions and rewards to "
                              "rollouts.jsonl every N steps")  # fmt: skip

    @property
    def learning_rate(self) -> float:
        """The learning rate to use: --lr, else the recipe's default."""
        return self.lr or DEFAULT_LR[self.recipe]

    def check(self) -> TrainConfig:
        """Return self, or raise TrainError naming the bad setting."""
        choices = {"recipe": RECIPES, "quant": QUANTS, "device": DEVICES}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                value = getattr(self, name)
                raise TrainError(f"--{name} {value!r}: choose one of {', '.join(allowed)}")
        if not self.data:
            raise TrainError("--data is required: a folder written by `annotate export`")
        if not self.out:
            raise TrainError("--out is required: the folder for the new checkpoint")
        if self.max_steps == 0 or self.max_steps < -1:
            raise TrainError(f"--max-steps is a positive number or -1, got {self.max_steps}")
        if self.max_steps == -1 and not self.epochs > 0:
            raise TrainError(
                f"--epochs must be more than 0 (or set --max-steps), got {self.epochs}"
            )
        if self.quant != "none" and not self.lora:
            raise TrainError(f"--quant {self.quant} trains adapters only: add --lora (QLoRA)")
        positive = ("batch_size", "grad_accum", "save_steps", "logging_steps", "max_frames",
                    "num_generations", "max_completion_length", "lora_r",
                    "rollout_steps")  # fmt: skip
        for name in positive:
            if getattr(self, name) < 1:
                raise TrainError(f"--{name.replace('_', '-')} must be at least 1")
        for name in ("epochs", "lr", "beta", "temperature", "lora_dropout"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise TrainError(f"--{name.replace('_', '-')} must be a number >= 0, got {value}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, as training.json records it."""
        return {**asdict(self), "learning_rate": self.learning_rate}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser, recipe: str) -> None:
    """One flag per config field (defaults suppressed, so YAML values are not overridden)."""
    parser.add_argument("--config", metavar="FILE.yaml", help="read settings from a YAML file")
    for f in fields(TrainConfig):
        if f.name == "recipe" or (recipe != "grpo" and f.name in GRPO_ONLY):
            continue
        kind = _KINDS[str(f.type)]
        text = f.metadata["help"].format(format=RECIPE_FORMATS[recipe])
        default = DEFAULT_LR[recipe] if f.name == "lr" else f.default
        help = f"{text} (default: {default})" if default != "" else text
        if kind is bool:
            action = argparse.BooleanOptionalAction
            parser.add_argument(_flag(f.name), action=action, default=MISSING, help=help)
        else:
            parser.add_argument(_flag(f.name), type=kind, default=MISSING, help=help)


def _from_yaml(path: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise TrainError(f"{path}: no such config file") from None
    except (OSError, yaml.YAMLError) as error:
        raise TrainError(f"{path}: cannot read as YAML ({error})") from None
    if not isinstance(loaded, dict):
        raise TrainError(f"{path}: a config file is a mapping of setting: value")
    loaded = {str(k).replace("-", "_"): v for k, v in loaded.items()}
    known = {f.name for f in fields(TrainConfig)} - {"recipe"}
    unknown = sorted(set(loaded) - known)
    if unknown:
        raise TrainError(f"{path}: unknown settings {', '.join(unknown)}")
    return {name: _typed(name, value, path) for name, value in loaded.items()}


_KINDS = {"bool": bool, "int": int, "float": float, "str": str}


def _typed(name: str, value: Any, path: str) -> Any:
    """A YAML value as its field's type (YAML reads `1e-3` as text, for one)."""
    kind = _KINDS[str(next(f.type for f in fields(TrainConfig) if f.name == name))]
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    try:
        if kind is bool or isinstance(value, bool | list | dict) or value is None:
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise TrainError(f"{path}: {name} should be {kind.__name__}, got {value!r}") from None


def from_args(recipe: str, args: argparse.Namespace) -> TrainConfig:
    """The config for `recipe`: defaults, then the YAML file, then the flags given."""
    values = _from_yaml(args.config) if args.config else {}
    values |= {k: v for k, v in vars(args).items() if v is not MISSING and k != "config"}
    values = {k: v for k, v in values.items() if k in {f.name for f in fields(TrainConfig)}}
    try:
        config = replace(TrainConfig(recipe=recipe), **values)
    except TypeError as error:
        raise TrainError(f"bad setting: {error}") from None
    return config.check()
