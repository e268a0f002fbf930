"""`score --report DIR`: a markdown summary and a plotly HTML page, with what made the figures.

The page loads plotly.js from a copy written beside it (`plotly.min.js`, once per folder), so it
opens offline and fetches nothing from a CDN, yet stays a few kilobytes: a folder of reports
shares one copy, and the page itself can be mailed with it.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

import plotly.graph_objects as go

from inference.eval.scoring import Score

NONE_LABEL = "(none)"  # no prediction, or nothing parsable in it
MAX_LISTED = 50
PLOTLY_JS = "plotly.min.js"
# How `score` reads an interval or an answer out of the raw text (inference.core.parse).
INTERVAL_READER = "the Studio's parser (sorts swapped ends, reads times written in prose)"
MADE_BY = ("model", "backend", "quant", "device", "think", "fps", "max_frames", "template",
           "max_new_tokens")  # fmt: skip


def write_report(
    score: Score,
    directory: str | Path,
    title: str,
    made_by: dict | None = None,
    ci: dict[str, list[float]] | None = None,
) -> list[Path]:
    """Write summary.md and report.html for `score` into `directory`; return their paths.

    `made_by` is the predictions' settings (checkpoint, backend, sampling), shown on both."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    summary = directory / "summary.md"
    page = directory / "report.html"
    lines = provenance(made_by or {}) + [("reader", score.reader)]
    lines += [(f"{name} ({len(values)} videos)", text) for name, values, text in
              _with_intervals(score, ci or {})]  # fmt: skip
    summary.write_text(markdown_summary(score, title, page.name, lines), encoding="utf-8")
    page.write_text(html_page(score, title, lines, directory), encoding="utf-8")
    return [summary, page]


def _with_intervals(score: Score, ci: dict[str, list[float]]) -> list[tuple[str, list, str]]:
    """(figure, its videos, `value [low, high]`) for every figure with an interval."""
    values = score.to_dict()
    per_figure = {**score.item_values, "false_alarm": score.alarms, "frame_auc": score.frames,
                  "frame_ap": score.frames}  # fmt: skip
    return [
        (name, list(per_figure.get(name) or []), f"{values[name]:.2f} [{low:.2f}, {high:.2f}]")
        for name, (low, high) in ci.items()
        if isinstance(values.get(name), int | float)
    ]


def provenance(made_by: dict) -> list[tuple[str, str]]:
    """(name, value) lines saying what made the predictions and how they were read."""
    lines = [(key, str(made_by[key])) for key in MADE_BY if made_by.get(key) is not None]
    recorded = made_by.get("provenance") or {}
    lines += [(key, str(recorded[key])) for key in ("weights", "template", "git")
              if recorded.get(key)]  # fmt: skip
    return [*lines, ("interval reader", INTERVAL_READER)]


def figures_html(figures: list[go.Figure], directory: Path) -> str:
    """The figures as divs that load plotly.js from the copy beside the page (written once)."""
    script = directory / PLOTLY_JS
    if not script.is_file():
        from plotly.offline import get_plotlyjs

        script.write_text(get_plotlyjs(), encoding="utf-8")
    divs = [figure.to_html(full_html=False, include_plotlyjs=False) for figure in figures]
    return f"<script src='{PLOTLY_JS}'></script>" + "".join(divs)


def provenance_html(lines: list[tuple[str, str]]) -> str:
    """The provenance lines as a small definition table."""
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in lines)
    return f"<h2>Made by</h2><table border='1' cellpadding='4'>{rows}</table>"


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


def markdown_summary(
    score: Score,
    title: str,
    page_name: str = "report.html",
    made_by: list[tuple[str, str]] | None = None,
) -> str:
    """The metrics, the per-class breakdown and the rows without a prediction, as markdown."""
    lines = [f"# {title}", "", f"Task: **{score.task}**. Figures: [{page_name}]({page_name}).", ""]
    lines += _table({"all": score.metrics, **score.per_class}) + [""]
    if score.format_rate is not None:
        lines += [f"Format: {score.format_rate:.1f}% of the predictions follow the protocol.", ""]
    if made_by:
        lines += ["## Made by, and intervals", ""] + [f"- {k}: {_cell(v)}" for k, v in made_by]
        lines += [""]
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


def html_page(score: Score, title: str, made_by: list[tuple[str, str]], directory: Path) -> str:
    """One offline HTML page: the metrics, what made them, and the figures."""
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
        f"<tr><th>class</th>{head}</tr>{rows}</table>{provenance_html(made_by)}"
        f"{figures_html(figures(score), directory)}</body></html>"
    )
