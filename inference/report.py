"""`score --report DIR`: a markdown summary and a self-contained plotly HTML page.

The HTML carries plotly.js inline, so it opens offline and fetches nothing from a CDN.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

import plotly.graph_objects as go

from inference.scoring import Score

NONE_LABEL = "(none)"  # no prediction, or nothing parsable in it
MAX_LISTED = 50


def write_report(score: Score, directory: str | Path, title: str) -> list[Path]:
    """Write summary.md and report.html for `score` into `directory`; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    summary = directory / "summary.md"
    page = directory / "report.html"
    summary.write_text(markdown_summary(score, title, page.name), encoding="utf-8")
    page.write_text(html_page(score, title), encoding="utf-8")
    return [summary, page]


def _text(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _cell(value: object) -> str:
    # Names come from the CSV: keep them from breaking the table or injecting HTML.
    return html.escape(_text(value), quote=False).replace("|", "\\|")


def _table(rows: dict[str, dict[str, float | int]]) -> list[str]:
    keys = list(next(iter(rows.values())))
    lines = ["| class | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    lines += [
        f"| {_cell(name)} | " + " | ".join(_cell(v[k]) for k in keys) + " |"
        for name, v in rows.items()
    ]
    return lines


def markdown_summary(score: Score, title: str, page_name: str = "report.html") -> str:
    """The metrics, the per-class breakdown and the rows without a prediction, as markdown."""
    lines = [f"# {title}", "", f"Task: **{score.task}**. Figures: [{page_name}]({page_name}).", ""]
    lines += _table({"all": score.metrics, **score.per_class}) + [""]
    if score.extra or score.other_task:
        lines += [
            f"Ignored: {score.extra} predictions for videos not in the CSV, "
            f"{score.other_task} predictions for another task.",
            "",
        ]
    missing = [item.video for item in score.items if item.missing]
    if missing:
        lines += [f"## Without a prediction ({len(missing)}, scored as wrong)", ""]
        lines += [f"- {_cell(video)}" for video in missing[:MAX_LISTED]]
        if len(missing) > MAX_LISTED:
            lines.append(f"- … and {len(missing) - MAX_LISTED} more")
        lines.append("")
    return "\n".join(lines)


def figures(score: Score) -> list[go.Figure]:
    """The task's figures: IoU histogram and intervals for grounding, else a confusion matrix."""
    if score.task == "grounding":
        return [iou_histogram(score), interval_chart(score)]
    return [confusion_matrix(score)]


def iou_histogram(score: Score) -> go.Figure:
    """How many rows reached each IoU, in bins of 0.1."""
    values = [item.value for item in score.items]
    figure = go.Figure(go.Histogram(x=values, xbins={"start": 0, "end": 1.0001, "size": 0.1}))
    figure.update_layout(
        title="IoU per video", xaxis_title="IoU", yaxis_title="videos", bargap=0.05
    )
    return figure


def interval_chart(score: Score) -> go.Figure:
    """True interval (grey) and predicted interval (colour) per video, sorted by IoU."""
    items = sorted(score.items, key=lambda item: item.value)
    figure = go.Figure()
    for name, key, width, color in (
        ("true", "truth", 10, "#bbbbbb"),
        ("predicted", "predicted", 4, "#d62728"),
    ):
        xs: list[float | None] = []
        ys: list[str | None] = []
        for item in items:
            interval = getattr(item, key)
            if interval is not None:
                xs += [interval[0], interval[1], None]
                ys += [item.video, item.video, None]
        figure.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", name=name, line={"width": width, "color": color})
        )
    figure.update_layout(
        title="Predicted vs true anomaly intervals (lowest IoU at the bottom)",
        xaxis_title="seconds",
        height=max(400, 14 * len(items) + 120),
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [i.video for i in items],
        },
    )
    return figure


def confusion_matrix(score: Score) -> go.Figure:
    """Counts of (true, predicted) answers; no prediction shows as "(none)"."""
    pairs = Counter((str(item.truth), str(item.predicted or NONE_LABEL)) for item in score.items)
    truths = sorted({t for t, _ in pairs})
    guesses = sorted({p for _, p in pairs} | set(truths))
    z = [[pairs.get((t, p), 0) for p in guesses] for t in truths]
    figure = go.Figure(
        go.Heatmap(z=z, x=guesses, y=truths, colorscale="Blues", text=z, texttemplate="%{text}")
    )
    figure.update_layout(
        title="Confusion matrix",
        xaxis_title="predicted",
        yaxis={"title": "true", "autorange": "reversed"},  # read top-down like a table
        height=max(400, 28 * len(truths) + 160),
    )
    return figure


def html_page(score: Score, title: str) -> str:
    """One offline HTML page: the metrics and the figures, plotly.js included once, inline."""
    parts = [
        figure.to_html(full_html=False, include_plotlyjs=(index == 0))
        for index, figure in enumerate(figures(score))
    ]
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th>"
        + "".join(f"<td>{html.escape(_text(v))}</td>" for v in values.values())
        + "</tr>"
        for name, values in {"all": score.metrics, **score.per_class}.items()
    )
    head = "".join(f"<th>{html.escape(key)}</th>" for key in score.metrics)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        "<table border='1' cellpadding='4'>"
        f"<tr><th>class</th>{head}</tr>{rows}</table>{''.join(parts)}</body></html>"
    )
