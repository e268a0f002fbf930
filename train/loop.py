"""What every recipe shares: trainer arguments from the config, the metrics log, resuming."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from inference.models.loading import LoadedModel
from train.card import METRICS, TRACKIO_PROJECT, write_card
from train.config import TrainConfig, TrainError
from train.data import ExportData
from train.model import save_checkpoint
from train.stopping import STOP_REQUESTED, Stopped

CHECKPOINTS = "checkpoints"  # resumable trainer state, under --out
TRAINER_STATE = "trainer_state.json"  # the last file the trainer writes into a checkpoint


def trainer_arguments(config: TrainConfig, out: Path) -> dict[str, Any]:
    """Keyword arguments shared by SFTConfig and GRPOConfig."""
    on_gpu = config.device != "cpu" and torch.cuda.is_available()
    trackers = [name for name in ("tensorboard", "trackio") if find_spec(name) is not None]
    # trackio logs locally (`trackio show --project vau-r1-studio`), one run per --out folder;
    # no Space is made or synced, before or after training.
    tracked = {"project": TRACKIO_PROJECT, "run_name": out.name, "trackio_static_space_id": False}
    return (tracked if "trackio" in trackers else {}) | {
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


@dataclass(frozen=True)
class Resume:
    """Where an interrupted run goes on from: its newest complete checkpoint, and that step."""

    checkpoint: Path
    step: int

    def to_dict(self, out: Path) -> dict[str, Any]:
        """What metrics.jsonl and training.json record of it (the folder relative to --out)."""
        return {"checkpoint": str(self.checkpoint.relative_to(out)), "step": self.step}


def resume_from(out: Path) -> Resume | None:
    """The Resume an earlier, interrupted run under `out` left, if any."""
    found = resume_point(out)
    if found is None:
        return None
    state = json.loads((Path(found) / TRAINER_STATE).read_text(encoding="utf-8"))
    return Resume(Path(found), int(state.get("global_step") or 0))


@contextlib.contextmanager
def claimed(out: Path) -> Iterator[Path]:
    """The run's output folder, made if needed; a run that fails before it logs a step
    removes a folder it made, so a failed start leaves nothing behind."""
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        yield out
    except BaseException:
        if made and not (out / METRICS).exists():
            shutil.rmtree(out, ignore_errors=True)
        raise


class _StaleKeyWarnings(logging.Filter):
    """Hides the trainer's key warnings on resume: it loads the checkpoint's weights by their
    saved names, which transformers 5 renames on load, so every key looks missing although
    `load_for_training` has already loaded (and strictly checked) those very weights."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        return not record.getMessage().startswith("There were ")


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class MetricsLog(TrainerCallback):
    """Appends each logged dict (loss, rewards per kind, KL, lengths, ...) to metrics.jsonl.

    On resume, the lines of the steps after the checkpoint (which the killed run logged and the
    resumed run trains again) are dropped, and one line says what was resumed from where.
    """

    def __init__(self, out: Path, resume: Resume | None = None) -> None:
        self.out, self.path, self.resume = out, out / METRICS, resume
        self.last: dict[str, Any] = {}

    def on_train_begin(self, args, state, control, **kwargs):  # noqa: D102
        if self.resume is None or not state.is_world_process_zero:
            return
        kept = []
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, AttributeError):
                    if json.loads(line).get("step", 0) <= self.resume.step:
                        kept.append(line + "\n")
        kept.append(
            json.dumps({"step": self.resume.step, "resumed_from": self.resume.to_dict(self.out)})
            + "\n"
        )
        partial = self.path.with_suffix(".partial")
        partial.write_text("".join(kept), encoding="utf-8")
        partial.replace(self.path)

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: D102
        if not logs or not state.is_world_process_zero:
            return
        record = {"step": state.global_step, **{k: _plain(v) for k, v in logs.items()}}
        self.last.update(record)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class AdapterCheck(TrainerCallback):
    """On resume with LoRA, the adapters the trainer loaded must be the checkpoint's, exactly."""

    def __init__(self, resume: Resume) -> None:
        self.resume = resume

    def on_train_begin(self, args, state, control, model=None, **kwargs):  # noqa: D102
        from peft import get_peft_model_state_dict
        from safetensors.torch import load_file

        path = self.resume.checkpoint / "adapter_model.safetensors"
        if not path.is_file():
            raise TrainError(f"{self.resume.checkpoint} holds no LoRA adapters; use another --out")
        saved, current = load_file(str(path)), get_peft_model_state_dict(model)
        differ = sorted(set(saved) ^ set(current)) or [
            k
            for k in saved
            if not torch.equal(saved[k], current[k].detach().cpu().to(saved[k].dtype))
        ]
        if differ:
            raise TrainError(
                f"the adapters of {self.resume.checkpoint} did not load ({len(differ)} tensors "
                f"differ, e.g. {differ[0]}); delete that checkpoint or use another --out"
            )


class StopWhenAsked(TrainerCallback):
    """Ends training after the step under way once a stop was requested, saving a checkpoint
    there so that a resumed run loses nothing."""

    def on_step_end(self, args, state, control, **kwargs):  # noqa: D102
        if STOP_REQUESTED.is_set():
            control.should_save = control.should_training_stop = True
        return control


def callbacks(config: TrainConfig, log: MetricsLog) -> list[TrainerCallback]:
    """The recipe's trainer callbacks: the metrics log, stopping when asked, and the adapter
    check on a LoRA resume."""
    check = [AdapterCheck(log.resume)] if config.lora and log.resume else []
    return [log, StopWhenAsked(), *check]


def train_and_save(
    trainer: Any,
    loaded: LoadedModel,
    config: TrainConfig,
    data: ExportData,
    log: MetricsLog,
    started: float,
) -> Path:
    """Train (going on from `log.resume` when set), save the checkpoint, write training.json."""
    out = Path(config.out)
    resume = log.resume
    quiet = _StaleKeyWarnings()
    trainer_log = logging.getLogger("transformers.trainer")
    if resume is not None and not config.lora:
        trainer_log.addFilter(quiet)
    try:
        trainer.train(resume_from_checkpoint=str(resume.checkpoint) if resume else None)
    finally:
        trainer_log.removeFilter(quiet)
    if STOP_REQUESTED.is_set():
        trainer.accelerator.wait_for_everyone()
        raise Stopped(out / CHECKPOINTS, trainer.state.global_step)
    if trainer.eval_dataset is not None:
        trainer.evaluate()  # the final model's eval_loss, logged like every other metric
    save_checkpoint(trainer, loaded, config, out)
    if trainer.is_world_process_zero():
        resumed = resume.to_dict(out) if resume else None
        write_card(out, config, data, trainer.state.global_step, log.last, started, resumed)
    trainer.accelerator.wait_for_everyone()  # the card is written before any process returns
    return out
