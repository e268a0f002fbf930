"""Times in model output and reasoning: "12.5 s", "01:05", "from 3 to 5 seconds", "[1.0, 2.5]".

`parse_time` reads one time; `find_times` finds every time reference in prose. The patterns
(`NUM`, `TOKEN`, `UNIT`, `RANGE`, `BRACKET`) are shared with `inference.core.protocol`, which reads
the `<glue>` interval with them.
"""

from __future__ import annotations

import bisect
import math
import re
from typing import Any

Interval = tuple[float, float]  # (start, end) in seconds: the one interval type

# Possessive quantifiers: digit soup must not make the regexes backtrack.
NUM = r"\d++(?:\.\d++)?"
_CLOCK = r"\d++:\d{2}(?::\d{2})?(?:\.\d++)?"
TOKEN = rf"(?:{_CLOCK}|{NUM})"
# Bare "m" is left out on purpose: in prose it is metres far more often than minutes.
# A lone "s" must be lowercase: "4S store" is not four seconds.
UNIT = r"(?:\s?-?\s?(?:seconds?|secs?|minutes?|mins?)\b|(?-i:\s?s)\b)"
# "1:12 AM" is a wall-clock time, not a position in the video.
_NOT_CLOCK_TIME = r"(?!\s*(?:[ap]\.?m\b\.?))"
_MAX_SECONDS = 1e7  # larger "times" are digit soup, not video positions


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) and abs(value) < _MAX_SECONDS else None


def _clock_seconds(text: str) -> float | None:
    """Seconds of "mm:ss" or "hh:mm:ss" (fractions allowed), None when out of range."""
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        return None
    if len(parts) == 2:
        minutes, seconds = parts
        return _finite(minutes * 60 + seconds) if seconds < 60 else None
    hours, minutes, seconds = parts
    if minutes >= 60 or seconds >= 60:
        return None
    return _finite(hours * 3600 + minutes * 60 + seconds)


_PLAIN_TIME = re.compile(
    r"(-?\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)?\.?", re.I
)
_HMS_TIME = re.compile(
    r"(?:(\d+(?:\.\d+)?)\s*h(?:rs?|ours?)?)?\s*(?:(\d+(?:\.\d+)?)\s*m(?:ins?|inutes?)?)?"
    r"\s*(?:(\d+(?:\.\d+)?)\s*s(?:ecs?|econds?)?)?",
    re.I,
)


def _unit_factor(unit: str | None) -> float:
    word = (unit or "").strip(" -").lower()
    if word.startswith("h"):
        return 3600.0
    if word.startswith("m"):
        return 60.0
    return 1.0


def parse_time(text: Any) -> float | None:
    """Seconds from "12.5", "12.5s", "01:02", "00:01:02.5" or "1m30s"; None if not a time."""
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s or len(s) > 40:
        return None
    if m := _PLAIN_TIME.fullmatch(s):
        return _finite(float(m.group(1)) * _unit_factor(m.group(2)))
    if re.fullmatch(rf"{_CLOCK}\s*s?", s, re.I):
        return _clock_seconds(s.rstrip("sS ").strip())
    m = _HMS_TIME.fullmatch(s)
    if m and any(m.groups()):
        h, mi, sec = (float(g) if g else 0.0 for g in m.groups())
        return _finite(h * 3600 + mi * 60 + sec)
    return None


def _token_seconds(token: str, unit: str | None) -> float | None:
    if ":" in token:
        return _clock_seconds(token)
    return _finite(float(token) * _unit_factor(unit))


RANGE = re.compile(
    rf"(?P<lead>\b(?:from|between)\s+)?(?<![\w.:])(?P<a>{TOKEN})(?P<ua>{UNIT})?"
    rf"\s*(?P<sep>to|until|till|through|and|-|–|—|~)\s*(?P<b>{TOKEN})(?P<ub>{UNIT})?(?![\w:])",
    re.I,
)
BRACKET = re.compile(
    rf"\[\s*(?P<a>-?{TOKEN})(?P<ua>{UNIT})?\s*(?P<sep>,|;|to|-|–|—|~)\s*"
    rf"(?P<b>-?{TOKEN})(?P<ub>{UNIT})?\s*\]",
    re.I,
)
_SINGLE_RE = re.compile(
    rf"(?<![\w.:])(?:(?P<clock>{_CLOCK}){_NOT_CLOCK_TIME}(?:\s?s\b)?"
    rf"|(?P<num>{NUM})(?P<unit>{UNIT}))(?![\w:])",
    re.I,
)


def is_time_range(m: re.Match[str], text: str) -> bool:
    """A bare number pair is a time range only with a unit, a clock, decimals or from/between."""
    a, b, sep = m["a"], m["b"], m["sep"].lower()
    if sep == "and" and not (m["lead"] or "").lower().startswith("between"):
        return False
    if m["ua"] or m["ub"] or ":" in a + b or "." in a + b:
        return True
    # "from 3 to 5 people" is a count, "from 3 to 5." a time: look at the next word.
    return bool(m["lead"]) and not re.match(r"\s*[A-Za-z]", text[m.end() :])


def pair_seconds(m: re.Match[str]) -> Interval | None:
    """(start, end) seconds of a range or bracket match, the unit of one side shared."""
    unit_a, unit_b = m["ua"] or m["ub"], m["ub"] or m["ua"]
    sign_a, sign_b = m["a"].startswith("-"), m["b"].startswith("-")
    a = _token_seconds(m["a"].lstrip("-"), unit_a)
    b = _token_seconds(m["b"].lstrip("-"), unit_b)
    if a is None or b is None:
        return None
    return (-a if sign_a else a, -b if sign_b else b)


def _is_decade(m: re.Match[str]) -> bool:
    # "the 1990s" is a decade, not 33 minutes.
    num = m["num"] or ""
    return m["unit"] == "s" and len(num) == 4 and num.isdigit() and 1800 <= int(num) <= 2100


def _is_wall_clock(m: re.Match[str], text: str) -> bool:
    return re.match(_NOT_CLOCK_TIME, text[m.end() :], re.I) is None


class _Claimed:
    """Non-overlapping spans of text already read as times, sorted for quick overlap checks."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.spans, (start, start))
        return any(a < end and start < b for a, b in self.spans[max(i - 1, 0) : i + 1])

    def add(self, span: tuple[int, int]) -> None:
        bisect.insort(self.spans, span)


def find_times(text: str) -> list[Interval]:
    """Every time reference in prose, in order: ranges as (start, end), single times as (t, t)."""
    found: list[tuple[int, Interval]] = []
    claimed = _Claimed()
    for regex in (BRACKET, RANGE):
        for m in regex.finditer(text):
            if claimed.overlaps(*m.span()):
                continue
            if regex is RANGE and _is_wall_clock(m, text):
                claimed.add(m.span())  # neither end is a video position
                continue
            pair = pair_seconds(m) if regex is BRACKET or is_time_range(m, text) else None
            if pair is not None and min(pair) >= 0:  # [-1, -1] is "no time", not a time
                found.append((m.start(), pair))
                claimed.add(m.span())
    for m in _SINGLE_RE.finditer(text):
        if _is_decade(m) or claimed.overlaps(*m.span()):
            continue
        value = _token_seconds(m["clock"] or m["num"], m["unit"])
        if value is not None:
            found.append((m.start(), (value, value)))
    return [pair for _, pair in sorted(found, key=lambda item: item[0])]
