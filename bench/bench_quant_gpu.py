"""bf16 vs bitsandbytes 4-bit vs 8-bit for Qwen2.5-VL-3B's architecture with random weights, on a
60-second video sampled at 2 fps: time to first token, decode tokens/s over 256 forced tokens,
peak GPU memory. Needs a CUDA GPU; nothing is downloaded (the model is built from the 3B config in
../shared/VAU-R1.md, saved once to a temporary directory, and loaded back per precision).

Why 4-bit is often reported several times slower than bf16, and what this script does instead:
- `bnb_4bit_compute_dtype` left at its default (float32) makes every 4-bit matmul dequantize to
  fp32 and run in fp32; here it is bfloat16.
- Quantizing the vision tower (32 blocks run over thousands of patches in one prefill, in small
  matmuls where dequantization dominates) slows the prefill for little memory saved; here the
  tower and lm_head stay bf16 (`llm_int8_skip_modules`). Variant `4bit-naive` shows the cost of
  both mistakes together.

    .venv/bin/python bench/bench_quant_gpu.py [--variants bf16 4bit 8bit 4bit-naive] [--smoke]

`--smoke` runs the tiny architecture on CPU to check the script itself (figures meaningless).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import BitsAndBytesConfig, Qwen2VLVideoProcessor  # noqa: E402

from inference.models.loading import KEEP_UNQUANTIZED  # noqa: E402
from inference.video.sampling import SamplingOptions, sample_video  # noqa: E402
from tests.videos import write_video  # noqa: E402

NEW_TOKENS = 256
IDS = {  # Qwen2.5-VL's special tokens
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "pad_token_id": 151643,
    "image_token_id": 151655,
    "video_token_id": 151656,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
}
IM_START = 151644
TEXT_3B = {
    "hidden_size": 2048,
    "intermediate_size": 11008,
    "num_hidden_layers": 36,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "max_position_embeddings": 128000,
    "rms_norm_eps": 1e-6,
    "hidden_act": "silu",
    "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]},
}
VISION_3B = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "out_hidden_size": 2048,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "tokens_per_second": 2,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "spatial_merge_size": 2,
}
SMOKE_TEXT = {**TEXT_3B, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}
SMOKE_TEXT.update(num_attention_heads=4, vocab_size=151936)
SMOKE_TEXT["rope_parameters"] = {**TEXT_3B["rope_parameters"], "mrope_section": [2, 3, 3]}
SMOKE_VISION = {**VISION_3B, "depth": 2, "hidden_size": 64, "intermediate_size": 128}
SMOKE_VISION.update(num_heads=4, out_hidden_size=64, fullatt_block_indexes=[1])
KEEP_BF16 = list(KEEP_UNQUANTIZED)  # as load_model keeps them


def quantization(variant: str) -> BitsAndBytesConfig | None:
    """The bitsandbytes settings of a variant (None for bf16)."""
    if variant == "bf16":
        return None
    if variant == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=KEEP_BF16)
    if variant == "4bit":
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
            llm_int8_skip_modules=KEEP_BF16,
        )
    if variant == "4bit-naive":  # compute dtype left at fp32, vision tower quantized too
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")
    raise ValueError(f"unknown variant {variant}")


def save_random_model(directory: Path, smoke: bool, device: str) -> None:
    """Build the architecture with random weights in bf16 and save it."""
    config = transformers.Qwen2_5_VLConfig(
        text_config={**(SMOKE_TEXT if smoke else TEXT_3B), **IDS},
        vision_config=SMOKE_VISION if smoke else VISION_3B,
        tie_word_embeddings=True,
        **IDS,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = transformers.Qwen2_5_VLForConditionalGeneration._from_config(
            config, dtype=torch.bfloat16
        )
    model.save_pretrained(directory)
    del model
    free(device)


def free(device: str) -> None:
    """Release what the last variant held so the next one's peak is its own."""
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def video_inputs(directory: Path) -> dict:
    """Model inputs for a 60 s video at 2 fps (the default token budget) and a short question."""
    path = write_video(directory / "video.mp4", 60.0, 10.0, (640, 360), anomaly=(20, 30))
    clip = sample_video(path, SamplingOptions(fps=2.0))
    processed = Qwen2VLVideoProcessor()(
        videos=[clip.frames],
        do_sample_frames=False,
        do_resize=False,
        return_tensors="pt",
    )
    grid = processed["video_grid_thw"]
    video_tokens = int(grid.prod()) // 4
    generator = torch.Generator().manual_seed(0)
    system = torch.randint(1000, 100000, (20,), generator=generator).tolist()
    question = torch.randint(1000, 100000, (40,), generator=generator).tolist()
    ids = [IM_START, *system, IDS["eos_token_id"], IM_START, IDS["vision_start_token_id"]]
    ids += [IDS["video_token_id"]] * video_tokens + [IDS["vision_end_token_id"], *question]
    ids += [IDS["eos_token_id"], IM_START]
    input_ids = torch.tensor([ids])
    print(
        f"video: 60 s -> {clip.num_frames} frames at {clip.frame_size[1]}x{clip.frame_size[0]}"
        f", {video_tokens} visual tokens, prompt {len(ids)} tokens"
    )
    return {
        "input_ids": input_ids,
        "attention_mask": torch.ones_like(input_ids),
        "mm_token_type_ids": (input_ids == IDS["video_token_id"]).int() * 2,
        "pixel_values_videos": processed["pixel_values_videos"],
        "video_grid_thw": grid,
        "second_per_grid_ts": torch.tensor([2 / clip.sample_fps]),
    }


