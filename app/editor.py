"""The Studio's timeline, where intervals are made: lanes drawn here as HTML from TimelineData,
edited in the browser by assets/timeline.js (drag, draw, seek, playhead, captions).

Positions are percentages of the axis, so the page can resize it freely; every time the browser
needs sits in a data- attribute, and every text from a model is escaped.
"""

from __future__ import annotations

import html
import math

from app.settings import ROOT
from app.timeline import COLORS, SCORE, Interval, TimelineData, rows_of, span_of, title_of

TIMELINE_JS_PATH = ROOT / "assets" / "timeline.js"
NICE_STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
MAX_TICKS = 10
MAX_FRAME_TICKS = 400  # beyond this the lane is a blur of ticks; every n-th one is drawn


def editor_js() -> str:
    """The editor's behaviour, for gr.HTML's js_on_load (read when the app is built)."""
    return TIMELINE_JS_PATH.read_text()


def editor_html(data: TimelineData) -> str:
    """The editable timeline: a header, one lane per row of ROWS, an axis, and the captions."""
    span = span_of(data)
    lanes = "".join(_lane(row, _bars(row, data, span)) for row in rows_of(data))
    attrs = {
        "span": _num(span),
        "duration": _num(data.duration) if data.duration else "",
        "fps": _num(data.fps) if data.fps else "",
    }
    data_attrs = " ".join(f'data-{k}="{v}"' for k, v in attrs.items())
    # The Yours colour as a variable: the bars timeline.js draws take it from there too.
    return (
        f'<div class="vt" {data_attrs} style="--vt-yours:{COLORS["edit"]}">{_head(data)}'
        f'<div class="vt-lanes">{lanes}{_axis(data, span)}'
        '<div class="vt-playhead" aria-hidden="true"></div></div>'
        f"{_captions(data)}</div>"
    )


def ticks(span: float) -> list[float]:
    """Axis marks at a round step, at most MAX_TICKS of them, from 0 to `span`."""
    longest = NICE_STEPS[-1] * math.ceil(span / (NICE_STEPS[-1] * MAX_TICKS))  # days-long axes
    step = next((s for s in NICE_STEPS if span / s <= MAX_TICKS), longest)
    return [i * step for i in range(int(math.floor(span / step + 1e-9)) + 1)]


def _head(data: TimelineData) -> str:
    return (
        f'<div class="vt-head"><span class="vt-title">{html.escape(title_of(data))}</span>'
        '<span class="vt-readout" aria-live="polite"></span>'
        '<span class="vt-clock">0.00 s</span><span class="vt-speed">1×</span>'
        '<button type="button" class="vau-help-open vt-keys" title="Keys and gestures (?)">'
        "?</button></div>"
    )


def _lane(row: str, bars: str) -> str:
    hint = ""
    if row == "Yours" and 'class="vt-bar' not in bars:
        hint = '<span class="vt-hint">drag here to draw your interval</span>'
    return (
        f'<div class="vt-lane" data-lane="{row}"><div class="vt-name">{row}</div>'
        f'<div class="vt-track">{hint}{bars}</div></div>'
    )


def _bars(row: str, data: TimelineData, span: float) -> str:
    if row == "Model" and data.predicted:
        return _bar(data.predicted, span, "Model", COLORS["Model"])
    if row == "Yours" and data.corrected:
        return _bar(data.corrected, span, "Yours")  # no colour: the editable bar
    if row == "Truth" and data.truth:
        return _bar(data.truth, span, "Ground truth", COLORS["Truth"])
    if row == "Step":
        return "".join(_bar(t, span, data.step_label, COLORS["Step"]) for t in data.step_times)
    if row == "Frames":
        return _frame_ticks(data.frame_times, span)
    if row == SCORE:
        return _score(data, span)
    return ""


