"""The Studio's editable timeline as the server draws it: lanes, bars, grips, axis, captions."""

from __future__ import annotations

import re

import pytest

from app.editor import editor_html, ticks
from app.timeline import ROWS, Caption, TimelineData


def bar_of(page: str, lane: str) -> str | None:
    """The first bar's tag in `lane`, or None."""
    lane_html = page.split(f'data-lane="{lane}"', 1)[1].split('data-lane="', 1)[0]
    found = re.search(r'<div class="vt-bar[^"]*"[^>]*>', lane_html)
    return found.group(0) if found else None


def style_of(bar: str) -> tuple[float, float]:
    left, width = re.search(r"left:([\d.]+)%;width:([\d.]+)%", bar).groups()
    return float(left), float(width)


def test_every_lane_is_named_even_with_nothing_to_show():
    page = editor_html(TimelineData())
    for row in ROWS:
        assert f'<div class="vt-name">{row}</div>' in page
    assert "drag here to draw your interval" in page


@pytest.mark.parametrize(
    ("interval", "expected"),
    [((5.0, 10.0), (25.0, 25.0)), ((10.0, 5.0), (25.0, 25.0)), ((0.0, 20.0), (0.0, 100.0))],
)
def test_a_bar_sits_at_its_share_of_the_video(interval, expected):
    page = editor_html(TimelineData(duration=20.0, predicted=interval))
    assert style_of(bar_of(page, "Model")) == pytest.approx(expected)


def test_only_your_interval_has_grips_to_drag():
    page = editor_html(TimelineData(duration=20.0, predicted=(6, 12), corrected=(5, 13)))
    assert "vt-grip" not in bar_of(page, "Model")
    yours = page.split('data-lane="Yours"', 1)[1].split('data-lane="Truth"', 1)[0]
    assert yours.count('class="vt-grip"') == 2
    assert 'data-start="5" data-end="13"' in bar_of(page, "Yours")
    assert "drag here to draw" not in page


def test_the_browser_is_told_the_duration_frame_rate_and_axis_length():
    page = editor_html(TimelineData(duration=20.0, fps=25.0, predicted=(18, 26)))
    assert 'data-span="26" data-duration="20" data-fps="25"' in page
    assert 'class="vt-end"' in page  # where the video ends, inside a stretched axis


def test_a_zero_length_interval_stays_visible():
    page = editor_html(TimelineData(duration=20.0, truth=(4.0, 4.0)))
    assert style_of(bar_of(page, "Truth"))[1] > 0


def test_model_text_is_escaped_in_step_labels_and_captions():
    data = TimelineData(
        duration=10.0,
        step_times=[(1.0, 2.0)],
        step_label="<img src=x onerror=alert(1)>",
        captions=[Caption(1.0, 4.0, "Step 1 · <script>alert(1)</script>")],
    )
    page = editor_html(data)
    assert "<script>" not in page and "<img" not in page
    assert '<li data-start="1" data-end="4">Step 1 · &lt;script&gt;' in page


def test_a_long_video_draws_a_bounded_number_of_frame_ticks():
    times = [i * 0.5 for i in range(2000)]
    page = editor_html(TimelineData(duration=1000.0, frame_times=times))
    assert page.count("<i style=") <= 400


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (4.0, [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]),
        (20.0, list(range(0, 21, 2))),
        (95.0, list(range(0, 91, 10))),
        (1.0, [0, 0.5, 1]),
    ],
)
def test_axis_marks_fall_on_round_seconds(span, expected):
    assert ticks(span) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("corrected", "left", "width"),
    [
        ((-5.0, 10.0), "0.000", "50.000"),
        ((5.0, 30.0), "25.000", "75.000"),
        ((1e12, 15.0), "75.000", "25.000"),
    ],
)
def test_an_impossible_interval_is_drawn_inside_its_lane_and_marked(corrected, left, width):
    page = editor_html(TimelineData(duration=20.0, corrected=corrected))
    assert f'class="vt-bar vt-yours vt-outside" style="left:{left}%;width:{width}%;' in page


def test_a_wild_time_never_makes_a_wild_axis():
    from app.editor import MAX_TICKS
    from app.timeline import span_of

    assert len(ticks(1e12)) <= MAX_TICKS + 1  # was a loop over a billion marks
    assert span_of(TimelineData(duration=20.0, predicted=(3.0, 1e12))) == 40.0
    assert span_of(TimelineData(duration=20.0, corrected=(3.0, 1e12))) == 20.0
    assert span_of(TimelineData(predicted=(0.0, float("inf")))) == 1.0
