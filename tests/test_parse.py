"""inference.core.parse: messy model outputs, the format rule, times, steps, real VAU-Bench text."""

from __future__ import annotations

import csv
import json
import random

import pytest

from inference.core.parse import Result, parse_response
from inference.core.protocol import format_ok
from inference.core.steps import SECTIONS, Step, split_steps
from inference.core.tasks import TASKS
from inference.core.times import find_times, parse_time
from tests.conftest import SHARED_BENCH

BENCH = SHARED_BENCH
BENCH_FILES = ("test_msad.csv", "test_ucf_crime.csv", "test_ecva.csv", "val.csv")

# (id, task, output, think, answer, interval, format_ok)
OUTPUTS = [
    # --- multiple-choice QA
    ("qa-clean", "qa", "<think>He falls.</think><answer>B</answer>", "He falls.", "B", None, True),
    ("qa-no-think", "qa", "<answer>C</answer>", None, "C", None, True),
    ("qa-padded", "qa", "<think> x </think>\n<answer> D </answer>\n", "x", "D", None, True),
    ("qa-unclosed-both", "qa", "<think> he runs <answer> B", "he runs", "B", None, False),
    ("qa-unclosed-answer", "qa", "<think>a</think><answer>A", "a", "A", None, False),
    ("qa-angle-letter", "qa", "<think>smoke</think> so <C>.", "smoke", "C", None, False),
    (
        "qa-letter-after-think",
        "qa",
        "<think>A is wrong</think> D it is",
        "A is wrong",
        "D",
        None,
        False,
    ),
    ("qa-letter-anywhere", "qa", "Probably A, no wait, C.", None, "C", None, False),
    ("qa-lowercase-letter", "qa", "<answer>b</answer>", None, "B", None, True),
    ("qa-upper-tags", "qa", "<THINK>x</THINK><ANSWER>A</ANSWER>", "x", "A", None, False),
    ("qa-option-text", "qa", "<answer>(C) A fire starts</answer>", None, "C", None, True),
    ("qa-option-dot", "qa", "<answer>B. Fire and smoke</answer>", None, "B", None, True),
    (
        "qa-text-after",
        "qa",
        "<think>y</think><answer>A</answer> Hope it helps",
        "y",
        "A",
        None,
        False,
    ),
    ("qa-no-letter", "qa", "<answer>fire and smoke</answer>", None, None, None, True),
    ("qa-spaced-tags", "qa", "< think >z</ think ><answer>D</answer>", "z", "D", None, False),
    (
        "qa-prefilled-think",
        "qa",
        "I see smoke.</think><answer>B</answer>",
        "I see smoke.",
        "B",
        None,
        False,
    ),
    ("qa-empty-think", "qa", "<think></think><answer>A</answer>", "", "A", None, True),
    # decoding skips special tokens, so one in the text is text after the tags
    ("qa-special-token", "qa", "<answer>A</answer><|im_end|>", None, "A", None, False),
    ("qa-lower-marker", "qa", "<think>a</think><answer>(b) the man</answer>", "a", "B", None, True),
    ("qa-lower-dot", "qa", "<answer>c. the car</answer>", None, "C", None, True),
    ("qa-first-letter", "qa", "<answer>B, not C</answer>", None, "B", None, True),
    ("qa-article-is-no-letter", "qa", "<answer>a man falls</answer>", None, None, None, True),
    (
        "qa-glue-elsewhere",
        "qa",
        "<answer>A</answer><glue>[1.0, 2.0]</glue>",
        None,
        "A",
        (1.0, 2.0),
        False,
    ),
    # --- temporal anomaly grounding
    (
        "tag-clean",
        "grounding",
        "<think>fight</think><answer>Anomaly</answer><glue>[12.5, 20.0]</glue>",
        "fight",
        "Anomaly",
        (12.5, 20.0),
        True,
    ),
    ("tag-no-think", "grounding", "<glue>[3.0, 7.5]</glue>", None, "Anomaly", (3.0, 7.5), True),
    ("tag-no-think-normal", "grounding", "<glue>[-1.0, -1.0]</glue>", None, "Normal", None, True),
    (
        "tag-normal-padded",
        "grounding",
        "<think>calm</think><answer> Normal </answer><glue>[-1.0, -1.0]</glue>",
        "calm",
        "Normal",
        None,
        True,
    ),
    (
        "tag-glue-unclosed",
        "grounding",
        "<think>t</think><answer>Anomaly</answer><glue>[4.0, 9.0]",
        "t",
        "Anomaly",
        (4.0, 9.0),
        False,
    ),
    (
        "tag-hms",
        "grounding",
        "<think>t</think><answer>Anomaly</answer><glue>[00:01:05, 00:01:10]</glue>",
        "t",
        "Anomaly",
        (65.0, 70.0),
        False,
    ),
    (
        "tag-mmss",
        "grounding",
        "<glue>[01:05, 01:10.5]</glue>",
        None,
        "Anomaly",
        (65.0, 70.5),
        False,
    ),
    (
        "tag-bare-brackets",
        "grounding",
        "<answer>Anomaly</answer> [12.5, 20.0]",
        None,
        "Anomaly",
        (12.5, 20.0),
        False,
    ),
    (
        "tag-dash-brackets",
        "grounding",
        "<answer>Anomaly</answer> [12.5 - 20.0]",
        None,
        "Anomaly",
        (12.5, 20.0),
        False,
    ),
    (
        "tag-prose-range",
        "grounding",
        "An anomaly happens from 12.5s to 20s.",
        None,
        "Anomaly",
        (12.5, 20.0),
        False,
    ),
    (
        "tag-swapped",
        "grounding",
        "<think>t</think><answer>Anomaly</answer><glue>[20.0, 12.5]</glue>",
        "t",
        "Anomaly",
        (12.5, 20.0),
        False,
    ),
    (
        "tag-normal-wins",
        "grounding",
        "<think>t</think><answer>Normal</answer><glue>[12.0, 20.0]</glue>",
        "t",
        "Normal",
        None,
        True,
    ),
    (
        "tag-letter-b",
        "grounding",
        "<think>No anomaly at all</think><answer>B</answer>",
        "No anomaly at all",
        "Normal",
        None,
        False,
    ),
    (
        "tag-no-anomaly-words",
        "grounding",
        "<answer>There is no anomaly.</answer>",
        None,
        "Normal",
        None,
        False,
    ),
    (
        "tag-abnormal",
        "grounding",
        "<answer>abnormal</answer><glue>[1.0, 2.0]</glue>",
        None,
        "Anomaly",
        (1.0, 2.0),
        False,
    ),
    ("tag-zero-sentinel", "grounding", "<glue>[0.0, 0.0]</glue>", None, "Normal", None, True),
    ("tag-half-negative", "grounding", "<glue>[-3.0, 5.0]</glue>", None, None, None, True),
    (
        "tag-range-in-think",
        "grounding",
        "<think>The crash is at 10.0 to 14.5 seconds.</think><answer>Anomaly</answer>",
        "The crash is at 10.0 to 14.5 seconds.",
        "Anomaly",
        (10.0, 14.5),
        False,
    ),
    (
        "tag-text-after",
        "grounding",
        "<glue>[1.0, 2.0]</glue> done",
        None,
        "Anomaly",
        (1.0, 2.0),
        False,
    ),
    ("tag-nothing", "grounding", "I cannot tell.", None, None, None, False),
    # --- classification
    (
        "cls-clean",
        "classification",
        "<think>t</think><answer>Fighting</answer>",
        "t",
        "Fighting",
        None,
        True,
    ),
    (
        "cls-space-lower",
        "classification",
        "<answer>traffic accident</answer>",
        None,
        "Traffic_accident",
        None,
        True,
    ),
    (
        "cls-in-sentence",
        "classification",
        "<answer>It is People falling.</answer>",
        None,
        "People_falling",
        None,
        True,
    ),
    ("cls-untagged", "classification", "Robbery", None, "Robbery", None, False),
    (
        "cls-after-think",
        "classification",
        "<think>maybe fire</think> Explosion",
        "maybe fire",
        "Explosion",
        None,
        False,
    ),
    ("cls-unknown", "classification", "<answer>Road Dispute</answer>", None, None, None, True),
    ("cls-normal", "classification", "<answer> normal </answer>", None, "Normal", None, True),
    (
        "cls-think-never-closed",
        "classification",
        "<think>Fighting or Arson",
        "Fighting or Arson",
        None,
        None,
        False,
    ),
    # --- description (two turns joined by a blank line)
    (
        "desc-plain",
        "description",
        "A man walks.\n\nHe then falls.",
        None,
        "A man walks.\n\nHe then falls.",
        None,
        True,
    ),
    (
        "desc-think",
        "description",
        "A man walks.\n\n<think>check</think><answer>It is normal.</answer>",
        "check",
        "A man walks.\n\nIt is normal.",
        None,
        True,
    ),
    ("desc-stray-tag", "description", "A man walks.</answer>", None, "A man walks.", None, False),
    (
        "desc-glue",
        "description",
        "Smoke.\n\n<glue>[5.0, 9.0]</glue>",
        None,
        "Smoke.",
        (5.0, 9.0),
        False,
    ),
]


