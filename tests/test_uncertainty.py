"""Research-grade figures: bootstrap intervals, paired comparisons, false alarms, frame AUC / AP,
and the VAU-R1 script's interval reader, each on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inference.eval.bootstrap import Resampling, intervals, paired, permutation_p
from inference.eval.framewise import average_precision, frame_figures, roc_auc, video_frames
from inference.eval.scoring import score_intervals, score_predictions, vau_r1_interval
from tests.test_scoring import answer, glue, needs_bench, perfect, rows_of

# --- the bootstrap --------------------------------------------------------------------------


def test_an_interval_holds_its_estimate_and_narrows_as_videos_are_added():
    rng = np.random.default_rng(1)
    widths = []
    for n in (30, 300, 3000):
        values = 100.0 * (rng.random(n) < 0.6)
        ((low, high),) = intervals({"accuracy": values}).values()
        assert low <= values.mean() <= high
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]


def test_intervals_are_deterministic_for_a_seed_and_differ_across_seeds():
    values = {"mIoU": list(np.linspace(0, 100, 50))}
    first, again = intervals(values, Resampling(seed=3)), intervals(values, Resampling(seed=3))
    assert first == again and first != intervals(values, Resampling(seed=4))


def test_a_known_difference_is_found_and_an_identical_pair_is_not():
    rng = np.random.default_rng(0)
    a = 100.0 * (rng.random(200) < 0.4)
    b = np.where(rng.random(200) < 0.5, 100.0, a)  # B fixes about half of A's misses
    found = paired(a, b)
    assert found.diff == pytest.approx(b.mean() - a.mean()) and found.diff > 10
    assert found.ci[0] > 0 and found.p < 0.01
    same = paired(a, a)
    assert (same.diff, same.p) == (0.0, 1.0) and same.ci[0] <= 0 <= same.ci[1]


def test_the_permutation_p_value_of_a_one_video_gain_is_not_small():
    diff = np.zeros(20)
    diff[0] = 100.0
    assert permutation_p(diff) > 0.4  # one video in twenty: a coin flip decides its sign


@pytest.mark.parametrize(("level", "resamples"), [(1.0, 2000), (0.0, 2000), (0.95, 10)])
def test_bad_resampling_settings_are_refused(level, resamples):
    with pytest.raises(ValueError):
        Resampling(level, resamples).check()


# --- frame-level AUC and AP -----------------------------------------------------------------


def frames(pairs, **kwargs):
    return [video_frames(f"v{i}", t, p, **kwargs) for i, (t, p) in enumerate(pairs)]


def test_exact_intervals_give_frame_auc_and_ap_of_one():
    found = frame_figures(frames([((2.0, 5.0), (2.0, 5.0)), ((1.0, 3.5), (1.0, 3.5))]))
    assert found == {"frame_auc": 1.0, "frame_ap": 1.0}


def test_a_constant_score_gives_frame_auc_one_half():
    curve = [[0.0, 0.3], [10.0, 0.3]]
    found = frame_figures(frames([((2.0, 5.0), None)], curve=curve))
    positives = 6 / 20  # 0.5 s bins over 10 s, 6 of them inside [2, 5)
    assert found["frame_auc"] == 0.5 and found["frame_ap"] == pytest.approx(positives)


def test_a_half_overlapping_interval_by_hand():
    # 0.5 s bins over 0-6 s: truth [2, 4) is bins 4-7, prediction [3, 5) is bins 6-9.
    (video,) = frames([((2.0, 4.0), (3.0, 5.0))], duration=6.0)
    assert video.truth.sum() == 4 and video.score.sum() == 4 and video.truth.size == 12
    # scored 1: 2 positives, 2 negatives; scored 0: 2 positives, 6 negatives.
    # AUC = P(pos > neg) + 0.5 P(tie) = (2*6 + 0.5*(2*2 + 2*6)) / (4*8) = 20 / 32
    assert roc_auc(video.truth, video.score) == pytest.approx(20 / 32)
    # AP: at score 1, precision 2/4 and recall 2/4; at 0, precision 4/12 and recall 1.
    assert average_precision(video.truth, video.score) == pytest.approx(0.5 * 0.5 + 0.5 * 4 / 12)


def test_a_video_of_unknown_length_with_no_interval_has_no_bins():
    assert video_frames("n", None, None) is None
    assert video_frames("n", None, None, duration=3.0).truth.size == 6
    assert math.isnan(roc_auc(np.zeros(4), np.ones(4)))


# --- false alarms and the intervals of score ------------------------------------------------


@needs_bench
def test_false_alarms_count_normal_videos_that_get_an_anomaly():
    rows = rows_of("test_msad.csv")
    normal = [r for r in rows if (r.start, r.end) == (0.0, 0.0)]
    predictions = {r.video: perfect(r, "grounding") for r in rows}
    alarmed = normal[:3]
    for row in alarmed:
        predictions[row.video] = answer("Anomaly", glue((1.0, 4.0)))
    del predictions[normal[3].video]  # no answer: counted as an alarm, like a wrong answer
    score = score_predictions(rows, predictions, "grounding")
    found = score.to_dict()
    assert found["false_alarm_n"] == len(normal) and len(normal) == 120
    assert found["false_alarm"] == pytest.approx(100 * 4 / 120)
    assert found["mIoU"] == 100.0  # the paper's figure ignores Normal videos, as before


@needs_bench
@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("test_msad.csv", "qa"),
        ("test_ecva.csv", "grounding"),
        ("test_ucf_crime.csv", "classification"),
    ],
)
def test_each_figure_is_the_mean_of_its_videos_shares_and_lies_in_its_interval(name, task):
    rows = rows_of(name)
    rng = np.random.default_rng(0)
    predictions = {r.video: perfect(r, task) for r in rows if rng.random() < 0.7}
    score = score_predictions(rows, predictions, task)
    ci = score_intervals(score)
    for figure, value in score.metrics.items():
        if figure in ("n", "missing"):
            continue
        shares = score.item_values[figure]
        assert len(shares) == score.metrics["n"]
        assert np.mean(list(shares.values())) == pytest.approx(value)
        assert ci[figure][0] <= value <= ci[figure][1]


# --- the VAU-R1 script's interval reader -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "studio", "script"),
    [
        ("<glue>[2.0, 5.0]</glue>", (2.0, 5.0), (2.0, 5.0)),
        ("<glue>[5.0, 2.0]</glue>", (2.0, 5.0), (5.0, 2.0)),  # swapped: sorted vs as written
        ("<glue>[00:02, 00:05]</glue>", (2.0, 5.0), None),  # mm:ss
        ("The anomaly happens from 2.0 to 5.0 seconds.", (2.0, 5.0), None),  # prose
        ("<answer>Anomaly</answer> [2, 5]", (2.0, 5.0), (2.0, 5.0)),  # bare brackets
    ],
)
def test_the_script_reader_reads_only_what_the_script_reads(raw, studio, script):
    from inference.core.parse import parse_response

    assert parse_response(raw, "grounding").interval == studio
    assert vau_r1_interval(raw) == script


def test_score_says_which_reader_made_a_figure_and_the_script_is_stricter():
    from tests.test_scoring import row

    rows = [row("a.mp4", start=2.0, end=5.0), row("b.mp4", start=2.0, end=5.0)]
    predictions = {"a.mp4": {"raw": "<glue>[5.0, 2.0]</glue>"},
                   "b.mp4": {"raw": "The anomaly happens from 2.0 to 5.0 seconds."}}  # fmt: skip
    lenient = score_predictions(rows, predictions, "grounding")
    strict = score_predictions(rows, predictions, "grounding", reader="vau-r1")
    assert (lenient.metrics["mIoU"], strict.metrics["mIoU"]) == (100.0, 0.0)
    assert (lenient.to_dict()["reader"], strict.to_dict()["reader"]) == ("studio", "vau-r1")
