"""VAU-R1's output protocol in one place: tags, intervals, Normal markers, answers, format, writer.

The grammar per task (VAU-R1.md), with think / without:

    qa, classification   <think>..</think><answer>X</answer>               <answer>X</answer>
    grounding            <think>..</think><answer>X</answer><glue>[s, e]</glue>  <glue>[s, e]</glue>
    description          prose, then <think>..</think><answer>..</answer>   prose, no tags

An interval is `[s, e]` in absolute seconds with `s <= e`; `[-1.0, -1.0]` says Normal (no
anomaly), and so does VAU-Bench's `0/0`. `format_ok` is the RFT format reward: the whole output,
stripped of surrounding whitespace, must match the grammar with lowercase tags. The text reaches
it decoded with special tokens skipped (as in training and in the engine), so `<|im_end|>` is
never part of the format. `write` produces text that `format_ok` accepts and the readers read
back to the same fields.

The readers below are defensive (the parser's building blocks): tags case-insensitive and
possibly unclosed, times in any spelling, answers found by the reference's fallback order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from inference.core.steps import strip_span
from inference.core.tasks import CLASSES, GROUNDING_ANSWERS, canonical_class, check_task, find_class
from inference.core.times import (
    BRACKET,
    NUM,
    RANGE,
    TOKEN,
    UNIT,
    Interval,
    is_time_range,
    pair_seconds,
)

TAGS: tuple[str, ...] = ("think", "answer", "glue")
NO_ANOMALY: Interval = (-1.0, -1.0)  # what the model writes for Normal; VAU-Bench: "not annotated"
BENCH_NORMAL: Interval = (0.0, 0.0)  # VAU-Bench's times for a Normal video
NO_SPAN: tuple[Interval, ...] = (NO_ANOMALY, BENCH_NORMAL)
LETTERS = "ABCD"


# --- intervals and the Normal markers ----------------------------------------------------------


def has_span(pair: tuple[float, float] | list[float] | None) -> bool:
    """True when a ground-truth pair is an anomaly span, not a Normal marker (0/0 or -1/-1)."""
    return pair is not None and tuple(float(x) for x in pair) not in NO_SPAN


def says_normal(pair: Interval | None) -> bool:
    """True when a written pair means Normal: both times negative, or 0/0."""
    return pair is not None and (max(pair) < 0 or tuple(pair) == BENCH_NORMAL)


def span(pair: Interval | None) -> Interval | None:
    """A read pair as an anomaly span (sorted), or None for a marker or a negative time."""
    if pair is None or min(pair) < 0 or tuple(pair) == BENCH_NORMAL:
        return None
    return (min(pair), max(pair))


def interval_values(interval: Interval | None) -> list[float]:
    """The interval as training data holds it: one decimal; None gives the Normal marker."""
    return [round(float(x), 1) for x in (NO_ANOMALY if interval is None else interval)]


def format_interval(interval: Interval | None) -> str:
    """`[s, e]` with one decimal, as in VAU-R1's training data; None writes the Normal marker."""
    start, end = interval_values(interval)
    return f"[{start:.1f}, {end:.1f}]"


# --- tag blocks ---------------------------------------------------------------------------------

_OPEN = {n: re.compile(rf"<\s*{n}\s*>", re.I) for n in TAGS}
_CLOSE = {n: re.compile(rf"<\s*/\s*{n}\s*>", re.I) for n in TAGS}
ANY_TAG = re.compile(r"<\s*/?\s*(?:think|answer|glue)\s*>", re.I)
# A tag still being written at the end of a stream ("<", "</thi", "<glue"): a tokenizer that
# spells a tag in several tokens, as Qwen's does, shows one for a moment otherwise.
_PARTIAL_TAG = re.compile(r"<\s*/?\s*([a-z]*)\s*$", re.I)


@dataclass(frozen=True)
class Block:
    """A tag's content as offsets in the text, and where the text after the block starts."""

    opened_at: int
    start: int
    end: int
    after: int
    closed: bool


