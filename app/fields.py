"""A field's value as the handlers need it: text, seconds, a record id, the correction form.

What the browser (or an API caller) sends is checked here, one field at a time; a value of the
wrong kind is an InvalidInput naming the field. No Gradio here.
"""

from __future__ import annotations

import math

from annotate.errors import InvalidInput
from annotate.records import Edit


def text_or_none(value: str | None, field: str = "text") -> str | None:
    """Trimmed text, or None for an empty field; InvalidInput for what is not text (an API
    caller's number or list)."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{field}: text expected, got {type(value).__name__} {value!r:.40}")
    value = (value or "").strip()
    return value or None


def number_or_none(value, field: str = "number") -> float | None:
    """A number field's value in seconds, or None when empty; InvalidInput for what is not a
    finite number. (The store keeps it to the millisecond: annotate.validate.seconds.)"""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}: a number of seconds expected, got {value!r:.40}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInput(f"{field}: a finite number of seconds expected, got {value!r:.40}")
    return number


def interval_of(start, end) -> tuple | None:
    """The Start and End fields as one interval: None when both are empty, else the pair as
    typed (half of one is the store's to refuse, by name)."""
    start, end = number_or_none(start, "start"), number_or_none(end, "end")
    return None if start is None and end is None else (start, end)


def seconds_text(value: float | None) -> str:
    """A time as the Start and End fields show it: "6", "5.5", "4.123"; empty for none."""
    if value is None:
        return ""
    return f"{float(value):.3f}".rstrip("0").rstrip(".")


def interval_fields(interval: tuple | None) -> tuple[str, str]:
    """An interval as the Start and End fields show it (text fields: an empty one stays empty,
    where Gradio's number field shows 0)."""
    start, end = tuple(interval) if interval is not None else (None, None)
    return seconds_text(start), seconds_text(end)


def form_from_fields(answer, start, end, klass, reasoning, comment) -> Edit:
    """The correction fields' values as an Edit (InvalidInput naming a field of a wrong type)."""
    return Edit(
        answer=text_or_none(answer, "answer"),
        reasoning=text_or_none(reasoning, "reasoning"),
        interval=interval_of(start, end),
        class_name=text_or_none(klass, "class"),
        comment=text_or_none(comment, "comment"),
    )


def view_form(reasoning, start, end) -> Edit:
    """The fields the step view and the timeline depend on; a time that is not a number yet
    (mid-typing) draws no interval here, and Save names it."""
    try:
        interval = interval_of(start, end)
    except InvalidInput:
        interval = None
    return Edit(reasoning=text_or_none(reasoning), interval=interval)


def record_id(value, what: str = "item") -> int:
    """A record id from a picker (a number, or typed text from an API caller)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        text = str(value)[:40]
        raise InvalidInput(f"no {what} {text!r}; pick one from the list") from None
