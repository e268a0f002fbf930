"""A field's value as the handlers need it: text, seconds, a record id, the correction form.

What the browser (or an API caller) sends is checked here, one field at a time; a value of the
wrong kind is an InvalidInput naming the field. No Gradio here.
"""

from __future__ import annotations

import math

from annotate.errors import InvalidInput
from app.state import Form


def text_or_none(value: str | None, field: str = "text") -> str | None:
    """Trimmed text, or None for an empty field; InvalidInput for what is not text (an API
    caller's number or list)."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{field}: text expected, got {type(value).__name__} {value!r:.40}")
    value = (value or "").strip()
    return value or None


def number_or_none(value, field: str = "number") -> float | None:
    """A number field's value in seconds (3 decimals), or None when empty; InvalidInput for
    what is not a finite number."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}: a number of seconds expected, got {value!r:.40}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInput(f"{field}: a finite number of seconds expected, got {value!r:.40}")
    return round(number, 3)


def form_from_fields(answer, start, end, klass, reasoning, comment) -> Form:
    """The correction fields' values as a Form (InvalidInput naming a field of a wrong type)."""
    text, number = text_or_none, number_or_none
    return Form(
        text(answer, "answer"), number(start, "start"), number(end, "end"),
        text(klass, "class"), text(reasoning, "reasoning"), text(comment, "comment"),
    )  # fmt: skip


def view_form(reasoning, start, end) -> Form:
    """The fields the step view and the timeline depend on."""
    return Form(
        reasoning=text_or_none(reasoning), start=number_or_none(start), end=number_or_none(end)
    )


def record_id(value, what: str = "item") -> int:
    """A record id from a picker (a number, or typed text from an API caller)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        text = str(value)[:40]
        raise InvalidInput(f"no {what} {text!r}; pick one from the list") from None
