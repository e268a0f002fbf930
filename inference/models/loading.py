"""Load a Qwen2.5-VL / Qwen2-VL checkpoint (hub id or directory) with its processor."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.errors import ModelUnavailable, first_line

QUANTS = ("none", "4bit", "8bit")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTNS = ("auto", "sdpa", "eager", "flash_attention_2")

# The class is chosen from config.json, never from the path (the reference scripts' bug).
MODEL_CLASSES = {
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
}
ARCHITECTURE_TYPES = {name: model_type for model_type, name in MODEL_CLASSES.items()}

# The reference VAU-R1 settings: 256 to 768 visual tokens' worth of pixels per frame.
MIN_PIXELS = 256 * 28 * 28
MAX_PIXELS = 768 * 28 * 28

# Modules 4-bit / 8-bit loading keeps in the compute dtype: the vision tower and output head
# (quantizing them costs accuracy and speed for little memory). transformers 5 matches a name
# from its start or as a suffix ("model.visual"), 4.x by substring ("visual").
KEEP_UNQUANTIZED = ("model.visual", "visual", "lm_head")

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.safetensors.index.json", "*.bin.index.json")
_ALIASES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


@dataclass(frozen=True)
class LoadOptions:
    """What to load and how: checkpoint, quantization, device, dtype, attention kernel."""

    model: str
    quant: str = "none"
    device: str = "auto"
    dtype: str = "auto"
    attn: str = "auto"
    local_files_only: bool = False
    strict: bool = False  # refuse weights that miss a parameter or hold an unknown one


@dataclass
class LoadedModel:
    """A model ready for generation; `lock` serialises generations on it."""

    model: Any
    processor: Any
    options: LoadOptions
    model_type: str
    device: str
    dtype: str
    load_s: float
    source: str = ""
    # Qwen2.5-VL keeps rope_deltas on the model between calls: one generation at a time.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


def resolve_model(name: str) -> str:
    """Map a model name to what `from_pretrained` takes; "tiny" builds offline, "world" ships."""
    from inference.models.named import resolve

    return resolve(name)


def _is_offline(options: LoadOptions) -> bool:
    flag = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return options.local_files_only or flag.strip().lower() in {"1", "true", "yes", "on"}


def display_name(name: str | None) -> str:
    """A checkpoint as people see it: a local folder by its own name (never the server's path),
    a hub id or an alias ("tiny") as it is."""
    if not name:
        return ""
    path = Path(name).expanduser()
    if _looks_like_path(name) or path.is_dir():
        return path.name or name
    return name


def _looks_like_path(name: str) -> bool:
    # A hub id is "name" or "owner/name"; anything else that names no directory is a typo'd path.
    return name.startswith((".", "/", "~")) or name.count("/") > 1


def _local_config(directory: Path, weights: bool = True) -> dict:
    """Read a checkpoint directory's config.json, checking that weights are there too."""
    config = directory / "config.json"
    if not config.is_file():
        raise ModelUnavailable(f"{directory} is not a model directory (no config.json)")
    if weights and not any(any(directory.glob(pattern)) for pattern in WEIGHT_PATTERNS):
        raise ModelUnavailable(f"{directory} has no model weights (*.safetensors or *.bin)")
    return _read_json(config)


def _hub_config(repo_id: str, offline: bool) -> dict:
    """Fetch (or find in the cache) a hub model's config.json."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
    )

    try:
        path = hf_hub_download(repo_id, "config.json", local_files_only=offline)
    except HFValidationError:
        raise ModelUnavailable(f"{repo_id!r} is neither a directory nor a hub model id") from None
    except LocalEntryNotFoundError:
        raise ModelUnavailable(
            f"model {repo_id} is not in the local cache and the hub cannot be reached"
        ) from None
    except GatedRepoError:
        raise ModelUnavailable(f"model {repo_id} is gated: accept its licence and log in") from None
    except RepositoryNotFoundError:
        raise ModelUnavailable(f"no model {repo_id} on the hub (or it is private)") from None
    except RemoteEntryNotFoundError:
        raise ModelUnavailable(f"{repo_id} has no config.json; is it a model?") from None
    except OSError as error:
        raise ModelUnavailable(f"cannot fetch {repo_id}: {first_line(error)}") from None
    return _read_json(Path(path))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ModelUnavailable(f"cannot read {path}: {first_line(error)}") from None


def model_type_of(config: dict, name: str) -> str:
    """The supported model type a config describes; ModelUnavailable for any other."""
    model_type = config.get("model_type")
    if model_type is None:
        types = [ARCHITECTURE_TYPES.get(arch) for arch in config.get("architectures") or []]
        model_type = next((t for t in types if t), None)
    if model_type not in MODEL_CLASSES:
        raise ModelUnavailable(
            f"{name} is a {model_type or 'unknown'!s} model; "
            "VAU-R1 Studio runs Qwen2.5-VL and Qwen2-VL checkpoints"
        )
    return model_type


def _check(options: LoadOptions) -> None:
    for value, choices, what in (
        (options.quant, QUANTS, "quantization"),
        (options.device, DEVICES, "device"),
        (_ALIASES.get(options.dtype, options.dtype), DTYPES, "dtype"),
        (options.attn, ATTNS, "attention"),
    ):
        if value not in choices:
            raise ModelUnavailable(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")


def resolve_device(requested: str) -> str:
    """Where a model loads: cuda or cpu (auto: cuda when there is one)."""
    import torch

    has_cuda = torch.cuda.is_available()
    if requested == "cuda" and not has_cuda:
        raise ModelUnavailable("device cuda was requested but no CUDA GPU is available")
    if requested == "auto":
        return "cuda" if has_cuda else "cpu"
    return requested


def resolve_dtype(requested: str, device: str) -> str:
    """The dtype a model loads in (auto: bfloat16 on cuda, float32 on cpu)."""
    requested = _ALIASES.get(requested, requested)
    if requested == "auto":
        return "bfloat16" if device == "cuda" else "float32"
    return requested


def _attn(requested: str, device: str) -> str:
    from transformers.utils import is_flash_attn_2_available

    if requested == "auto":
        return "flash_attention_2" if device == "cuda" and is_flash_attn_2_available() else "sdpa"
    if requested == "flash_attention_2" and not (device == "cuda" and is_flash_attn_2_available()):
        raise ModelUnavailable("flash_attention_2 needs a CUDA GPU and the flash-attn package")
    return requested


def _quantization(quant: str, dtype: str):
    """A BitsAndBytesConfig for 4bit (NF4, double quant) or 8bit; None for none."""
    if quant == "none":
        return None
    import importlib.util

    import torch
    from transformers import BitsAndBytesConfig

    if importlib.util.find_spec("bitsandbytes") is None:
        raise ModelUnavailable(f"{quant} loading needs the bitsandbytes package")
    if quant == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=list(KEEP_UNQUANTIZED))
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=getattr(torch, dtype),
        llm_int8_skip_modules=list(KEEP_UNQUANTIZED),
    )


def source_config(options: LoadOptions, weights: bool = True) -> tuple[str, dict]:
    """Resolve the checkpoint name to a local directory or hub id and read its config
    (checking that a directory holds weights too, unless `weights` is False)."""
    source = resolve_model(options.model)
    path = Path(source).expanduser()
    if path.is_dir():
        return str(path), _local_config(path, weights)
    if path.exists() or _looks_like_path(source):
        raise ModelUnavailable(f"model directory {source} does not exist")
    return source, _hub_config(source, _is_offline(options))


def load_model(options: LoadOptions) -> LoadedModel:
    """Load the checkpoint and processor `options` name; ModelUnavailable when it cannot."""
    _check(options)
    start = time.perf_counter()
    source, config = source_config(options)
    model_type = model_type_of(config, options.model)
    device = resolve_device(options.device)
    dtype = resolve_dtype(options.dtype, device)
    offline = _is_offline(options)
    # The processor first: it is cheap, and a broken one should fail before gigabytes load.
    processor = _load_processor(source, options, offline)
    _check_tokenizer(processor, config, options.model)
    kwargs = {
        "dtype": dtype,
        "attn_implementation": _attn(options.attn, device),
        "device_map": device,
        "local_files_only": offline,
    }
    if (quantization := _quantization(options.quant, dtype)) is not None:
        kwargs["quantization_config"] = quantization
    model = _from_pretrained(MODEL_CLASSES[model_type], source, options, kwargs).eval()
    return LoadedModel(
        model=model,
        processor=processor,
        options=options,
        model_type=model_type,
        device=device,
        dtype=dtype,
        load_s=time.perf_counter() - start,
        source=source,
    )


def _from_pretrained(class_name: str, source: str, options: LoadOptions, kwargs: dict):
    import torch
    import transformers
    from safetensors import SafetensorError

    model_class = getattr(transformers, class_name)
    try:
        if not options.strict:
            return model_class.from_pretrained(source, **kwargs)
        model, info = model_class.from_pretrained(source, output_loading_info=True, **kwargs)
    except torch.OutOfMemoryError:
        _release_memory()
        hint = "" if options.quant == "4bit" else "; try 4bit quantization"
        raise ModelUnavailable(f"out of memory loading {options.model}{hint}") from None
    except ImportError as error:  # e.g. a bitsandbytes build that does not fit this machine
        raise ModelUnavailable(f"cannot load {options.model}: {first_line(error)}") from error
    except (OSError, ValueError, RuntimeError, SafetensorError) as error:
        raise ModelUnavailable(f"cannot load {options.model}: {first_line(error)}") from error
    _check_loading_info(options.model, info)
    return model


def _check_loading_info(name: str, info: dict) -> None:
    """ModelUnavailable naming the keys when the weights do not fit the model exactly."""
    kinds = {
        "missing": sorted(info.get("missing_keys") or ()),
        "unexpected": sorted(info.get("unexpected_keys") or ()),
        "of another shape": sorted(str(k[0]) for k in info.get("mismatched_keys") or ()),
    }
    problems = [f"{len(keys)} {kind} (e.g. {keys[0]})" for kind, keys in kinds.items() if keys]
    if problems:
        raise ModelUnavailable(f"the weights of {name} do not fit its model: {', '.join(problems)}")


def _release_memory() -> None:
    """Return a failed load's partial allocations to the GPU so a retry can succeed."""
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _check_tokenizer(processor, config: dict, name: str) -> None:
    """The tokenizer must give the video token the id the model was trained with."""
    expected = config.get("video_token_id")
    found = getattr(processor, "video_token_id", None)
    if expected is not None and found != expected:
        raise ModelUnavailable(
            f"the tokenizer of {name} does not fit the model (video token id {found}, "
            f"expected {expected}); are its tokenizer files missing?"
        )


def _load_processor(source: str, options: LoadOptions, offline: bool):
    from transformers import AutoProcessor

    try:
        return AutoProcessor.from_pretrained(
            source,
            size={"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS},
            local_files_only=offline,
        )
    except (OSError, ValueError, TypeError) as error:
        raise ModelUnavailable(
            f"cannot load the processor of {options.model}: {first_line(error)}"
        ) from None
