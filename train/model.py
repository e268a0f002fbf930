"""The model a recipe trains: loaded by `inference.models.loading` (the Studio's own loading code),
optionally wrapped in LoRA adapters, and saved back as a checkpoint the Studio loads."""

from __future__ import annotations

import shutil
from pathlib import Path

from inference.errors import ModelUnavailable
from inference.models.loading import LoadedModel, LoadOptions, load_model
from train.config import TrainConfig, TrainError

# The language model's projections; the vision tower stays frozen under LoRA.
LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
ADAPTER_DIR = "adapter"


def load_for_training(config: TrainConfig, checkpoint: Path | None = None) -> LoadedModel:
    """The model in training mode, with adapters when `config.lora`.

    A resumed full fine-tune loads `checkpoint`'s weights here, through the Studio's own
    loading code and strictly (every parameter present, none unknown), rather than through the
    trainer, whose raw state-dict load misses transformers 5's renamed keys. Under LoRA the base
    loads as usual and the trainer loads the adapters (`loop.AdapterCheck` verifies them).
    """
    resumed = checkpoint is not None and not config.lora
    source = str(checkpoint) if resumed else config.model
    options = LoadOptions(model=source, quant=config.quant, device=config.device, strict=resumed)
    try:
        loaded = load_model(options)
    except ModelUnavailable as error:
        if not resumed:
            raise
        raise TrainError(
            f"cannot resume from {source}: {error}; delete it or use another --out"
        ) from None
    model = loaded.model
    if config.lora:
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
        from transformers import set_seed

        set_seed(config.seed)  # the adapters' random init: the trainer seeds only after it

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