@pytest.mark.parametrize(
    ("task", "text", "think", "answer", "interval", "format_ok"),
    [pytest.param(*case[1:], id=case[0]) for case in OUTPUTS],
)
def test_messy_outputs_parse(task, text, think, answer, interval, format_ok):
    result = parse_response(text, task)
    assert (result.think, result.answer, result.interval, result.format_ok) == (
        think,
        answer,
        interval,
        format_ok,
    )


def test_the_table_covers_every_task_with_at_least_forty_cases():
    assert len(OUTPUTS) >= 40
    assert {case[1] for case in OUTPUTS} == set(TASKS)


@pytest.mark.parametrize(
    ("text", "answer_text"),
    [
        ("<answer> Normal </answer>", "Normal"),
        ("<think>x</think><answer>\n B \n", "B"),
        ("<think>x</think>B", None),
    ],
)
def test_answer_text_is_the_stripped_tag_content(text, answer_text):
    assert parse_response(text, "qa").answer_text == answer_text


# --- the format rule, variant by variant

FORMATS = [
    ("qa", "<think>a</think><answer>B</answer>", True, True),
    ("qa", "<think>a</think><answer>B</answer>", False, False),
    ("qa", "<answer>B</answer>", False, True),
    ("qa", "<answer>B</answer>", True, False),
    ("grounding", "<think>a</think><answer>Anomaly</answer><glue>[1.0, 2.0]</glue>", True, True),
    ("grounding", "<think>a</think><answer>Anomaly</answer>", True, False),
    (
        "grounding",
        "<think>a</think>\n<answer>Normal</answer>\n<glue>[-1.0, -1.0]</glue>",
        True,
        True,
    ),
    ("grounding", "<glue>[1.0, 2.0]</glue>", False, True),
    ("grounding", "<answer>Anomaly</answer><glue>[1.0, 2.0]</glue>", False, False),
    ("grounding", "<glue>[2.0, 1.0]</glue>", False, False),
    ("grounding", "<glue>[1, 1]</glue>", False, True),
    ("grounding", "<glue>[00:01, 00:02]</glue>", False, False),
    ("classification", "<think>a</think><answer>Fire</answer>", True, True),
    ("classification", "<answer>Fire</answer>", False, True),
    ("description", "A man walks.", False, True),
    ("description", "A man walks.", True, False),
    ("description", "Turn one.\n\n<think>a</think><answer>b</answer>", True, True),
    ("description", "<think>a</think>", None, False),
    ("description", "Turn one.\n\n<THINK>a</THINK><ANSWER>b</ANSWER>", True, False),
    ("description", "   ", None, False),
]


