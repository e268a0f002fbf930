"""What a checkpoint trained by the Studio's recipes says of itself in its `training.json`: how
its training videos were sampled, so that it runs on videos the way it was trained.

The rule, in one place: pixel bounds left at VAU-R1's defaults become the checkpoint's own when
its card records exactly one way of sampling (the world model: 160x120 clips at their own size);
bounds anyone sets are kept. The frame rate stays each task's (the protocol's).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from inference.core.tasks import DEFAULT_PIXELS, PIXEL_KEYS
from inference.models.named import SHIPPED

CARD = "training.json"  # what `python -m train` writes beside the weights (train.card)


def checkpoint_folder(name: str | None) -> Path | None:
    """The local folder `name` loads from (a shipped name or a directory), or None."""
    if not name:
        return None
    if name in SHIPPED:
        return SHIPPED[name].path
    folder = Path(name).expanduser()
    return folder if folder.is_dir() else None


def trained_pixels(name: str | None) -> dict[str, int] | None:
    """The pixel bounds of the checkpoint's training videos when its card records exactly one
    way of sampling them; None for any other checkpoint (a hub id, the tiny ones, a mix)."""
    folder = checkpoint_folder(name)
    card = folder / CARD if folder is not None else None
    if card is None or not card.is_file():
        return None
    return _card_pixels(str(card), card.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _card_pixels(card: str, _mtime_ns: int) -> dict[str, int] | None:
    try:
        ways = json.loads(Path(card).read_text(encoding="utf-8"))["data"]["sampling"]
        found = {tuple(int(way[key]) for key in PIXEL_KEYS) for way in ways}
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not one of our cards, or a damaged one: the usual bounds
    return dict(zip(PIXEL_KEYS, found.pop(), strict=True)) if len(found) == 1 else None


def pixels_for(pixels: dict[str, int], model: str | None) -> dict[str, int]:
    """The bounds a run of `model` uses: `pixels` as set, or the checkpoint's own when `pixels`
    are VAU-R1's defaults."""
    if dict(pixels) == DEFAULT_PIXELS:
        return trained_pixels(model) or dict(pixels)
    return dict(pixels)
