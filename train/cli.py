"""`python -m train sft|grpo`: flags and YAML in, a checkpoint folder out; errors as one line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from inference.argparsing import ArgumentParser
from inference.errors import StudioError
from train.config import add_arguments, from_args
from train.stopping import STOPPED_EXIT, Stopped, listen_for_stop


def _recipes() -> dict[str, Callable]:
    from train.grpo import grpo  # torch and TRL load only when a recipe runs
    from train.sft import sft

    return {"sft": sft, "grpo": grpo}


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per recipe, every config field a flag."""
    top = ArgumentParser(prog="python -m train", description=__doc__)
    sub = top.add_subparsers(dest="recipe", required=True)
    helps = {
        "sft": "supervised fine-tuning on a trl-sft export",
        "grpo": "GRPO with VAU-R1's rewards on a trl-grpo export (start from an SFT checkpoint)",
    }
    for name, text in helps.items():
        add_arguments(sub.add_parser(name, help=text, description=text), name)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one recipe; a StudioError becomes one line on stderr and exit code 2, a stop asked for
    by SIGTERM exit code 3 after a resumable checkpoint is saved."""
    args = parser().parse_args(argv)
    # bitsandbytes warns at import that it cannot download a CPU kernel; nothing is downloaded.
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
    listen_for_stop()
    try:
        config = from_args(args.recipe, args)
        out: Path = _recipes()[args.recipe](config)
    except Stopped as stopped:
        print(f"stopped: {stopped}", file=sys.stderr)
        return STOPPED_EXIT
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if os.environ.get("RANK", "0") == "0":  # one line, also under torchrun / accelerate
        print(f"checkpoint: {out} (load it with --model {out})")
    return 0
