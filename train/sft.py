"""Supervised fine-tuning on a trl-sft export: the recipe, top to bottom.

The loss covers the assistant turns only (the reply and its `<|im_end|>`); the prompt and the
video tokens are context. Data: `annotate export --format trl-sft`; with `--split`, the export's
validation file is evaluated at every checkpoint and at the end (eval_loss in the metrics).
"""

from __future__ import annotations

import time
from pathlib import Path

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from train.collate import SFTCollator
from train.config import TrainConfig
from train.data import read_export
from train.loop import (
    MetricsLog,
    callbacks,
    claimed,
    resume_from,
    train_and_save,
    trainer_arguments,
)
from train.model import load_for_training


def sft(config: TrainConfig) -> Path:
    """Train, save the checkpoint and training.json in `config.out`, and return that folder."""
    started = time.time()
    out = Path(config.out)
    data = read_export(config.data, "sft", config.max_frames, config.videos or None)
    # One collator for both splits: train rows index the records, validation rows follow them.
    records, n = data.records + data.validation, len(data.records)
    held_out = Dataset.from_list([{"index": i} for i in range(n, len(records))])
    evaluation = {"eval_strategy": "steps", "eval_steps": config.save_steps} if held_out else {}
    with claimed(out):
        resume = resume_from(out)
        loaded = load_for_training(config, resume.checkpoint if resume else None)
        args = SFTConfig(
            **trainer_arguments(config, out),
            **evaluation,
            per_device_eval_batch_size=config.batch_size,
            dataset_kwargs={"skip_prepare_dataset": True},  # the collator does all of it
            max_length=None,  # never cut video tokens
        )
        log = MetricsLog(out, resume)
        trainer = SFTTrainer(
            model=loaded.model,
            args=args,
            train_dataset=Dataset.from_list([{"index": i} for i in range(n)]),
            eval_dataset=held_out if held_out else None,
            data_collator=SFTCollator(loaded.processor, records),
            processing_class=loaded.processor,
            callbacks=callbacks(config, log),
        )
        return train_and_save(trainer, loaded, config, data, log, started)
