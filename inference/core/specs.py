"""The task registry: what each of the four tasks means to the scorer and to training.

One `TaskSpec` per task name: the ground truth a VAU-Bench row gives it, the part of a parsed
output its metric compares, the metric and each item's share of it, and the RFT rewards that
train it (sampling rates are `inference.core.tasks.DEFAULT_FPS`, answer kinds `protocol`). Code
that varies by task looks the task up here instead of branching on its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from inference.core import metrics
from inference.core.parse import Result
from inference.core.tasks import check_task
from inference.core.vaubench import BenchRow


@dataclass(frozen=True)
class TaskSpec:
    """One task's answer, ground truth, metric and rewards."""

    name: str
    truth: Callable[[BenchRow], Any] | None  # the scored truth of a row; None: nothing to score
    predicted: Callable[[Result], Any]  # what the metric compares: the answer or the interval
    metric: Callable[[Mapping[Any, Any], Mapping[Any, Any]], Any] | None
    item_value: Callable[[Any, Any], float] | None  # one item's score: (truth, predicted)
    rewards: tuple[str, ...]  # names in metrics.REWARDS, summed unweighted
    # One item's share of each figure (their mean over items is the metric); None: not scored.
    item_metrics: Callable[[Any, Any], dict[str, float] | None] | None = None


def _answer(result: Result) -> str | None:
    return result.answer


def _same(task: str) -> Callable[[Any, Any], float]:
    return lambda truth, guess: float(metrics.answer_correct(task, guess, truth))


SPECS: dict[str, TaskSpec] = {
    "qa": TaskSpec(
        "qa",
        truth=lambda row: row.correct if row.usable_qa else None,
        predicted=_answer,
        metric=metrics.qa_accuracy,
        item_value=_same("qa"),
        rewards=("format", "accuracy"),
        item_metrics=metrics.qa_item,
    ),
    "grounding": TaskSpec(
        "grounding",
        truth=lambda row: row.interval,
        predicted=lambda result: result.interval,
        metric=metrics.grounding_scores,
        item_value=metrics.iou,
        rewards=("format", "accuracy", "iou"),
        item_metrics=metrics.grounding_item,
    ),
    "classification": TaskSpec(
        "classification",
        truth=lambda row: row.anomaly_class,
        predicted=_answer,
        metric=metrics.classification_scores,
        item_value=_same("classification"),
        rewards=("format", "accuracy"),
        item_metrics=metrics.classification_item,
    ),
    # Descriptions are judged by an LLM (VAU-Eval) and have no rule-based reward.
    "description": TaskSpec(
        "description", truth=None, predicted=_answer, metric=None, item_value=None, rewards=()
    ),
}


def spec(task: str) -> TaskSpec:
    """The spec of `task`; ValueError naming the choices for an unknown one."""
    return SPECS[check_task(task)]


def scored_tasks() -> tuple[str, ...]:
    """The tasks with an automatic metric."""
    return tuple(name for name, s in SPECS.items() if s.metric is not None)
