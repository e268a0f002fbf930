"""Supervised fine-tuning on a trl-sft export: the recipe, top to bottom.

The loss covers the assistant turns only (the reply and its `<|im_end|>`); the prompt and the
video tokens are context. Data: `annotate export --format trl-sft`.
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
    data = read_export(config.data, "sft", config.max_frames)
    with claimed(out):
        resume = resume_from(out)
        loaded = load_for_training(config, resume)
        args = SFTConfig(
            **trainer_arguments(config, out),
            dataset_kwargs={"skip_prepare_dataset": True},  # the collator does all of it
            max_length=None,  # never cut video tokens
        )
        log = MetricsLog(out, resume)
        trainer = SFTTrainer(
            model=loaded.model,
            args=args,
            train_dataset=Dataset.from_list([{"index": i} for i in range(len(data.records))]),
            data_collator=SFTCollator(loaded.processor, data.records),
            processing_class=loaded.processor,
            callbacks=callbacks(config, log),
        )
        return train_and_save(trainer, loaded, config, data, log, started)
