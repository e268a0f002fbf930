"""TRL's GRPOTrainer with video: the same video tensors in the rollout and every log-prob pass.

TRL 1.16 wires images only. Given a video it trains on wrong log-probabilities: the rollout
sees the video, the old / reference / loss passes do not. This subclass (pinned to trl==1.16.0)
changes two methods:

- `_tokenize_prompts` renders each prompt with the chat template, samples its video with the
  project's sampler, calls the processor through `inference.backends.engine.video_inputs`, and
  keeps the video tensors (`pixel_values_videos`, `video_grid_thw`, `second_per_grid_ts`) under the
  prompt's token ids; TRL hands them to `generate` with the per-token `mm_token_type_ids`.
- `_get_per_token_logps_and_entropies` finds each row's prompt, adds the same tensors and the
  row's `mm_token_type_ids`, and runs the model as TRL does.

A dataset row's `prompt` is a key (`Record.key`) into the export's records, so TRL never
carries the chat (whose mixed content parts `datasets` would pad with None keys).
"""

from __future__ import annotations

from typing import Any

import torch
from trl import GRPOTrainer

from inference.backends.inputs import modality_ids, video_inputs
from train.data import Record

VIDEO_KEYS = ("pixel_values_videos", "video_grid_thw", "second_per_grid_ts")
# Sampling one of these mid-completion would make the next forward expect another video.
VISION_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>",
                 "<|video_pad|>")  # fmt: skip


def vision_token_ids(tokenizer: Any) -> list[int]:
    """The ids of the vision special tokens the tokenizer knows (to suppress while sampling)."""
    ids = [tokenizer.convert_tokens_to_ids(token) for token in VISION_TOKENS]
    return [i for i in ids if isinstance(i, int) and i != tokenizer.unk_token_id]


class VideoGRPOTrainer(GRPOTrainer):
    """GRPO on Qwen2.5-VL / Qwen2-VL prompts that each carry one video."""

    def __init__(self, *args: Any, records: dict[str, Record], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.records = records
        tokenizer = self.processing_class.tokenizer
        self.video_token_id = tokenizer.convert_tokens_to_ids(self.processing_class.video_token)
        self._videos: dict[tuple[int, ...], dict[str, torch.Tensor]] = {}

    def prompt_inputs(self, key: str) -> Any:
        """The processor's tensors for one prompt key: chat text and the sampled video."""
        record = self.records[key]
        text = self.processing_class.apply_chat_template(
            record.messages, tokenize=False, add_generation_prompt=True
        )
        return video_inputs(self.processing_class, [text], [record.clip()])

    def _tokenize_prompts(self, prompts: list) -> tuple[list[list[int]], None, dict[str, Any]]:
        self._videos.clear()  # one generation batch at a time: its tensors, no older ones
        prompt_ids: list[list[int]] = []
        fields: dict[str, list] = {key: [] for key in (*VIDEO_KEYS, "mm_token_type_ids")}
        processed: dict[str, Any] = {}  # each prompt comes num_generations times: process once
        for key in prompts:
            if key not in processed:
                processed[key] = self.prompt_inputs(key)
            inputs = processed[key]
            ids = inputs["input_ids"][0].tolist()
            prompt_ids.append(ids)
            self._videos[tuple(ids)] = {name: inputs[name] for name in VIDEO_KEYS}
            for name in VIDEO_KEYS:
                fields[name].append(inputs[name])
            fields["mm_token_type_ids"].append(inputs["mm_token_type_ids"][0].tolist())
        tensors = {name: torch.cat(fields[name]) for name in VIDEO_KEYS}
        return prompt_ids, None, {**tensors, "mm_token_type_ids": fields["mm_token_type_ids"]}

    def video_kwargs(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, prompt_length: int
    ) -> dict[str, torch.Tensor]:
        """The video tensors of each row's prompt (rows in order) and the rows' modality ids."""
        rows = []
        for ids, mask in zip(input_ids[:, :prompt_length], attention_mask[:, :prompt_length],
                             strict=True):  # fmt: skip
            key = tuple(ids[mask.bool()].tolist())
            if key not in self._videos:
                raise RuntimeError("a log-prob pass on a prompt this generation batch never saw")
            rows.append(self._videos[key])
        device = input_ids.device
        found = {name: torch.cat([row[name] for row in rows]).to(device) for name in VIDEO_KEYS}
        return {**found, "mm_token_type_ids": modality_ids(input_ids, self.video_token_id)}

    def _get_per_token_logps_and_entropies(
        self,
        model: Any,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        logits_to_keep: int,
        batch_size: int | None = None,
        compute_entropy: bool = False,
        compute_aux_loss: bool = False,
        **_: Any,  # TRL's image fields: this trainer has none
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        batch_size = batch_size or input_ids.size(0)
        prompt_length = input_ids.size(1) - logits_to_keep
        logps, entropies = [], []
        for start in range(0, input_ids.size(0), batch_size):
            ids = input_ids[start : start + batch_size]
            mask = attention_mask[start : start + batch_size]
            video = self.video_kwargs(ids, mask, prompt_length)
            labels = ids.masked_fill(mask == 0, -100)
            labels[:, :-logits_to_keep] = -100  # only the completion is scored
            with self.accelerator.autocast():
                outputs = model(input_ids=ids, attention_mask=mask, **video, labels=labels,
                                fused_lm_head=True)  # fmt: skip
            logps.append(outputs.log_probs[:, -logits_to_keep:])
            if compute_entropy:
                entropies.append(outputs.entropy[:, -logits_to_keep:])
        entropy = torch.cat(entropies) if compute_entropy else None
        return torch.cat(logps), entropy, None
