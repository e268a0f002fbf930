"""The Model tab's work: the checkpoints trained here, and (re)loading one."""

from __future__ import annotations

from annotate.errors import InvalidInput
from app.services import Studio
from train.card import list_checkpoints


def checkpoint_rows(studio: Studio) -> list[list]:
    """The Model tab's table: local checkpoints with their training.json summaries."""
    return [summary.row() for summary in list_checkpoints(studio.settings.checkpoints)]


def checkpoint_name(name: str | None) -> str:
    """The checkpoint a field names, trimmed; InvalidInput when it names none."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name a checkpoint: a hub id, a local directory, 'world' or 'tiny'")
    return name


def memory_plan(studio: Studio, name: str | None, quant: str, device: str) -> list[str]:
    """What loading `name` and running one video at the Studio's pixel budget would take."""
    from inference.backends.plan import make_plan, plan_lines
    from inference.models.loading import LoadOptions
    from inference.video.sampling import budget_tokens

    options = LoadOptions(model=checkpoint_name(name), quant=quant, device=device)
    return plan_lines(make_plan(options, budget_tokens(studio.settings.total_pixels)))


def load_model(studio: Studio, name: str | None, quant: str, device: str):
    """(Re)load a checkpoint from the UI; the status says how it went."""
    return studio.models.load(checkpoint_name(name), quant, device)
