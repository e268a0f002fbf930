"""`training.json`, written beside the weights: what was trained, on what, how, and the result."""

from __future__ import annotations

import json
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from inference.model import resolve_model
from train.config import TrainConfig
from train.data import ExportData

CARD = "training.json"
METRICS = "metrics.jsonl"
TOY_NOTE = "toy model: memorised the bundled samples; not a VAU-R1 model"
PACKAGES = ("torch", "transformers", "trl", "peft", "accelerate")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def write_card(
    out: Path,
    config: TrainConfig,
    data: ExportData,
    steps: int,
    metrics: dict[str, Any],
    started: float,
) -> Path:
    """Write `out/training.json` and return its path."""
    card = {
        "recipe": config.recipe,
        "base_model": config.model,
        "base_model_source": resolve_model(config.model) if config.model != "tiny" else "tiny",
        "note": TOY_NOTE if config.model == "tiny" else None,
        "data": data.summary(),
        "config": config.to_dict(),
        "steps": steps,
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