def block(text: str, name: str, start: int = 0) -> Block | None:
    """The first `<name>` block from `start`; unclosed, it runs to the next tag or the end."""
    m = _OPEN[name].search(text, start)
    if m is None:
        return None
    close = _CLOSE[name].search(text, m.end())
    if close:
        return Block(m.start(), m.end(), close.start(), close.end(), True)
    stop = ANY_TAG.search(text, m.end())
    end = stop.start() if stop else len(text)
    return Block(m.start(), m.end(), end, end, False)


def glue_blocks(text: str) -> list[Block]:
    """Every `<glue>` block, in order."""
    blocks, start = [], 0
    while found := block(text, "glue", start):
        blocks.append(found)
        start = max(found.after, found.start)
    return blocks


def mask_tags(text: str) -> str:
    """Tags replaced by spaces, so offsets still point into the original text."""
    return ANY_TAG.sub(lambda m: " " * len(m.group()), text)


def without_partial_tag(text: str) -> str:
    """The text less a protocol tag that is still being written at its very end."""
    found = _PARTIAL_TAG.search(text)
    if found and any(name.startswith(found.group(1).lower()) for name in TAGS):
        return text[: found.start()]
    return text


def without_tags(text: str) -> str:
    """The text with its tags removed and the space around them tidied (for reading)."""
    return re.sub(r"\n{3,}", "\n\n", ANY_TAG.sub("\n", text)).strip()


