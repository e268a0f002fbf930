"""Qwen2.5-VL-3B's real shapes on this machine, beside what `inference plan` predicts for them.

The 3B architecture (../shared/VAU-R1.md) with random weights, nothing downloaded, in the dtype
`load_model` uses on this device (float32 on CPU): one prefill of a video of N visual tokens and
a few decode steps. It prints seconds, the peak memory of the run (resident on CPU, allocated on
a GPU; weights included), the KV cache the prefill really stored, and each beside the plan made
from the same config.json: measured / planned.

    .venv/bin/python bench/bench_real_shape.py [--visual-tokens 512] [--decode 4] [--device cuda]
                                               [--smoke]

The default budget (3584 visual tokens) takes minutes of prefill and about 15 GB in float32 on
two cores; the default here is 512, and the output says which was measured. `--smoke` runs the
tiny architecture to check the script itself.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import transformers  # noqa: E402

from bench.bench_quant_gpu import (  # noqa: E402
    IDS,
    IM_START,
    SMOKE_TEXT,
    SMOKE_VISION,
    TEXT_3B,
    VISION_3B,
)
from inference.backends.plan import PROMPT_TOKENS, human, make_plan  # noqa: E402
from inference.models.loading import LoadOptions, resolve_dtype  # noqa: E402

GROUP = 16  # patches a side of one temporal group: 8x8 = 64 visual tokens after the 2x2 merge


def resident(field: str) -> int:
    """A /proc/self/status figure in bytes: VmRSS (now) or VmHWM (peak since the last reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def inputs_for(visual_tokens: int) -> dict:
    """A prompt of PROMPT_TOKENS text tokens around a random video of `visual_tokens` tokens."""
    groups = visual_tokens // (GROUP * GROUP // 4)
    generator = torch.Generator().manual_seed(0)
    text = torch.randint(1000, 100000, (PROMPT_TOKENS - 6,), generator=generator).tolist()
    half = len(text) // 2
    ids = [IM_START, *text[:half], IDS["vision_start_token_id"]]
    ids += [IDS["video_token_id"]] * visual_tokens
    ids += [IDS["vision_end_token_id"], *text[half:], IDS["eos_token_id"], IM_START, 77]
    input_ids = torch.tensor([ids])
    patches = groups * GROUP * GROUP
    return {
        "input_ids": input_ids,
        "attention_mask": torch.ones_like(input_ids),
        "mm_token_type_ids": (input_ids == IDS["video_token_id"]).int() * 2,
        "pixel_values_videos": torch.randn(patches, 3 * 2 * 14 * 14, generator=generator),
        "video_grid_thw": torch.tensor([[groups, GROUP, GROUP]]),
        "second_per_grid_ts": torch.tensor([1.0]),
    }


def config_for(smoke: bool) -> transformers.Qwen2_5_VLConfig:
    """The 3B architecture's config (or the tiny one's for --smoke)."""
    return transformers.Qwen2_5_VLConfig(
        text_config={**(SMOKE_TEXT if smoke else TEXT_3B), **IDS},
        vision_config=SMOKE_VISION if smoke else VISION_3B,
        tie_word_embeddings=True,
        **IDS,
    )


class Peak:
    """Peak memory of what runs between `start` and `read`: resident memory on CPU (from
    before the model was built), allocated memory on a GPU."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.baseline = torch.cuda.memory_allocated() if device == "cuda" else resident("VmRSS")

    def start(self) -> None:
        """Forget earlier peaks (the model's build has its own)."""
        gc.collect()
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        else:
            reset_peak()

    def read(self) -> int:
        """Bytes at the peak since `start`, less what was held before the model."""
        if self.device == "cuda":
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated() - self.baseline
        return resident("VmHWM") - self.baseline


def measure(config, inputs: dict, decode: int, dtype: torch.dtype, device: str) -> dict:
    """Build the model, then one greedy generate: prefill and decode seconds, peak, KV bytes."""
    peak = Peak(device)
    torch.manual_seed(0)
    with torch.device(device):
        model = transformers.Qwen2_5_VLForConditionalGeneration._from_config(config, dtype=dtype)
    model.eval()
    inputs = {k: v.to(device) for k, v in inputs.items()}
    inputs["pixel_values_videos"] = inputs["pixel_values_videos"].to(dtype)
    peak.start()
    stamps: list[float] = []

    def stamp(input_ids, scores):  # called once per generated token, after its forward
        if device == "cuda":
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())
        return scores

    started = time.perf_counter()
    with torch.no_grad():
        out = model.generate(
            **inputs,
            do_sample=False,
            min_new_tokens=decode,
            max_new_tokens=decode,
            eos_token_id=None,
            logits_processor=transformers.LogitsProcessorList([stamp]),
            return_dict_in_generate=True,
        )
    cache = out.cache
    kv = sum(
        t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values)
    )
    return {
        "prefill_s": stamps[0] - started,
        "decode_s_per_token": (stamps[-1] - stamps[0]) / max(len(stamps) - 1, 1),
        "peak_bytes": peak.read(),
        "kv_bytes": kv,
        "tokens": int(cache.get_seq_length()),
    }


def where(device: str) -> str:
    """The device as the output names it."""
    if device == "cuda":
        return torch.cuda.get_device_name()
    return f"CPU ({torch.get_num_threads()} threads)"


def main() -> int:
    """Plan, measure, print both side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visual-tokens", type=int, default=512, help="a multiple of 64")
    parser.add_argument("--decode", type=int, default=4, help="tokens to generate")
    parser.add_argument("--smoke", action="store_true", help="the tiny architecture")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args()
    if args.visual_tokens < 64 or args.visual_tokens % 64:
        parser.error("--visual-tokens must be a positive multiple of 64")
    dtype_name = resolve_dtype("auto", args.device)
    config = config_for(args.smoke)
    with tempfile.TemporaryDirectory() as folder:
        config.save_pretrained(folder)  # config.json only: all the plan reads
        options = LoadOptions(model=folder, device=args.device)
        plan = make_plan(options, args.visual_tokens, args.decode)
    print(
        f"{'Qwen2.5-VL-3B' if not args.smoke else 'tiny (smoke)'} architecture, random weights, "
        f"{dtype_name} on {where(args.device)}, {args.visual_tokens} visual + "
        f"{PROMPT_TOKENS} prompt tokens, {args.decode} decoded"
    )
    dtype = getattr(torch, dtype_name)
    found = measure(config, inputs_for(args.visual_tokens), args.decode, dtype, args.device)
    # The raw generate keeps no prefix-cache entries, so the plan's share for them is left out.
    planned_peak = plan.weights_bytes + plan.kv_bytes_per_video + plan.activation_bytes
    planned_kv = plan.kv_bytes_per_token * found["tokens"]
    print(f"prefill            {found['prefill_s']:.1f} s")
    print(f"decode             {found['decode_s_per_token']:.2f} s per token")
    print(f"{'':18}{'measured':>12}{'planned':>12}{'ratio':>8}")
    rows = (
        ("peak memory", found["peak_bytes"], planned_peak),
        ("  of it weights", None, plan.weights_bytes),
        ("  activations", None, plan.activation_bytes),
        ("KV cache", found["kv_bytes"], planned_kv),
    )
    for name, measured, planned in rows:
        ratio = f"{measured / planned:8.2f}" if measured is not None else ""
        shown = human(measured) if measured is not None else ""
        print(f"{name:18}{shown:>12}{human(planned):>12}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
