"""VAU-R1's evaluation metrics and RFT rewards, exactly as the paper defines them.

Scores take ground truth and predictions as mappings keyed by item (the video name): every key
of the ground truth is scored, and a key absent from the predictions counts as wrong (IoU 0)
and as `missing`. Percentages are 0-100. Pure functions: no I/O, no parsing of files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inference.tasks import canonical_class

Interval = tuple[float, float]
THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7)
NO_SPANS: tuple[Interval, ...] = ((0.0, 0.0), (-1.0, -1.0))  # Normal, unannotated


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


def _missing(truth: Mapping[Hashable, Any], predicted: Mapping[Hashable, Any]) -> int:
    return sum(1 for key in truth if key not in predicted)


def qa_accuracy(truth: Mapping[Hashable, str], predicted: Mapping[Hashable, str | None]) -> QAScore:
    """Case-insensitive letter match over every ground-truth question that has a letter."""
    truth = {key: letter for key, letter in truth.items() if letter}
    hits = sum(
        1
        for key, letter in truth.items()
        if (guess := predicted.get(key)) and guess.strip().upper() == letter.strip().upper()
    )
    return QAScore(percent(hits, len(truth)), len(truth), _missing(truth, predicted))


def has_span(gt: Sequence[float] | None) -> bool:
    """True when a ground-truth interval is an anomaly span, not Normal 0/0 or unannotated -1/-1."""
    return gt is not None and tuple(gt) not in NO_SPANS


def grounding_ious(
    truth: Mapping[Hashable, Sequence[float] | None],
    predicted: Mapping[Hashable, Sequence[float] | None],
) -> dict[Hashable, float]:
    """IoU per scored item: ground truth without a span is skipped; no prediction is IoU 0."""
    return {key: iou(predicted.get(key), gt) for key, gt in truth.items() if has_span(gt)}


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
        multi += guess == gt
    n = len(scored)
    return ClassificationScore(
        percent(binary, n), percent(multi, n), n, _missing(scored, predicted)
    )


# --- RFT rewards (open-r1 style: a list of completions in, a list of floats out) ----------

_NUMBER = r"-?\d+(?:\.\d+)?"
_GLUE = re.compile(rf"<glue>\s*\[\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\]\s*</glue>")
_THINK_ANSWER = r"<think>.*?</think>\s*<answer>.*?</answer>"
_FORMAT = re.compile(_THINK_ANSWER, re.DOTALL)
_FORMAT_TAG = re.compile(rf"{_THINK_ANSWER}\s*({_GLUE.pattern})", re.DOTALL)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_LETTER = re.compile(r"\s*\(?([A-Da-d])(?:$|[\s.):])")


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


def glue_interval(text: str) -> Interval | None:
    """The interval of the last `<glue>[s, e]</glue>` in `text`, if any."""
    found = _GLUE.findall(text)
    return (float(found[-1][0]), float(found[-1][1])) if found else None


def format_reward(completions: list[Any], task: Any = "qa", **kwargs: Any) -> list[float]:
    """1 when the whole output is `<think>..</think><answer>..</answer>` (+ `<glue>` for TAG)."""
    rewards = []
    for completion, kind in zip(completions, _each(task, len(completions)), strict=True):
        text = completion_text(completion).strip()
        if kind == "grounding":
            match = _FORMAT_TAG.fullmatch(text)
            interval = glue_interval(match.group(1)) if match else None
            rewards.append(1.0 if interval and interval[0] <= interval[1] else 0.0)
        else:
            rewards.append(1.0 if _FORMAT.fullmatch(text) else 0.0)
    return rewards


def _answer_matches(text: str, solution: str, task: str) -> bool:
    found = _ANSWER.findall(text)
    if not found:
        return False
    answer = found[-1].strip()
    if task == "qa":
        letter = _LETTER.match(answer)
        return bool(letter) and letter.group(1).upper() == solution.strip().upper()
    if task == "classification":
        return canonical_class(answer) is not None and canonical_class(answer) == canonical_class(
            solution
        )
    return answer.lower() == solution.strip().lower()


def accuracy_reward(
    completions: list[Any], solution: list[str], task: Any = "qa", **kwargs: Any
) -> list[float]:
    """1 for the right QA letter, the exact class, or the right Anomaly/Normal (TAG), else 0."""
    tasks = _each(task, len(completions))
    return [
        1.0 if _answer_matches(completion_text(c), s, t) else 0.0
        for c, s, t in zip(completions, solution, tasks, strict=True)
    ]


def temporal_iou_reward(
    completions: list[Any], interval: list[Sequence[float]], **kwargs: Any
) -> list[float]:
    """IoU of the `<glue>` interval with the truth rounded to 0.1 s; both [-1, -1] scores 1.

    A ground truth of 0/0 (VAU-Bench's spelling of Normal) counts as [-1, -1].
    """
    rewards = []
    for completion, gt in zip(completions, interval, strict=True):
        pred = glue_interval(completion_text(completion))
        truth = (round(float(gt[0]), 1), round(float(gt[1]), 1))
        truth = (-1.0, -1.0) if truth == (0.0, 0.0) else truth
        pred_normal, truth_normal = pred == (-1.0, -1.0), truth == (-1.0, -1.0)
        if pred_normal or truth_normal:
            rewards.append(1.0 if pred_normal and truth_normal else 0.0)
        else:
            rewards.append(iou(pred, truth))
    return rewards


REWARDS = {"format": format_reward, "accuracy": accuracy_reward, "iou": temporal_iou_reward}
