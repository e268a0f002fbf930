"""The processor's tensors for sampled clips: what generation, the scan and training all feed
the model, so a model learns on exactly what it is later shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from transformers import BatchFeature

if TYPE_CHECKING:
    from inference.video.sampling import Clip


def video_inputs(processor, texts: Sequence[str], clips: Sequence[Clip]) -> BatchFeature:
    """The processor's tensors for chat texts, each with its already sampled clip.

    Training and inference both call this, so a model learns on exactly what it is later shown.
    The clips are sampled and sized: the processor must neither re-sample nor resize, and must
    report each clip's fps (second_per_grid_ts = temporal patch / sample_fps).
    """
    factor = processor.video_processor.patch_size * processor.video_processor.merge_size
    metadata = []
    for clip in clips:
        height, width = clip.frame_size
        metadata.append(
            {
                "total_num_frames": clip.num_frames,
                "fps": clip.sample_fps,
                "frames_indices": list(range(clip.num_frames)),
                "duration": clip.num_frames / clip.sample_fps,
                "height": height,
                "width": width,
            }
        )
    aligned = all(h % factor == 0 and w % factor == 0 for h, w in (c.frame_size for c in clips))
    return processor(
        text=list(texts),
        videos=[clip.frames for clip in clips],
        video_metadata=metadata,
        do_sample_frames=False,
        do_resize=not aligned,
        cap_pixels_per_frame=False,
        padding=len(texts) > 1,
        return_tensors="pt",
    )


def text_inputs(processor, text: str, grid_thw: torch.Tensor) -> dict:
    """What the processor returns for `text` beside a video of `grid_thw` that is processed
    already: the ids with the video placeholder repeated once per visual token, the mask and
    the modality ids (the video's own tensors are the caller's)."""
    tokenizer, token = processor.tokenizer, processor.video_token
    count = int(grid_thw.prod()) // processor.video_processor.merge_size**2
    tokens = tokenizer([text.replace(token, token * count, 1)], return_tensors="pt")
    video_id = tokenizer.convert_tokens_to_ids(token)
    return {**tokens, "mm_token_type_ids": modality_ids(tokens["input_ids"], video_id)}


def modality_ids(input_ids: torch.Tensor, video_token_id: int) -> torch.Tensor:
    """The processor's `mm_token_type_ids` for token ids: 0 text, 2 video."""
    return (input_ids == video_token_id).to(input_ids.dtype) * 2
