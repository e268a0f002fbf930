"""Confidence intervals and paired tests for the scorer's figures, resampling videos.

Every figure `score` reports is a mean over videos of that video's share (`metrics.*_item`),
so a percentile bootstrap resamples videos with replacement and takes the mean again. A video
is one cluster: an item judged K times enters once, as the mean of its repeats. Two checkpoints
on the same videos are compared pairwise: the difference B - A per video, its bootstrap
interval (the same videos resampled for both) and a paired permutation p-value (each video's
A and B swapped at random). Deterministic for a seed. Pure numpy, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_LEVEL = 0.95
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0


@dataclass(frozen=True)
class Resampling:
    """How intervals are drawn: the confidence level, the resamples and the seed."""

    level: float = DEFAULT_LEVEL
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED

    def check(self) -> Resampling:
        """Return self, or ValueError naming the bad setting."""
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"--ci is a level between 0 and 1, e.g. 0.95, got {self.level}")
        if self.resamples < 100:
            raise ValueError(f"--bootstrap needs at least 100 resamples, got {self.resamples}")
        return self

    def indices(self, n: int) -> np.ndarray:
        """resamples x n video indices drawn with replacement (the same for every figure)."""
        return np.random.default_rng(self.seed).integers(0, n, size=(self.resamples, n))

    def bounds(self, draws: np.ndarray) -> list[float]:
        """The percentile interval [low, high] of the bootstrap draws."""
        tail = (1.0 - self.level) / 2.0
        low, high = np.quantile(draws, [tail, 1.0 - tail])
        return [float(low), float(high)]


DEFAULT = Resampling()


def intervals(
    values: Mapping[str, Sequence[float]], options: Resampling = DEFAULT
) -> dict[str, list[float]]:
    """Each figure's interval from its per-video values (all figures share one resampling)."""
    sizes = {len(v) for v in values.values()}
    if not values or sizes == {0}:
        return {}
    if len(sizes) != 1:
        raise ValueError("every figure needs one value per video")
    picks = options.indices(sizes.pop())
    return {name: options.bounds(np.asarray(v, float)[picks].mean(axis=1))
            for name, v in values.items()}  # fmt: skip


def statistic_interval(
    statistic: Callable[[np.ndarray], float], n: int, options: Resampling = DEFAULT
) -> list[float] | None:
    """The interval of a statistic that is not a mean (e.g. frame AUC): `statistic(videos)`
    is computed on each resample of the n videos (an index array)."""
    if n == 0:
        return None
    draws = np.array([statistic(picks) for picks in options.indices(n)])
    draws = draws[np.isfinite(draws)]
    return options.bounds(draws) if draws.size else None


@dataclass(frozen=True)
class Paired:
    """B - A on the same videos: the difference, its interval and the permutation p-value."""

    a: float
    b: float
    diff: float
    ci: list[float]
    p: float

    def to_dict(self) -> dict[str, float | list[float]]:
        """`compare --json`'s entry for one figure."""
        return {"a": self.a, "b": self.b, "diff": self.diff, "ci": self.ci, "p": self.p}


def paired(a: Sequence[float], b: Sequence[float], options: Resampling = DEFAULT) -> Paired:
    """Compare two checkpoints' per-video values for one figure (same videos, same order)."""
    a_values, b_values = np.asarray(a, float), np.asarray(b, float)
    if a_values.shape != b_values.shape or a_values.size == 0:
        raise ValueError("a paired comparison needs the same videos on both sides")
    diff = b_values - a_values
    ci = options.bounds(diff[options.indices(diff.size)].mean(axis=1))
    return Paired(float(a_values.mean()), float(b_values.mean()), float(diff.mean()), ci,
                  permutation_p(diff, options))  # fmt: skip


def paired_statistic(
    statistic: Callable[[list], float], a: Sequence, b: Sequence, options: Resampling = DEFAULT
) -> Paired:
    """`paired` for a statistic that is not a mean of per-video values (e.g. a pooled AUC):
    `statistic(videos)` is recomputed on each resample, and on each random swap of A and B."""
    first, second = list(a), list(b)
    if len(first) != len(second) or not first:
        raise ValueError("a paired comparison needs the same videos on both sides")
    observed = statistic(second) - statistic(first)
    draws = np.array([statistic([second[i] for i in picks]) - statistic([first[i] for i in picks])
                      for picks in options.indices(len(first))])  # fmt: skip
    draws = draws[np.isfinite(draws)]
    ci = options.bounds(draws) if draws.size else [0.0, 0.0]
    extreme = 0
    swaps = np.random.default_rng(options.seed + 1).random((options.resamples, len(first))) < 0.5
    for swap in swaps:
        one = [s if flip else f for f, s, flip in zip(first, second, swap, strict=True)]
        other = [f if flip else s for f, s, flip in zip(first, second, swap, strict=True)]
        extreme += abs(statistic(other) - statistic(one)) >= abs(observed) - 1e-12
    p = (1 + extreme) / (1 + options.resamples)
    return Paired(statistic(first), statistic(second), observed, ci, float(p))


def permutation_p(diff: np.ndarray, options: Resampling = DEFAULT) -> float:
    """Two-sided paired permutation p-value: how often swapping A and B per video at random
    gives a mean difference at least as far from 0 as the one observed."""
    observed = abs(diff.mean())
    signs = np.random.default_rng(options.seed + 1).choice(
        [-1.0, 1.0], (options.resamples, diff.size)
    )
    permuted = np.abs((signs * diff).mean(axis=1))
    extreme = np.count_nonzero(permuted >= observed - 1e-12)
    return float((1 + extreme) / (1 + options.resamples))
