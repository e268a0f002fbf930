"""Parse untrusted model output into a Result: think, answer, interval, format check, steps.

Everything here is defensive: `parse_response` returns a Result for any input and never raises
on the text. Rules worth knowing (the tests spell each one out):

- Tags are found case-insensitively and with missing closing tags: `<think>` runs to `</think>`,
  or else to the next `<answer>`/`<glue>`, or else to the end; `<answer>` likewise.
  A lone `</think>` (a template that pre-fills `<think>`) makes everything before it the think.
- `format_ok` is the RFT format reward, strictly: lowercase tags, the whole output (ignoring
  surrounding whitespace and trailing chat special tokens) must match
  think: `<think>.*?</think>\\s*<answer>.*?</answer>`, grounding adding `\\s*<glue>[s, e]</glue>`;
  no-think: `<answer>.*?</answer>`, grounding only `<glue>[s, e]</glue>`;
  `s` and `e` plain seconds with `s <= e`. Description (free prose) passes when it is non-empty
  and tag-free, or ends with a well-formed think/answer block after tag-free prose.
  `parse_response(..., think=None)` accepts either variant; True/False demands one.
- `interval` is sorted even when the model wrote start > end (format_ok then says False);
  it is None for Normal, for `[-1, -1]` or any negative time, for `[0, 0]` (VAU-Bench's
  Normal sentinel) and when nothing is found. Only grounding searches free text for it; the
  other tasks take it from an explicit `<glue>` only.
- `answer` per task: QA a letter A-D (the reference fallback order: `<answer>X`, `<X>`, the
  last standalone letter after `</think>`, the last anywhere); grounding "Anomaly"/"Normal"
  (stated, else implied by the interval); classification one of the 20 canonical classes found
  first in `<answer>` (else after the think); description all text outside think and glue.
- Steps come from the think text (description: every stretch of text between tags), with spans
  in `Result.raw`; `Step.index` counts from 0. A dict-string section's span covers the value's
  source inside its quotes, so it may differ from the decoded `text` (escapes, lists).
"""

from __future__ import annotations

import ast
import bisect
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from inference.tasks import GROUNDING_ANSWERS, check_task, find_class

SECTIONS: tuple[str, ...] = (
    "Specific Anomaly Type",
    "Location",
    "Key Evidence",
    "Detailed Explanation",
    "Cause and Effect",
    "Conclusion",
)

Interval = tuple[float, float]


