"""GRPO on a trl-grpo export with VAU-R1's rewards: the recipe, top to bottom.

Each prompt gets `num_generations` sampled completions; each completion earns the protocol's
rewards for its task (format + accuracy, grounding adding temporal IoU), summed unweighted.
VAU-R1's settings are the defaults: 4 generations, 1024-token completions, beta 0.04, lr 1e-6,
temperature 1.0, the "grpo" loss. Start from an SFT checkpoint: a random model earns no reward.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasets import Dataset
from trl import GRPOConfig

from inference.core import protocol
from inference.core.metrics import REWARDS
from inference.core.specs import spec
from train.config import TrainConfig, TrainError
from train.data import ExportData, read_export
from train.loop import (
    MetricsLog,
    callbacks,
    claimed,
    resume_from,
    train_and_save,
    trainer_arguments,
)
from train.model import load_for_training
from train.rollouts import RolloutLog
from train.video_grpo import VideoGRPOTrainer, vision_token_ids


def task_reward(name: str) -> Callable[..., list[float | None]]:
    """REWARDS[name] for the completions whose task trains on it; None (not counted) for others."""
    reward = REWARDS[name]

    def scored(completions: list[Any], task: list[str], **columns: Any) -> list[float | None]:
        values = reward(completions, task=task, **columns)
        return [v if name in spec(t).rewards else None for v, t in zip(values, task, strict=True)]

    scored.__name__ = f"{name}_reward"  # TRL logs each reward under its function's name
    return scored


def dataset(data: ExportData) -> tuple[Dataset, dict[str, Any]]:
    """TRL's rows (a prompt key and the reward columns) and the records by key."""
    rows, records = [], {}
    for record in data.records:
        if not spec(record.task).rewards:
            raise TrainError(f"{record.task} has no RFT reward; export without it (--task)")
        records[record.key] = record
        columns = record.columns
        rows.append(
            {
                "prompt": record.key,
                "key": record.key,  # the same, for the reward functions (and rollouts.jsonl)
                "task": record.task,
                "solution": str(columns.get("solution", "")),
                "interval": [float(x) for x in columns.get("interval") or protocol.NO_ANOMALY],
                "think": bool(columns.get("think", True)),
            }
        )
    return Dataset.from_list(rows), records


def grpo(config: TrainConfig) -> Path:
    """Train, save the checkpoint and training.json in `config.out`, and return that folder."""
    started = time.time()
    out = Path(config.out)
    data = read_export(config.data, "grpo", config.max_frames, config.videos or None)
    if data.validation:
        print(f"note: {len(data.validation)} validation records are not evaluated by GRPO "
              "(evaluate the checkpoint with `inference eval`)", file=sys.stderr)  # fmt: skip
    rows, records = dataset(data)
    with claimed(out):
        resume = resume_from(out)
        loaded = load_for_training(config, resume.checkpoint if resume else None)
        return _train(config, data, rows, records, loaded, MetricsLog(out, resume), started)


def _train(config, data, rows, records, loaded, log: MetricsLog, started: float) -> Path:
    """The GRPO trainer on the loaded model, trained and saved."""
    out = Path(config.out)
    arguments = trainer_arguments(config, out)
    # One step takes `batch_size` prompts, each with all of its generations.
    arguments["per_device_train_batch_size"] = config.batch_size * config.num_generations
    args = GRPOConfig(
        **arguments,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        beta=config.beta,
        temperature=config.temperature,
        loss_type="grpo",  # TRL's default is "dapo"; VAU-R1 trains with GRPO's loss
        generation_kwargs={"suppress_tokens": vision_token_ids(loaded.processor.tokenizer)},
        log_completions=False,
    )
    rollouts = RolloutLog(out, config.rollout_steps, [f"{name}_reward" for name in REWARDS])
    trainer = VideoGRPOTrainer(
        model=loaded.model,
        reward_funcs=[rollouts.wrap(f"{n}_reward", task_reward(n)) for n in REWARDS],
        args=args,
        train_dataset=rows,
        processing_class=loaded.processor,
        callbacks=callbacks(config, log),
        records=records,
    )
    return train_and_save(trainer, loaded, config, data, log, started)
