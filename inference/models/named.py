"""Checkpoints known by a short name: the tiny test models built on this machine, and the world
model that ships with the repository (a toy trained on synthetic videos by `make world-model`).

Each name carries the one line that says what it is, which the CLI's help and the Studio's
header show, so nobody mistakes a toy for VAU-R1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inference.errors import ModelUnavailable

ROOT = Path(__file__).resolve().parents[2]
WORLD_DIR = ROOT / "assets" / "world-model"
WORLD_NOTE = "toy model trained on synthetic videos; not VAU-R1"


@dataclass(frozen=True)
class Shipped:
    """A checkpoint folder that ships with the code."""

    path: Path
    note: str


SHIPPED: dict[str, Shipped] = {"world": Shipped(WORLD_DIR, WORLD_NOTE)}


def names() -> dict[str, str]:
    """Every short name with what it is."""
    from inference.models.tiny import VARIANTS

    return {**{n: s.note for n, s in SHIPPED.items()}, **{n: v.help for n, v in VARIANTS.items()}}


def note_for(name: str | None) -> str:
    """What a named checkpoint is, by name or by a shipped one's folder ('' for any other)."""
    name, known = (name or "").strip(), names()
    if name in known:
        return known[name]
    folder = Path(name).expanduser()
    shipped = (s for s in SHIPPED.values() if folder.is_dir() and folder.resolve() == s.path)
    return next((s.note for s in shipped), "")


def resolve(name: str) -> str:
    """What `from_pretrained` takes for `name`: a tiny one is built offline, the world model's
    folder is checked, anything else is returned as it is."""
    from inference.models.tiny import VARIANTS, ensure_tiny

    if name in VARIANTS:
        return str(ensure_tiny(variant=name))
    if name in SHIPPED:
        path = SHIPPED[name].path
        if not (path / "config.json").is_file():
            raise ModelUnavailable(
                f"the {name} model is missing from {path}; rebuild it with `make world-model`"
            )
        return str(path)
    return name
