"""The model a recipe trains: loaded by `inference.model` (the Studio's own loading code),
optionally wrapped in LoRA adapters, and saved back as a checkpoint the Studio loads."""

from __future__ import annotations

import shutil
from pathlib import Path

from inference.model import LoadedModel, LoadOptions, load_model
from train.config import TrainConfig

# The language model's projections; the vision tower stays frozen under LoRA.
LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
ADAPTER_DIR = "adapter"


def load_for_training(config: TrainConfig) -> LoadedModel:
    """The base model in training mode, with adapters when `config.lora`."""
    loaded = load_model(LoadOptions(model=config.model, quant=config.quant, device=config.device))
    model = loaded.model
    if config.lora:
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        if config.quant != "none":
            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=config.gradient_checkpointing
            )
        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=LORA_TARGETS,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.config.use_cache = False
    model.train()
    loaded.model = model
    return loaded


def save_checkpoint(trainer, loaded: LoadedModel, config: TrainConfig, out: Path) -> None:
    """Weights (LoRA merged into an unquantized copy of the base) and processor in `out`.

    Every process calls this (FSDP and DeepSpeed gather the weights); the main one writes.
    """
    if not config.lora:
        trainer.save_model(str(out))
    if not trainer.is_world_process_zero():
        return
    if config.lora:
        from peft import PeftModel

        adapter = out / ADAPTER_DIR
        trainer.model.save_pretrained(str(adapter))
        base = load_model(LoadOptions(model=config.model, device="cpu")).model
        merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
        merged.save_pretrained(str(out))
        shutil.rmtree(adapter)
    loaded.processor.save_pretrained(str(out))
