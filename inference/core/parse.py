"""Read untrusted model output into a Result: think, answer, interval, format check, steps.

`parse_response` returns a Result for any input and never raises on the text; the rules it
applies are `inference.core.protocol`'s readers (the tests spell each one out):

- Tags are found case-insensitively and with missing closing tags; a lone `</think>` (a template
  that pre-fills `<think>`) makes everything before it the think.
- `format_ok` is `protocol.format_ok`, the RFT format reward; `think=None` accepts either
  variant, True / False demands one.
- `interval` is sorted even when the model wrote start > end (format_ok then says False); it is
  None for Normal, for a Normal marker or any negative time, and when nothing is found. Only
  grounding searches free text for it; the other tasks take it from an explicit `<glue>` only.
- `answer` per task: QA a letter A-D (the first inside `<answer>`, then `<X>`, the last standalone
  letter after `</think>`, the last anywhere); grounding "Anomaly" / "Normal" (stated, else
  implied by the interval); classification the first of the 20 classes in `<answer>` (else after
  the think); description all text outside think and glue.
- Steps come from the think text (description: every stretch of text between tags), with spans
  in `Result.raw`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from inference.core import protocol
from inference.core.steps import Step, split_steps
from inference.core.tasks import check_task
from inference.core.times import Interval


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


def _steps(parts: protocol.Parts, task: str) -> list[Step]:
    """Steps of the think text (description: of each stretch between tags), spans in the text."""
    text, think = parts.text, parts.think
    if task == "description":
        regions = protocol.regions(text)
    else:
        regions = [] if think is None else [(think.start, think.end)]
    steps: list[Step] = []
    for start, end in regions:
        for step in split_steps(text[start:end]):
            span = (step.span[0] + start, step.span[1] + start)
            steps.append(replace(step, index=len(steps), span=span))
    return steps


def parse_response(text: Any, task: str, think: bool | None = None) -> Result:
    """Parse one model output for `task`; never raises on the text (non-str reads as empty).

    `think` narrows format_ok to the think (True) or no-think (False) rule; None accepts either.
    """
    check_task(task)
    if not isinstance(text, str) or not text.strip():
        raw = text if isinstance(text, str) else ""
        return Result(task, raw, None, None, None, False, [], None)
    parts = protocol.split(text)
    pair = protocol.read_pair(parts, task)
    answer = protocol.read_answer(parts, task, pair)
    interval = None if task == "grounding" and answer == "Normal" else protocol.span(pair)
    return Result(
        task=task,
        raw=text,
        think=parts.think_text,
        answer=answer,
        interval=interval,
        format_ok=protocol.format_ok(text, task, think),
        steps=_steps(parts, task),
        answer_text=parts.answer_text,
    )
