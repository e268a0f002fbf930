"""How unsure a model is: the spread of sampled answers and the scan's closeness to 0.5."""

from __future__ import annotations

import pytest

from inference.core.spread import closeness, disagreement, interval_spread, spread


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (["Fire", "Fire", "Fire", "Fire"], 0.0),
        (["Fire", "Fire", "Normal", "Fire"], 0.25),
        (["A", "B", "C", "D"], 0.75),
        (["Fire", None], 0.5),  # no answer is an answer of its own
        ([], 0.0),
    ],
)
def test_disagreement_is_one_less_the_share_of_the_commonest_answer(answers, expected):
    assert disagreement(answers) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([(1.0, 3.0), (1.0, 3.0)], 0.0),
        ([(0.0, 2.0), (1.0, 3.0)], 1 - 1 / 3),
        ([(1.0, 3.0), None], 1.0),  # an interval against Normal: no agreement
        ([None, None], 0.0),  # two Normals agree
        ([(1.0, 3.0), (1.0, 3.0), None], 1 - 1 / 3),  # one pair of three agrees
        ([(1.0, 3.0)], 0.0),
    ],
)
def test_interval_spread_is_one_less_the_mean_pairwise_agreement(intervals, expected):
    assert interval_spread(intervals) == pytest.approx(expected)


@pytest.mark.parametrize(("score", "expected"), [(0.5, 1.0), (0.0, 0.0), (1.0, 0.0), (0.75, 0.5)])
def test_closeness_peaks_at_a_score_of_one_half(score, expected):
    assert closeness(score) == pytest.approx(expected)


def test_the_uncertainty_is_the_mean_of_the_parts_that_apply():
    got = spread(["Anomaly", "Normal"], [(1.0, 3.0), None], score=0.75)
    assert got == {"samples": 2, "disagreement": 0.5, "interval_spread": 1.0,
                   "closeness": 0.5, "uncertainty": pytest.approx(2 / 3, abs=1e-4)}  # fmt: skip
    assert spread(["B", "B"])["uncertainty"] == 0.0
    assert spread(["B", "B"])["interval_spread"] is None and spread(["B"])["closeness"] is None
