"""inference.core.prompts: every task renders with its tags and options; templates are data."""

from __future__ import annotations

import json
import re

import pytest

from inference.core.parse import parse_response
from inference.core.prompts import (
    DEFAULT,
    TEMPLATES,
    Prompt,
    Templates,
    build_prompt,
    load_templates,
    main,
)
from inference.core.tasks import CLASSES, TASKS

QUESTION = "What does the man in red do?"
OPTIONS = ["He runs away", "He falls", "He sits down", "Nothing happens"]


def _prompt(task: str, think: bool, templates: Templates | None = None) -> Prompt:
    return build_prompt(task, think, QUESTION, OPTIONS, templates)


@pytest.mark.parametrize("think", [True, False])
@pytest.mark.parametrize("task", TASKS)
def test_every_task_renders(task, think):
    prompt = _prompt(task, think)
    assert (prompt.task, prompt.think) == (task, think)
    assert all(turn.strip() for turn in prompt.turns)
    assert "{" not in "".join(prompt.turns)  # no placeholder left unfilled


@pytest.mark.parametrize(
    ("task", "think", "tags", "absent"),
    [
        ("qa", True, ["<think>", "</think>", "<answer>", "</answer>"], ["<glue>"]),
        ("qa", False, ["<answer>", "</answer>"], ["<think>", "<glue>"]),
        ("grounding", True, ["<think>", "<answer>", "<glue>", "</glue>", "[-1.0, -1.0]"], []),
        ("grounding", False, ["<glue>", "</glue>", "[-1.0, -1.0]"], ["<think>", "<answer>"]),
        ("classification", True, ["<think>", "<answer>"], ["<glue>"]),
        ("classification", False, ["<answer>"], ["<think>", "<glue>"]),
        ("description", True, ["<think>", "<answer>"], ["<glue>"]),
        ("description", False, [], ["<think>", "<answer>", "<glue>"]),
    ],
)
def test_tag_instructions_match_the_variant(task, think, tags, absent):
    text = "\n".join(_prompt(task, think).turns)
    assert all(tag in text for tag in tags)
    assert not any(tag in text for tag in absent)


def test_qa_wraps_the_question_and_letters_the_options():
    turn = _prompt("qa", True).turns[0]
    assert f'"{QUESTION}"' in turn
    assert "A. He runs away\nB. He falls\nC. He sits down\nD. Nothing happens" in turn


def test_qa_with_two_options_letters_a_and_b():
    turn = build_prompt("qa", False, "Is it raining?", ["Yes", "No"]).turns[0]
    assert "A. Yes\nB. No" in turn
    assert "C." not in turn


def test_qa_options_already_lettered_are_not_lettered_twice():
    turn = build_prompt("qa", True, QUESTION, ["A. Fire", "B) Smoke", "C: Rain"]).turns[0]
    assert "A. Fire\nB. Smoke\nC. Rain" in turn


def test_grounding_offers_anomaly_and_normal_and_asks_for_seconds():
    turn = _prompt("grounding", False).turns[0]
    assert "[Anomaly, Normal]" in turn
    assert "seconds" in turn and "one decimal" in turn
    assert QUESTION not in turn  # the task's own fixed question


def test_classification_offers_all_twenty_classes():
    turn = _prompt("classification", True).turns[0]
    assert "[" + ", ".join(CLASSES) + "]" in turn
    assert len(CLASSES) == 20


def test_description_has_two_turns_describe_then_analyse():
    first, second = _prompt("description", False).turns
    assert "five sentences" in first and "watermark" in first
    assert "why" in second and "anomaly" in second


def test_description_asks_for_tags_only_in_the_analysis_turn():
    first, second = _prompt("description", True).turns
    assert "<think>" not in first
    assert "<think>" in second


@pytest.mark.parametrize(
    ("task", "think", "example"),
    [
        ("qa", True, "<think>your reasoning</think><answer>B</answer>"),
        ("qa", False, "<answer>B</answer>"),
        (
            "grounding",
            True,
            "<think>your reasoning</think><answer>Anomaly</answer><glue>[12.5, 20.0]</glue>",
        ),
        ("grounding", False, "<glue>[12.5, 20.0]</glue>"),
        ("classification", True, "<think>your reasoning</think><answer>Fighting</answer>"),
        ("classification", False, "<answer>Fighting</answer>"),
    ],
)
def test_the_example_in_each_prompt_passes_the_format_rule(task, think, example):
    assert example in _prompt(task, think).turns[-1]
    assert parse_response(example, task, think=think).format_ok


@pytest.mark.parametrize(
    ("question", "options", "message"),
    [
        (None, OPTIONS, "needs a question"),
        ("   ", OPTIONS, "needs a question"),
        (QUESTION, None, "2 to 4 options"),
        (QUESTION, "He falls", "2 to 4 options"),
        (QUESTION, ["Only one"], r"2 to 4 options \(A-D\), got 1"),
        (QUESTION, ["a", "b", "c", "d", "e"], r"got 5"),
        (QUESTION, ["a", "  "], "option B is empty"),
    ],
)
def test_bad_qa_input_is_a_clear_value_error(question, options, message):
    with pytest.raises(ValueError, match=message):
        build_prompt("qa", True, question, options)


