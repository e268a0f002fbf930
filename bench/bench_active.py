"""Active learning in the synthetic world: which 16 items should an annotator label next? The
model's most uncertain ones, or any? Both strategies side by side, from the same start.

From the same start checkpoint (the world model) and the same pool of unlabelled world videos
(train-split seeds the world model never saw), rounds of: annotate 16 more grounding items (the
world's truth stands in for the annotator, approved by a second name), export every label so far
(`annotate export`), fine-tune the start checkpoint on them (`train sft`), and evaluate it on the
held-out test split (`inference eval` + `inference score`: mIoU with its 95% interval over
videos). "uncertain" takes the items in the order of the work queue "most uncertain first:
grounding" that `python -m app.prelabel --samples K` saves (the spread of K sampled answers by
the start model); "random" takes them in a seeded random order. Every step is the project's own
command line, as a user would run it; a rerun reuses what the work folder already holds.

    .venv/bin/python bench/bench_active.py [--pool 48] [--test 40] [--rounds 3] [--per-round 16]

A toy trained on synthetic videos; not VAU-R1.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotate.records import Edit  # noqa: E402
from annotate.store import Store  # noqa: E402
from app.prelabel import UNCERTAIN_QUEUE  # noqa: E402
from bench.bench_world import MAX_NEW_TOKENS, run  # noqa: E402
from inference.models.card import CARD  # noqa: E402
from world.recipe import Recipe  # noqa: E402

POOL_SEED = 10_000  # train-split seeds past the 400 the world model was trained on
STRATEGIES = ("random", "uncertain")
ANNOTATOR, REVIEWER = "world-truth", "bench-reviewer"


def videos(folder: Path, count: int, split: str, seed: int | None = None) -> Path:
    """`count` world videos of `split` (from `seed`) and their world.csv, drawn once."""
    if not (folder / "world.csv").is_file():
        seeded = ["--seed", seed] if seed is not None else []
        run("world", "generate", "--out", folder, "--count", count, "--split", split, *seeded,
            "--jobs", 2)  # fmt: skip
    return folder


def prelabelled(work: Path, pool: Path, samples: int) -> Path:
    """The pool's store: its items imported, each grounding item pre-labelled by the start model
    with `samples` sampled answers (their spread orders the uncertain queue)."""
    db = work / "pool.db"
    if db.is_file():
        return db
    url = f"sqlite:///{work / 'pool-partial.db'}"
    run(
        "annotate",
        "import-csv",
        str(pool / "world.csv"),
        "--db",
        url,
        "--videos",
        pool,
        "--source",
        "world",
    )
    # The Studio samples each task at its own rate; the pixel bounds are the world's.
    sampling = Recipe.read().sampling
    pixels = [x for k, v in sampling.items() if k != "fps" for x in (f"--{k.replace('_', '-')}", v)]
    run("app.prelabel", "--db", url, "--model", "world", "--task", "grounding", "--no-think",
        "--samples", samples, "--source", "world", "--quiet", *pixels)  # fmt: skip
    (work / "pool-partial.db").rename(db)
    return db


def orders(db: Path, seed: int) -> dict[str, list[int]]:
    """Each strategy's order of the pool's grounding items."""
    with Store(f"sqlite:///{db}") as store:
        uncertain = list(store.queue(UNCERTAIN_QUEUE.format(task="grounding")).item_ids)
    shuffled = sorted(uncertain)
    random.Random(seed).shuffle(shuffled)
    return {"random": shuffled, "uncertain": uncertain}


def label(db: Path, item_ids: list[int]) -> None:
    """The world's truth as the annotator's correction of each item, approved by a reviewer."""
    with Store(f"sqlite:///{db}") as store:
        for item_id in item_ids:
            if store.current(item_id, ANNOTATOR) is not None:
                continue
            truth = store.get_item(item_id).truth
            edit = Edit(answer=truth.answer, interval=truth.interval)
            saved = store.save_correction(item_id, ANNOTATOR, edit, status="submitted")
            store.review(saved.id, REVIEWER, "approved")


def trained(folder: Path, db: Path, labels: int, args) -> Path:
    """The start checkpoint fine-tuned on the labels so far."""
    checkpoint = folder / "checkpoint"
    if (checkpoint / CARD).is_file():
        return checkpoint
    data = folder / "data"
    run("annotate", "export", "--db", f"sqlite:///{db}", "--format", "trl-sft", "--task",
        "grounding", "--no-think", "--out", data, *Recipe.read().sampling_flags())  # fmt: skip
    run("train", "sft", "--model", args.start, "--data", data, "--out", checkpoint,
        "--max-steps", args.steps_per_label * labels, "--lr", args.lr, "--save-steps", 100_000,
        "--logging-steps", 10)  # fmt: skip
    return checkpoint


def scored(model: str, test: Path, out: Path) -> dict:
    """mIoU and its interval of `model` on the test videos (eval + score, as a user runs them)."""
    predictions = out / "predictions.jsonl"
    if not predictions.is_file():
        out.mkdir(parents=True, exist_ok=True)
        partial = out / "predictions.partial.jsonl"
        run("inference", "eval", "--csv", test / "world.csv", "--videos", test, "--task",
            "grounding", "--out", partial, "--model", model, "--no-think", "--max-new-tokens",
            MAX_NEW_TOKENS, *Recipe.read().sampling_flags())  # fmt: skip
        partial.rename(predictions)
    found = json.loads(run("inference", "score", "--csv", test / "world.csv", "--pred",
                           predictions, "--task", "grounding", "--json"))  # fmt: skip
    low, high = found["ci"]["mIoU"]
    return {"miou": found["mIoU"], "ci": (low, high)}


def cell(result: dict) -> str:
    low, high = result["ci"]
    return f"{result['miou']:5.1f} [{low:4.1f}, {high:4.1f}]"


def main() -> None:
    """Draw, pre-label, then the rounds of both strategies; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=48, help="unlabelled world videos")
    parser.add_argument("--test", type=int, default=40, help="held-out test-split videos")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=16, help="items labelled per round")
    parser.add_argument("--samples", type=int, default=4, help="sampled answers per pool item")
    parser.add_argument("--steps-per-label", type=int, default=8, help="SFT steps per label")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--start", default="world", help="the start checkpoint")
    parser.add_argument("--target", type=float, default=10.0, help="the mIoU to reach")
    parser.add_argument("--seed", type=int, default=0, help="the random order's seed")
    parser.add_argument("--work", default="var/bench-active")
    args = parser.parse_args()
    if args.rounds * args.per_round > args.pool:
        sys.exit(f"--rounds x --per-round ({args.rounds * args.per_round}) > --pool ({args.pool})")
    started = time.time()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    pool = videos(work / f"pool-{args.pool}", args.pool, "train", POOL_SEED)
    test = videos(work / f"test-{args.test}", args.test, "test")
    db = prelabelled(work, pool, args.samples)
    order = orders(db, args.seed)
    print(f"pool {args.pool} train-split videos (seeds {POOL_SEED}+), test {args.test}; start "
          f"{args.start}; {args.per_round} labels a round, {args.steps_per_label} SFT steps a "
          f"label at lr {args.lr:g}; uncertainty from {args.samples} sampled answers")  # fmt: skip
    base = scored(args.start, test, work / "round-0")
    rows = [(0, {s: base for s in STRATEGIES})]
    for strategy in STRATEGIES:
        labelled = work / f"{strategy}.db"
        if not labelled.is_file():
            shutil.copyfile(db, labelled)
    for r in range(1, args.rounds + 1):
        results = {}
        for strategy in STRATEGIES:
            labels = r * args.per_round
            folder = work / strategy / f"round-{r}"
            label(work / f"{strategy}.db", order[strategy][:labels])
            checkpoint = trained(folder, work / f"{strategy}.db", labels, args)
            results[strategy] = scored(str(checkpoint), test, folder)
        rows.append((r * args.per_round, results))
    print(f"\n{'labels':>6}  {'random mIoU [95% CI]':>24}  {'uncertain mIoU [95% CI]':>24}")
    for labels, results in rows:
        print(f"{labels:>6}  {cell(results['random']):>24}  {cell(results['uncertain']):>24}")
    for strategy in STRATEGIES:
        reached = next((n for n, res in rows if res[strategy]["miou"] >= args.target), None)
        said = f"{reached} labels" if reached is not None else "not within these rounds"
        print(f"{strategy}: mIoU {args.target:g} reached with {said}")
    print(f"({(time.time() - started) / 60:.1f} min)")


if __name__ == "__main__":
    main()
