"""The scan's cost per minute of video: windows that reuse the whole clip's vision features
against separate runs per window (each encoding its own frames), side by side in one run.

Both paths score the same windows of the same sampled frames with the same language model, and
their scores agree (the largest difference is printed). Models: the shipped world model at the
world's own small frames, and a mid-size random-weight Qwen2.5-VL (bench_ttft's) at VAU-R1's
pixel bounds, where the vision tower is a larger share of the work. The video is the longest of
the first world test-split seeds, drawn here. With `.venv-vllm` built, also the tiny vLLM-shaped
checkpoint in this process against the same checkpoint on a vLLM server (float32 on both sides;
the server gets one request per window, eight in flight). Run from the repository root:

    .venv/bin/python bench/bench_scan.py [--repeats 3] [--window 4] [--stride 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.bench_ttft import make_mid  # noqa: E402
from inference.backends import BackendOptions, open_engine, serve  # noqa: E402
from inference.backends.engine import Engine  # noqa: E402
from inference.errors import ModelUnavailable  # noqa: E402
from inference.models.loading import LoadOptions, load_model  # noqa: E402
from inference.models.named import resolve  # noqa: E402
from inference.models.tiny import make_tiny  # noqa: E402
from inference.scan.scanner import scan_clip  # noqa: E402
from inference.scan.windows import ScanSettings  # noqa: E402
from inference.video.sampling import SamplingOptions, sample_video  # noqa: E402
from world.generate import SPLITS, generate, plan  # noqa: E402
from world.recipe import Recipe  # noqa: E402

SEEDS = 40  # the longest video of the test split's first SEEDS


def longest_video(folder: Path) -> Path:
    """Draw the longest of the first test-split videos; its path."""
    first = SPLITS["test"].start
    seed = max(range(first, first + SEEDS), key=lambda s: plan(s).duration)
    generate(folder, 1, seed=seed, split="test")
    return folder / plan(seed).name


def timed(engine: Engine, clip, settings: ScanSettings, reuse: bool, repeats: int):
    """(median seconds, the scan) over `repeats` scans."""
    seconds, scan = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        scan = scan_clip(engine, clip, settings, reuse=reuse)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), scan


def compare(name: str, checkpoint: str, clip, settings: ScanSettings, repeats: int) -> None:
    """Print separate runs / reuse for one model."""
    loaded = load_model(LoadOptions(checkpoint, device="cpu"))
    engine = Engine(loaded, prefix_cache=False)
    params = sum(p.numel() for p in loaded.model.parameters()) / 1e6
    minutes = clip.info.duration / 60
    height, width = clip.frame_size
    print(f"\n[{name}] {params:.1f} M parameters; {clip.num_frames} frames of {width}x{height}, "
          f"{clip.visual_tokens} visual tokens")  # fmt: skip
    naive_s, naive = timed(engine, clip, settings, False, repeats)
    reuse_s, reused = timed(engine, clip, settings, True, repeats)
    pairs = zip(naive.windows, reused.windows, strict=True)
    diff = max(abs(a["score"] - b["score"]) for a, b in pairs)
    print(f"  {'':30}{'seconds':>9}{'s / min of video':>18}")
    for label, value in (
        ("separate runs per window", naive_s),
        ("vision features reused", reuse_s),
    ):
        print(f"  {label:30}{value:9.3f}{value / minutes:18.3f}")
    print(f"  reused / separate             {reuse_s / naive_s:9.3f} x   "
          f"({len(reused.windows)} windows; largest score difference {diff:.1e})")  # fmt: skip


def against_server(root: Path, clip, settings: ScanSettings, repeats: int) -> None:
    """Print the tiny vLLM-shaped checkpoint in this process against it on a vLLM server."""
    try:
        serve.vllm_python()
    except ModelUnavailable as error:
        print(f"\n[vLLM] skipped: {error}")
        return
    checkpoint = make_tiny(root / "tiny-vllm", variant="tiny-vllm")
    server = serve.start(str(checkpoint), name="tiny-vllm", cache_dir=root / "vllm",
                         dtype="float32")  # fmt: skip
    try:
        local = Engine(load_model(LoadOptions(str(checkpoint), device="cpu")), prefix_cache=False)
        served = open_engine("tiny-vllm", options=BackendOptions("openai", server.base_url))
        minutes = clip.info.duration / 60
        here_s, _ = timed(local, clip, settings, True, repeats)
        there_s, scan = timed(served, clip, settings, True, repeats)
        print(f"\n[tiny-vllm] in this process against a vLLM server ({len(scan.windows)} windows)")
        print(f"  {'':30}{'seconds':>9}{'s / min of video':>18}")
        for label, value in (("transformers, reused", here_s), ("vLLM server (openai)", there_s)):
            print(f"  {label:30}{value:9.3f}{value / minutes:18.3f}")
        print(f"  server / in-process           {there_s / here_s:9.3f} x")
    finally:
        server.stop()


def main() -> None:
    """Draw the video, build the mid-size model, compare both models."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--window", type=float, default=4.0, help="seconds a window sees")
    parser.add_argument("--stride", type=float, default=1.0, help="seconds between windows")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    settings = ScanSettings(window_s=args.window, stride_s=args.stride)
    world = {k: v for k, v in Recipe.read().sampling.items() if k != "fps"}
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        video = longest_video(root / "video")
        print(f"video: {video.name}, {plan(int(video.stem.split('_')[1])).duration:.1f} s; "
              f"windows of {args.window:g} s every {args.stride:g} s at 2 fps")  # fmt: skip
        clip = sample_video(video, SamplingOptions(fps=2.0, **world))
        compare("world", resolve("world"), clip, settings, args.repeats)
        tiny = make_tiny(root / "tiny")
        mid = make_mid(tiny, root / "mid")
        clip = sample_video(video, SamplingOptions(fps=2.0))
        compare("mid-size random, VAU-R1's pixel bounds", str(mid), clip, settings, args.repeats)
        clip = sample_video(video, SamplingOptions(fps=2.0, **world))
        against_server(root, clip, settings, args.repeats)


if __name__ == "__main__":
    main()
