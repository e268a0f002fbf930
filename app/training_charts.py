"""The Training tab's pictures of a job: metric curves, rollouts as a table and on a timeline,
and the job's details for API callers (plotly figures and HTML; no Gradio here)."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from annotate.records import TrainingJobRecord
from app.training_view import CURVES, Curves, Progress, Rollout

# The panels of the curves figure: a title and the curve labels (CURVES) drawn in it.
PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("loss", ("loss", "eval loss")),
    ("rewards", ("reward (sum)", "format reward", "accuracy reward", "IoU reward")),
    ("KL", ("KL",)),
    ("completion length", ("completion length",)),
)
TEXT_SHOWN = 240  # characters of a completion the rollouts table shows


def _panel_of(label: str) -> int | None:
    base = label.split(" ", 1)[1] if label.split(" ", 1)[0] in ("SFT", "GRPO") else label
    return next((i for i, (_, names) in enumerate(PANELS) if base in names), None)


def curves_figure(found: Curves) -> go.Figure:
    """Each logged metric (a job's `curves`) against the step, one panel per kind (only panels
    with points)."""
    used = sorted({i for label in found if (i := _panel_of(label)) is not None})
    titles = [PANELS[i][0] for i in used] or ["no steps logged yet"]
    figure = make_subplots(rows=1, cols=max(1, len(used)), subplot_titles=titles)
    for label, points in found.items():
        panel = _panel_of(label)
        if panel is None:
            continue
        steps, values = zip(*points, strict=True)
        line = go.Scatter(x=steps, y=values, mode="lines+markers", name=label, marker={"size": 4})
        figure.add_trace(line, row=1, col=used.index(panel) + 1)
    figure.update_layout(
        height=300,
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
        legend={"orientation": "h", "y": -0.2},
    )
    figure.update_xaxes(title_text="step")
    return figure


def rollouts_html(rollouts: list[Rollout]) -> str:
    """The last logged step's rollouts: each completion with its reward per component."""
    if not rollouts:
        return "<p class='vau-muted'>No rollouts yet (GRPO writes them every N steps).</p>"
    head = (
        "<tr><th>prompt</th><th>#</th><th>completion</th><th>format</th><th>accuracy</th>"
        "<th>IoU</th><th>total</th></tr>"
    )
    rows = []
    for rollout in rollouts:
        for n, completion in enumerate(rollout.completions, 1):
            rewards = completion["rewards"]
            cells = [_cell(rewards.get(f"{part}_reward")) for part in ("format", "accuracy", "iou")]
            text = completion["text"]
            text = text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN] + "…"
            rows.append(
                f"<tr><td>{html.escape(rollout.prompt)}</td><td>{n}</td>"
                f"<td><code>{html.escape(text)}</code></td>{''.join(cells)}"
                f"{_cell(completion['total'])}</tr>"
            )
    step, n = rollouts[0].step, len(rollouts)
    return (
        f"<p>Step {step}: {n} prompt{'s' if n != 1 else ''}.</p><table class='vau-rollouts'>"
        f"{head}{''.join(rows)}</table>"
    )


def _cell(value: float | None) -> str:
    return "<td>–</td>" if value is None else f"<td>{value:.2f}</td>"


def rollouts_figure(rollouts: list[Rollout]) -> go.Figure:
    """The grounding rollouts on a timeline: the truth, then each completion's interval."""
    figure = go.Figure()
    labels: list[str] = []
    for rollout in (r for r in rollouts if r.task == "grounding"):
        short = rollout.prompt.rsplit("/", 1)[-1][:40]
        rows = [(f"{short} · truth", rollout.truth, "#2e7d32", None)]
        for n, c in enumerate(rollout.completions, 1):
            total = "–" if c["total"] is None else f"{c['total']:.2f}"
            rows.append((f"{short} · #{n} ({total})", c["interval"], "#3949ab", c["rewards"]))
        for label, interval, colour, rewards in rows:
            labels.append(label)
            if interval is None:  # a row all the same, so each completion keeps its line
                none = go.Scatter(y=[label], x=[0], mode="markers", marker={"opacity": 0},
                                  hovertext=f"{label}: no interval", hoverinfo="text",
                                  showlegend=False)  # fmt: skip
                figure.add_trace(none)
                continue
            start, end = interval
            hover = f"{label}<br>{start:.1f}–{end:.1f} s"
            if rewards:
                hover += "<br>" + ", ".join(f"{k}: {v}" for k, v in rewards.items())
            figure.add_trace(
                go.Bar(
                    y=[label],
                    x=[max(end - start, 0.1)],
                    base=[start],
                    orientation="h",
                    marker_color=colour,
                    hovertext=hover,
                    hoverinfo="text",
                    showlegend=False,
                )
            )
    figure.update_layout(
        height=max(160, 24 * len(labels) + 60),
        barmode="overlay",
        margin={"l": 10, "r": 10, "t": 20, "b": 30},
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "automargin": True},
        xaxis={"title": "seconds", "rangemode": "tozero"},
    )
    return figure


def details(job: TrainingJobRecord, p: Progress, found: Curves) -> dict[str, Any]:
    """The job for API callers: state, stage, step, times and the last value of each metric."""
    last = {label: points[-1][1] for label, points in found.items()}
    return {
        "id": job.id,
        "name": job.name,
        "recipe": job.recipe,
        "base": job.base,
        "state": job.state,
        "message": job.message,
        "stage": job.stage + 1,
        "stages": len(job.stages),
        "step": p.step,
        "max_steps": p.total,
        "elapsed_s": p.elapsed_s,
        "left_s": p.left_s,
        "checkpoint": job.out,
        "metrics": last,
        "curves": list(CURVES),
        "created_by": job.created_by,
        "data": job.data,
    }
