"""Reasoning split into steps: VAU-Bench's six sections, else list items, else sentences.

A dict-string section's span covers the value's source inside its quotes, so it may differ
from the decoded `text` (escapes, lists). `Step.index` counts from 0.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from inference.core.times import Interval, find_times

SECTIONS: tuple[str, ...] = (
    "Specific Anomaly Type",
    "Location",
    "Key Evidence",
    "Detailed Explanation",
    "Cause and Effect",
    "Conclusion",
)


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


_Piece = tuple[str | None, str, tuple[int, int]]  # title, text, span


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of text[start:end] without its surrounding whitespace."""
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return start, start
    lead = len(chunk) - len(chunk.lstrip())
    return start + lead, start + lead + len(stripped)


def _piece(text: str, start: int, end: int, title: str | None) -> _Piece:
    a, b = strip_span(text, start, end)
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
        a, b = strip_span(text, m.end(), stop)
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
