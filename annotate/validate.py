"""Checks and normalises what an annotator saves, per task, before it reaches the database."""

from __future__ import annotations

import math
from dataclasses import replace

from annotate.errors import InvalidInput
from annotate.records import Edit, Interval, StepText
from annotate.schema import STATUSES
from inference.core import protocol
from inference.core.steps import split_steps
from inference.core.tasks import CLASSES, GROUNDING_ANSWERS, TASKS, canonical_class
from inference.core.vaubench import parse_correct

MAX_NAME = 128
# The longest text a correction field takes, in characters: far above any real answer (a
# VAU-R1 reasoning runs to a few thousand), far below what would slow every read of the item.
MAX_TEXT = {"answer": 8_000, "reasoning": 40_000, "comment": 4_000, "class": 100}
DURATION_SLACK_S = 0.05  # container durations are rounded; an end this close is the last frame
SECONDS_DECIMALS = 3  # a corrected time is kept to the millisecond, far finer than a frame
SAVE_STATUSES = ("draft", "submitted")  # what an annotator may save; reviews set the others
REVIEW_STATUSES = ("approved", "rejected")


def clean_name(name: str | None, what: str = "annotator") -> str:
    """A user name trimmed of spaces; refuse empty or overlong names."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise InvalidInput(f"{what} name is empty")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"{what} name is longer than {MAX_NAME} characters")
    return cleaned


def check_status(status: str, allowed: tuple[str, ...] = STATUSES) -> str:
    """Return `status` if allowed, else raise InvalidInput naming the choices."""
    if status not in allowed:
        raise InvalidInput(f"unknown status {status!r}; choose one of {', '.join(allowed)}")
    return status


def check_demo_run(run_id: int, run_item_id: int, run_settings: dict, item_id: int) -> None:
    """A run the demo may replay for item `item_id`: one of that item's, run to the end."""
    if run_item_id != item_id:
        raise InvalidInput(f"run {run_id} is item {run_item_id}'s, not item {item_id}'s")
    if (run_settings or {}).get("stopped"):
        raise InvalidInput(f"run {run_id} was stopped part-way; the demo replays complete runs")


