"""What every recipe shares: trainer arguments from the config, the metrics log, resuming."""

from __future__ import annotations

import json
import math
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from inference.model import LoadedModel
from train.card import METRICS, write_card
from train.config import TrainConfig
from train.data import ExportData
from train.model import save_checkpoint

CHECKPOINTS = "checkpoints"  # resumable trainer state, under --out
TRAINER_STATE = "trainer_state.json"  # the last file the trainer writes into a checkpoint


def trainer_arguments(config: TrainConfig, out: Path) -> dict[str, Any]:
    """Keyword arguments shared by SFTConfig and GRPOConfig."""
    on_gpu = config.device != "cpu" and torch.cuda.is_available()
    trackers = [name for name in ("tensorboard", "trackio") if find_spec(name) is not None]
    return {
        "output_dir": str(out / CHECKPOINTS),
        "max_steps": config.max_steps,
        "num_train_epochs": config.epochs,
        "learning_rate": config.learning_rate,
        "per_device_train_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "seed": config.seed,
        "logging_steps": config.logging_steps,
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": 2,
        "report_to": trackers,
        "use_cpu": not on_gpu,
        # TRL defaults to bf16 even on CPU; train in the dtype the model was loaded in there.
        "bf16": on_gpu and torch.cuda.is_bf16_supported(),
        "gradient_checkpointing": config.gradient_checkpointing,
        "remove_unused_columns": False,
        "dataloader_num_workers": 0,
    }


def _complete(checkpoint: Path) -> bool:
    """True when the trainer finished writing `checkpoint`: its state file, written last, reads."""
    try:
        json.loads((checkpoint / TRAINER_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def resume_point(out: Path) -> str | None:
    """The newest complete checkpoint under `out`, if an earlier run left one.

    A run killed while saving leaves a half-written folder; resuming skips it for the one before.
    """
    folder = out / CHECKPOINTS
    found = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    found.sort(key=lambda p: int(p.name.split("-")[-1]), reverse=True)
    return next((str(p) for p in found if _complete(p)), None)


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class MetricsLog(TrainerCallback):
    """Appends each logged dict (loss, rewards per kind, KL, lengths, ...) to metrics.jsonl."""

    def __init__(self, out: Path) -> None:
        self.path = out / METRICS
        self.last: dict[str, Any] = {}

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: D102
        if not logs or not state.is_world_process_zero:
            return
        record = {"step": state.global_step, **{k: _plain(v) for k, v in logs.items()}}
        self.last.update(record)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def train_and_save(
    trainer: Any,
    loaded: LoadedModel,
    config: TrainConfig,
    data: ExportData,
    log: MetricsLog,
    started: float,
) -> Path:
    """Train (resuming an interrupted run), save the checkpoint, write training.json."""
    out = Path(config.out)
    trainer.train(resume_from_checkpoint=resume_point(out))
    save_checkpoint(trainer, loaded, config, out)
    if trainer.is_world_process_zero():
        write_card(out, config, data, trainer.state.global_step, log.last, started)
    trainer.accelerator.wait_for_everyone()  # the card is written before any process returns
    return out
