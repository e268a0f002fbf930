"""Time to first token for a second question on the same video, with and without the caches.

"Without": every question samples the video again (`sample_video`) and runs the whole prompt,
vision encoder included (`Engine(loaded, prefix_cache=False)`). "With": a `FrameCache` and the
engine's video-prefix KV cache, warmed by a first question. Time to first token is measured
from asking (before sampling) to the first streamed text, and split into its stages. Models: the
tiny checkpoint, and a mid-size random-weight Qwen2.5-VL built here from a config (no download).
Run from the repository root (CPU is fine):

    .venv/bin/python bench/bench_ttft.py [--seconds 30] [--repeats 3] [--model tiny|mid]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoConfig, AutoProcessor, GenerationConfig  # noqa: E402

from inference.backends.engine import Engine  # noqa: E402
from inference.backends.generation import Generation  # noqa: E402
from inference.core.prompts import build_prompt  # noqa: E402
from inference.models.loading import LoadOptions, load_model  # noqa: E402
from inference.models.tiny import TEXT_CONFIG, VISION_CONFIGS, make_tiny  # noqa: E402
from inference.video.cache import FrameCache  # noqa: E402
from inference.video.sampling import SamplingOptions, sample_video  # noqa: E402
from tests.videos import write_video  # noqa: E402

FIRST = build_prompt("qa", False, "What happens?", ["A fight", "Rain", "A fire", "Nothing"])
SECOND = build_prompt("grounding", False, "When does the anomaly start and end?")
# Mid-size: 6 text layers of hidden 512 (head dim 64), 6 vision blocks of hidden 512.
MID_TEXT = {
    "hidden_size": 512,
    "intermediate_size": 1408,
    "num_hidden_layers": 6,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "max_window_layers": 6,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [8, 12, 12]},
}
MID_VISION = {
    "depth": 6,
    "hidden_size": 512,
    "intermediate_size": 1376,
    "num_heads": 8,
    "fullatt_block_indexes": [2, 5],
    "out_hidden_size": 512,
}


@dataclass
class Ask:
    """One question's time to first token, split into stages (seconds)."""

    total: float
    sampling: float
    preprocess: float
    first_token: float


def make_mid(tiny: Path, directory: Path) -> Path:
    """Save a random-weight mid-size Qwen2.5-VL with the tiny checkpoint's processor."""
    base = AutoConfig.from_pretrained(tiny)
    ids = ("bos_token_id", "eos_token_id", "pad_token_id")
    text = {**TEXT_CONFIG, **MID_TEXT, "vocab_size": base.text_config.vocab_size}
    text.update({key: getattr(base.text_config, key) for key in ids})
    vision = {**VISION_CONFIGS["qwen2_5_vl"], **MID_VISION}
    vision.update(patch_size=14, temporal_patch_size=2, spatial_merge_size=2)
    tokens = ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")
    config = transformers.Qwen2_5_VLConfig(
        text_config=text,
        vision_config=vision,
        tie_word_embeddings=True,
        **{key: getattr(base, key) for key in (*ids, *tokens)},
    )
    torch.manual_seed(0)
    model = transformers.Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig.from_pretrained(tiny)
    model.save_pretrained(directory)
    AutoProcessor.from_pretrained(tiny).save_pretrained(directory)
    return directory


def ask(engine: Engine, sample, path: Path, prompt) -> Ask:
    """Sample (through `sample`) and stream until the first text; the stages' seconds."""
    started = time.perf_counter()
    clip = sample(path, SamplingOptions(fps=2.0))
    total = None
    for event in engine.stream(clip, prompt, max_new_tokens=8):
        if total is None:
            total = time.perf_counter() - started
        if isinstance(event, Generation):
            timings = event.timings
    return Ask(total, timings.sampling_s, timings.preprocess_s, timings.first_token_s)


def second_question(engine: Engine, sample, path: Path, repeats: int) -> Ask:
    """Median over `repeats` of: first question, then the second one timed."""
    runs = []
    for _ in range(repeats):
        ask(engine, sample, path, FIRST)
        runs.append(ask(engine, sample, path, SECOND))
    return Ask(*(statistics.median(getattr(r, f) for r in runs) for f in Ask.__annotations__))


def compare(name: str, checkpoint: Path, video: Path, repeats: int) -> None:
    """Print without / with caches for one model."""
    loaded = load_model(LoadOptions(str(checkpoint), device="cpu"))
    params = sum(p.numel() for p in loaded.model.parameters()) / 1e6
    print(f"\n[{name}] {params:.1f} M parameters, {loaded.dtype}")
    plain = second_question(Engine(loaded, prefix_cache=False), sample_video, video, repeats)
    frames = FrameCache()
    cached = second_question(Engine(loaded), frames.sample, video, repeats)
    print(f"  {'':28}{'total':>9}{'sampling':>10}{'preprocess':>12}{'prefill+1st':>13}")
    for label, row in (("without caches", plain), ("with frame + prefix cache", cached)):
        stages = f"{row.sampling:10.3f}{row.preprocess:12.3f}{row.first_token:13.3f}"
        print(f"  {label:28}{row.total:9.3f}{stages}")
    print(f"  with / without (total)      {cached.total / plain.total:9.3f} x")


def main() -> None:
    """Write the video, build the checkpoints, compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the video")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", choices=["tiny", "mid"], action="append")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        video = write_video(root / "video.mp4", args.seconds, 10.0, (640, 360), anomaly=(5, 9))
        clip = sample_video(video, SamplingOptions(fps=2.0))
        height, width = clip.frame_size
        print(
            f"video: {args.seconds:g} s, 640x360 -> {clip.num_frames} frames at {width}x{height}"
            f", {clip.visual_tokens} visual tokens; CPU cores: {os.cpu_count()}"
        )
        tiny = make_tiny(root / "tiny")
        checkpoints = {"tiny": lambda: tiny, "mid": lambda: make_mid(tiny, root / "mid")}
        for name in args.model or list(checkpoints):
            compare(name, checkpoints[name](), video, args.repeats)


if __name__ == "__main__":
    main()
