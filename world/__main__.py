"""python -m world generate --out DIR (--count N [--seed S] [--kinds K,...] | --seeds S,...)
[--split train|val|test] [--force] [--jobs J]; python -m world model [--out DIR] [--work DIR]
[--recipe FILE]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from inference.errors import StudioError
from inference.models.named import WORLD_DIR, WORLD_NOTE
from world.generate import SPLITS, describe_splits, generate
from world.recipe import RECIPE, WORK


def seed_list(text: str) -> list[int]:
    """`--seeds`: whole numbers, comma-separated."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds are whole numbers: {text!r}") from None


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m world", description=__doc__.strip())
    commands = top.add_subparsers(dest="command", required=True)
    gen = commands.add_parser(
        "generate",
        help="write world videos and their VAU-Bench CSV (world.csv)",
        description=f"Video k is drawn from seed S + k. Split seed ranges: {describe_splits()}.",
    )
    gen.add_argument("--out", type=Path, required=True, help="folder for the videos and world.csv")
    which = gen.add_mutually_exclusive_group(required=True)
    which.add_argument("--count", type=int, help="how many videos")
    which.add_argument(
        "--seeds",
        type=seed_list,
        help="exactly these seeds, comma-separated (instead of --count)",
    )
    gen.add_argument("--seed", type=int, help="the first video's seed (default: the split's first)")
    gen.add_argument("--split", choices=tuple(SPLITS), help="refuse seeds outside this split")
    gen.add_argument("--force", action="store_true", help="redraw videos that are already there")
    gen.add_argument(
        "--jobs", type=int, default=1, help="videos drawn side by side, one process each"
    )
    gen.add_argument(
        "--kinds",
        type=lambda text: tuple(k.strip() for k in text.split(",") if k.strip()),
        help="only videos of these classes, comma-separated (e.g. Fire,Normal): the first "
        "--count such seeds from the start",
    )
    model = commands.add_parser(
        "model",
        help=f"train the world model by its recipe (a {WORLD_NOTE})",
        description="Runs the recipe's steps (world generate, annotate import-csv and export, "
        "train sft, train grpo) in the work folder, skipping those already done, and copies the "
        "finished checkpoint into --out.",
    )
    model.add_argument(
        "--out",
        type=Path,
        default=WORLD_DIR,
        help="where the checkpoint goes (default: assets/world-model, what --model world loads)",
    )
    model.add_argument(
        "--work",
        type=Path,
        default=WORK,
        help="the steps' videos, store, exports and checkpoints (default: var/world-model)",
    )
    model.add_argument(
        "--recipe", type=Path, default=RECIPE, help="the settings (default: %(default)s)"
    )
    return top


def say(video) -> None:
    """One line per video as it is written."""
    print(f"{video.name}  {video.row['Anomaly Class']}  {video.duration:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; a refusal is one line on stderr and exit status 2."""
    args = parser().parse_args(argv)
    began = time.monotonic()
    if args.command == "model":
        return train_model(args, began)
    try:
        manifest = generate(args.out, args.count or 0, args.seed, args.split, args.force, say,
                            args.jobs, args.kinds, args.seeds)  # fmt: skip
    except (StudioError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    count = len(args.seeds) if args.seeds else args.count
    print(f"wrote {count} videos and {manifest} in {time.monotonic() - began:.1f} s")
    return 0


def train_model(args: argparse.Namespace, began: float) -> int:
    """Follow the recipe; a failed step is its command's last lines and exit status 2."""
    from world.recipe import Recipe, Run

    try:
        Run(Recipe.read(args.recipe), args.work)(args.out)
    except (StudioError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"done in {(time.monotonic() - began) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