def regions(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets of the non-blank stretches of text[start:end] between tags."""
    end = len(text) if end is None else end
    cuts = [start, *(x for m in ANY_TAG.finditer(text, start, end) for x in m.span()), end]
    spans = (strip_span(text, a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True))
    return [(a, b) for a, b in spans if b > a]


@dataclass(frozen=True)
class Parts:
    """An output cut along its tags: the think block, the answer's text, the text after think."""

    text: str
    think: Block | None
    answer_text: str | None
    tail: str  # the text after the think block (all of it when there is none)

    @property
    def think_text(self) -> str | None:
        """The reasoning inside `<think>`, stripped (None without a think block)."""
        return None if self.think is None else self.text[self.think.start : self.think.end].strip()


def split(text: str) -> Parts:
    """Find the think block (a lone `</think>` closes one the template opened) and the answer."""
    think = block(text, "think")
    if think is None and (close := _CLOSE["think"].search(text)):
        think = Block(0, 0, close.start(), close.end(), True)
    answer = block(text, "answer", think.after) if think is not None else None
    answer = answer or block(text, "answer")  # after the think block, else the first anywhere
    answer_text = None if answer is None else text[answer.start : answer.end].strip()
    return Parts(text, think, answer_text, text[think.after :] if think else text)


# --- reading the interval -----------------------------------------------------------------------

_GLUE_PAIR = re.compile(
    rf"\[?\s*(?<![\d.])(?P<a>-?{TOKEN})(?P<ua>{UNIT})?\s*(?P<sep>,|;|to|-|–|—|~)\s*"
    rf"(?P<b>-?{TOKEN})(?P<ub>{UNIT})?\s*\]?",
    re.I,
)


def glue_pair(text: str) -> Interval | None:
    """The raw pair in the last `<glue>` holding one (closing tag optional, any time spelling)."""
    found = None
    for glue in glue_blocks(text):
        m = _GLUE_PAIR.search(text, glue.start, glue.end)
        found = (pair_seconds(m) if m else None) or found
    return found


def _last_pair(text: str, regex: re.Pattern[str]) -> Interval | None:
    found = None
    for m in regex.finditer(text):
        if regex is RANGE and not is_time_range(m, text):
            continue
        found = pair_seconds(m) or found
    return found


def read_pair(parts: Parts, task: str) -> Interval | None:
    """The raw (unsorted, maybe Normal) pair: `<glue>` first; grounding also reads free text."""
    pair = glue_pair(parts.text)
    if pair is not None or task != "grounding":
        return pair
    for source in (mask_tags(parts.tail), parts.think_text or ""):
        for regex in (BRACKET, RANGE):
            if (pair := _last_pair(source, regex)) is not None:
                return pair
    return None


# --- reading the answer -------------------------------------------------------------------------

_LETTER_ALONE = re.compile(r"[\s(\[*]*([A-Da-d])[\s.)\]*:]*")
# An option marker leading the answer: "(b) the man", "B. Fire", "c) ...".
_LETTER_LEAD = re.compile(r"\s*(?:[(\[]([A-Da-d])[)\]]|([A-Da-d])[.):\]])")
_LETTER = re.compile(r"\b([A-D])\b")
_ANGLE_LETTER = re.compile(r"<([A-D])>")


def answer_letter(answer_text: str | None) -> str | None:
    """The option letter inside `<answer>`: a lone letter, a leading marker, else the first A-D."""
    if not answer_text:
        return None
    if m := _LETTER_ALONE.fullmatch(answer_text) or _LETTER_LEAD.match(answer_text):
        return next(g for g in m.groups() if g).upper()
    letters = _LETTER.findall(answer_text)
    return letters[0] if letters else None


def read_letter(parts: Parts) -> str | None:
    """Reference order: `<answer>`, then `<X>`, then the last letter after `</think>`, then any."""
    if letter := answer_letter(parts.answer_text):
        return letter
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


def grounding_word(text: str | None) -> str | None:
    """Anomaly or Normal from free text (or option letter A / B): the earlier wording wins."""
    if not text:
        return None
    if (m := _LETTER_ALONE.fullmatch(text)) and m[1].upper() in "AB":
        return GROUNDING_ANSWERS["AB".index(m[1].upper())]
    normal, anomaly = _NORMAL_WORDS.search(text), _ANOMALY_WORDS.search(text)
    if normal and (anomaly is None or normal.start() < anomaly.start()):
        return "Normal"
    return "Anomaly" if anomaly else None


def read_grounding(parts: Parts, pair: Interval | None) -> str | None:
    """The stated answer, else what the interval implies: a span Anomaly, a marker Normal."""
    word = grounding_word(parts.answer_text) or grounding_word(mask_tags(parts.tail))
    if word or pair is None:
        return word
    if span(pair):
        return "Anomaly"
    return "Normal" if says_normal(pair) else None  # [-3, 5] says nothing


def read_class(parts: Parts) -> str | None:
    """The first of the 20 classes named in `<answer>`, else in the text after the think."""
    return find_class(parts.answer_text) or find_class(mask_tags(parts.tail))


def read_description(parts: Parts) -> str | None:
    """Everything outside the think and glue blocks (both turns), tags removed."""
    text = parts.text
    skipped = sorted([*glue_blocks(text), *([parts.think] if parts.think else [])],
                     key=lambda b: b.opened_at)  # fmt: skip
    pieces, start = [], 0
    for found in [*skipped, None]:
        stop = found.opened_at if found else len(text)
        pieces += [text[a:b] for a, b in regions(text, start, max(start, stop))]
        start = max(start, found.after) if found else stop
    return "\n\n".join(pieces) or None


_READERS: dict[str, Callable[[Parts, Interval | None], str | None]] = {
    "qa": lambda parts, _: read_letter(parts),
    "grounding": read_grounding,
    "classification": lambda parts, _: read_class(parts),
    "description": lambda parts, _: read_description(parts),
}
ANSWER_KINDS: dict[str, str] = {
    "qa": f"a letter {'/'.join(LETTERS)}",
    "grounding": "Anomaly or Normal",
    "classification": f"one of {', '.join(CLASSES)}",
    "description": "tag-free text",
}


def read_answer(parts: Parts, task: str, pair: Interval | None) -> str | None:
    """The task's answer: a letter, Anomaly / Normal, a class, or the description's prose."""
    return _READERS[task](parts, pair)


def canonical_answer(task: str, value: str | None) -> str | None:
    """An answer in its one spelling (letter, class, Anomaly / Normal), for comparing answers."""
    if value is None or not value.strip():
        return None
    if task == "qa":
        return answer_letter(value)
    if task == "classification":
        return canonical_class(value)
    if task == "grounding":
        return {a.lower(): a for a in GROUNDING_ANSWERS}.get(value.strip().lower())
    return value.strip()


# --- the format rule (the RFT format reward) ----------------------------------------------------

_THINK = r"<think>.*?</think>\s*<answer>.*?</answer>"
_GLUE = rf"<glue>\s*\[\s*(?P<s>-?{NUM})\s*,\s*(?P<e>-?{NUM})\s*\]\s*</glue>"
_PROSE = r"(?:(?!(?i:<\s*/?\s*(?:think|answer|glue)\s*>)).)*"  # tag-free turn-one text
_GRAMMAR: dict[tuple[str, bool], re.Pattern[str]] = {
    ("qa", True): re.compile(_THINK, re.S),
    ("qa", False): re.compile(r"<answer>.*?</answer>", re.S),
    ("classification", True): re.compile(_THINK, re.S),
    ("classification", False): re.compile(r"<answer>.*?</answer>", re.S),
    ("grounding", True): re.compile(_THINK + r"\s*" + _GLUE, re.S),
    ("grounding", False): re.compile(_GLUE),
    ("description", True): re.compile(_PROSE + _THINK, re.S),
    ("description", False): re.compile(r"(?=\S)" + _PROSE, re.S),
}


def format_ok(text: object, task: str, think: bool | None = True) -> bool:
    """The RFT format rule for `task` (think=None accepts either the think or no-think variant)."""
    check_task(task)
    if not isinstance(text, str):
        return False
    stripped = text.strip()
    for variant in (True, False) if think is None else (bool(think),):
        m = _GRAMMAR[task, variant].fullmatch(stripped)
        if m and (task != "grounding" or float(m["s"]) <= float(m["e"])):
            return True
    return False


# --- the writer ---------------------------------------------------------------------------------


def _written_answer(task: str, answer: str) -> str:
    """The answer in its one spelling; ValueError when it is not one the task reads back."""
    canonical = canonical_answer(task, answer)
    if task == "qa" and canonical is not None and canonical != answer.strip().upper():
        canonical = None  # "B. Fire" is a letter to the reader, but write the letter only
    if canonical is None or ANY_TAG.search(canonical):
        raise ValueError(f"a {task} answer is {ANSWER_KINDS[task]}, got {answer[:40]!r}")
    return canonical


def _glue(answer: str, interval: Interval | None) -> str:
    if answer == "Normal":
        return f"<glue>{format_interval(None)}</glue>"
    if interval is None:
        raise ValueError("an Anomaly answer needs its interval")
    start, end = interval_values(interval)
    if not (math.isfinite(start) and math.isfinite(end)) or not 0 <= start <= end:
        raise ValueError(f"an interval needs 0 <= start <= end, got {list(interval)}")
    if (start, end) == BENCH_NORMAL:
        raise ValueError("an interval of [0.0, 0.0] reads as Normal")
    return f"<glue>{format_interval((start, end))}</glue>"


def write(
    task: str,
    answer: str,
    *,
    reasoning: str | None = None,
    interval: Interval | None = None,
    think: bool = True,
) -> str:
    """The model's reply in the protocol; the think variant needs non-empty `reasoning`.

    Without think, `reasoning` is not written. Description: `answer` is the prose; with think,
    the reasoning and answer take the second turn's tags.
    """
    check_task(task)
    answer = _written_answer(task, answer)
    if think and not (reasoning and reasoning.strip()):
        raise ValueError("the think variant needs reasoning text")
    if think and ANY_TAG.search(reasoning or ""):
        raise ValueError("reasoning cannot contain the protocol's tags")
    glue = _glue(answer, interval) if task == "grounding" else ""
    if not think:
        return glue or (answer if task == "description" else f"<answer>{answer}</answer>")
    return f"<think>{reasoning.strip()}</think><answer>{answer}</answer>{glue}"  # type: ignore[union-attr]


def description_turns(description: str, analysis: str | None) -> tuple[str, str]:
    """The two assistant turns of the description task: what happens, then why it matters."""
    return description.strip(), (analysis or "").strip()


def join_turns(*turns: str | None) -> str:
    """Assistant turns as one text, a blank line apart (what the reader gives back as prose)."""
    return "\n\n".join(t.strip() for t in turns if t and t.strip())