def test_other_tasks_ignore_question_and_options():
    assert build_prompt("grounding", True) == build_prompt("grounding", True, QUESTION, ["x"])


def test_unknown_task_is_a_value_error():
    with pytest.raises(ValueError, match="unknown task"):
        build_prompt("captioning")


def test_default_has_no_system_message():
    assert _prompt("qa", True).system is None


def test_prompt_to_dict_is_json():
    data = json.loads(json.dumps(_prompt("description", True).to_dict()))
    assert data["task"] == "description" and len(data["turns"]) == 2


# --- templates as data


def test_registry_holds_the_default():
    assert DEFAULT == "vau-r1" and isinstance(TEMPLATES[DEFAULT], Templates)


def test_default_dumps_to_json_that_loads_back_unchanged(tmp_path):
    path = tmp_path / "copy.json"
    path.write_text(TEMPLATES[DEFAULT].to_json(), encoding="utf-8")
    assert load_templates(path) == TEMPLATES[DEFAULT]
    assert set(json.loads(path.read_text())) == set(Templates.key_names())


def test_a_template_file_overrides_wording_and_keeps_the_rest(tmp_path):
    path = tmp_path / "mine.json"
    custom = {
        "system": "You watch surveillance video.",
        "wrapper": "Q: {question}\nChoices:\n{options}\n{instructions}",
        "option": "({letter}) {text}",
    }
    path.write_text(json.dumps(custom), encoding="utf-8")
    templates = load_templates(path)
    prompt = build_prompt("qa", True, QUESTION, OPTIONS, templates)
    assert prompt.system == "You watch surveillance video."
    assert prompt.turns[0].startswith(f"Q: {QUESTION}\nChoices:\n(A) He runs away\n(B) He falls")
    assert templates.qa_think == TEMPLATES[DEFAULT].qa_think
    assert prompt.turns[0].endswith(TEMPLATES[DEFAULT].qa_think)


def test_literal_braces_are_written_doubled(tmp_path):
    path = tmp_path / "braces.json"
    path.write_text(json.dumps({"describe": "Describe {{everything}}."}), encoding="utf-8")
    turns = build_prompt("description", False, templates=load_templates(path)).turns
    assert turns[0] == "Describe {everything}."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"wrapper": "{question} {options} {instructions}", "colour": "x"}',
            "unknown template key 'colour'",
        ),
        ('{"wrapper": "{question} {options}"}', r"'wrapper' must contain \{instructions\}"),
        (
            '{"wrapper": "{question} {options} {instructions} {video}"}',
            r"unknown placeholder \{video\}",
        ),
        ('{"option": "{letter}. {text} {0}"}', "bad placeholder"),
        ('{"option": "{letter.upper}. {text}"}', "bad placeholder"),
        ('{"option": "{letter:>3}. {text}"}', "bad placeholder"),
        ('{"describe": "Describe {everything}."}', r"unknown placeholder \{everything\}"),
        ('{"describe": "Describe }"}', "not a valid format string.*write {{ and }}"),
        ('{"qa_plain": 5}', "'qa_plain' must be a string, not int"),
        ('{"qa_plain": null}', "'qa_plain' must be a string, not NoneType"),
        ('["not", "an", "object"]', "must hold a JSON object"),
        ('{"wrapper": ', "is not valid JSON .*line 1"),
    ],
)
def test_bad_template_files_fail_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        load_templates(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_template_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_templates(tmp_path / "nope.json")


def test_non_utf8_template_file_is_a_value_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"describe": "caf\xe9"}')
    with pytest.raises(ValueError, match="not UTF-8"):
        load_templates(path)


def test_templates_built_in_code_are_validated_too():
    with pytest.raises(ValueError, match="unknown placeholder"):
        Templates.from_dict({"describe": "{nope}"}, TEMPLATES[DEFAULT])


def test_a_complete_template_set_needs_every_key():
    with pytest.raises(ValueError, match="missing template key"):
        Templates.from_dict({"describe": "x"})


def test_user_text_with_braces_is_inserted_verbatim():
    turn = build_prompt("qa", True, "What is {this}?", ["{a}", "b}"]).turns[0]
    assert '"What is {this}?"' in turn and "A. {a}\nB. b}" in turn


def test_module_prints_the_default_as_json(capsys):
    assert main([]) == 0
    assert Templates.from_dict(json.loads(capsys.readouterr().out)) == TEMPLATES[DEFAULT]


def test_module_rejects_an_unknown_name(capsys):
    assert main(["nope"]) == 2
    assert re.search(r"usage: python -m inference.core.prompts", capsys.readouterr().err)