@pytest.mark.parametrize(("task", "text", "think", "expected"), FORMATS)
def test_format_rule(task, text, think, expected):
    assert format_ok(text, task, think) is expected


def test_parse_response_narrows_format_to_the_requested_variant():
    text = "<answer>B</answer>"
    assert parse_response(text, "qa", think=False).format_ok
    assert not parse_response(text, "qa", think=True).format_ok


def test_format_rule_on_non_text_is_false():
    assert format_ok(None, "qa") is False


def test_format_rule_wants_lowercase_tags():
    assert not format_ok("<THINK>a</THINK><ANSWER>B</ANSWER>", "qa")


# --- never raising


@pytest.mark.parametrize("value", [None, 3, b"<answer>B</answer>", ["x"], "", "   \n"])
def test_non_text_or_blank_gives_an_empty_result(value):
    result = parse_response(value, "qa")
    assert (result.answer, result.think, result.interval, result.steps) == (None, None, None, [])
    assert result.format_ok is False


def test_unknown_task_is_a_clear_value_error():
    with pytest.raises(ValueError, match="unknown task 'tag'"):
        parse_response("<answer>B</answer>", "tag")


ATOMS = [
    "<think>", "</think>", "<answer>", "</answer>", "<glue>", "</glue>", "<THINK>", "< /answer >",
    "[", "]", ",", "-", "12.5", "00:12", "1:02:03", "-1.0", "A", "B", "<C>", "### Location:",
    "**Key Evidence**:", "{'Specific Anomaly Type': '", "'Conclusion': \"", "}", "1. ", "Step 2:",
    "\n", "- ", "from 3 to 5 seconds", " ", "Normal", "Anomaly", "traffic accident", "é", "\x00",
    "9" * 400, "'", '"', "\\", "{", "[[[[", "((((", ":", "s", "to", "<|im_end|>",
]  # fmt: skip


