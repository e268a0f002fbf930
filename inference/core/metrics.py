"""VAU-R1's evaluation metrics and RFT rewards, exactly as the paper defines them.

Scores take ground truth and predictions as mappings keyed by item (the video name): every key
of the ground truth is scored, and a key absent from the predictions counts as wrong (IoU 0)
and as `missing`. Percentages are 0-100. Pure functions: no I/O, no parsing of files.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inference.core import protocol
from inference.core.parse import parse_response
from inference.core.tasks import canonical_class

THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7)


def iou(pred: Sequence[float] | None, gt: Sequence[float] | None) -> float:
    """Intersection over union of two [start, end] intervals; 0 for a missing or empty one."""
    if pred is None or gt is None or len(pred) != 2 or len(gt) != 2:
        return 0.0
    (ps, pe), (gs, ge) = pred, gt
    if not all(math.isfinite(x) for x in (ps, pe, gs, ge)) or pe <= ps or ge < gs:
        return 0.0
    inter = min(pe, ge) - max(ps, gs)
    if inter <= 0:
        return 0.0
    return inter / (max(pe, ge) - min(ps, gs))


def percent(hits: float, n: int) -> float:
    """`hits` out of `n` as a percentage; 0 when there is nothing to count."""
    return 100.0 * hits / n if n else 0.0


@dataclass(frozen=True)
class QAScore:
    """Multiple-choice accuracy over every usable question."""

    accuracy: float
    n: int
    missing: int

    def to_dict(self) -> dict[str, float | int]:
        """The JSON keys of `score --json` for QA."""
        return {"accuracy": self.accuracy, "n": self.n, "missing": self.missing}


@dataclass(frozen=True)
class GroundingScore:
    """Temporal grounding: mean IoU and recall at IoU 0.3 / 0.5 / 0.7."""

    miou: float
    recall: dict[float, float]
    n: int
    missing: int

    def to_dict(self) -> dict[str, float | int]:
        """The JSON keys of `score --json` for grounding."""
        recalls = {f"R@{t}": self.recall[t] for t in THRESHOLDS}
        return {"mIoU": self.miou, **recalls, "n": self.n, "missing": self.missing}


@dataclass(frozen=True)
class ClassificationScore:
    """Binary (Normal vs anomaly) and exact-class accuracy."""

    binary_accuracy: float
    multiclass_accuracy: float
    n: int
    missing: int

    def to_dict(self) -> dict[str, float | int]:
        """The JSON keys of `score --json` for classification."""
        return {
            "binary_accuracy": self.binary_accuracy,
            "multiclass_accuracy": self.multiclass_accuracy,
            "n": self.n,
            "missing": self.missing,
        }


def answer_correct(task: str, predicted: str | None, truth: str | None) -> bool:
    """True when a predicted answer is the true one, each in the protocol's one spelling."""
    expected = protocol.canonical_answer(task, truth)
    return expected is not None and protocol.canonical_answer(task, predicted) == expected


def _missing(truth: Mapping[Hashable, Any], predicted: Mapping[Hashable, Any]) -> int:
    return sum(1 for key in truth if key not in predicted)


def qa_accuracy(truth: Mapping[Hashable, str], predicted: Mapping[Hashable, str | None]) -> QAScore:
    """Case-insensitive letter match over every ground-truth question that has a letter."""
    truth = {key: letter for key, letter in truth.items() if letter}
    hits = sum(answer_correct("qa", predicted.get(key), letter) for key, letter in truth.items())
    return QAScore(percent(hits, len(truth)), len(truth), _missing(truth, predicted))


def grounding_ious(
    truth: Mapping[Hashable, Sequence[float] | None],
    predicted: Mapping[Hashable, Sequence[float] | None],
) -> dict[Hashable, float]:
    """IoU per scored item: ground truth without a span is skipped; no prediction is IoU 0."""
    return {key: iou(predicted.get(key), gt) for key, gt in truth.items() if protocol.has_span(gt)}


def grounding_scores(
    truth: Mapping[Hashable, Sequence[float] | None],
    predicted: Mapping[Hashable, Sequence[float] | None],
) -> GroundingScore:
    """mIoU and R@0.3/0.5/0.7 (percent) over the ground-truth rows that have a span."""
    ious = grounding_ious(truth, predicted)
    n = len(ious)
    recall = {t: percent(sum(1 for v in ious.values() if v >= t), n) for t in THRESHOLDS}
    return GroundingScore(percent(sum(ious.values()), n), recall, n, _missing(ious, predicted))


