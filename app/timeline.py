"""What a timeline shows (`TimelineData`), and the read-only plotly figure of it (Review, Demo).

The Studio edits intervals on its own HTML timeline, app.editor, drawn from the same data."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from inference.core.times import Interval

# Rows from top to bottom; plotly draws categories bottom-up, hence the reversed axis below.
ROWS = ("Model", "Yours", "Truth", "Step", "Frames")
SCORE = "Score"  # the editor's lane of a scan's curve, under Model, drawn when there is one
COLORS = {
    "Model": "#d62839",
    "Truth": "#2a9d8f",
    "Step": "#f4a259",
    "Frames": "#8d99ae",
    "Score": "#d62839",
    "edit": "#3a86ff",
}


@dataclass(frozen=True)
class TimelineData:
    """What the timeline shows; every time is in seconds from the start of the video."""

    duration: float | None = None
    predicted: Interval | None = None
    truth: Interval | None = None
    corrected: Interval | None = None
    frame_times: Sequence[float] = ()
    step_times: Sequence[Interval] = ()
    step_label: str = "Step"
    notes: list[str] = field(default_factory=list)
    fps: float | None = None  # the video file's own frame rate, for frame-exact stepping
    captions: Sequence[Caption] = ()  # the reasoning steps at the times they name
    curve: Sequence[tuple[float, float]] = ()  # a scan's [(t, score)], scores in [0, 1]
    curve_threshold: float | None = None  # where the scan's interval begins
    curve_frames: Sequence[float] = ()  # the seconds of the frames the scan's windows saw
    curve_label: str = ""  # which checkpoint's scan


@dataclass(frozen=True)
class Caption:
    """A subtitle: text shown on the player from `start` to `end` seconds."""

    start: float
    end: float
    text: str


MAX_STRETCH = 2.0  # a model's interval past the video's end stretches the axis this far at most
MAX_SPAN_S = 86_400.0  # without a known duration, an axis of a day at most


def rows_of(data: TimelineData) -> tuple[str, ...]:
    """The lanes from top to bottom: ROWS, with the Score lane under Model when there is a
    scan's curve to draw (the Studio's editor and the plotly timeline alike)."""
    return (ROWS[0], SCORE, *ROWS[1:]) if data.curve else ROWS


def span_of(data: TimelineData) -> float:
    """The x-axis length: the duration, stretched to fit a model's or the truth's interval
    that runs past it (up to MAX_STRETCH times the duration). The annotator's own interval
    never stretches it: an impossible typed one is drawn at the lane's edge instead."""
    ends = [data.duration or 0.0]
    for interval in (data.predicted, data.truth, *data.step_times):
        if interval:
            ends.append(max(interval))
    ends.extend(data.frame_times)
    ends.extend(t for t, _ in data.curve)
    finite = [end for end in ends if math.isfinite(end)]
    cap = data.duration * MAX_STRETCH if data.duration else MAX_SPAN_S
    return min(max(finite, default=0.0), cap) or 1.0


def _bar(row: str, interval: Interval, color: str, name: str, span: float) -> go.Bar:
    start, end = sorted(interval)
    # A zero-length interval would vanish; give it a sliver of the axis so it stays visible.
    width = max(end - start, span / 250)
    return go.Bar(
        y=[row],
        x=[width],
        base=[start],
        orientation="h",
        marker={"color": color, "line": {"width": 0}},
        width=0.6,
        # Step titles come from model output: escaped, and shown as hover text, not a template.
        hovertext=[f"{html.escape(name)}: {start:.1f}–{end:.1f} s"],
        hoverinfo="text",
        showlegend=False,
    )


SCORE_BAND = 0.4  # the curve's 0 and 1 sit this far below and above the Score lane's centre


def _score_trace(data: TimelineData) -> go.Scatter:
    """The scan's curve, on an axis of its own laid over the Score lane's band."""
    return go.Scatter(
        x=[t for t, _ in data.curve],
        y=[v for _, v in data.curve],
        yaxis="y2",
        mode="lines",
        line={"color": COLORS[SCORE], "width": 1.5},
        fill="tozeroy",
        name=f"Anomaly score ({data.curve_label})" if data.curve_label else "Anomaly score",
        hovertemplate="score %{y:.2f} at %{x:.1f} s<extra></extra>",
        showlegend=False,
    )


