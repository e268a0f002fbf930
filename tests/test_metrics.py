"""The paper's metrics and RFT rewards against hand-computed values."""

from __future__ import annotations

import pytest

from inference.core.metrics import (
    REWARDS,
    accuracy_reward,
    classification_scores,
    completion_text,
    format_reward,
    grounding_ious,
    grounding_scores,
    iou,
    qa_accuracy,
    temporal_iou_reward,
)


@pytest.mark.parametrize(
    ("pred", "gt", "expected"),
    [
        ((0, 10), (0, 10), 1.0),
        ((0, 10), (5, 15), 5 / 15),
        ((5, 15), (0, 10), 5 / 15),
        ((2, 4), (0, 10), 0.2),
        ((0, 10), (2, 4), 0.2),
        ((0, 5), (5, 10), 0.0),  # touching, no overlap
        ((0, 2), (8, 10), 0.0),
        ((3, 3), (0, 10), 0.0),  # zero-length prediction
        ((6, 4), (0, 10), 0.0),  # reversed prediction
        ((-1, -1), (0, 10), 0.0),  # "Normal" answered for an anomaly
        (None, (0, 10), 0.0),  # unparsable prediction
        ((0, 10), None, 0.0),
        ((0, float("nan")), (0, 10), 0.0),
        ((0, float("inf")), (0, 10), 0.0),
        ((1.5, 4.5), (2.0, 6.0), 2.5 / 4.5),
        ((0,), (0, 10), 0.0),
    ],
)
def test_iou(pred, gt, expected):
    assert iou(pred, gt) == pytest.approx(expected)


# --- QA ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predicted", "accuracy", "missing"),
    [
        ({"a": "A", "b": "B", "c": "C", "d": "D"}, 100.0, 0),
        ({"a": "a", "b": "b", "c": "c", "d": "d"}, 100.0, 0),  # case-insensitive
        ({"a": "A", "b": "A", "c": "C", "d": "A"}, 50.0, 0),
        ({"a": "A", "b": None, "c": None, "d": None}, 25.0, 0),  # unparsable = wrong
        ({"a": "A", "b": "B", "c": "C"}, 75.0, 1),  # missing = wrong
        ({}, 0.0, 4),
        ({"a": "A", "b": "B", "c": "C", "d": "D", "extra": "A"}, 100.0, 0),
    ],
)
def test_qa_accuracy(predicted, accuracy, missing):
    truth = {"a": "A", "b": "B", "c": "C", "d": "D"}
    score = qa_accuracy(truth, predicted)
    assert score.accuracy == pytest.approx(accuracy)
    assert (score.n, score.missing) == (4, missing)


def test_qa_ground_truth_without_a_letter_is_not_counted():
    score = qa_accuracy({"a": "A", "b": None}, {"a": "A", "b": "B"})
    assert (score.accuracy, score.n) == (100.0, 1)


def test_qa_json_keys():
    assert qa_accuracy({"a": "A"}, {}).to_dict() == {"accuracy": 0.0, "n": 1, "missing": 1}


# --- grounding --------------------------------------------------------------------------

TRUTH = {
    "anomaly1": (0.0, 10.0),
    "anomaly2": (10.0, 20.0),
    "anomaly3": (4.0, 8.0),
    "anomaly4": (0.0, 100.0),
    "normal": (0.0, 0.0),
    "unannotated": (-1.0, -1.0),
    "no_truth": None,
}


@pytest.mark.parametrize(
    ("predicted", "ious", "miou", "recalls", "missing"),
    [
        # exact answers everywhere
        (
            {k: v for k, v in TRUTH.items()},
            [1.0, 1.0, 1.0, 1.0],
            100.0,
            (100.0, 100.0, 100.0),
            0,
        ),
        # IoU 0.8, 0.4, 0.5 and missing: mIoU (0.8+0.4+0.5+0)/4 = 42.5
        (
            {"anomaly1": (0.0, 8.0), "anomaly2": (16.0, 20.0), "anomaly3": (4.0, 6.0)},
            [0.8, 0.4, 0.5, 0.0],
            42.5,
            (75.0, 50.0, 25.0),
            1,
        ),
        # unparsable, zero-length, Normal-for-anomaly, and a 0.3 hit exactly at the threshold
        (
            {
                "anomaly1": None,
                "anomaly2": (15.0, 15.0),
                "anomaly3": (-1.0, -1.0),
                "anomaly4": (0.0, 30.0),
            },
            [0.0, 0.0, 0.0, 0.3],
            7.5,
            (25.0, 0.0, 0.0),
            0,
        ),
    ],
)
def test_grounding_scores(predicted, ious, miou, recalls, missing):
    assert list(grounding_ious(TRUTH, predicted).values()) == pytest.approx(ious)
    score = grounding_scores(TRUTH, predicted)
    assert score.n == 4  # normal, unannotated and no-truth rows are skipped
    assert score.miou == pytest.approx(miou)
    assert [score.recall[t] for t in (0.3, 0.5, 0.7)] == pytest.approx(list(recalls))
    assert score.missing == missing


