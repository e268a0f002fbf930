"""VAU-Eval's rubric: the five criteria and the rule for a valid score, a judge's or a reviewer's.

No dependencies, so the annotation store checks reviewers' scores with the same rule.
"""

from __future__ import annotations

from typing import Any

# (key, what the judge is told the score measures)
CRITERIA: tuple[tuple[str, str], ...] = (
    ("classification", "Does the prediction name the same kind of anomaly (or Normal)?"),
    ("key_objects_actions", "Does it find the key objects and the actions they take?"),
    ("fluency", "Is it clear, grammatical, well-organised writing?"),
    ("informativeness", "Does it give the useful details: where, when, who, what follows?"),
    ("factual_consistency", "Is everything it states consistent with the reference?"),
)
KEYS: tuple[str, ...] = tuple(key for key, _ in CRITERIA)
MAX_SCORE = 10


class ReplyError(ValueError):
    """Not five integer scores 0-10; the message says what is wrong."""


def check_scores(data: dict[str, Any]) -> dict[str, int]:
    """The five criteria as integers 0-10 (extra keys ignored); ReplyError naming a bad one."""
    missing = [key for key in KEYS if key not in data]
    if missing:
        raise ReplyError(f"the scores lack {', '.join(missing)}")
    scores = {}
    for key in KEYS:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ReplyError(f"{key} is {value!r}, not a whole number")
        if not 0 <= value <= MAX_SCORE:
            raise ReplyError(f"{key} is {value}, outside 0-{MAX_SCORE}")
        scores[key] = int(value)
    return scores
