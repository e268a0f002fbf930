"""inference.core.protocol: the writer, the format rule, one rule for parser, rewards, scorer."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.core import protocol
from inference.core.metrics import accuracy_reward, format_reward, temporal_iou_reward
from inference.core.parse import parse_response
from inference.core.specs import SPECS, scored_tasks, spec
from inference.core.tasks import CLASSES, DEFAULT_FPS, GROUNDING_ANSWERS, TASKS
from inference.core.vaubench import BenchRow
from inference.eval.scoring import score_predictions
from tests.test_parse import ATOMS, OUTPUTS

# --- the writer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "answer", "reasoning", "interval", "think", "expected"),
    [
        ("qa", "B", "why", None, True, "<think>why</think><answer>B</answer>"),
        ("qa", "b", None, None, False, "<answer>B</answer>"),
        ("qa", "B", "ignored", None, False, "<answer>B</answer>"),
        ("classification", "fire", " why ", None, True, "<think>why</think><answer>Fire</answer>"),
        ("classification", "traffic accident", None, None, False,
         "<answer>Traffic_accident</answer>"),
        ("grounding", "Anomaly", "why", (12.25, 20), True,
         "<think>why</think><answer>Anomaly</answer><glue>[12.2, 20.0]</glue>"),
        ("grounding", "normal", "why", None, True,
         "<think>why</think><answer>Normal</answer><glue>[-1.0, -1.0]</glue>"),
        ("grounding", "Normal", "why", (3.0, 4.0), True,
         "<think>why</think><answer>Normal</answer><glue>[-1.0, -1.0]</glue>"),
        ("grounding", "Anomaly", None, (3, 4.56), False, "<glue>[3.0, 4.6]</glue>"),
        ("grounding", "Normal", None, None, False, "<glue>[-1.0, -1.0]</glue>"),
        ("description", "A man walks.", None, None, False, "A man walks."),
        ("description", "It is normal.", "check", None, True,
         "<think>check</think><answer>It is normal.</answer>"),
    ],
)  # fmt: skip
def test_write_follows_the_grammar(task, answer, reasoning, interval, think, expected):
    text = protocol.write(task, answer, reasoning=reasoning, interval=interval, think=think)
    assert text == expected
    assert protocol.format_ok(text, task, think)


@pytest.mark.parametrize(
    ("task", "answer", "kwargs", "message"),
    [
        ("qa", "A", {"reasoning": "  "}, "needs reasoning"),
        ("qa", "E", {"think": False}, "a qa answer is a letter"),
        ("qa", "B. Fire", {"think": False}, "a qa answer is a letter"),
        ("classification", "Road rage", {"think": False}, "one of Abuse"),
        ("grounding", "Maybe", {"think": False}, "Anomaly or Normal"),
        ("grounding", "Anomaly", {"think": False}, "needs its interval"),
        ("grounding", "Anomaly", {"think": False, "interval": (-2.0, 4.0)}, "0 <= start"),
        ("grounding", "Anomaly", {"think": False, "interval": (9.0, 4.0)}, "0 <= start"),
        ("grounding", "Anomaly", {"think": False, "interval": (0.0, float("inf"))}, "0 <= start"),
        ("grounding", "Anomaly", {"think": False, "interval": (0.0, 0.04)}, "reads as Normal"),
        ("qa", "A", {"reasoning": "x</think><answer>B"}, "cannot contain"),
        ("description", "<answer>x</answer>", {"think": False}, "tag-free"),
        ("tag", "A", {}, "unknown task"),
    ],
)
def test_write_refuses_what_would_not_read_back(task, answer, kwargs, message):
    with pytest.raises(ValueError, match=message):
        protocol.write(task, answer, **kwargs)


# --- round trip: whatever is written reads back as written --------------------------------------

_words = st.text(alphabet="abcdefghij klmnop.,'", min_size=1, max_size=40).filter(str.strip)
_tenths = st.integers(min_value=0, max_value=36000)  # times in tenths of a second


@st.composite
def _written(draw):
    """A task, think variant and answer fields the writer accepts."""
    task = draw(st.sampled_from(TASKS))
    think = draw(st.booleans())
    reasoning = draw(_words) if think else None
    interval = None
    if task == "qa":
        answer = draw(st.sampled_from("ABCD"))
    elif task == "classification":
        answer = draw(st.sampled_from(CLASSES))
    elif task == "grounding":
        answer = draw(st.sampled_from(GROUNDING_ANSWERS))
        if answer == "Anomaly":
            start = draw(_tenths)
            end = start + draw(st.integers(min_value=1, max_value=6000))
            interval = (start / 10, end / 10)
    else:
        answer = draw(_words).strip()
    return task, think, answer, reasoning, interval


@settings(max_examples=400, deadline=None)
@given(_written())
def test_what_is_written_parses_back_to_the_same_fields(case):
    task, think, answer, reasoning, interval = case
    text = protocol.write(task, answer, reasoning=reasoning, interval=interval, think=think)
    result = parse_response(text, task, think)
    assert result.format_ok and protocol.format_ok(text, task, think)
    assert result.answer == answer
    assert result.think == (reasoning.strip() if think else None)
    assert result.interval == (interval if task == "grounding" else None)


@settings(max_examples=200, deadline=None)
@given(_written())
def test_what_is_written_earns_every_reward_of_its_task(case):
    task, think, answer, reasoning, interval = case
    text = protocol.write(task, answer, reasoning=reasoning, interval=interval, think=think)
    assert format_reward([text], task=task, think=think) == [1.0]
    if "accuracy" in spec(task).rewards:
        assert accuracy_reward([text], [answer], task=task) == [1.0]
    if "iou" in spec(task).rewards:
        truth = protocol.interval_values(interval)
        assert temporal_iou_reward([text], [truth]) == [1.0]


# --- agreement: the reward, the parser and the scorer never disagree ----------------------------


def _texts() -> list[str]:
    """The parser's table of messy outputs plus seeded tag soup."""
    rng = random.Random(20261202)
    soup = ["".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 30))) for _ in range(300)]
    return [case[2] for case in OUTPUTS] + soup


