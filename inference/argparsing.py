"""The command lines' parser: argparse that reads a negative number as a value, not a flag.

argparse takes `-1e-3` (and `-.5e2`) for an unknown option because its number pattern knows no
exponent, so `--lr -1e-3` failed with "expected one argument" instead of the config's own
"must be a number >= 0". Every entry point's parser is this class (subcommands inherit it).
"""

from __future__ import annotations

import argparse
import re

NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


class ArgumentParser(argparse.ArgumentParser):
    """argparse.ArgumentParser with exponents in its negative-number pattern."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER  # argparse reads this attribute


def add_pixel_args(parser: argparse.ArgumentParser) -> None:
    """The pixel-bound flags: --min-pixels, --max-pixels (each frame) and --total-pixels (the
    whole video's budget), defaulting to VAU-R1's (inference.core.tasks.DEFAULT_PIXELS)."""
    from inference.core.tasks import DEFAULT_PIXELS

    helps = {
        "min_pixels": "smallest frame, in pixels (a visual token is 28x28)",
        "max_pixels": "largest frame, in pixels",
        "total_pixels": "pixel budget of the whole video (total_pixels / 784 visual tokens)",
    }
    for key, text in helps.items():
        parser.add_argument(
            "--" + key.replace("_", "-"),
            type=int,
            default=DEFAULT_PIXELS[key],
            metavar="N",
            help=f"{text} (default {DEFAULT_PIXELS[key]:,})",
        )


def pixel_bounds(args: argparse.Namespace) -> dict[str, int]:
    """The pixel settings the flags of add_pixel_args name."""
    from inference.core.tasks import PIXEL_KEYS

    return {key: getattr(args, key) for key in PIXEL_KEYS}
