"""The Model tab's work: the checkpoints trained here, and (re)loading one."""

from __future__ import annotations

from annotate.errors import InvalidInput
from app.services import Studio
from train.card import list_checkpoints


def checkpoint_rows(studio: Studio) -> list[list]:
    """The Model tab's table: local checkpoints with their training.json summaries."""
    return [summary.row() for summary in list_checkpoints(studio.settings.checkpoints)]


def memory_plan(studio: Studio, name: str | None, quant: str, device: str) -> list[str]:
    """What loading `name` and running one video at the Studio's pixel budget would take."""
    from inference.backends.plan import make_plan, plan_lines
    from inference.models.loading import LoadOptions

    name = (name or "").strip()
    if not name:
        raise InvalidInput("name a checkpoint: a hub id, a local directory, or 'tiny'")
    tokens = studio.settings.total_pixels // (28 * 28)
    return plan_lines(make_plan(LoadOptions(model=name, quant=quant, device=device), tokens))


def load_model(studio: Studio, name: str | None, quant: str, device: str):
    """(Re)load a checkpoint from the UI; the status says how it went."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name a checkpoint: a hub id, a local directory, or 'tiny'")
    return studio.models.load(name, quant, device)
