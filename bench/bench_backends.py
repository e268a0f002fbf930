"""In-process transformers vs a vLLM server, on the same tiny checkpoint and the same videos.

One run, both backends, the same `inference.eval.pipeline` that `eval` uses (videos decoded ahead):
1. eval throughput in items per minute at concurrency 1 and 8 (`--items` grounding prompts over
   the bundled samples, `--tokens` new tokens at most), with sampling (as `eval` runs) and
   without (the clips sampled beforehand: the backends alone);
2. time to first token for a repeated question on one clip (the second of two identical
   requests: the engine's video-prefix cache vs vLLM's prefix and media caches).
The checkpoint is `tiny-vllm` (head size 32, which vLLM's CPU attention needs), loaded in
process on `--device` and served by vLLM from `.venv-vllm` (CPU build; set VAU_VLLM_PYTHON to
an interpreter with a GPU vLLM to serve it on a GPU). Run from the repository root:

    .venv/bin/python bench/bench_backends.py [--items 24] [--tokens 32] [--device cpu]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.backends import (  # noqa: E402
    BackendOptions,
    open_engine,
    serve,  # noqa: E402
)
from inference.core.prompts import build_prompt  # noqa: E402
from inference.eval.pipeline import pipelined  # noqa: E402
from inference.models.tiny import ensure_tiny  # noqa: E402
from inference.video.sampling import SamplingOptions, sample_video  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
SAMPLING = SamplingOptions(fps=1.0, max_frames=16)


def throughput(
    engine, videos: list[Path], tokens: int, concurrency: int, clips: dict | None = None
) -> tuple[float, float]:
    """Items per minute and mean new tokens per item; sampling included unless `clips` given."""
    prompt = build_prompt("grounding", think=True)
    made: list[int] = []

    def generate(clip):
        generation = engine.run(clip, prompt, max_new_tokens=tokens)
        made.append(generation.timings.new_tokens)
        return generation

    started = time.perf_counter()
    sample = clips.__getitem__ if clips else (lambda v: sample_video(v, SAMPLING))
    for outcome in pipelined(videos, sample, generate, concurrency):
        if outcome.error is not None:
            raise outcome.error
    elapsed = time.perf_counter() - started
    return len(videos) / elapsed * 60, statistics.mean(made)


def repeated_ttft(engine, video: Path, repeats: int) -> float:
    """Median time to first token of a question asked again on the same clip."""
    clip, prompt = sample_video(video, SAMPLING), build_prompt("grounding", think=True)
    engine.run(clip, prompt, max_new_tokens=4)  # the first time: fills the caches
    times = [engine.run(clip, prompt, max_new_tokens=4).timings for _ in range(repeats)]
    return statistics.median(t.first_token_s for t in times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=24)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="where the in-process model runs")
    args = parser.parse_args()
    checkpoint = ensure_tiny(variant="tiny-vllm")
    videos = list(itertools.islice(itertools.cycle(sorted(SAMPLES.glob("*.mp4"))), args.items))
    local = open_engine(str(checkpoint), device=args.device, prefix_cache=True)
    with tempfile.TemporaryDirectory() as cache:
        server = serve.start(str(checkpoint), name="tiny-vllm", cache_dir=Path(cache))
        try:
            remote = open_engine("tiny-vllm", options=BackendOptions("openai", server.base_url))
            warm = sample_video(videos[0], SAMPLING)
            remote.run(warm, build_prompt("classification"), max_new_tokens=4)
            rows = []
            for concurrency in (1, 8):
                here = throughput(local, videos, args.tokens, concurrency)
                there = throughput(remote, videos, args.tokens, concurrency)
                rows.append((f"eval items/min, concurrency {concurrency}", here, there))
            clips = {video: sample_video(video, SAMPLING) for video in set(videos)}
            for concurrency in (1, 8):
                here = throughput(local, videos, args.tokens, concurrency, clips)
                there = throughput(remote, videos, args.tokens, concurrency, clips)
                rows.append((f"  generation only, concurrency {concurrency}", here, there))
            ttft = repeated_ttft(local, videos[0], args.repeats)
            ttft_remote = repeated_ttft(remote, videos[0], args.repeats)
        finally:
            server.stop()
    print(f"tiny-vllm checkpoint, {args.items} grounding items over {len(set(videos))} videos,")
    print(f"{SAMPLING.max_frames} frames at {SAMPLING.fps:g} fps, up to {args.tokens} new tokens")
    print(f"{'':42}{'in-process':>14}{'vLLM':>14}{'vLLM / in-process':>20}")
    for label, (here, made_here), (there, made_there) in rows:
        print(f"{label:42}{here:14.1f}{there:14.1f}{there / here:19.2f}x")
        print(f"{'  (mean new tokens per item)':42}{made_here:14.1f}{made_there:14.1f}")
    label = "repeated question, time to first token (s)"
    print(f"{label:42}{ttft:14.3f}{ttft_remote:14.3f}{ttft_remote / ttft:19.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