def _score_axis(rows: tuple[str, ...]) -> dict:
    """yaxis2: numbers laid over the category axis so that 0..1 fills the Score lane's band."""
    centre = list(reversed(rows)).index(SCORE)  # plotly counts categories bottom-up
    low, high = -0.5, len(rows) - 0.5  # the category axis's range
    bottom = centre - SCORE_BAND
    scale = 2 * SCORE_BAND
    return {
        "overlaying": "y",
        "range": [(low - bottom) / scale, (high - bottom) / scale],
        "visible": False,
        "fixedrange": True,
    }


def _traces(data: TimelineData, span: float) -> list:
    # An invisible point on every row: the lane names show even when no bar does.
    rows = rows_of(data)
    traces: list = [
        go.Scatter(
            x=[0.0] * len(rows),
            y=list(rows),
            mode="markers",
            marker={"opacity": 0},
            name="lanes",
            hoverinfo="skip",
            showlegend=False,
        )
    ]
    if data.predicted:
        traces.append(_bar("Model", data.predicted, COLORS["Model"], "Model", span))
    if data.corrected:
        traces.append(_bar("Yours", data.corrected, COLORS["edit"], "Your correction", span))
    if data.truth:
        traces.append(_bar("Truth", data.truth, COLORS["Truth"], "Ground truth", span))
    for interval in data.step_times:
        traces.append(_bar("Step", interval, COLORS["Step"], data.step_label, span))
    if data.frame_times:
        traces.append(
            go.Scatter(
                x=list(data.frame_times),
                y=["Frames"] * len(data.frame_times),
                mode="markers",
                marker={
                    "symbol": "line-ns",
                    "size": 10,
                    "line": {"width": 1.5, "color": COLORS["Frames"]},
                },
                name="Sampled frames",
                hovertemplate="frame at %{x:.2f} s<extra></extra>",
                showlegend=False,
            )
        )
    if data.curve:
        traces.append(_score_trace(data))
    return traces


def timeline_figure(data: TimelineData) -> go.Figure:
    """A compact horizontal timeline of one video for gr.Plot."""
    span, rows = span_of(data), rows_of(data)
    figure = go.Figure(_traces(data, span))
    figure.update_layout(
        barmode="overlay",
        height=250 + 30 * (len(rows) - len(ROWS)),
        margin={"l": 64, "r": 16, "t": 28, "b": 36},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 12},
        hoverlabel={"namelength": -1},
        title={"text": title_of(data), "x": 0.01, "y": 0.97, "font": {"size": 13}},
    )
    figure.update_xaxes(
        range=[0, span],
        title_text="seconds",
        showgrid=True,
        gridcolor="rgba(128,128,128,0.25)",
        zeroline=False,
        fixedrange=True,
    )
    figure.update_yaxes(
        categoryorder="array",
        type="category",
        categoryarray=list(reversed(rows)),
        range=[-0.5, len(rows) - 0.5],
        fixedrange=True,
    )
    if data.curve:
        figure.update_layout(yaxis2=_score_axis(rows))
    if data.duration:
        figure.add_vline(x=data.duration, line={"color": "rgba(128,128,128,0.6)", "dash": "dot"})
    return figure


def title_of(data: TimelineData) -> str:
    """'20.0 s video · model: 6.0–12.0 s · truth: ...' (or 'No video yet')."""
    parts = []
    if data.duration:
        parts.append(f"{data.duration:.1f} s video")
    if data.predicted:
        parts.append("model: {:.1f}–{:.1f} s".format(*sorted(data.predicted)))
    if data.truth:
        parts.append("truth: {:.1f}–{:.1f} s".format(*sorted(data.truth)))
    parts.extend(data.notes)
    return " · ".join(parts) or "No video yet"