def check_task(task: str) -> str:
    """Return `task` if it is one of the four tasks, else raise InvalidInput."""
    if task not in TASKS:
        raise InvalidInput(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return task


def seconds(value: float) -> float:
    """A time as the store keeps it (SECONDS_DECIMALS places)."""
    return round(float(value), SECONDS_DECIMALS)


def clean_interval(interval: object, duration: float | None = None) -> Interval | None:
    """Two finite times 0 <= start < end, within the video when its duration is known, kept to
    the millisecond.

    A Normal marker (`[-1, -1]`, `[0, 0]`) means no interval. Refusals start with the field.
    """
    if interval is None:
        return None
    if isinstance(interval, tuple | list) and len(interval) == 2 and interval.count(None) == 1:
        raise InvalidInput("give both the start and the end of the interval, or neither")
    try:
        start, end = (float(x) for x in interval)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise InvalidInput(f"interval: two times in seconds, got {interval!r}") from None
    if (start, end) in protocol.NO_SPAN:
        return None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise InvalidInput(f"interval: times must be finite numbers, got [{start}, {end}]")
    if start < 0:
        raise InvalidInput(f"interval: start {start:g} s is before the video starts (0 s)")
    if not start < end:
        raise InvalidInput(f"interval: start {start:g} s must come before end {end:g} s")
    if duration is not None and end > duration + DURATION_SLACK_S:
        raise InvalidInput(f"interval: end {end:g} s is after the video ends ({duration:g} s)")
    start, end = seconds(start), seconds(end)
    if not start < end:  # closer than a millisecond
        raise InvalidInput(f"interval: start {start:g} s must come before end {end:g} s")
    return (start, end)


def clean_class(name: str | None) -> str | None:
    """The canonical spelling of a class name; refuse names outside the 20 classes."""
    if name is None or not name.strip():
        return None
    canonical = canonical_class(name)
    if canonical is None:
        raise InvalidInput(f"unknown class {name!r}; choose one of {', '.join(CLASSES)}")
    return canonical


def clean_edit(task: str, edit: Edit, status: str, duration: float | None = None) -> Edit:
    """Normalise `edit` for `task` (letter, class, Anomaly/Normal); submitted work must be whole.

    `duration` (seconds, when known) bounds the interval.
    """
    _check_texts(edit)
    interval = clean_interval(edit.interval, duration)
    class_name = clean_class(edit.class_name)
    answer = edit.answer if edit.answer is None or edit.answer.strip() else None
    if answer is not None and task == "qa":
        answer = _letter(answer)
    elif task == "classification":
        answer = clean_class(answer) or class_name
        if class_name is not None and answer != class_name:
            raise InvalidInput(f"answer {answer!r} and class {class_name!r} disagree")
        class_name = answer
    elif task == "grounding":
        answer = _grounding_answer(answer, interval)
    steps, reasoning = _steps_and_text(edit.steps, edit.reasoning)
    cleaned = replace(
        edit,
        answer=answer,
        interval=interval,
        class_name=class_name,
        steps=steps,
        reasoning=reasoning,
    )
    if status == "submitted":
        _check_complete(task, cleaned)
    return cleaned


def _check_texts(edit: Edit) -> None:
    """Every text field is text, and no longer than MAX_TEXT allows."""
    fields = {"answer": edit.answer, "reasoning": edit.reasoning, "comment": edit.comment,
              "class": edit.class_name}  # fmt: skip
    fields |= {f"step {i + 1}": step.text for i, step in enumerate(edit.steps or ())}
    for name, value in fields.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{name}: text expected, got {type(value).__name__}")
        limit = MAX_TEXT.get(name, MAX_TEXT["reasoning"])
        if len(value) > limit:
            raise InvalidInput(
                f"{name}: {len(value):,} characters is more than the {limit:,} this field takes"
            )


def _letter(answer: str) -> str:
    letter = parse_correct(answer)
    if letter is None:
        raise InvalidInput(f"a QA answer is one letter A-D, got {answer[:40]!r}")
    return letter


def _grounding_answer(answer: str | None, interval: Interval | None) -> str | None:
    if answer is None:
        return "Anomaly" if interval is not None else None
    by_lower = {a.lower(): a for a in GROUNDING_ANSWERS}
    canonical = by_lower.get(answer.strip().lower())
    if canonical is None:
        raise InvalidInput(f"a grounding answer is Anomaly or Normal, got {answer[:40]!r}")
    if canonical == "Normal" and interval is not None:
        raise InvalidInput("a Normal answer has no interval; clear it or answer Anomaly")
    return canonical


def _check_complete(task: str, edit: Edit) -> None:
    if edit.answer is None:
        raise InvalidInput(f"cannot submit a {task} correction without an answer")
    if task == "grounding" and edit.answer == "Anomaly" and edit.interval is None:
        raise InvalidInput("cannot submit an Anomaly answer without its interval")


def _steps_and_text(
    steps: tuple[StepText, ...] | None, reasoning: str | None
) -> tuple[tuple[StepText, ...], str | None]:
    """Keep both forms: steps split from the text, or the text joined from the steps."""
    if steps is not None:
        steps = tuple(s if isinstance(s, StepText) else StepText(**s) for s in steps)
        return steps, reasoning if reasoning is not None else join_steps(steps)
    return split_reasoning(reasoning), reasoning


def split_reasoning(text: str | None) -> tuple[StepText, ...]:
    """The steps of a reasoning text (six VAU-Bench sections, numbered lines, or sentences)."""
    if not text or not text.strip():
        return ()
    return tuple(StepText(step.title, step.text) for step in split_steps(text))


def join_steps(steps: tuple[StepText, ...]) -> str | None:
    """One text from steps: "Title: text" per step, a blank line between steps."""
    if not steps:
        return None
    return "\n\n".join(f"{s.title}: {s.text}" if s.title else s.text for s in steps)


def readable_reasoning(text: str | None) -> str | None:
    """Reasoning as prose for training: VAU-Bench's dict-string or markdown sections become
    "Title: text" paragraphs; other text is kept as written."""
    if text is None or not text.strip():
        return None
    steps = split_reasoning(text)
    if steps and all(step.title for step in steps):
        return join_steps(steps)
    return text.strip()