def timed_generate(model, inputs: dict, tokens: int, device: str) -> float:
    """Seconds for a greedy generate of exactly `tokens` new tokens."""
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    model.generate(
        **inputs, do_sample=False, min_new_tokens=tokens, max_new_tokens=tokens, eos_token_id=None
    )
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def measure(directory: Path, variant: str, inputs: dict, device: str) -> dict:
    """Load one variant and time it: TTFT (1 token), decode rate, peak memory."""
    free(device)
    model = transformers.Qwen2_5_VLForConditionalGeneration.from_pretrained(
        directory,
        dtype=torch.bfloat16,
        device_map=device,
        quantization_config=quantization(variant),
    ).eval()
    inputs = {k: v.to(model.device) for k, v in inputs.items()}
    inputs["pixel_values_videos"] = inputs["pixel_values_videos"].to(torch.bfloat16)
    weights = torch.cuda.memory_allocated() if device == "cuda" else 0
    timed_generate(model, inputs, 2, device)  # warm-up: kernels, allocator
    ttft = min(timed_generate(model, inputs, 1, device) for _ in range(2))
    total = timed_generate(model, inputs, NEW_TOKENS, device)
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else 0
    del model
    free(device)
    return {
        "variant": variant,
        "ttft_s": ttft,
        "tokens_per_s": (NEW_TOKENS - 1) / (total - ttft),
        "weights_gib": weights / 2**30,
        "peak_gib": peak / 2**30,
    }


def main() -> int:
    """Build, measure every variant, print a table and ratios to bf16."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["bf16", "4bit", "8bit"])
    parser.add_argument("--smoke", action="store_true", help="tiny architecture on CPU")
    args = parser.parse_args()
    # LLM.int8 runs in fp16 and says so on every matmul of the bf16 model.
    warnings.filterwarnings("ignore", message="MatMul8bitLt: inputs will be cast")
    if not args.smoke and not torch.cuda.is_available():
        print(
            "bench_quant_gpu.py needs a CUDA GPU and found none (use --smoke to check the "
            "script on CPU)",
            file=sys.stderr,
        )
        return 2
    device = "cpu" if args.smoke else "cuda"
    if not args.smoke:
        print(
            f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
            f"transformers {transformers.__version__}"
        )
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        inputs = video_inputs(root)
        save_random_model(root / "model", args.smoke, device)
        rows = [measure(root / "model", variant, inputs, device) for variant in args.variants]
    base = next((row for row in rows if row["variant"] == "bf16"), rows[0])
    print(
        f"{'variant':12}{'TTFT s':>9}{'tok/s':>9}{'weights GiB':>13}{'peak GiB':>10}"
        f"{'peak/bf16':>11}{'tok/s / bf16':>14}"
    )
    for row in rows:
        print(
            f"{row['variant']:12}{row['ttft_s']:9.3f}{row['tokens_per_s']:9.1f}"
            f"{row['weights_gib']:13.2f}{row['peak_gib']:10.2f}"
            f"{row['peak_gib'] / max(base['peak_gib'], 1e-9):11.2f}"
            f"{row['tokens_per_s'] / base['tokens_per_s']:14.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