def _score(data: TimelineData, span: float) -> str:
    """A scan's curve as a filled line over the lane (scores 0 to 1, bottom to top), the
    threshold as a dashed line, and the frames its windows saw as ticks. The points sit in
    data-curve ("t:score,...") for the hover readout; a click seeks, as on every lane."""
    top = [(_pct(min(max(t, 0.0), span), span), 1 - min(max(v, 0.0), 1.0)) for t, v in data.curve]
    if not top:
        return ""
    outline = " ".join(f"{x:.3f},{y:.4f}" for x, y in top)
    area = f"{top[0][0]:.3f},1 {outline} {top[-1][0]:.3f},1"
    line = ""
    if data.curve_threshold is not None:
        y = 1 - data.curve_threshold
        line = f'<line class="vt-threshold" x1="0" x2="100" y1="{y:.4f}" y2="{y:.4f}"></line>'
    color = COLORS[SCORE]
    points = ",".join(f"{_num(t)}:{v:.3f}" for t, v in data.curve)
    label = html.escape(f"anomaly score of {data.curve_label or 'the model'}'s scan")
    return (
        f'<svg class="vt-curve" viewBox="0 0 100 1" preserveAspectRatio="none" '
        f'data-curve="{points}" role="img" aria-label="{label}">'
        f'<polygon points="{area}" fill="{color}" fill-opacity="0.25"></polygon>'
        f'<polyline points="{outline}" fill="none" stroke="{color}" '
        f'vector-effect="non-scaling-stroke"></polyline>{line}</svg>'
        f'<span class="vt-curve-frames">{_frame_ticks(data.curve_frames, span)}</span>'
    )


def _bar(interval: Interval, span: float, name: str, color: str | None = None) -> str:
    """A bar; without a colour, the editable Yours bar: grips, coloured by --vt-yours."""
    grips = color is None
    start, end = sorted(interval)
    # Drawn within the lane whatever the times (an impossible one stays at the lane's edge);
    # a zero length stays seen.
    low, high = min(max(start, 0.0), span), min(max(end, 0.0), span)
    left, width = _pct(low, span), max(_pct(high - low, span), 0.4)
    outside = " vt-outside" if (low, high) != (start, end) else ""
    label = html.escape(f"{name}: {start:.1f}–{end:.1f} s")
    inner = (
        '<span class="vt-grip" data-edge="start" title="drag to move the start"></span>'
        '<span class="vt-grip" data-edge="end" title="drag to move the end"></span>'
        if grips
        else ""
    )
    kind, paint = (" vt-yours", "") if grips else ("", f"background:{color}")
    kind += outside
    return (
        f'<div class="vt-bar{kind}" style="left:{left:.3f}%;width:{width:.3f}%;{paint}" '
        f'data-start="{_num(start)}" data-end="{_num(end)}" '
        f'title="{label}" aria-label="{label}">{inner}</div>'
    )


def _frame_ticks(times, span: float) -> str:
    every = max(1, math.ceil(len(times) / MAX_FRAME_TICKS))
    return "".join(f'<i style="left:{_pct(t, span):.3f}%"></i>' for t in list(times)[::every])


def _axis(data: TimelineData, span: float) -> str:
    marks = "".join(f'<span style="left:{_pct(t, span):.3f}%">{t:g}</span>' for t in ticks(span))
    end = ""
    if data.duration and data.duration < span:
        end = f'<b class="vt-end" style="left:{_pct(data.duration, span):.3f}%">end</b>'
    return (
        '<div class="vt-lane vt-axis-row"><div class="vt-name">s</div>'
        f'<div class="vt-track vt-axis">{marks}{end}</div></div>'
    )


def _captions(data: TimelineData) -> str:
    items = "".join(
        f'<li data-start="{_num(c.start)}" data-end="{_num(c.end)}">{html.escape(c.text)}</li>'
        for c in data.captions
    )
    return f'<ol class="vt-captions" hidden>{items}</ol>'


def _pct(seconds: float, span: float) -> float:
    return 100.0 * seconds / span


def _num(value: float) -> str:
    return f"{float(value):.6g}"
