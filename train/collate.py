"""Batches for training: the chat template, the processor over the project's own frames, labels.

The processor is called through `inference.backends.engine.video_inputs`, the function inference
uses, so the model trains on the frames, sizes and `second_per_grid_ts` it is later shown.
"""

from __future__ import annotations

from typing import Any

import torch

from inference.backends.inputs import video_inputs
from train.data import Record

IGNORE = -100  # the loss skips these label positions


class AssistantMask:
    """Finds the assistant turns in token ids: everything after `<|im_start|>assistant\\n` up
    to and including its `<|im_end|>`."""

    def __init__(self, tokenizer: Any) -> None:
        self.start = tokenizer.convert_tokens_to_ids("<|im_start|>")
        self.end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        self.role = tokenizer("assistant\n", add_special_tokens=False)["input_ids"]

    def spans(self, ids: list[int]) -> list[tuple[int, int]]:
        """(first, last + 1) of each assistant reply in `ids`."""
        found, i, n = [], 0, len(self.role)
        while i < len(ids):
            if ids[i] == self.start and ids[i + 1 : i + 1 + n] == self.role:
                first = i + 1 + n
                last = first
                while last < len(ids) and ids[last] != self.end:
                    last += 1
                found.append((first, min(last + 1, len(ids))))
                i = last
            i += 1
        return found

    def labels(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Labels that keep the assistant replies and ignore the rest (prompt, video, padding)."""
        labels = torch.full_like(input_ids, IGNORE)
        for row, ids in enumerate(input_ids.tolist()):
            for first, last in self.spans(ids):
                labels[row, first:last] = input_ids[row, first:last]
        return labels


class SFTCollator:
    """Turns SFT records into model inputs with labels on the assistant turns only."""

    def __init__(self, processor: Any, records: list[Record]) -> None:
        self.processor = processor
        self.records = records
        self.mask = AssistantMask(processor.tokenizer)

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        records = [self.records[int(row["index"])] for row in batch]
        texts = [self.processor.apply_chat_template(r.messages, tokenize=False) for r in records]
        inputs = video_inputs(self.processor, texts, [r.clip() for r in records])
        if not self.mask.spans(inputs["input_ids"][0].tolist()):
            raise ValueError("a training record has no assistant reply to learn")
        inputs["labels"] = self.mask.labels(inputs["input_ids"])
        return inputs
