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


# What each pixel bound means, for every entry point's flag (the CLIs' and the Studio's).
PIXEL_HELP: dict[str, str] = {
    "min_pixels": "smallest sampled frame, in pixels (a visual token is 28x28)",
    "max_pixels": "largest sampled frame, in pixels",
    "total_pixels": "pixel budget of a whole video (total_pixels / 784 visual tokens)",
}


def add_pixel_args(parser: argparse.ArgumentParser) -> None:
    """The pixel-bound flags: --min-pixels, --max-pixels (each frame) and --total-pixels (the
    whole video's budget), defaulting to VAU-R1's (inference.core.tasks.DEFAULT_PIXELS); read
    them back with inference.core.tasks.pixels_of(args)."""
    from inference.core.tasks import DEFAULT_PIXELS

    for key, text in PIXEL_HELP.items():
        parser.add_argument(
            "--" + key.replace("_", "-"),
            type=int,
            default=DEFAULT_PIXELS[key],
            metavar="N",
            help=f"{text} (default {DEFAULT_PIXELS[key]:,})",
        )