def test_grounding_predictions_for_skipped_rows_do_not_count():
    only_skipped = {"normal": (0.0, 5.0), "unannotated": (1.0, 2.0)}
    score = grounding_scores(TRUTH, only_skipped)
    assert (score.miou, score.n, score.missing) == (0.0, 4, 4)


def test_grounding_json_keys():
    assert list(grounding_scores(TRUTH, {}).to_dict()) == [
        "mIoU",
        "R@0.3",
        "R@0.5",
        "R@0.7",
        "n",
        "missing",
    ]


def test_grounding_with_nothing_to_score_is_zero_not_an_error():
    score = grounding_scores({"normal": (0.0, 0.0)}, {})
    assert (score.miou, score.n) == (0.0, 0)


# --- classification ---------------------------------------------------------------------

CLASSES_TRUTH = {
    "v1": "Fighting",
    "v2": "Normal",
    "v3": "Traffic_accident",
    "v4": "Normal",
    "v5": None,  # unusable row, not scored
}


@pytest.mark.parametrize(
    ("predicted", "binary", "multi", "missing"),
    [
        ({"v1": "Fighting", "v2": "Normal", "v3": "Traffic_accident", "v4": "Normal"}, 100, 100, 0),
        # an anomaly of the wrong type is still right for binary
        ({"v1": "Assault", "v2": "Normal", "v3": "Fighting", "v4": "Normal"}, 100, 50, 0),
        # spelling variants are the same class
        ({"v1": "fighting", "v2": "normal", "v3": "Traffic accident", "v4": "NORMAL"}, 100, 100, 0),
        # no class named = wrong for both; missing = wrong for both
        ({"v1": None, "v2": "Normal", "v3": "Traffic_accident"}, 50, 50, 1),
        ({"v1": "Normal", "v2": "Fire", "v3": "Normal", "v4": "Fire"}, 0, 0, 0),
        ({"v1": "Not a class", "v2": "Normal", "v3": "Explosion", "v4": "Normal"}, 75, 50, 0),
    ],
)
def test_classification_scores(predicted, binary, multi, missing):
    score = classification_scores(CLASSES_TRUTH, predicted)
    assert score.binary_accuracy == pytest.approx(binary)
    assert score.multiclass_accuracy == pytest.approx(multi)
    assert (score.n, score.missing) == (4, missing)


def test_classification_json_keys():
    assert list(classification_scores(CLASSES_TRUTH, {}).to_dict()) == [
        "binary_accuracy",
        "multiclass_accuracy",
        "n",
        "missing",
    ]


# --- rewards ----------------------------------------------------------------------------

QA_GOOD = "<think>The man falls at 3 s.</think> <answer>B</answer>"
TAG_GOOD = "<think>Smoke appears.</think><answer>Anomaly</answer><glue>[12.5, 20.0]</glue>"


@pytest.mark.parametrize(
    ("text", "task", "reward"),
    [
        (QA_GOOD, "qa", 1.0),
        ("<think>\nmulti\nline\n</think>\n<answer>\nB\n</answer>\n", "qa", 1.0),
        ("<answer>B</answer>", "qa", 0.0),  # no think
        ("<think>x</think><answer>B</answer> and more", "qa", 0.0),  # text after the tags
        ("<think>x</think><answer>B", "qa", 0.0),  # unclosed
        ("B", "classification", 0.0),
        (TAG_GOOD, "grounding", 1.0),
        ("<think>x</think><answer>Normal</answer><glue>[-1.0, -1.0]</glue>", "grounding", 1.0),
        ("<think>x</think><answer>Anomaly</answer><glue>[20, 12]</glue>", "grounding", 0.0),
        ("<think>x</think><answer>Anomaly</answer>", "grounding", 0.0),  # no glue
        ("<think>x</think><answer>Anomaly</answer><glue>12 to 20</glue>", "grounding", 0.0),
        ("<think>x</think><answer>B</answer><|im_end|>", "qa", 0.0),  # decoding drops these
    ],
)
def test_format_reward(text, task, reward):
    assert format_reward([text], task=task) == [reward]


