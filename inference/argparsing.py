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
