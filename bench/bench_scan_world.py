"""Where is the anomaly? The world model's one whole-video answer against its scan, on held-out
world videos, side by side in one run.

"One pass": the grounding question on the whole video, without think, at the world's sampling
(the way bench_world.py evaluates it). "Scan": `inference scan`'s windows (4 s every 1 s at 2 fps,
the class question, threshold 0.8 / release 0.6) and the interval it proposes. Both on the
first N test-split videos (drawn here, or reused from --videos). Figures over the anomalous
videos: mIoU and R@0.3/0.5/0.7; over the Normal ones: the false-alarm rate (any interval); over
all: frame-level AUC and AP in 0.5 s bins (the scan's curve; the one pass's interval as 0/1);
then the scan's mIoU per class. Run from the repository root (CPU is fine):

    .venv/bin/python bench/bench_scan_world.py [--count 100] [--videos var/bench-world/test-100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from inference.backends import open_engine  # noqa: E402
from inference.core.metrics import iou  # noqa: E402
from inference.core.prompts import build_prompt  # noqa: E402
from inference.eval.framewise import frame_figures, video_frames  # noqa: E402
from inference.scan.scanner import scan_clip  # noqa: E402
from inference.video.sampling import SamplingOptions, sample_video  # noqa: E402
from world.generate import SPLITS, generate, plan  # noqa: E402
from world.recipe import Recipe  # noqa: E402

THRESHOLDS = (0.3, 0.5, 0.7)


def figures(rows: list[dict], key: str) -> dict[str, float]:
    """mIoU, recalls, false alarms and frame AUC/AP of one method over the rows."""
    events = [r for r in rows if r["truth"] is not None]
    normal = [r for r in rows if r["truth"] is None]
    ious = [iou(r[key], r["truth"]) for r in events]
    out = {"mIoU": 100 * sum(ious) / len(ious)} if ious else {"mIoU": 0.0}
    for t in THRESHOLDS:
        out[f"R@{t}"] = 100 * sum(v >= t for v in ious) / max(1, len(ious))
    out["false alarm"] = 100 * sum(r[key] is not None for r in normal) / max(1, len(normal))
    frames = [video_frames(r["video"], r["truth"], r[key], r["duration"], r.get(f"{key}_curve"))
              for r in rows]  # fmt: skip
    found = frame_figures([f for f in frames if f is not None])
    out["frame AUC"] = 100 * (found["frame_auc"] or 0)
    out["frame AP"] = 100 * (found["frame_ap"] or 0)
    return out


def main() -> None:
    """Draw (or reuse) the test videos, answer each both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--videos", default="var/bench-world/test-100", help="drawn here if new")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    folder = Path(args.videos)
    generate(folder, args.count, split="test")  # keeps the videos already there
    world = Recipe.read().sampling
    one_pass = SamplingOptions(**world)
    scanned = SamplingOptions(**{k: v for k, v in world.items() if k != "fps"} | {"fps": 2.0})
    engine = open_engine("world")
    prompt = build_prompt("grounding", think=False)
    rows, seconds = [], defaultdict(float)
    first = SPLITS["test"].start
    for seed in range(first, first + args.count):
        video = plan(seed)
        path = folder / video.name
        started = time.perf_counter()
        answer = engine.run(sample_video(path, one_pass), prompt, max_new_tokens=64).result
        seconds["one pass"] += time.perf_counter() - started
        started = time.perf_counter()
        scan = scan_clip(engine, sample_video(path, scanned))
        seconds["scan"] += time.perf_counter() - started
        truth = (video.event.start, video.event.end) if video.event else None
        rows.append({"video": video.name, "kind": video.kind, "truth": truth,
                     "duration": video.duration, "one pass": answer.interval,
                     "scan": scan.interval, "scan_curve": scan.curve})  # fmt: skip
    events = sum(r["truth"] is not None for r in rows)
    normal = args.count - events
    print(f"{args.count} test-split world videos ({events} with an event, {normal} Normal); "
          "the world model, a toy trained on synthetic videos")  # fmt: skip
    table = {name: figures(rows, name) for name in ("one pass", "scan")}
    columns = list(table["scan"])
    print(f"{'':10}" + "".join(f"{c:>13}" for c in columns) + f"{'seconds':>10}")
    for name, values in table.items():
        cells = "".join(f"{values[c]:13.1f}" for c in columns)
        print(f"{name:10}{cells}{seconds[name]:10.1f}")
    print("scan mIoU by class:")
    kinds = sorted({r["kind"] for r in rows if r["truth"] is not None})
    for kind in kinds:
        mine = [r for r in rows if r["kind"] == kind]
        scan_iou = 100 * sum(iou(r["scan"], r["truth"]) for r in mine) / len(mine)
        once = 100 * sum(iou(r["one pass"], r["truth"]) for r in mine) / len(mine)
        print(f"  {kind:18} n={len(mine):3}  scan {scan_iou:5.1f}   one pass {once:5.1f}")


if __name__ == "__main__":
    main()
