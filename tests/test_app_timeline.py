"""The timeline figure: where the intervals, frames and step times land on the plotly axes."""

from __future__ import annotations

import pytest

from app.timeline import TimelineData, timeline_figure


def _bars(figure, name_prefix: str) -> list:
    return [t for t in figure.data if t.type == "bar" and t.hovertext[0].startswith(name_prefix)]


def test_predicted_interval_is_a_bar_on_the_model_row():
    figure = timeline_figure(TimelineData(duration=20.0, predicted=(4.0, 9.5)))
    (bar,) = _bars(figure, "Model")
    assert bar.y == ("Model",)
    assert bar.base == (4.0,)
    assert bar.x == pytest.approx((5.5,))


def test_truth_and_prediction_sit_on_separate_rows():
    figure = timeline_figure(TimelineData(duration=20.0, predicted=(4, 9), truth=(5, 12)))
    rows = {t.hovertext[0].split(":")[0]: t.y[0] for t in figure.data if t.type == "bar"}
    assert rows == {"Model": "Model", "Ground truth": "Truth"}
    assert list(figure.layout.yaxis.categoryarray) == ["Frames", "Step", "Truth", "Yours", "Model"]


def test_axis_spans_the_whole_video():
    figure = timeline_figure(TimelineData(duration=30.0, predicted=(1, 2)))
    assert tuple(figure.layout.xaxis.range) == (0, 30.0)


def test_interval_past_the_end_stretches_the_axis():
    figure = timeline_figure(TimelineData(duration=10.0, predicted=(8.0, 14.0)))
    assert figure.layout.xaxis.range[1] == 14.0


def test_normal_prediction_draws_no_model_bar():
    figure = timeline_figure(TimelineData(duration=10.0, predicted=None))
    assert _bars(figure, "Model") == []


def test_reversed_interval_is_drawn_start_to_end():
    figure = timeline_figure(TimelineData(duration=10.0, predicted=(7.0, 3.0)))
    (bar,) = _bars(figure, "Model")
    assert (bar.base[0], bar.x[0]) == (3.0, pytest.approx(4.0))


def test_zero_length_step_time_stays_visible():
    figure = timeline_figure(TimelineData(duration=10.0, step_times=[(5.0, 5.0)]))
    (bar,) = _bars(figure, "Step")
    assert bar.x[0] > 0


def test_every_sampled_frame_is_a_tick():
    times = [0.25, 0.75, 1.25, 1.75]
    figure = timeline_figure(TimelineData(duration=2.0, frame_times=times))
    (ticks,) = [t for t in figure.data if t.name == "Sampled frames"]
    assert list(ticks.x) == times
    assert set(ticks.y) == {"Frames"}


def test_correction_has_its_own_row_under_the_prediction():
    figure = timeline_figure(TimelineData(duration=10.0, predicted=(1, 4), corrected=(2, 5)))
    (edit,) = _bars(figure, "Your correction")
    assert (edit.y[0], edit.base[0]) == ("Yours", 2)


def test_step_titles_from_model_output_are_escaped():
    data = TimelineData(duration=10.0, step_times=[(1, 2)], step_label="<b onmouseover=x>")
    (bar,) = _bars(figure := timeline_figure(data), "&lt;b")
    assert "<b" not in bar.hovertext[0]
    assert figure.layout.title.text.startswith("10.0 s video")


@pytest.mark.parametrize(
    ("data", "title"),
    [
        (TimelineData(), "No video yet"),
        (TimelineData(duration=12.0), "12.0 s video"),
        (TimelineData(duration=12.0, predicted=(1, 2.25)), "12.0 s video · model: 1.0–2.2 s"),
        (TimelineData(duration=5, truth=(0.5, 1)), "5.0 s video · truth: 0.5–1.0 s"),
    ],
)
def test_title_summarises_what_is_shown(data, title):
    assert timeline_figure(data).layout.title.text == title


def test_an_empty_timeline_still_names_its_lanes():
    figure = timeline_figure(TimelineData())
    (lanes,) = [t for t in figure.data if t.name == "lanes"]
    assert set(lanes.y) == {"Model", "Yours", "Truth", "Step", "Frames"}
    assert figure.layout.yaxis.type == "category"


# --- a scan's Score lane --------------------------------------------------------------------

CURVE = [(0.5, 0.1), (1.5, 0.9), (2.5, 0.95), (3.5, 0.2)]


def test_a_scan_adds_a_score_lane_under_the_model_lane():
    from app.timeline import rows_of

    assert rows_of(TimelineData(duration=4.0, curve=CURVE)) == (
        "Model", "Score", "Yours", "Truth", "Step", "Frames"
    )  # fmt: skip
    assert "Score" not in rows_of(TimelineData(duration=4.0))


def test_the_plotted_curve_fills_the_score_lane_band():
    figure = timeline_figure(TimelineData(duration=4.0, curve=CURVE, curve_label="world"))
    (curve,) = [trace for trace in figure.data if trace.yaxis == "y2"]
    assert curve.name == "Anomaly score (world)" and list(curve.y) == [0.1, 0.9, 0.95, 0.2]
    low, high = figure.layout.yaxis2.range
    rows = list(figure.layout.yaxis.categoryarray)  # bottom-up
    centre = rows.index("Score")

    def position(score: float) -> float:  # where a score lands on the category axis
        return -0.5 + (score - low) / (high - low) * len(rows)

    assert position(0.0) == pytest.approx(centre - 0.4)
    assert position(1.0) == pytest.approx(centre + 0.4)


def test_the_editor_draws_the_curve_its_threshold_and_the_frames_it_saw():
    from app.editor import editor_html

    page = editor_html(TimelineData(duration=4.0, curve=CURVE, curve_threshold=0.8,
                                    curve_frames=(0.0, 0.5, 1.0), curve_label="world"))  # fmt: skip
    lanes = page.split('data-lane="')[1:]
    assert [lane.split('"')[0] for lane in lanes][:2] == ["Model", "Score"]
    assert 'data-curve="0.5:0.100,1.5:0.900,2.5:0.950,3.5:0.200"' in page
    assert 'class="vt-threshold"' in page and 'y1="0.2000"' in page
    assert page.count('<i style="left:') >= 3
    assert "anomaly score of world&#x27;s scan" in page