@dataclass(frozen=True)
class Step:
    """One reasoning step: its section title (if any), text, time references and span."""

    index: int
    title: str | None
    text: str
    times: list[Interval] = field(default_factory=list)
    span: tuple[int, int] = (-1, -1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (tuples become lists)."""
        return {
            "index": self.index,
            "title": self.title,
            "text": self.text,
            "times": [list(t) for t in self.times],
            "span": list(self.span),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        """Inverse of to_dict."""
        times = [(float(a), float(b)) for a, b in data.get("times") or []]
        span = data.get("span") or (-1, -1)
        return cls(data["index"], data.get("title"), data["text"], times, (span[0], span[1]))


@dataclass(frozen=True)
class Result:
    """What a model output means for its task."""

    task: str
    raw: str
    think: str | None
    answer: str | None
    interval: Interval | None
    format_ok: bool
    steps: list[Step]
    answer_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field."""
        return {
            "task": self.task,
            "raw": self.raw,
            "think": self.think,
            "answer": self.answer,
            "answer_text": self.answer_text,
            "interval": list(self.interval) if self.interval else None,
            "format_ok": self.format_ok,
            "steps": [s.to_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Inverse of to_dict (for results stored as JSON)."""
        interval = data.get("interval")
        return cls(
            task=data["task"],
            raw=data.get("raw") or "",
            think=data.get("think"),
            answer=data.get("answer"),
            interval=(float(interval[0]), float(interval[1])) if interval else None,
            format_ok=bool(data.get("format_ok")),
            steps=[Step.from_dict(s) for s in data.get("steps") or []],
            answer_text=data.get("answer_text"),
        )


# ---------------------------------------------------------------------------------------------
# Times

# Possessive quantifiers: digit soup must not make the regexes backtrack.
_NUM = r"\d++(?:\.\d++)?"
_CLOCK = r"\d++:\d{2}(?::\d{2})?(?:\.\d++)?"
_TOKEN = rf"(?:{_CLOCK}|{_NUM})"
# Bare "m" is left out on purpose: in prose it is metres far more often than minutes.
# A lone "s" must be lowercase: "4S store" is not four seconds.
_UNIT = r"(?:\s?-?\s?(?:seconds?|secs?|minutes?|mins?)\b|(?-i:\s?s)\b)"
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


_RANGE_RE = re.compile(
    rf"(?P<lead>\b(?:from|between)\s+)?(?<![\w.:])(?P<a>{_TOKEN})(?P<ua>{_UNIT})?"
    rf"\s*(?P<sep>to|until|till|through|and|-|–|—|~)\s*(?P<b>{_TOKEN})(?P<ub>{_UNIT})?(?![\w:])",
    re.I,
)
_BRACKET_RE = re.compile(
    rf"\[\s*(?P<a>-?{_TOKEN})(?P<ua>{_UNIT})?\s*(?P<sep>,|;|to|-|–|—|~)\s*"
    rf"(?P<b>-?{_TOKEN})(?P<ub>{_UNIT})?\s*\]",
    re.I,
)
_SINGLE_RE = re.compile(
    rf"(?<![\w.:])(?:(?P<clock>{_CLOCK}){_NOT_CLOCK_TIME}(?:\s?s\b)?"
    rf"|(?P<num>{_NUM})(?P<unit>{_UNIT}))(?![\w:])",
    re.I,
)


def _is_time_range(m: re.Match[str], text: str) -> bool:
    """A bare number pair is a time range only with a unit, a clock, decimals or from/between."""
    a, b, sep = m["a"], m["b"], m["sep"].lower()
    if sep == "and" and not (m["lead"] or "").lower().startswith("between"):
        return False
    if m["ua"] or m["ub"] or ":" in a + b or "." in a + b:
        return True
    # "from 3 to 5 people" is a count, "from 3 to 5." a time: look at the next word.
    return bool(m["lead"]) and not re.match(r"\s*[A-Za-z]", text[m.end() :])


def _pair(m: re.Match[str]) -> Interval | None:
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
    for regex in (_BRACKET_RE, _RANGE_RE):
        for m in regex.finditer(text):
            if claimed.overlaps(*m.span()):
                continue
            if regex is _RANGE_RE and _is_wall_clock(m, text):
                claimed.add(m.span())  # neither end is a video position
                continue
            pair = _pair(m) if regex is _BRACKET_RE or _is_time_range(m, text) else None
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


# ---------------------------------------------------------------------------------------------
# Steps

_Piece = tuple[str | None, str, tuple[int, int]]  # title, text, span


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of text[start:end] without its surrounding whitespace."""
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return start, start
    lead = len(chunk) - len(chunk.lstrip())
    return start + lead, start + lead + len(stripped)


def _piece(text: str, start: int, end: int, title: str | None) -> _Piece:
    a, b = _strip_span(text, start, end)
    return title, text[a:b], (a, b)


def _name_pattern(name: str) -> str:
    words = [r"(?:and|&)" if w == "and" else re.escape(w) for w in name.split()]
    return r"[ \t]+".join(words)


_NAMES = "|".join(_name_pattern(s) for s in SECTIONS)
_BY_NAME = {s.lower(): s for s in SECTIONS}


def _section_name(found: str) -> str | None:
    key = re.sub(r"\s+", " ", found.replace("&", "and")).strip().lower()
    return _BY_NAME.get(key)


# Strongest first: a `###` heading beats a bold label, which beats a plain "Name:" line.
_HEADINGS = (
    re.compile(
        rf"(?<!\S)#{{1,6}}[ \t]*(?:\*\*)?[ \t]*(?P<name>{_NAMES})(?![A-Za-z])"
        r"[ \t]*(?:\*\*)?[ \t]*:?(?:[ \t]*\*\*)?",
        re.I,
    ),
    re.compile(
        rf"(?<!\S)(?:(?:\d{{1,2}}[.)]|[-*•])[ \t]+)?\*\*[ \t]*(?P<name>{_NAMES})[ \t]*:?[ \t]*\*\*"
        r"[ \t]*:?",
        re.I,
    ),
    re.compile(rf"^[ \t]*(?:(?:\d{{1,2}}[.)]|[-*•])[ \t]+)?(?P<name>{_NAMES})[ \t]*:", re.I | re.M),
)


def _section_heads(text: str) -> list[re.Match[str]]:
    """The first heading of each section name, at the strongest level that has one."""
    chosen: dict[str, re.Match[str]] = {}
    for regex in _HEADINGS:
        level: dict[str, re.Match[str]] = {}
        for m in regex.finditer(text):
            name = _section_name(m["name"])
            if name and name not in level:
                level[name] = m
        for name, m in level.items():
            chosen.setdefault(name, m)
    return sorted(chosen.values(), key=lambda m: m.start())


def _with_preamble(text: str, first: int, pieces: list[_Piece]) -> list[_Piece]:
    if text[:first].strip():
        return [_piece(text, 0, first, None), *pieces]
    return pieces


def _markdown_sections(text: str) -> list[_Piece]:
    """Sections written as `### Name`, `**Name**:` or `Name:` lines; repeats stay in the text."""
    heads = _section_heads(text)
    if len(heads) < 2:
        return []
    pieces = []
    for i, m in enumerate(heads):
        stop = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        pieces.append(_piece(text, m.end(), stop, _section_name(m["name"])))
    return _with_preamble(text, heads[0].start(), pieces)


_DICT_KEY = re.compile(r"""(?P<lead>[{,])\s*(?P<q>['"])(?P<key>[^'"\n]{1,80})(?P=q)\s*:\s*""")
_LITERAL_LIMIT = 200_000  # literal_eval is safe but not free; model output is never this long


def _literal(source: str) -> Any:
    """ast.literal_eval, or None when the source is not a Python literal."""
    if len(source) > _LITERAL_LIMIT:
        return None
    try:
        return ast.literal_eval(source)
    except Exception:  # SyntaxError, ValueError, MemoryError, RecursionError, ...
        return None


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item).strip() for item in value)
    return "" if value is None else str(value).strip()


def _unquote(source: str) -> tuple[str, int, int]:
    """The value source without its quotes (a truncated string keeps its tail)."""
    if len(source) >= 2 and source[0] in "'\"" and source[-1] == source[0]:
        return source[1:-1], 1, 1
    if source[:1] in ("'", '"'):
        return source[1:], 1, 0
    return source, 0, 0


def _dict_value(source: str, start: int, decoded: Any) -> tuple[str, tuple[int, int]]:
    inner, cut_start, cut_end = _unquote(source)
    span = (start + cut_start, start + len(source) - cut_end)
    if decoded is None:
        decoded = _literal(source)
    return (_value_text(decoded) if decoded is not None else inner.strip()), span


def _dict_sections(text: str) -> list[_Piece]:
    """Sections of a Python-dict string; the other keys of the dict are left out."""
    keys = list(_DICT_KEY.finditer(text))
    starts = [i for i, m in enumerate(keys) if m["lead"] == "{" and _section_name(m["key"])]
    if not starts:
        return []
    keys = keys[starts[0] :]
    if len({_section_name(m["key"]) for m in keys} - {None}) < 2:
        return []
    close = text.rfind("}")
    end_of_dict = close if close > keys[-1].end() else len(text)
    whole = _literal(text[keys[0].start() : end_of_dict + 1])
    decoded = whole if isinstance(whole, dict) else {}
    pieces: list[_Piece] = []
    seen: set[str] = set()
    for i, m in enumerate(keys):
        name = _section_name(m["key"])
        if name is None or name in seen:
            continue
        seen.add(name)
        stop = keys[i + 1].start() if i + 1 < len(keys) else end_of_dict
        a, b = _strip_span(text, m.end(), stop)
        body, span = _dict_value(text[a:b], a, decoded.get(m["key"]))
        pieces.append((name, body, span))
    return pieces


_NUMBER_MARK = re.compile(r"(?<!\S)(?:step[ \t]*)?(?P<n>\d{1,2})(?:[.)]|[ \t]*:)[ \t]+(?=\S)", re.I)
_BULLET_MARK = re.compile(r"^[ \t]*[-*•][ \t]+(?=\S)", re.M)
_LABEL = re.compile(r"\*\*(?P<label>[^*\n]{1,60}?)[ \t]*:?[ \t]*\*\*[ \t]*:?")


def _numbered_marks(text: str) -> list[re.Match[str]]:
    """Markers numbered 1, 2, 3, ... in order (so "costs 3. The" does not start a step)."""
    chain: list[re.Match[str]] = []
    for m in _NUMBER_MARK.finditer(text):
        n = int(m["n"])
        if n == 1 and len(chain) <= 1:
            chain = [m]
        elif n == len(chain) + 1 and chain:
            chain.append(m)
    return chain


def _list_items(text: str) -> list[_Piece]:
    """Numbered (`1.`, `Step 1:`) or bulleted items; a bold lead label becomes the title."""
    marks = _numbered_marks(text)
    if len(marks) < 2:
        marks = list(_BULLET_MARK.finditer(text))
    if len(marks) < 2:
        return []
    pieces = []
    for i, m in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        label = _LABEL.match(text, m.end())
        start = label.end() if label else m.end()
        pieces.append(_piece(text, start, stop, label["label"].strip() if label else None))
    return _with_preamble(text, marks[0].start(), pieces)


_SENTENCE_GAP = re.compile(
    r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|(?<=[.!?][\"')\]])\s+(?=[\"'(\[]?[A-Z0-9])|\s*\n\s*"
)


def _sentences(text: str) -> list[_Piece]:
    pieces, start = [], 0
    for gap in [*_SENTENCE_GAP.finditer(text), None]:
        stop = gap.start() if gap else len(text)
        if text[start:stop].strip():
            pieces.append(_piece(text, start, stop, None))
        start = gap.end() if gap else stop
    return pieces


def split_steps(text: Any) -> list[Step]:
    """Split reasoning into steps: six VAU-Bench sections, else list items, else sentences."""
    if not isinstance(text, str) or not text.strip():
        return []
    pieces: list[_Piece] = []
    for splitter in (_dict_sections, _markdown_sections, _list_items, _sentences):
        pieces = splitter(text)
        if pieces:
            break
    return [
        Step(i, title, body, find_times(body), span) for i, (title, body, span) in enumerate(pieces)
    ]


# ---------------------------------------------------------------------------------------------
# Tags

_OPEN = {n: re.compile(rf"<\s*{n}\s*>", re.I) for n in ("think", "answer", "glue")}
_CLOSE = {n: re.compile(rf"<\s*/\s*{n}\s*>", re.I) for n in ("think", "answer", "glue")}
_ANY_TAG = re.compile(r"<\s*/?\s*(?:think|answer|glue)\s*>", re.I)


@dataclass(frozen=True)
class _Block:
    """A tag's content as offsets in the text, and where the text after the block starts."""

    opened_at: int
    start: int
    end: int
    after: int
    closed: bool


def _block(text: str, name: str, start: int = 0) -> _Block | None:
    """The first `<name>` block from `start`; unclosed, it runs to the next tag or the end."""
    m = _OPEN[name].search(text, start)
    if m is None:
        return None
    close = _CLOSE[name].search(text, m.end())
    if close:
        return _Block(m.start(), m.end(), close.start(), close.end(), True)
    stop = _ANY_TAG.search(text, m.end())
    end = stop.start() if stop else len(text)
    return _Block(m.start(), m.end(), end, end, False)


def _think_block(text: str) -> _Block | None:
    block = _block(text, "think")
    if block is None and (close := _CLOSE["think"].search(text)):
        # The chat template may have opened <think> for the model.
        return _Block(0, 0, close.start(), close.end(), True)
    return block


def _answer_block(text: str, think: _Block | None) -> _Block | None:
    """The first <answer> after the think block, else the first anywhere."""
    if think is not None and (block := _block(text, "answer", think.after)):
        return block
    return _block(text, "answer")


def _content(text: str, block: _Block | None) -> str | None:
    return None if block is None else text[block.start : block.end].strip()


def _mask_tags(text: str) -> str:
    """Tags replaced by spaces, so offsets still point into the original text."""
    return _ANY_TAG.sub(lambda m: " " * len(m.group()), text)


def _glue_blocks(text: str) -> list[_Block]:
    blocks, start = [], 0
    while block := _block(text, "glue", start):
        blocks.append(block)
        start = max(block.after, block.start)
    return blocks


@dataclass(frozen=True)
class _Parts:
    text: str
    think: _Block | None
    answer_text: str | None
    tail: str  # the text after the think block (all of it when there is none)


# ---------------------------------------------------------------------------------------------
# Intervals

_GLUE_PAIR = re.compile(
    rf"\[?\s*(?<![\d.])(?P<a>-?{_TOKEN})(?P<ua>{_UNIT})?\s*(?P<sep>,|;|to|-|–|—|~)\s*"
    rf"(?P<b>-?{_TOKEN})(?P<ub>{_UNIT})?\s*\]?",
    re.I,
)


def _glue_pair(text: str) -> Interval | None:
    """The pair in the last <glue> that holds one (closing tag optional)."""
    found = None
    for block in _glue_blocks(text):
        m = _GLUE_PAIR.search(text, block.start, block.end)
        found = (_pair(m) if m else None) or found
    return found


def _last_pair(text: str, regex: re.Pattern[str]) -> Interval | None:
    found = None
    for m in regex.finditer(text):
        if regex is _RANGE_RE and not _is_time_range(m, text):
            continue
        found = _pair(m) or found
    return found


def _find_pair(parts: _Parts, task: str) -> Interval | None:
    """The raw (unsorted, maybe sentinel) interval, searched from most to least explicit."""
    pair = _glue_pair(parts.text)
    if pair is not None or task != "grounding":
        return pair
    think = "" if parts.think is None else parts.text[parts.think.start : parts.think.end]
    for source in (_mask_tags(parts.tail), think):
        for regex in (_BRACKET_RE, _RANGE_RE):
            if (pair := _last_pair(source, regex)) is not None:
                return pair
    return None


def _clean_interval(pair: Interval | None) -> Interval | None:
    """Sorted interval, or None for a sentinel: negative times or [0, 0]."""
    if pair is None or min(pair) < 0 or pair == (0.0, 0.0):
        return None
    return (min(pair), max(pair))


# ---------------------------------------------------------------------------------------------
# Answers

_LETTER_ALONE = re.compile(r"[\s(\[*]*([A-Da-d])[\s.)\]*:]*")
_LETTER_LEAD = re.compile(r"\s*[(\[]?([A-D])(?:[.):\]]|\s*$)")
_LETTER = re.compile(r"\b([A-D])\b")
_ANGLE_LETTER = re.compile(r"<([A-D])>")


def _qa_answer(parts: _Parts) -> str | None:
    """Reference order: <answer>X, then <X>, then the last letter after </think>, then any."""
    if parts.answer_text:
        if m := _LETTER_ALONE.fullmatch(parts.answer_text):
            return m[1].upper()
        if m := _LETTER_LEAD.match(parts.answer_text):
            return m[1]
        if letters := _LETTER.findall(parts.answer_text):
            return letters[-1]
    if m := _ANGLE_LETTER.search(parts.text):
        return m[1]
    if parts.think is not None and parts.think.closed and (letters := _LETTER.findall(parts.tail)):
        return letters[-1]
    letters = _LETTER.findall(parts.text)
    return letters[-1] if letters else None


_NORMAL_WORDS = re.compile(
    r"\b(?:no|not\s+an?|without(?:\s+any)?)\s+(?:signs?\s+of\s+(?:an?\s+)?)?(?:anomal|abnormal)\w*"
    r"|\bnormal\b",
    re.I,
)
_ANOMALY_WORDS = re.compile(r"\bnot\s+normal\b|\b(?:anomal|abnormal)\w*", re.I)


def _grounding_word(text: str | None) -> str | None:
    """Anomaly or Normal from free text: the earlier of the two kinds of wording wins."""
    if not text:
        return None
    if (m := _LETTER_ALONE.fullmatch(text)) and m[1].upper() in "AB":
        return GROUNDING_ANSWERS["AB".index(m[1].upper())]
    normal, anomaly = _NORMAL_WORDS.search(text), _ANOMALY_WORDS.search(text)
    if normal and (anomaly is None or normal.start() < anomaly.start()):
        return "Normal"
    return "Anomaly" if anomaly else None


def _grounding_answer(parts: _Parts, pair: Interval | None) -> str | None:
    """The stated answer, else what the interval implies: a real one Anomaly, a sentinel Normal."""
    word = _grounding_word(parts.answer_text) or _grounding_word(_mask_tags(parts.tail))
    if word or pair is None:
        return word
    if _clean_interval(pair):
        return "Anomaly"
    both_negative, both_zero = max(pair) < 0, pair == (0.0, 0.0)
    return "Normal" if both_negative or both_zero else None  # [-3, 5] says nothing


def _classification_answer(parts: _Parts) -> str | None:
    return find_class(parts.answer_text) or find_class(_mask_tags(parts.tail))


def _regions(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets of the non-blank stretches of text[start:end] between tags."""
    end = len(text) if end is None else end
    cuts = [start, *(x for m in _ANY_TAG.finditer(text, start, end) for x in m.span()), end]
    spans = (_strip_span(text, a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True))
    return [(a, b) for a, b in spans if b > a]


def _description_answer(parts: _Parts) -> str | None:
    """Everything outside the think and glue blocks (both turns), tags removed."""
    skipped = sorted(
        [*_glue_blocks(parts.text), *([parts.think] if parts.think else [])],
        key=lambda b: b.opened_at,
    )
    pieces, start = [], 0
    for block in [*skipped, None]:
        stop = block.opened_at if block else len(parts.text)
        pieces += [parts.text[a:b] for a, b in _regions(parts.text, start, max(start, stop))]
        start = max(start, block.after) if block else stop
    return "\n\n".join(pieces) or None


# ---------------------------------------------------------------------------------------------
# Format (the RFT format reward)

_THINK_FORMAT = r"<think>.*?</think>\s*<answer>.*?</answer>"
_GLUE_FORMAT = rf"<glue>\s*\[\s*(?P<s>-?{_NUM})\s*,\s*(?P<e>-?{_NUM})\s*\]\s*</glue>"
_PROSE = r"(?:(?!(?i:<\s*/?\s*(?:think|answer|glue)\s*>)).)*"  # tag-free turn-one text
_FORMATS: dict[tuple[str, bool], re.Pattern[str]] = {
    ("qa", True): re.compile(_THINK_FORMAT, re.S),
    ("qa", False): re.compile(r"<answer>.*?</answer>", re.S),
    ("classification", True): re.compile(_THINK_FORMAT, re.S),
    ("classification", False): re.compile(r"<answer>.*?</answer>", re.S),
    ("grounding", True): re.compile(_THINK_FORMAT + r"\s*" + _GLUE_FORMAT, re.S),
    ("grounding", False): re.compile(_GLUE_FORMAT),
    ("description", True): re.compile(_PROSE + _THINK_FORMAT, re.S),
}
_TRAILING_SPECIAL = re.compile(r"(?:\s*<\|[a-z_]+\|>)+\s*$")


def _matches_format(text: str, task: str, think: bool) -> bool:
    if task == "description" and not think:
        return bool(text) and _ANY_TAG.search(text) is None
    m = _FORMATS[task, think].fullmatch(text)
    if m is None:
        return False
    return task != "grounding" or float(m["s"]) <= float(m["e"])


def matches_format(text: str, task: str, think: bool | None = None) -> bool:
    """The RFT format rule for `task` (think=None: either the think or the no-think variant)."""
    check_task(task)
    if not isinstance(text, str):
        return False
    stripped = _TRAILING_SPECIAL.sub("", text).strip()
    modes = (True, False) if think is None else (think,)
    return any(_matches_format(stripped, task, mode) for mode in modes)


# ---------------------------------------------------------------------------------------------
# Putting it together


def _steps(text: str, task: str, think: _Block | None) -> list[Step]:
    """Steps of the think text (description: of each stretch between tags), spans in `text`."""
    if task == "description":
        regions = _regions(text)
    else:
        regions = [] if think is None else [(think.start, think.end)]
    steps: list[Step] = []
    for start, end in regions:
        for step in split_steps(text[start:end]):
            span = (step.span[0] + start, step.span[1] + start)
            steps.append(replace(step, index=len(steps), span=span))
    return steps


def _answer(parts: _Parts, task: str, pair: Interval | None) -> str | None:
    if task == "qa":
        return _qa_answer(parts)
    if task == "grounding":
        return _grounding_answer(parts, pair)
    if task == "classification":
        return _classification_answer(parts)
    return _description_answer(parts)


def parse_response(text: Any, task: str, think: bool | None = None) -> Result:
    """Parse one model output for `task`; never raises on the text (non-str reads as empty).

    `think` narrows format_ok to the think (True) or no-think (False) rule; None accepts either.
    """
    check_task(task)
    if not isinstance(text, str) or not text.strip():
        raw = text if isinstance(text, str) else ""
        return Result(task, raw, None, None, None, False, [], None)
    think_block = _think_block(text)
    answer_block = _answer_block(text, think_block)
    parts = _Parts(
        text=text,
        think=think_block,
        answer_text=_content(text, answer_block),
        tail=text[think_block.after :] if think_block else text,
    )
    pair = _find_pair(parts, task)
    answer = _answer(parts, task, pair)
    interval = None if task == "grounding" and answer == "Normal" else _clean_interval(pair)
    return Result(
        task=task,
        raw=text,
        think=_content(text, think_block),
        answer=answer,
        interval=interval,
        format_ok=matches_format(text, task, think),
        steps=_steps(text, task, think_block),
        answer_text=parts.answer_text,
    )