def _tag_soup(rng: random.Random) -> str:
    return "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 60)))


def _noise(rng: random.Random) -> str:
    return "".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(0, 200)))


@pytest.mark.parametrize("make", [_tag_soup, _noise])
def test_random_text_never_raises_and_serialises(make):
    rng = random.Random(20250606)
    for _ in range(400):
        text = make(rng)
        for task in TASKS:
            result = parse_response(text, task)
            json.dumps(result.to_dict(), allow_nan=False)
            for step in result.steps:
                assert 0 <= step.span[0] <= step.span[1] <= len(text)
        assert isinstance(split_steps(text), list)
        parse_time(text)


@pytest.mark.parametrize(
    "text",
    ["<think>" * 5000, "A " * 20000, "1. " * 5000, "[1, " * 5000, "9" * 20000, "12.5 to " * 3000],
)
def test_pathological_text_parses(text):
    for task in TASKS:
        assert parse_response(text, task).raw == text


# --- times

TIMES = [
    ("12.5", 12.5),
    ("12", 12.0),
    ("12.5s", 12.5),
    ("12.5 seconds", 12.5),
    ("01:02", 62.0),
    ("00:01:02.5", 62.5),
    ("1:02:03", 3723.0),
    ("1m30s", 90.0),
    ("2 min", 120.0),
    ("-1", -1.0),
    (" 7 ", 7.0),
    ("1:75", None),
    ("1:60:00", None),
    ("abc", None),
    ("", None),
    ("9" * 30, None),
    (None, None),
]


@pytest.mark.parametrize(("text", "seconds"), TIMES)
def test_parse_time(text, seconds):
    assert parse_time(text) == seconds


PROSE_TIMES = [
    ("at 12.5s he falls", [(12.5, 12.5)]),
    ("around 00:12 and again at 1:02:03", [(12.0, 12.0), (3723.0, 3723.0)]),
    ("from 12.5 to 20.0", [(12.5, 20.0)]),
    ("12.5 to 20.0 then 30.1-31.0", [(12.5, 20.0), (30.1, 31.0)]),
    ("from 3 to 5 seconds", [(3.0, 5.0)]),
    ("between 2 and 4 s", [(2.0, 4.0)]),
    ("the [12.5, 20.0] window", [(12.5, 20.0)]),
    ("the 12-second mark", [(12.0, 12.0)]),
    ("after 2 minutes", [(120.0, 120.0)]),
    ("from 3 to 5 people", []),
    ("in the 1990s", []),
    ("a 4S store", []),
    ("at 1:12 AM", []),
    ("between 07:23 and 07:28 PM", []),
    ("on 2023-05-01", []),
    ("5 m away, 3 sets", []),
    ("no time [-1.0, -1.0]", []),
    ("step 1. then 2. done", []),
]


@pytest.mark.parametrize(("text", "times"), PROSE_TIMES)
def test_find_times_in_prose(text, times):
    assert find_times(text) == times


