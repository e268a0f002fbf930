"""rollouts.jsonl: every N steps, the GRPO recipe writes each prompt's sampled completions with
the reward each one earned per component, so a reward stuck at zero shows its reason.

One line per prompt: {"step", "prompt" (the export's key), "task", "solution", "interval",
"completions": [{"text", "rewards": {component: value or null}, "total"}]}.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inference.core.metrics import completion_text

ROLLOUTS = "rollouts.jsonl"

Reward = Callable[..., list[float | None]]


class RolloutLog:
    """Wraps the recipe's reward functions; when every component has scored the same batch at a
    logged step, writes that batch's lines."""

    def __init__(self, out: Path, every: int, names: Sequence[str]) -> None:
        self.path, self.every, self.names = out / ROLLOUTS, every, tuple(names)
        self._scores: dict[str, list[float | None]] = {}

    def wrap(self, name: str, reward: Reward) -> Reward:
        """`reward` that also notes its values for the log; same name, same results."""

        def noted(completions: list[Any], **columns: Any) -> list[float | None]:
            values = reward(completions, **columns)
            self._note(name, completions, values, columns)
            return values

        noted.__name__ = reward.__name__  # TRL logs each reward under its function's name
        return noted

    def _note(self, name: str, completions: list[Any], values: list, columns: dict) -> None:
        state = columns.get("trainer_state")
        if state is None or not state.is_world_process_zero:
            return
        step = state.global_step + 1  # rewards are computed for the step under way
        if step % self.every:
            return
        self._scores[name] = list(values)
        if set(self._scores) >= set(self.names):
            self._write(step, completions, columns)
            self._scores = {}

    def _write(self, step: int, completions: list[Any], columns: dict) -> None:
        by_prompt: dict[str, dict[str, Any]] = {}
        for i, completion in enumerate(completions):
            key = str(columns["key"][i])
            line = by_prompt.setdefault(key, self._head(step, key, columns, i))
            rewards = {name: self._scores[name][i] for name in self.names}
            counted = [v for v in rewards.values() if v is not None]
            total = sum(counted) if counted else None
            text = completion_text(completion)
            line["completions"].append({"text": text, "rewards": rewards, "total": total})
        with self.path.open("a", encoding="utf-8") as handle:
            for line in by_prompt.values():
                handle.write(json.dumps(line) + "\n")

    @staticmethod
    def _head(step: int, key: str, columns: dict, i: int) -> dict[str, Any]:
        named = ("task", "solution", "interval")
        pick = {name: columns[name][i] for name in named if name in columns}
        return {"step": step, "prompt": key, **pick, "completions": []}


def read_rollouts(folder: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The rollouts a run wrote under `folder`, newest step last (the last `limit` lines);
    unreadable lines (one being written) are skipped."""
    path = Path(folder) / ROLLOUTS
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    found = []
    for line in lines[-limit:] if limit else lines:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found