def classification_scores(
    truth: Mapping[Hashable, str | None], predicted: Mapping[Hashable, str | None]
) -> ClassificationScore:
    """Binary and multi-class accuracy; a prediction naming no class is wrong for both."""
    scored = {key: canonical_class(gt) for key, gt in truth.items() if canonical_class(gt)}
    binary = multi = 0
    for key, gt in scored.items():
        guess = canonical_class(predicted.get(key))
        if guess is None:
            continue
        binary += (guess == "Normal") == (gt == "Normal")
        multi += answer_correct("classification", guess, gt)
    n = len(scored)
    return ClassificationScore(
        percent(binary, n), percent(multi, n), n, _missing(scored, predicted)
    )


# --- one item's share of each figure (the bootstrap resamples these) --------------------------
# Each figure above is the mean over its scored items of these values, exactly; None: the item
# is not scored by that task's metric.


def qa_item(truth: str | None, guess: str | None) -> dict[str, float] | None:
    """An item's QA accuracy (100 or 0), or None for a question without a correct letter."""
    if not truth:
        return None
    return {"accuracy": 100.0 * answer_correct("qa", guess, truth)}


def grounding_item(
    truth: Sequence[float] | None, guess: Sequence[float] | None
) -> dict[str, float] | None:
    """An item's IoU x 100 and its hits at each threshold, or None when the truth has no span."""
    if not protocol.has_span(truth):
        return None
    value = iou(guess, truth)
    return {"mIoU": 100.0 * value, **{f"R@{t}": 100.0 * (value >= t) for t in THRESHOLDS}}


def classification_item(truth: str | None, guess: str | None) -> dict[str, float] | None:
    """An item's binary and exact-class accuracy (100 or 0), or None without a true class."""
    expected = canonical_class(truth)
    if expected is None:
        return None
    named = canonical_class(guess)
    binary = named is not None and (named == "Normal") == (expected == "Normal")
    exact = named is not None and answer_correct("classification", named, expected)
    return {"binary_accuracy": 100.0 * binary, "multiclass_accuracy": 100.0 * exact}


# --- RFT rewards (open-r1 style: a list of completions in, a list of floats out) ----------
# Thin wrappers over the protocol and the parser, so a reward, the Studio's "tags OK" and the
# scorer can never disagree about one output.


def completion_text(completion: Any) -> str:
    """The text of a completion: a string, or a chat message list / dict with `content`."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content", ""))
    if isinstance(completion, Sequence) and completion:
        return completion_text(completion[0])
    return ""


def _each(value: Any, n: int) -> list[Any]:
    """A per-sample column as TRL passes it (a list), or one value for every sample."""
    return list(value) if isinstance(value, list | tuple) and len(value) == n else [value] * n


def format_reward(
    completions: list[Any], task: Any = "qa", think: Any = True, **kwargs: Any
) -> list[float]:
    """1 exactly when `protocol.format_ok` accepts the completion for its task and variant."""
    n = len(completions)
    return [
        float(protocol.format_ok(completion_text(c), t, th))
        for c, t, th in zip(completions, _each(task, n), _each(think, n), strict=True)
    ]


def accuracy_reward(
    completions: list[Any], solution: list[str], task: Any = "qa", **kwargs: Any
) -> list[float]:
    """1 when the parsed answer is right: the QA letter, the class, or Anomaly / Normal."""
    tasks = _each(task, len(completions))
    return [
        float(answer_correct(t, parse_response(completion_text(c), t).answer, s))
        for c, s, t in zip(completions, solution, tasks, strict=True)
    ]


def temporal_iou_reward(
    completions: list[Any], interval: list[Sequence[float]], **kwargs: Any
) -> list[float]:
    """IoU of the parsed interval with the truth rounded to 0.1 s; Normal for Normal scores 1.

    A ground truth of 0/0 or -1/-1 is Normal; a prediction is Normal when the parser reads one.
    """
    rewards = []
    for completion, gt in zip(completions, interval, strict=True):
        result = parse_response(completion_text(completion), "grounding")
        truth = (round(float(gt[0]), 1), round(float(gt[1]), 1))
        if protocol.has_span(truth):
            rewards.append(iou(result.interval, truth))
        else:
            rewards.append(float(result.answer == "Normal"))
    return rewards


REWARDS = {"format": format_reward, "accuracy": accuracy_reward, "iou": temporal_iou_reward}
