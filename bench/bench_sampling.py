"""Frame sampling: inference.video.sampling against qwen-vl-utils' decord reader, and the cache.

Both pipelines read the same synthetic 720p, 5-minute video and return the same frames (checked:
every frame shows its index as a bit pattern) at the same size; the script prints seconds for
each (best of --repeats runs) and the ratio, then a FrameCache miss against a hit. Run from the
repository root:

    .venv/bin/python bench/bench_sampling.py [--video FILE] [--seconds 300] [--fps 30] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# qwen-vl-utils reads this at import time; its default backend order would try torchcodec.
os.environ["FORCE_QWENVL_VIDEO_READER"] = "decord"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from qwen_vl_utils.vision_process import fetch_video  # noqa: E402

from inference.video.cache import FrameCache  # noqa: E402
from inference.video.sampling import SamplingOptions, plan_sampling, probe_video, sample_video  # noqa: E402
from tests.videos import frame_index, write_video  # noqa: E402

SCENARIOS = {
    # The app's settings: 2 fps, the 3584-token whole-video budget (frames get dropped); the
    # default reader (PyAV, seeking to keyframes on parallel threads).
    "budget": SamplingOptions(fps=2.0),
    # The same frames read with decord (seeks and scales while decoding, one thread).
    "budget-decord": SamplingOptions(fps=2.0, reader="decord"),
    # Every 2-fps frame (600 for 5 minutes) at min_pixels, the budget lifted, as in DESIGN.md.
    "no-budget": SamplingOptions(fps=2.0, max_frames=768, total_pixels=10**9, max_pixels=128 * 784),
}


def timed(function, *args, **kwargs):
    """(result, seconds) of one call."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def best_of(repeats: int, function, *args):
    """(result, fastest seconds) over `repeats` calls: the least disturbed by other load."""
    runs = [timed(function, *args) for _ in range(repeats)]
    return runs[0][0], min(seconds for _, seconds in runs)


def reference_frames(path: Path, nframes: int, height: int, width: int) -> np.ndarray:
    """qwen-vl-utils' frames for the same count and size, as (T, H, W, 3) uint8."""
    element = {"video": str(path), "nframes": nframes, "resized_height": height}
    element["resized_width"] = width
    video, _ = fetch_video(element, return_video_sample_fps=True)
    return video.clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def same_frames(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """True when both arrays show the same frame indices in the same order."""
    if ours.shape != theirs.shape:
        return False
    return [frame_index(f) for f in ours] == [frame_index(f) for f in theirs]


def compare(path: Path, name: str, options: SamplingOptions, repeats: int) -> None:
    """Print ours vs the reference, then cache miss vs hit, for one scenario."""
    plan = plan_sampling(probe_video(path), options)
    nframes, height, width = len(plan.indices), plan.height, plan.width
    print(f"\n[{name}] {nframes} frames at {width}x{height} ({plan.visual_tokens} visual tokens)")
    ours, ours_s = best_of(repeats, sample_video, path, options)
    theirs, theirs_s = best_of(repeats, reference_frames, path, nframes, height, width)
    print(f"  inference.video.sampling.sample_video        {ours_s:8.2f} s")
    print(f"  qwen_vl_utils fetch_video (decord)  {theirs_s:8.2f} s")
    print(f"  reference / ours                    {theirs_s / ours_s:8.2f} x")
    print(f"  same frames, same size              {same_frames(ours.frames, theirs)}")
    cache = FrameCache()
    _, miss_s = timed(cache.sample, path, options)
    _, hit_s = timed(cache.sample, path, options)
    print(f"  FrameCache first call (decodes)     {miss_s:8.3f} s")
    print(f"  FrameCache second call (hit)        {hit_s:8.3f} s")
    print(f"  hit / first call                    {hit_s / miss_s:8.4f} x")


def main() -> None:
    """Write (or take) the video and run every scenario."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, help="use this file instead of writing one")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate of the written video")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = args.video
        if path is None:
            path = Path(directory) / "synthetic-720p.mp4"
            _, write_s = timed(write_video, path, args.seconds, args.fps, (1280, 720))
            print(
                f"wrote {path.name}: {args.seconds:.0f} s at {args.fps:g} fps, 1280x720, "
                f"{path.stat().st_size / 1e6:.1f} MB in {write_s:.1f} s"
            )
        info = probe_video(path)
        path.read_bytes()  # into the page cache, so no pipeline pays the first read
        print(
            f"video: {info.width}x{info.height}, {info.frame_count} frames, {info.fps:g} fps, "
            f"{info.duration:.1f} s; CPU cores: {os.cpu_count()}"
        )
        for name in args.scenario or list(SCENARIOS):
            compare(path, name, SCENARIOS[name], args.repeats)


if __name__ == "__main__":
    main()