# --- steps

MARKDOWN = (
    "### Specific Anomaly Type: Fire  ### Location: Kitchen  ### Key Evidence: Smoke at 00:05 "
    "### Detailed Explanation: Flames grow from 5.0 to 9.0 seconds. ### Cause and Effect: A pan. "
    "### Conclusion: Fire."
)
BOLD = (
    "**Specific Anomaly Type**: Fire\n**Location:** Kitchen\n**Key Evidence**: Smoke\n"
    "**Detailed Explanation**: Flames.\n**Cause and Effect**: A pan.\n**Conclusion**: Fire."
)
DICT = (
    "{'Specific Anomaly Type': 'Fire', 'Location': 'Kitchen', 'Key Evidence': ['smoke', 'flames'],"
    " 'Detailed Explanation': \"The cook's pan burns.\", 'Cause and Effect': 'A pan.', "
    "'Conclusion': 'Fire.'}"
)
BROKEN_DICT = (
    "{'Specific Anomaly Type': 'Fire', 'Location': 'Kitchen', 'Key Evidence': 'smoke', "
    "'Detailed Explanation': 'It's burning', 'Cause and Effect': 'A pan.', 'Conclusion': 'Fire"
)
STEP_TABLES = [
    ("markdown", MARKDOWN, list(SECTIONS), ["Fire", "Kitchen", "Smoke at 00:05"]),
    ("bold", BOLD, list(SECTIONS), ["Fire", "Kitchen", "Smoke"]),
    ("dict", DICT, list(SECTIONS), ["Fire", "Kitchen", "smoke; flames", "The cook's pan burns."]),
    (
        "bold-inline",
        "**Specific Anomaly Type**: Fire **Location**: Kitchen **Conclusion**: Fire.",
        ["Specific Anomaly Type", "Location", "Conclusion"],
        ["Fire", "Kitchen", "Fire."],
    ),
    (
        "json-dict",
        '{"Specific Anomaly Type": "Fire", "Location": "Kitchen"}',
        ["Specific Anomaly Type", "Location"],
        ["Fire", "Kitchen"],
    ),
    ("broken-dict", BROKEN_DICT, list(SECTIONS), ["Fire", "Kitchen", "smoke", "It's burning"]),
    (
        "numbered",
        "Look first.\n1. A man enters.\n2. He grabs a bag.\n3. He runs.",
        [None, None, None, None],
        ["Look first.", "A man enters.", "He grabs a bag.", "He runs."],
    ),
    (
        "step-n",
        "Step 1: Watch the door. Step 2: See the fall.",
        [None, None],
        ["Watch the door.", "See the fall."],
    ),
    (
        "bold-labels",
        "1. **Setting**: A street.\n2. **Action**: A crash.",
        ["Setting", "Action"],
        ["A street.", "A crash."],
    ),
    (
        "bullets",
        "- smoke\n- flames\n* a fire truck",
        [None] * 3,
        ["smoke", "flames", "a fire truck"],
    ),
    (
        "sentences",
        "A man walks in. He falls at 12.5s! Why? Nobody knows.",
        [None] * 4,
        ["A man walks in.", "He falls at 12.5s!", "Why?", "Nobody knows."],
    ),
    (
        "decimal-not-split",
        "He falls at 12.5 s and stays.",
        [None],
        ["He falls at 12.5 s and stays."],
    ),
    ("one-section-is-prose", "Location: a street. Nothing else.", [None, None], None),
]


@pytest.mark.parametrize(
    ("text", "titles", "texts"), [pytest.param(*row[1:], id=row[0]) for row in STEP_TABLES]
)
def test_split_steps(text, titles, texts):
    steps = split_steps(text)
    assert [s.title for s in steps] == titles
    if texts is not None:
        assert [s.text for s in steps][: len(texts)] == texts
    assert [s.index for s in steps] == list(range(len(steps)))


def test_step_times_are_collected_per_step():
    steps = split_steps(MARKDOWN)
    assert steps[2].times == [(5.0, 5.0)]
    assert steps[3].times == [(5.0, 9.0)]


