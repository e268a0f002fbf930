"""The step view: the reasoning as escaped HTML with the current step highlighted."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Protocol


class StepLike(Protocol):
    """The parts of `inference.core.parse.Step` the view reads."""

    index: int
    title: str | None
    text: str
    times: list[tuple[float, float]]
    span: tuple[int, int]


def scroll_to_step_js(elem_id: str) -> str:
    """An event's js that keeps the step view's highlighted step in view inside its scrolling
    box (the last steps of a long reasoning too)."""
    return (
        f'() => {{ const mark = document.querySelector("#{elem_id} mark.vau-current");'
        ' if (mark) mark.scrollIntoView({block: "nearest"}); }'
    )


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


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+")
_BULLET = re.compile(r"^\s*([-*•]|\d+[.)])\s+")


def _marked(text: str, step: StepLike) -> str:
    """The text as light markdown (headings, bullets; everything escaped), the step's span in
    <mark>; the step alone when it has no span in the text."""
    start, end = step.span
    if not 0 <= start < end <= len(text):
        return f'<mark class="vau-current">{html.escape(step.text)}</mark>'
    lines, offset = [], 0
    for line in text.split("\n"):
        lines.append(_line_html(line, offset, (start, end)))
        offset += len(line) + 1
    return "".join(lines)


# A bullet written inline after other text ("... it. - **Cause**: ..."), as VAU-Bench's one-line
# reasoning writes them.
_INLINE_BULLET = re.compile(r"[ \t]+(?=[-*•][ \t]+\*\*)")


def _inline_headings(text: str, steps: Sequence[StepLike]) -> bool:
    """True when the text's sections are titled inline, not on lines of their own (VAU-Bench's
    reference reasoning is one line: "### Location The video ...  ### Key Evidence - ...")."""
    ends = [0] + [s.span[1] for s in steps[:-1]]
    titled = [(end, s) for end, s in zip(ends, steps, strict=True) if s.title]
    if len(titled) < 2 or not all(0 <= s.span[0] < s.span[1] <= len(text) for s in steps):
        return False
    return any("\n" not in text[end : s.span[0]] for end, s in titled[1:])


def _sections(text: str, steps: Sequence[StepLike], span: tuple[int, int]) -> str:
    """Each step as its title and its text's lines (an inline bullet starts a line)."""
    parts = []
    for step in steps:
        if step.title:
            parts.append(f'<div class="vau-h">{html.escape(step.title)}</div>')
        start, end = step.span
        for piece, at in _display_lines(text[start:end], start):
            parts.append(_line_html(piece, at, span))
    return "".join(parts)


def _display_lines(part: str, offset: int) -> list[tuple[str, int]]:
    """`part` cut into lines at newlines and before inline bullets, each with its offset."""
    lines, at = [], offset
    for line in part.split("\n"):
        cuts = [0, *(m.end() for m in _INLINE_BULLET.finditer(line)), len(line)]
        lines += [(line[a:b].rstrip(), at + a) for a, b in pairwise(cuts) if line[a:b].strip()]
        at += len(line) + 1
    return lines


def _line_html(line: str, offset: int, span: tuple[int, int]) -> str:
    """One line as a block: a section title, a bullet, or a paragraph line; marked where the
    step's span covers it."""
    if not line.strip():
        return '<div class="vau-gap"></div>'
    heading, bullet = _HEADING.match(line), _BULLET.match(line)
    cut = heading.end() if heading else 0
    body = _mark_part(line[cut:], offset + cut, span)
    if heading:
        return f'<div class="vau-h">{body.rstrip(":")}</div>'
    if bullet and bullet.group(1) in "-*•":
        rest = _mark_part(line[bullet.end() :], offset + bullet.end(), span)
        return f'<div class="vau-li">• {rest}</div>'
    return f"<div>{body}</div>"


def _mark_part(part: str, offset: int, span: tuple[int, int]) -> str:
    """`part` (starting at `offset` in the text) escaped, with its overlap with `span` marked."""
    lo, hi = max(span[0] - offset, 0), min(span[1] - offset, len(part))
    if lo >= hi:
        return html.escape(part)
    return (
        html.escape(part[:lo])
        + f'<mark class="vau-current">{html.escape(part[lo:hi])}</mark>'
        + html.escape(part[hi:])
    )


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
    body = _sections(text, steps, step.span) if _inline_headings(text, steps) else None
    return (
        f'<div class="vau-steps">{_header(step, index, len(steps))}'
        f'<div class="vau-text">{body or _marked(text, step)}</div></div>'
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
