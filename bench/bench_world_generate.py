"""Drawing world videos: one process against several, on the same seeds, in one run.

Each video's bytes depend on its seed only, so the runs must write identical files; the script
checks that before it prints the ratio.

    .venv/bin/python bench/bench_world_generate.py [--count 16] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from world.generate import SPLITS, generate  # noqa: E402


def timed(out: Path, count: int, jobs: int) -> float:
    """Seconds to write `count` test-split videos with `jobs` processes."""
    started = time.perf_counter()
    generate(out, count, seed=SPLITS["test"].start, jobs=jobs)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        one, many = Path(folder) / "one", Path(folder) / "many"
        serial, parallel = timed(one, args.count, 1), timed(many, args.count, args.jobs)
        same = all((one / p.name).read_bytes() == p.read_bytes() for p in many.glob("*.mp4"))
    print(f"{args.count} world videos on {os.cpu_count()} cores; identical files: {same}")
    print(f"{'jobs':>6} {'seconds':>9} {'videos/min':>11}")
    for jobs, took in ((1, serial), (args.jobs, parallel)):
        print(f"{jobs:>6} {took:>9.1f} {60 * args.count / took:>11.1f}")
    print(f"ratio: {serial / parallel:.2f}x faster with {args.jobs} jobs")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