@pytest.mark.parametrize(
    ("text", "task", "think", "reward"),
    [
        ("<answer>B</answer>", "qa", False, 1.0),
        ("<answer>B</answer>", "qa", True, 0.0),
        ("<glue>[1.0, 2.0]</glue>", "grounding", False, 1.0),
        (TAG_GOOD, "grounding", False, 0.0),
    ],
)
def test_format_reward_follows_the_variant(text, task, think, reward):
    assert format_reward([text], task=task, think=think) == [reward]


@pytest.mark.parametrize(
    ("text", "solution", "task", "reward"),
    [
        (QA_GOOD, "B", "qa", 1.0),
        ("<answer> b </answer>", "B", "qa", 1.0),
        ("<answer>B. The person falls</answer>", "B", "qa", 1.0),
        ("<answer>(C)</answer>", "C", "qa", 1.0),
        ("<answer>A</answer>", "B", "qa", 0.0),
        ("<answer>Because</answer>", "B", "qa", 0.0),
        ("B", "B", "qa", 1.0),  # read as the parser reads it; the format reward wants tags
        ("<answer>(b) the man</answer>", "B", "qa", 1.0),
        ("<answer>B, not C</answer>", "C", "qa", 0.0),  # the first letter is the answer
        ("<answer>Traffic accident</answer>", "Traffic_accident", "classification", 1.0),
        ("<answer>Fighting</answer>", "Assault", "classification", 0.0),
        ("<answer>It is Fighting</answer>", "Fighting", "classification", 1.0),  # first class
        (TAG_GOOD, "Anomaly", "grounding", 1.0),
        ("<answer> normal </answer>", "Normal", "grounding", 1.0),
        ("<answer>Normal</answer>", "Anomaly", "grounding", 0.0),
    ],
)
def test_accuracy_reward(text, solution, task, reward):
    assert accuracy_reward([text], [solution], task=task) == [reward]


@pytest.mark.parametrize(
    ("text", "gt", "reward"),
    [
        (TAG_GOOD, (12.5, 20.0), 1.0),
        (TAG_GOOD, (12.54, 20.04), 1.0),  # truth rounded to 0.1 s
        (TAG_GOOD, (10.0, 20.0), 0.75),
        ("<glue>[-1.0, -1.0]</glue>", (-1.0, -1.0), 1.0),
        ("<glue>[-1, -1]</glue>", (0.0, 0.0), 1.0),  # VAU-Bench's 0/0 Normal
        ("<glue>[-1.0, -1.0]</glue>", (10.0, 20.0), 0.0),
        (TAG_GOOD, (-1.0, -1.0), 0.0),
        ("<answer>Anomaly</answer>", (10.0, 20.0), 0.0),  # no glue
        ("<glue>[5, 5]</glue>", (0.0, 10.0), 0.0),
        ("<glue>[00:00:12.5, 00:00:20]</glue>", (12.5, 20.0), 1.0),  # the parser's times
        ("<answer>Normal</answer><glue>[3.0, 5.0]</glue>", (0.0, 0.0), 1.0),  # Normal said
        ("<answer>Normal</answer><glue>[3.0, 5.0]</glue>", (3.0, 5.0), 0.0),
    ],
)
def test_temporal_iou_reward(text, gt, reward):
    assert temporal_iou_reward([text], [gt]) == [pytest.approx(reward)]


def test_rewards_accept_chat_completions_and_per_sample_columns():
    completions = [[{"role": "assistant", "content": QA_GOOD}], [{"content": TAG_GOOD}]]
    tasks = ["qa", "grounding"]
    assert format_reward(completions, task=tasks) == [1.0, 1.0]
    assert accuracy_reward(completions, ["B", "Normal"], task=tasks) == [1.0, 0.0]


def test_rewards_sum_unweighted_per_completion():
    completions = [TAG_GOOD, "<answer>Normal</answer>"]
    kwargs = {"solution": ["Anomaly", "Anomaly"], "interval": [(10, 20), (10, 20)]}
    per_reward = [f(completions, task="grounding", **kwargs) for f in REWARDS.values()]
    assert [sum(values) for values in zip(*per_reward, strict=True)] == [2.75, 0.0]


@pytest.mark.parametrize(
    ("completion", "text"),
    [("plain", "plain"), ({"content": "d"}, "d"), ([{"content": "m"}], "m"), ([], ""), (None, "")],
)
def test_completion_text(completion, text):
    assert completion_text(completion) == text