TEXTS = _texts()


@pytest.mark.parametrize("think", [True, False, None])
@pytest.mark.parametrize("task", TASKS)
def test_format_reward_is_format_ok_is_result_format_ok(task, think):
    for text in TEXTS:
        rule = protocol.format_ok(text, task, think)
        assert parse_response(text, task, think).format_ok is rule, text
        if think is not None:
            assert format_reward([text], task=task, think=think) == [float(rule)], text


def _row(correct: str | None, anomaly_class: str | None) -> BenchRow:
    options = ("one", "two", "three", "four")
    return BenchRow(2, "v.mp4", "msad", "Q?", options, correct, None, None, None,
                    anomaly_class, 1.0, 5.0)  # fmt: skip


_SOLUTIONS = {"qa": list("ABCD"), "classification": list(CLASSES)}


@pytest.mark.parametrize("task", sorted(_SOLUTIONS))
def test_accuracy_reward_is_one_exactly_when_the_scorer_counts_it_right(task):
    for text in TEXTS:
        for solution in _SOLUTIONS[task]:
            row = _row(solution, None) if task == "qa" else _row("A", solution)
            scored = score_predictions([row], {"v.mp4": {"raw": text, "task": task}}, task)
            assert accuracy_reward([text], [solution], task=task) == [scored.items[0].value], text


@pytest.mark.parametrize("truth", [(1.0, 5.0), (0.0, 12.5), (30.2, 31.0)])
def test_iou_reward_is_the_scorers_iou_on_annotated_rows(truth):
    row = BenchRow(2, "v.mp4", "msad", None, None, None, None, None, None, "Fire", *truth)
    for text in TEXTS:
        scored = score_predictions([row], {"v.mp4": {"raw": text}}, "grounding")
        assert temporal_iou_reward([text], [truth]) == [scored.items[0].value], text


# --- the Normal markers and the interval reader ---------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "has_span", "says_normal", "span"),
    [
        ((-1.0, -1.0), False, True, None),
        ((0.0, 0.0), False, True, None),
        ((-3.0, 5.0), True, False, None),
        ((5.0, 2.0), True, False, (2.0, 5.0)),
        ((0.0, 4.0), True, False, (0.0, 4.0)),
    ],
)
def test_normal_markers(pair, has_span, says_normal, span):
    assert protocol.has_span(pair) is has_span
    assert protocol.says_normal(pair) is says_normal
    assert protocol.span(pair) == span


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("<glue>[1.5, 3]</glue>", (1.5, 3.0)),
        ("<glue>[1, 2]</glue> then <glue>[3, 4]</glue>", (3.0, 4.0)),
        ("<glue>[00:01:05, 00:01:10]", (65.0, 70.0)),
        ("<glue>[-1, -1]</glue>", (-1.0, -1.0)),
        ("[1, 2]", None),
    ],
)
def test_glue_pair(text, pair):
    assert protocol.glue_pair(text) == pair


@pytest.mark.parametrize(
    ("text", "letter"),
    [("B", "B"), (" c ", "C"), ("(b) the man", "B"), ("d. a car", "D"), ("B, not C", "B"),
     ("a man falls", None), ("Because", None), ("", None), (None, None)],
)  # fmt: skip
def test_answer_letter(text, letter):
    assert protocol.answer_letter(text) == letter


# --- the task registry --------------------------------------------------------------------------


def test_every_task_has_a_spec_and_a_default_fps():
    assert tuple(SPECS) == TASKS == tuple(DEFAULT_FPS)  # the rate lives in tasks.DEFAULT_FPS
    assert all(fps > 0 for fps in DEFAULT_FPS.values())


def test_the_rewards_of_a_spec_are_known_rewards():
    from inference.core.metrics import REWARDS

    assert all(set(s.rewards) <= set(REWARDS) for s in SPECS.values())
    assert spec("grounding").rewards == ("format", "accuracy", "iou")


def test_description_has_no_automatic_metric():
    assert scored_tasks() == ("qa", "grounding", "classification")
    with pytest.raises(ValueError, match="unknown task"):
        spec("tag")


@pytest.mark.parametrize(
    ("streamed", "shown"),
    [
        ("<", ""),
        ("<thi", ""),
        ("reasoning </thi", "reasoning "),
        ("<answer>A</answer><gl", "<answer>A</answer>"),
        ("< / glue", ""),
        ("a < b", "a < b"),  # not a tag's beginning
        ("<think>done</think>", "<think>done</think>"),
        ("x <span", "x <span"),
    ],
)
def test_a_tag_still_being_written_is_cut_from_a_stream(streamed: str, shown: str):
    assert protocol.without_partial_tag(streamed) == shown
