"""One table of keys: the page's handler, the `?` list and the README all come from it."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from app.hotkeys import GESTURES, HOTKEYS, bindings, help_html, keys_js, markdown_table
from app.settings import ROOT


def press(binding: dict) -> tuple:
    return (binding["code"], binding["key"], binding["mod"], binding["shift"])


def test_no_two_shortcuts_share_a_key_press():
    counts = Counter(press(b) for b in bindings())
    assert [p for p, n in counts.items() if n > 1] == []


def test_every_binding_does_one_thing():
    for b in bindings():
        assert bool(b["button"]) != bool(b["command"]), b
        assert bool(b["code"]) != bool(b["key"]), b


def test_the_page_handler_is_given_the_whole_table():
    script = keys_js()
    table = json.loads(script[script.rindex("})(") + 3 : -1])
    assert table == bindings()


@pytest.mark.parametrize("command", sorted({b["command"] for b in bindings()} - {""}))
def test_every_command_exists_in_the_page_script(command):
    source = (ROOT / "assets" / "keys.js").read_text()
    assert f"{command}(" in source or f'"{command}"(' in source


def test_the_help_lists_every_key_and_gesture():
    page = help_html()
    for hotkey in HOTKEYS:
        assert hotkey.does in page
    for gesture, does in GESTURES:
        assert gesture in page and does in page


def test_the_readme_shows_the_table():
    assert markdown_table() in (ROOT / "README.md").read_text()
