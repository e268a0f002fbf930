"""`training.json`, written beside the weights: what was trained, on what, how, and the result.

Light on purpose (no torch, no TRL): the Studio lists local checkpoints through it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inference.models import tiny
from inference.models.card import CARD  # the one name, which the Studio and world read too

if TYPE_CHECKING:
    from train.config import TrainConfig
    from train.data import ExportData

METRICS = "metrics.jsonl"
TRACKIO_PROJECT = "vau-r1-studio"  # the trackio project every run logs to, one run per --out
PACKAGES = ("torch", "transformers", "trl", "peft", "accelerate")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def is_toy(base: str) -> bool:
    """True when the base is a tiny checkpoint (tiny-init included) or a model trained from one."""
    folder = Path(base)
    if base in tiny.VARIANTS or (folder / tiny.MARKER).is_file():
        return True
    card = read_card(folder) if folder.is_dir() else None
    return bool(card and card.get("note"))


def toy_note(base: str, examples: int, steps: int, metrics: dict[str, Any]) -> str | None:
    """What is known of a toy model, in words: what it started from, what it was trained on,
    for how long, and how it ended; None for a model that did not start from the tiny one."""
    if not is_toy(base):
        return None
    result = _result(metrics)
    ended = f" ({result})" if result else ""
    return (
        f"toy model from the tiny random checkpoint: trained on {examples} examples for "
        f"{steps} steps{ended}; not a VAU-R1 model"
    )


def write_card(
    out: Path,
    config: TrainConfig,
    data: ExportData,
    steps: int,
    metrics: dict[str, Any],
    started: float,
    resumed_from: dict[str, Any] | None = None,
) -> Path:
    """Write `out/training.json` and return its path (`seconds` counts this process only)."""
    card = {
        "recipe": config.recipe,
        "base_model": config.model,
        "note": toy_note(config.model, len(data.records), steps, metrics),
        "data": data.summary(),
        "config": config.to_dict(),
        "steps": steps,
        "resumed_from": resumed_from,  # {"checkpoint", "step"} when an interrupted run went on
        "metrics": metrics,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "versions": {name: _version(name) for name in PACKAGES},
    }
    path = out / CARD
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_card(folder: str | Path) -> dict[str, Any] | None:
    """The training.json of a checkpoint folder, or None when it has none (or it is unreadable)."""
    try:
        card = json.loads((Path(folder) / CARD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


@dataclass(frozen=True)
class CheckpointSummary:
    """One local checkpoint folder, as the Studio's Model tab lists it."""

    path: str
    recipe: str
    base_model: str
    steps: int
    result: str  # the final training metric, in words
    trained_at: str
    note: str  # e.g. the toy-model label; "" when there is none

    def row(self) -> list[Any]:
        """The Model tab's table row."""
        name = Path(self.path).name
        return [name, self.recipe, self.base_model, self.steps, self.result, self.trained_at,
                self.note, self.path]  # fmt: skip


SUMMARY_COLUMNS = ("checkpoint", "recipe", "base model", "steps", "result", "trained", "note",
                   "path")  # fmt: skip


def _result(metrics: dict[str, Any]) -> str:
    if isinstance(metrics.get("reward"), int | float):
        return f"reward {metrics['reward']:.2f}"
    if isinstance(metrics.get("train_loss"), int | float):
        held_out = metrics.get("eval_loss")
        also = f", eval loss {held_out:.3f}" if isinstance(held_out, int | float) else ""
        return f"loss {metrics['train_loss']:.3f}{also}"
    return ""


def summarize(folder: Path, card: dict[str, Any]) -> CheckpointSummary:
    """The Model tab's summary of a checkpoint folder and its training.json."""
    steps = card.get("steps")
    return CheckpointSummary(
        path=str(folder),
        recipe=str(card.get("recipe") or ""),
        base_model=str(card.get("base_model") or ""),
        steps=steps if isinstance(steps, int) else 0,
        result=_result(card.get("metrics") if isinstance(card.get("metrics"), dict) else {}),
        trained_at=str(card.get("started_at") or ""),
        note=str(card.get("note") or ""),
    )


def list_checkpoints(folder: str | Path) -> list[CheckpointSummary]:
    """Checkpoint folders under `folder` that carry a training.json, newest first."""
    root = Path(folder)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        card = read_card(child) if (child / "config.json").is_file() else None
        if card is not None:
            found.append(summarize(child, card))
    return sorted(found, key=lambda s: (s.trained_at, s.path), reverse=True)
