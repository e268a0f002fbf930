"""What a stakeholder waits for on the Demo tab, against the alternatives, in one run.

1. Building the gallery with all of VAU-Bench imported (6,431 items): one query for the located
   videos (what app.demo does) vs scanning every item for its video's path.
2. Opening a video until its anomaly interval is on screen: the demo's replay of a stored run
   (its first update shows video, badge and interval; the reasoning follows at `--cps`) vs a
   live run of the same item on the tiny checkpoint on this CPU (the interval comes with the
   finished run). Both through gradio_client against one launched Studio. A real 3B checkpoint
   behind a ZeroGPU queue only widens the gap; it cannot run here.

    .venv/bin/python bench/bench_demo.py [--repeats 5] [--cps 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradio_client import Client  # noqa: E402

from annotate.importer import import_csv  # noqa: E402
from annotate.store import Store  # noqa: E402
from app import demo, record  # noqa: E402
from app.items import import_samples  # noqa: E402
from app.runtime import ModelSlot  # noqa: E402
from app.services import Studio  # noqa: E402
from inference.models.tiny import make_tiny  # noqa: E402
from tests.app_helpers import free_port, item_id, launch, studio_settings  # noqa: E402


def median_s(work: Callable[[], object], repeats: int) -> float:
    """Median wall time of `work` over `repeats` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def scan_items(studio: Studio) -> list:
    """The alternative: every item, keeping the videos inside the sample folders."""
    folders = demo.sample_folders(studio.settings)
    videos = {}
    for item in studio.store.list_items(limit=None):
        if demo._inside(item.video.path, folders) and Path(item.video.path).is_file():
            videos.setdefault(item.video.id, item.video)
    return [
        demo.entry_for(studio.store, v.id) for v in sorted(videos.values(), key=lambda v: v.name)
    ]


def bench_gallery(folder: Path, repeats: int) -> None:
    settings = studio_settings(folder)
    studio = Studio(settings, Store(settings.db_url), ModelSlot())
    for csv in sorted((ROOT / "data" / "vau-bench").glob("*.csv")):
        import_csv(studio.store, csv)
    import_samples(studio)
    items = studio.store.count_items()
    query = median_s(lambda: demo.gallery(studio.store, settings), repeats)
    scan = median_s(lambda: scan_items(studio), repeats)
    print(f"gallery with {items} items in the store (median of {repeats}):")
    print(f"  located-videos query {query * 1000:7.1f} ms")
    print(f"  scan every item      {scan * 1000:7.1f} ms   ratio {query / scan:.3f}x")
    studio.store.close()


def first_and_last(client: Client, api: str, *args) -> tuple[float, float]:
    """Seconds to the endpoint's first streamed output, and to its last."""
    started = time.perf_counter()
    job = client.submit(*args, api_name=f"/{api}")
    first = None
    while not job.done():
        if first is None and job.outputs():
            first = time.perf_counter() - started
        time.sleep(0.005)
    job.result()
    total = time.perf_counter() - started
    return (first if first is not None else total), total


def bench_open(folder: Path, repeats: int, cps: float) -> None:
    tiny = make_tiny(folder / "tiny")
    settings = replace(studio_settings(folder, model=str(tiny), replay_cps=cps), max_new_tokens=64)
    assert record.main(["--model", str(tiny), "--db", settings.db_url, "--tasks", "grounding"]) == 0
    served, url = launch(replace(settings, port=free_port()))
    try:
        served.studio.models.wait(timeout=300)
        client = Client(url, verbose=False)
        video = served.studio.store.get_item(item_id(served, "sample_fight.mp4", "grounding"))
        replays = [
            first_and_last(client, "demo_open", video.video.id, "grounding") for _ in range(repeats)
        ]
        lives = [first_and_last(client, "demo_live", "bench") for _ in range(repeats)]
    finally:
        served.close()
    replay_first = statistics.median(r[0] for r in replays)
    replay_done = statistics.median(r[1] for r in replays)
    live_done = statistics.median(r[1] for r in lives)
    print(f"opening sample_fight.mp4 · grounding (median of {repeats}, seconds):")
    print(
        f"  replay of the stored run: video + interval {replay_first:6.3f}, "
        f"reasoning complete {replay_done:6.3f} (at {cps:g} chars/s)"
    )
    print(f"  live run, tiny on CPU:    video + interval {live_done:6.3f} (when the run ends)")
    print(f"  time to the interval, replay / live: {replay_first / live_done:.3f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cps", type=float, default=60.0, help="replay speed (chars/s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_gallery(Path(folder) / "gallery", args.repeats)
        bench_open(Path(folder) / "open", args.repeats, args.cps)


if __name__ == "__main__":
    main()