@pytest.mark.parametrize("text", [MARKDOWN, BOLD, "1. a b\n2. c d", "One. Two! Three?"])
def test_step_spans_point_at_the_step_text(text):
    for step in split_steps(text):
        assert text[step.span[0] : step.span[1]] == step.text


def test_dict_step_spans_point_at_the_value_source():
    step = split_steps(DICT)[3]
    assert DICT[step.span[0] : step.span[1]] == "The cook's pan burns."


def test_unknown_headings_and_repeats_stay_in_the_previous_section():
    text = MARKDOWN + " ### Answer: A ### Conclusion: again"
    steps = split_steps(text)
    assert [s.title for s in steps] == list(SECTIONS)
    assert steps[-1].text == "Fire. ### Answer: A ### Conclusion: again"


def test_text_before_the_first_section_is_an_untitled_step():
    steps = split_steps("Let me look.\n" + BOLD)
    assert [s.title for s in steps] == [None, *SECTIONS]


def test_strongest_heading_wins_over_a_bold_label_inside_a_section():
    text = (
        "### Specific Anomaly Type: Fire ### Location: Home ### Key Evidence: Smoke "
        "### Detailed Explanation: 1. **Cause and Effect**: early mention "
        "### Cause and Effect: the real one ### Conclusion: Fire."
    )
    steps = split_steps(text)
    assert steps[4].text == "the real one"
    assert "early mention" in steps[3].text


@pytest.mark.parametrize("value", [None, "", "  \n ", 5])
def test_no_steps_in_nothing(value):
    assert split_steps(value) == []


def test_parse_response_steps_come_from_think_with_spans_in_raw():
    raw = "<think>\n1. He enters at 00:03.\n2. He falls.</think><answer>B</answer>"
    result = parse_response(raw, "qa")
    assert [s.text for s in result.steps] == ["He enters at 00:03.", "He falls."]
    assert result.steps[0].times == [(3.0, 3.0)]
    for step in result.steps:
        assert raw[step.span[0] : step.span[1]] == step.text


def test_no_think_means_no_steps_except_for_description():
    assert parse_response("<answer>B</answer>", "qa").steps == []
    steps = parse_response("A man walks. He falls.", "description").steps
    assert [s.text for s in steps] == ["A man walks.", "He falls."]


def test_description_steps_never_include_tags():
    raw = (
        "Turn one.\n\n<think>### Location: street ### Conclusion: ok</think><answer>Fine.</answer>"
    )
    steps = parse_response(raw, "description").steps
    assert [(s.title, s.text) for s in steps] == [
        (None, "Turn one."),
        ("Location", "street"),
        ("Conclusion", "ok"),
        (None, "Fine."),
    ]
    assert all(raw[s.span[0] : s.span[1]] == s.text for s in steps)


def test_result_round_trips_through_json():
    result = parse_response(
        "<think>1. at 1.0 to 2.0\n2. b</think><answer>Anomaly</answer><glue>[1.0, 2.0]</glue>",
        "grounding",
    )
    again = Result.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    assert isinstance(again.steps[0], Step)


# --- the real VAU-Bench Reasoning column


def _bench_reasonings() -> list[tuple[str, str]]:
    rows = []
    for name in BENCH_FILES:
        with open(BENCH / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Reasoning"].strip() not in ("-1", "-1.0", ""):
                    rows.append((name, row["Reasoning"]))
    return rows


@pytest.mark.skipif(not BENCH.is_dir(), reason="VAU-Bench annotations not present")
def test_every_bench_reasoning_splits_into_the_six_sections_in_order():
    reasonings = _bench_reasonings()
    assert len(reasonings) == 240 + 251 + 438 + 734  # every usable row of the four files
    wrong = [
        (name, text[:80])
        for name, text in reasonings
        if [s.title for s in split_steps(text)] != list(SECTIONS)
    ]
    assert wrong == []


@pytest.mark.skipif(not BENCH.is_dir(), reason="VAU-Bench annotations not present")
def test_bench_sections_are_never_empty_and_markdown_spans_are_exact():
    for _, text in _bench_reasonings():
        for step in split_steps(text):
            assert step.text
            if not text.lstrip().startswith("{"):
                assert text[step.span[0] : step.span[1]] == step.text
