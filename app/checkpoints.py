"""The Model tab's work: the checkpoints trained here, and (re)loading one."""

from __future__ import annotations

from annotate.errors import InvalidInput
from app.services import Studio
from train.card import list_checkpoints


def checkpoint_rows(studio: Studio) -> list[list]:
    """The Model tab's table: local checkpoints with their training.json summaries."""
    return [summary.row() for summary in list_checkpoints(studio.settings.checkpoints)]


def load_model(studio: Studio, name: str | None, quant: str, device: str):
    """(Re)load a checkpoint from the UI; the status says how it went."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name a checkpoint: a hub id, a local directory, or 'tiny'")
    return studio.models.load(name, quant, device)
