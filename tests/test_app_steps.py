"""The step view: highlighting, escaping, seeking and per-step edits of the reasoning."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from app.steps import clamp, format_times, replace_step, seek_time, step_html, step_source

TEXT = "1. A man walks in at 00:02.\n2. He breaks the window at 5.5 to 8 seconds.\n3. He runs."


@dataclass
class FakeStep:
    index: int
    title: str | None
    text: str
    times: list[tuple[float, float]] = field(default_factory=list)
    span: tuple[int, int] = (-1, -1)


def _steps(text: str = TEXT) -> list[FakeStep]:
    steps, offset = [], 0
    for i, line in enumerate(text.split("\n")):
        steps.append(FakeStep(i, None, line[3:], span=(offset, offset + len(line))))
        offset += len(line) + 1
    steps[0].times, steps[1].times = [(2.0, 2.0)], [(5.5, 8.0)]
    return steps


@pytest.mark.parametrize(
    ("index", "count", "expected"), [(-1, 3, 0), (1, 3, 1), (7, 3, 2), (0, 0, 0), (3, 0, 0)]
)
def test_clamp_keeps_the_index_in_range(index, count, expected):
    assert clamp(index, count) == expected


def test_current_step_is_marked_inside_the_whole_text():
    view = step_html(TEXT, _steps(), 1)
    assert '<mark class="vau-current">2. He breaks the window at 5.5 to 8 seconds.</mark>' in view
    assert "Step 2 of 3" in view
    assert "5.5–8.0 s" in view


def test_model_text_is_escaped_never_injected():
    text = "1. <script>alert(1)</script> & <img src=x onerror=y>"
    steps = [FakeStep(0, "<i>Title</i>", text, span=(0, len(text)))]
    view = step_html(text, steps, 0)
    assert "<script>" not in view and "<img" not in view and "<i>Title" not in view
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in view
    assert "&lt;i&gt;Title&lt;/i&gt;" in view


def test_step_without_a_span_is_shown_on_its_own():
    view = step_html("whatever", [FakeStep(0, None, "from elsewhere")], 0)
    assert '<mark class="vau-current">from elsewhere</mark>' in view


def test_text_without_steps_is_shown_whole():
    assert "just prose" in step_html("just prose", [], 0)


def test_empty_reasoning_says_what_to_do():
    assert "run the model" in step_html("  ", [], 0)


@pytest.mark.parametrize(
    ("times", "expected"), [([], None), ([(5.5, 8.0)], 5.5), ([(9.0, 9.0), (3.0, 4.0)], 3.0)]
)
def test_seek_time_is_the_earliest_reference(times, expected):
    assert seek_time(FakeStep(0, None, "x", times=times)) == expected


def test_seek_time_without_a_step_is_none():
    assert seek_time(None) is None


def test_format_times_shows_points_and_ranges():
    assert format_times([(2.0, 2.0), (5.5, 8.0)]) == "2.0 s, 5.5–8.0 s"


def test_replace_step_changes_only_that_step():
    steps = _steps()
    edited = replace_step(TEXT, steps[1], "2. He breaks the window at 6 to 9 seconds.")
    assert edited.split("\n") == [
        TEXT.split("\n")[0],
        "2. He breaks the window at 6 to 9 seconds.",
        "3. He runs.",
    ]


def test_replace_step_without_span_finds_the_text():
    step = FakeStep(0, None, "He runs.")
    assert replace_step(TEXT, step, "He walks away.").endswith("3. He walks away.")


def test_replace_step_never_drops_an_edit():
    step = FakeStep(0, None, "not in the text")
    assert replace_step("Original.", step, "New step.") == "Original.\n\nNew step."


def test_step_source_is_the_exact_slice():
    steps = _steps()
    assert step_source(TEXT, steps[2]) == "3. He runs."
    assert step_source(TEXT, FakeStep(0, None, "loose")) == "loose"


SECTIONS = "### Key Evidence:\n- A man hits another at 00:05.\n- <b>A guard</b> runs in.\n\nDone."


def test_section_titles_and_bullets_read_as_such_not_as_markers():
    steps = [FakeStep(0, "Key Evidence", SECTIONS, span=(0, len(SECTIONS)))]
    view = step_html(SECTIONS, steps, 0)
    assert '<div class="vau-h"><mark class="vau-current">Key Evidence:' in view
    assert "###" not in view and "\n- " not in view
    assert view.count('<div class="vau-li">• ') == 2
    assert "&lt;b&gt;A guard&lt;/b&gt;" in view  # model text stays escaped inside the markup
    assert '<div class="vau-gap"></div><div><mark class="vau-current">Done.</mark></div>' in view


def test_the_mark_covers_only_the_steps_part_of_a_line():
    text = "First part. Second part."
    step = FakeStep(0, None, "Second part.", span=(12, len(text)))
    view = step_html(text, [step], 0)
    assert '<div>First part. <mark class="vau-current">Second part.</mark></div>' in view


def test_the_live_view_never_shows_the_protocols_tags():
    from app.views import live_html

    view = live_html("<think>I watch.</think>\n<answer>Anomaly</answer>")
    assert "think" not in view and "answer" not in view
    assert "I watch." in view and "Anomaly" in view


ONE_LINE = (
    "### Specific Anomaly Type: Assault  ### Location A city sidewalk by day.  ### Key Evidence "
    "- **Altercation**: two people fight. - **Retreat**: one runs away.  ### Conclusion An assault."
)


def test_a_one_line_reference_reads_as_titled_sections_and_bullets():
    from inference.core.steps import split_steps

    steps = split_steps(ONE_LINE)
    page = step_html(ONE_LINE, steps, 2)
    assert "###" not in page  # no literal marker, no heading swallowing the whole text
    heads = re.findall(r'<div class="vau-h">([^<]*)</div>', page)
    assert heads == ["Specific Anomaly Type", "Location", "Key Evidence", "Conclusion"]
    assert page.count('<div class="vau-li">') == 2
    marked = re.findall(r'<mark class="vau-current">([^<]*)</mark>', page)
    assert marked[0].startswith("**Altercation**") and "one runs away" in marked[-1]
