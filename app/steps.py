"""The step view: the reasoning as escaped HTML with the current step highlighted."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Protocol


class StepLike(Protocol):
    """The parts of `inference.parse.Step` the view reads."""

    index: int
    title: str | None
    text: str
    times: list[tuple[float, float]]
    span: tuple[int, int]


def clamp(index: int, count: int) -> int:
    """Keep a step index inside 0..count-1 (0 when there are no steps)."""
    return min(max(index, 0), max(count - 1, 0))


def seek_time(step: StepLike | None) -> float | None:
    """The second the player should jump to for a step: its first time reference."""
    if step is None or not step.times:
        return None
    return min(start for start, _ in step.times)


def format_times(times: Sequence[tuple[float, float]]) -> str:
    """'12.0 s, 14.5–18.0 s' for a step's time references."""
    parts = [f"{s:.1f} s" if s == e else f"{s:.1f}–{e:.1f} s" for s, e in times]
    return ", ".join(parts)


def _marked(text: str, step: StepLike) -> str:
    """The text escaped, with the step's span wrapped in <mark>; the step alone when no span."""
    start, end = step.span
    if 0 <= start < end <= len(text):
        before, body, after = text[:start], text[start:end], text[end:]
        return (
            html.escape(before)
            + f'<mark class="vau-current">{html.escape(body)}</mark>'
            + html.escape(after)
        )
    return f'<mark class="vau-current">{html.escape(step.text)}</mark>'


def _header(step: StepLike, index: int, count: int) -> str:
    title = f" · <b>{html.escape(step.title)}</b>" if step.title else ""
    times = format_times(step.times)
    chip = f' <span class="vau-chip">{html.escape(times)}</span>' if times else ""
    return f'<div class="vau-step-head">Step {index + 1} of {count}{title}{chip}</div>'


def step_html(text: str, steps: Sequence[StepLike], index: int) -> str:
    """The reasoning with step `index` highlighted; every piece of model text is escaped."""
    if not text.strip():
        return '<div class="vau-steps vau-empty">No reasoning yet: run the model on a video.</div>'
    if not steps:
        return f'<div class="vau-steps"><div class="vau-text">{html.escape(text)}</div></div>'
    index = clamp(index, len(steps))
    step = steps[index]
    return (
        f'<div class="vau-steps">{_header(step, index, len(steps))}'
        f'<div class="vau-text">{_marked(text, step)}</div></div>'
    )


def replace_step(text: str, step: StepLike, new_body: str) -> str:
    """The reasoning with one step's text replaced (the per-step editor's "apply")."""
    start, end = step.span
    if 0 <= start < end <= len(text):
        return text[:start] + new_body + text[end:]
    if step.text and step.text in text:
        return text.replace(step.text, new_body, 1)
    # The step did not come from this text: append rather than lose the edit.
    return text.rstrip() + "\n\n" + new_body


def step_source(text: str, step: StepLike) -> str:
    """The exact slice of the reasoning a step covers, for the per-step editor."""
    start, end = step.span
    if 0 <= start < end <= len(text):
        return text[start:end]
    return step.text
