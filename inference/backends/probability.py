"""The model's probability of a forced reply on windows of a clip, with the vision tower run
once per clip (the scan's in-process scorer).

Qwen2.5-VL's vision tower attends within one temporal patch at a time (its full-attention
layers split the sequence per patch, its rotary positions are spatial), so a frame's visual
tokens do not depend on the frames around it. `reuse=True` encodes the whole clip once and hands
each window its slice of the features (transformers' `mm_encoder_outputs`); `reuse=False` runs
the processor and the vision tower per window, as separate runs would. Both then run the
language model over the window's prompt and the forced Normal reply, and read its probability.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from transformers.modeling_outputs import BaseModelOutputWithPooling

from inference.backends.generation import build_messages
from inference.backends.inputs import text_inputs, video_inputs

if TYPE_CHECKING:
    from inference.core.prompts import Prompt
    from inference.models.loading import LoadedModel
    from inference.video.sampling import Clip


def departing_tokens(tokenizer, reply: str, rival: str) -> tuple[list[int], int]:
    """The reply's token ids and the index of the first one that differs from the rival's:
    where the probability is read from (tokenizers may merge tokens across a text split)."""
    ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
    rival_ids = tokenizer(rival, add_special_tokens=False)["input_ids"]
    first = len(os.path.commonprefix([ids, rival_ids]))
    if first >= len(ids):
        raise ValueError(f"{reply!r} tokenizes as the start of {rival!r}; nothing to score")
    return ids, first


def _reply_probability(model, inputs: dict, reply_ids: list[int], first: int, **extra) -> float:
    """P(the reply's scored tokens) given the prompt, in one forward pass."""
    ids = torch.tensor([reply_ids], device=inputs["input_ids"].device)
    input_ids = torch.cat([inputs["input_ids"], ids], 1)
    keep = len(reply_ids) - first + 1  # the logits that predict the scored tokens
    out = model(
        input_ids=input_ids,
        attention_mask=torch.ones_like(input_ids),
        mm_token_type_ids=torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(ids)], 1),
        video_grid_thw=inputs["video_grid_thw"],
        second_per_grid_ts=inputs.get("second_per_grid_ts"),
        logits_to_keep=keep,
        **extra,
    )
    logp = torch.log_softmax(out.logits[0, :-1].float(), -1)
    targets = torch.tensor(reply_ids[first:], device=logp.device)
    return float(logp.gather(1, targets[:, None]).sum().exp())


def reply_probabilities(
    loaded: LoadedModel,
    clip: Clip,
    spans: Sequence[range],
    prompt: Prompt,
    reply: str,
    rival: str,
    reuse: bool = True,
) -> list[float]:
    """P(`reply` from where it departs from `rival`) after `prompt` on each span of frames of
    `clip` (spans start and end on temporal patches); the caller holds the model's lock."""
    processor, model = loaded.processor, loaded.model
    text = processor.apply_chat_template(
        build_messages(prompt, []), tokenize=False, add_generation_prompt=True
    )
    reply_ids, first = departing_tokens(processor.tokenizer, reply, rival)
    out: list[float] = []
    with torch.inference_mode():
        if not reuse:
            for frames in spans:
                inputs = video_inputs(processor, [text], [clip.part(frames)])
                inputs = inputs.to(model.device)
                pixels = {"pixel_values_videos": inputs["pixel_values_videos"]}
                out.append(_reply_probability(model, inputs, reply_ids, first, **pixels))
            return out
        whole = video_inputs(processor, [text], [clip]).to(model.device)
        grid = whole["video_grid_thw"]
        features = model.get_video_features(
            whole["pixel_values_videos"], grid, return_dict=True
        ).pooler_output[0]
        per_patch = int(grid[0, 1] * grid[0, 2]) // processor.video_processor.merge_size**2
        temporal = processor.video_processor.temporal_patch_size
        for frames in spans:
            first_patch, stop_patch = frames.start // temporal, frames.stop // temporal
            window = torch.tensor([[stop_patch - first_patch, *grid[0, 1:].tolist()]])
            inputs = {
                **text_inputs(processor, text, window[0]),
                "video_grid_thw": window,
                "second_per_grid_ts": whole.get("second_per_grid_ts"),
            }
            inputs = {k: v.to(model.device) if v is not None else v for k, v in inputs.items()}
            part = features[first_patch * per_patch : stop_patch * per_patch]
            encoded = {"video": BaseModelOutputWithPooling(pooler_output=(part,))}
            out.append(
                _reply_probability(model, inputs, reply_ids, first, mm_encoder_outputs=encoded)
            )
    return out
