"""The paper's base / SFT / RFT comparison in miniature, on the world's held-out test split.

Rows, each scored by `inference eval` + `inference score` on the same test videos, sampled as
the world recipe samples them (no <think>: the answers, not the reasoning, are scored here; at
most 64 new tokens):
- constant: the best constant answer, chosen on train-split truth (the most common QA letter,
  the most common class, the one interval in seconds with the best train mIoU);
- tiny: the random tiny checkpoint the tests use (what `make app` ran before the world model);
- poor SFT: the world recipe's SFT stages on a few videos (the paper's data-efficient setting);
- poor SFT + GRPO: that checkpoint after the recipe's GRPO stage on the same videos;
- world SFT only: the full recipe's SFT stage, where `make world-model` ran on this machine;
- world: the shipped world model (`--model world`: the full recipe, `make world-model`).

    .venv/bin/python bench/bench_world.py [--test 100] [--poor 40] [--work var/bench-world]

The poor rows train in the work folder (reused when there); the world row is the checkpoint in
assets/world-model as shipped. A toy trained on synthetic videos; not VAU-R1.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.core.metrics import classification_scores, grounding_scores, qa_accuracy  # noqa: E402
from inference.core.vaubench import read_bench_csv  # noqa: E402
from world.recipe import CARD, WORK, Recipe, Run  # noqa: E402

TASKS = ("qa", "grounding", "classification")
# A no-think answer is under 30 tokens; the random tiny would otherwise write to each task's cap.
MAX_NEW_TOKENS = 64
COLUMNS = ("QA acc", "mIoU", "R@0.3", "R@0.5", "R@0.7", "class acc", "format")


def run(*command) -> str:
    """A project CLI's stdout; its last lines on failure."""
    argv = [sys.executable, "-m", *map(str, command)]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        sys.exit(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def test_videos(work: Path, count: int) -> Path:
    """The test split's first `count` videos and their world.csv."""
    folder = work / f"test-{count}"
    if not (folder / "world.csv").is_file():
        run("world", "generate", "--out", folder, "--count", count, "--split", "test", "--jobs", 2)
    return folder


def scores(model: str, videos: Path, recipe: Recipe, work: Path, name: str) -> dict[str, float]:
    """One row: each task's held-out figures for `model` (predictions kept in the work folder)."""
    row: dict[str, float] = {}
    formats = []
    for task in TASKS:
        pred = work / "predictions" / f"{name}-{task}.jsonl"
        pred.parent.mkdir(parents=True, exist_ok=True)
        csv = videos / "world.csv"
        run("inference", "eval", "--csv", csv, "--videos", videos, "--task", task, "--model",
            model, "--no-think", *recipe.sampling_flags(), "--max-new-tokens", MAX_NEW_TOKENS,
            "--out", pred)  # fmt: skip
        got = json.loads(run("inference", "score", "--csv", csv, "--pred", pred,
                             "--task", task, "--json"))  # fmt: skip
        formats.append(got["format_rate"])
        if task == "qa":
            row["QA acc"] = got["accuracy"]
        elif task == "grounding":
            row |= {k: got[k] for k in ("mIoU", "R@0.3", "R@0.5", "R@0.7")}
        else:
            row["class acc"] = got["multiclass_accuracy"]
    row["format"] = sum(formats) / len(formats)
    return row


def constant_row(train_csv: Path, test_csv: Path) -> dict[str, float]:
    """The best constant answers on the train split's truth, scored on the test split."""
    train, test = read_bench_csv(train_csv).rows, read_bench_csv(test_csv).rows
    letter = Counter(r.correct for r in train if r.correct).most_common(1)[0][0]
    kind = Counter(r.anomaly_class for r in train if r.anomaly_class).most_common(1)[0][0]
    spans = {r.row_number: r.interval for r in train}
    grid = [(a / 2, b / 2) for a in range(0, 120) for b in range(a + 1, 121)]
    best = max(grid, key=lambda s: grounding_scores(spans, dict.fromkeys(spans, s)).miou)
    keys = [r.row_number for r in test]
    qa = qa_accuracy({r.row_number: r.correct for r in test}, dict.fromkeys(keys, letter))
    ground = grounding_scores({r.row_number: r.interval for r in test}, dict.fromkeys(keys, best))
    kinds = classification_scores({r.row_number: r.anomaly_class for r in test},
                                  dict.fromkeys(keys, kind))  # fmt: skip
    print(f"constant answers: QA {letter}, class {kind}, interval {list(best)} s")
    recall = {f"R@{t}": v for t, v in ground.recall.items()}
    return {"QA acc": qa.accuracy, "mIoU": ground.miou, **recall,
            "class acc": kinds.multiclass_accuracy, "format": 100.0}  # fmt: skip


def last_sft(recipe: Recipe) -> str:
    """The name of the recipe's last SFT stage (the checkpoint before GRPO)."""
    return [stage.name for stage in recipe.stages if stage.recipe == "sft"][-1]


def main() -> None:
    """Train the poor rows if needed, score every row, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", type=int, default=100, help="test-split videos scored")
    parser.add_argument("--poor", type=int, default=40, help="videos of the data-poor SFT")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-world")
    args = parser.parse_args()
    recipe, began = Recipe.read(), time.monotonic()
    videos = test_videos(args.work, args.test)
    poor = Run(dataclasses.replace(recipe, videos=args.poor), args.work / f"poor-{args.poor}")
    poor(args.work / f"poor-{args.poor}" / "model")
    # The constant answers are fitted on the most train truth at hand: the world model's 400
    # videos where `make world-model` ran here, else the poor rows' own.
    full_csv = ROOT / WORK / "videos" / "world.csv"
    train_csv = full_csv if full_csv.is_file() else poor.work / "videos" / "world.csv"
    rows = {"constant": constant_row(train_csv, videos / "world.csv")}
    models = {
        "tiny": "tiny",
        "poor SFT": str(poor.work / last_sft(recipe)),
        "poor SFT + GRPO": str(poor.work / recipe.stages[-1].name),
    }
    full_sft = ROOT / WORK / last_sft(recipe)  # `make world-model`'s SFT stage
    if (full_sft / CARD).is_file():
        models["world SFT only"] = str(full_sft)
    models["world"] = "world"
    for name, model in models.items():
        rows[name] = scores(model, videos, recipe, args.work, name.replace(" ", "-"))
    print(f"\n{args.test} test-split world videos; poor = {args.poor} train videos")
    print(f"{'model':<18}" + "".join(f"{c:>10}" for c in COLUMNS))
    for name, row in rows.items():
        print(f"{name:<18}" + "".join(f"{row[c]:>10.1f}" for c in COLUMNS))
    print(f"({(time.monotonic() - began) / 60:.1f} min)")


if __name__ == "__main__":
    main()
