"""The layout of an export folder: the contract between `annotate export`, which writes it, and
`python -m train`, which reads it (the two packages do not import each other)."""

from __future__ import annotations

SPLITS: tuple[str, ...] = ("train", "validation")
MANIFEST = "manifest.json"  # the options, counts, video root and each example's origin
DATASET_INFO = "dataset_info.json"  # LLaMA-Factory's index of the sharegpt files
JSON_FORMATS = ("sharegpt",)  # one JSON array per split; the others are JSON Lines
RECIPE_FORMATS = {"sft": "trl-sft", "grpo": "trl-grpo"}  # the export each recipe trains on


def data_file(split: str, fmt: str) -> str:
    """The file name of one split of a format (vau-csv writes one CSV per source instead)."""
    return f"{split}.json" if fmt in JSON_FORMATS else f"{split}.jsonl"


TRAIN_FILE = data_file("train", "trl-sft")
VALIDATION_FILE = data_file("validation", "trl-sft")
