"""`score --task description --judged FILE --report DIR`: VAU-Eval's summary and distributions.

summary.md holds the table `score` prints (overall, per source, per class); report.html adds,
per criterion, the distribution of the items' scores (box and points), so a mean of 6 made of
3s and 9s is told apart from one made of 6s. plotly.js is read from a copy beside the page
(`inference.eval.report.figures_html`): the page opens offline and stays small.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from inference.core.rubric import KEYS
from inference.eval.report import figures_html
from inference.eval.vaueval import TOTAL, Group, Judged


def write_judged_report(judged: Judged, directory: str | Path, title: str) -> list[Path]:
    """Write summary.md and report.html into `directory`; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    summary, page = directory / "summary.md", directory / "report.html"
    summary.write_text(markdown_summary(judged, title, page.name), encoding="utf-8")
    page.write_text(html_page(judged, title, directory), encoding="utf-8")
    return [summary, page]


def _rows(judged: Judged) -> dict[str, Group]:
    rows = {"all": judged.overall}
    rows |= {f"source {name}": group for name, group in judged.per_source.items()}
    return rows | {f"class {name}": group for name, group in judged.per_class.items()}


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")  # names come from the CSV


def markdown_summary(judged: Judged, title: str, page_name: str = "report.html") -> str:
    """The means per criterion and the total for every group, and the coverage counts."""
    keys = (*KEYS, TOTAL)
    lines = [f"# {_cell(title)}", "", f"Distributions: [{page_name}]({page_name}).", ""]
    lines += ["| group | n | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
    for name, group in _rows(judged).items():
        cells = " | ".join(f"{group.means.get(k, 0.0):.2f}" for k in keys)
        lines.append(f"| {_cell(name)} | {group.n} | {cells} |")
    if judged.overall.judge_sd:
        noise = " | ".join(f"{judged.overall.judge_sd[k]:.2f}" for k in keys)
        at = "" if judged.temperature is None else f" at temperature {judged.temperature:g}"
        lines.append(f"| judge sd over {judged.repeats} repeats{at} | | {noise} |")
    lines += ["", f"Unscored items: {judged.unscored}. Items without a prediction: "]
    lines[-1] += f"{judged.missing}. Repeats per item: {judged.repeats}."
    return "\n".join(lines) + "\n"


def distributions(judged: Judged) -> go.Figure:
    """One box (with every item's point) per criterion, 0-10."""
    figure = go.Figure()
    for key in KEYS:
        values = [scores[key] for scores in judged.items.values()]
        figure.add_trace(go.Box(y=values, name=key, boxpoints="all", jitter=0.4))
    figure.update_layout(
        title="Score per item, by criterion (an item's mean over its repeats)",
        yaxis={"title": "score", "range": [-0.5, 10.5]},
        showlegend=False,
    )
    return figure


def totals(judged: Judged) -> go.Figure:
    """How many items reached each total, in bins of 5 on 0-50."""
    values = [scores[TOTAL] for scores in judged.items.values()]
    figure = go.Figure(go.Histogram(x=values, xbins={"start": 0, "end": 50.001, "size": 5}))
    figure.update_layout(title="Total per item (0-50)", xaxis_title="total", yaxis_title="items")
    return figure


def html_page(judged: Judged, title: str, directory: Path) -> str:
    """The summary table and both figures on one offline page."""
    keys = (*KEYS, TOTAL)
    head = "".join(f"<th>{key}</th>" for key in ("group", "n", *keys))
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{group.n}</td>"
        + "".join(f"<td>{group.means.get(k, 0.0):.2f}</td>" for k in keys)
        + "</tr>"
        for name, group in _rows(judged).items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"<table border='1' cellpadding='4'><tr>{head}</tr>{rows}</table>"
        f"<p>Unscored: {judged.unscored}; without a prediction: {judged.missing}.</p>"
        f"{figures_html([distributions(judged), totals(judged)], directory)}</body></html>"
    )
