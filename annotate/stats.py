"""`python -m annotate stats`: counts by status, task, annotator, source; agreement; uncertainty."""

from __future__ import annotations

from typing import Any

from annotate.agreement import COMPARED_STATUSES, agreement
from annotate.store import Store

UNCERTAINTY_BINS = 5  # the distribution of the runs' uncertainties in bins of 0.2


def gather(store: Store) -> dict[str, Any]:
    """Every figure `stats` prints, as JSON-safe data."""
    counts = store.counts().to_dict()
    pairs = store.current_revisions(statuses=COMPARED_STATUSES)
    return {
        "database": store.where,
        **counts,
        "agreement": agreement(pairs).to_dict(),
        "uncertainty": distribution(store.uncertainties()),
    }


def distribution(values: list[float], bins: int = UNCERTAINTY_BINS) -> dict[str, Any]:
    """How many runs fall in each bin of uncertainty from 0 to 1, and their mean."""
    counts = [0] * bins
    for value in values:
        counts[min(int(value * bins), bins - 1)] += 1
    labels = [f"{i / bins:.1f}-{(i + 1) / bins:.1f}" for i in range(bins)]
    mean = round(sum(values) / len(values), 4) if values else None
    return {"runs": len(values), "mean": mean, "bins": dict(zip(labels, counts, strict=True))}


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _table(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return [f"{title}: none"]
    width = max(len(key) for key in counts)
    return [f"{title}:", *(f"  {key:<{width}}  {n:>7}" for key, n in counts.items())]


def render(figures: dict[str, Any]) -> str:
    """The figures as the plain-text report `stats` prints."""
    lines = [
        f"database {figures['database']}",
        f"videos {figures['videos']}, items {figures['items']}, model runs {figures['runs']}, "
        f"revisions {figures['revisions']}",
    ]
    lines += _table("items by task", figures["items_by_task"])
    lines += _table("items by source", figures["items_by_source"])
    lines += _table("corrections by status", figures["corrections_by_status"])
    lines += _table("corrections by task", figures["corrections_by_task"])
    lines += _table("corrections by annotator", figures["corrections_by_annotator"])
    agree = figures["agreement"]
    lines.append(
        f"agreement over {agree['items_compared']} items with 2+ annotators "
        f"({'/'.join(COMPARED_STATUSES)}): answer {_percent(agree['answer'])}, "
        f"class {_percent(agree['class'])}, interval IoU {_percent(agree['interval_iou'])}"
    )
    lines += _per_item(agree["per_item"])
    spread = figures["uncertainty"]
    title = f"model runs by uncertainty (app.prelabel --samples; mean {spread['mean']})"
    lines += _table(title, spread["bins"] if spread["runs"] else {})
    return "\n".join(lines)


def _per_item(items: list[dict[str, Any]], limit: int = 50) -> list[str]:
    """One line per compared item, least agreement first; the rest are in --json."""

    def worst(item: dict[str, Any]) -> float:
        figures = [item[k] for k in ("answer", "class_name", "interval_iou") if item[k] is not None]
        return min(figures, default=1.0)

    shown = sorted(items, key=lambda item: (worst(item), item["item_id"]))[:limit]
    lines = [
        f"  item {i['item_id']} {i['task']} {i['video']} ({', '.join(i['annotators'])}): "
        f"answer {_percent(i['answer'])}, class {_percent(i['class_name'])}, "
        f"interval IoU {_percent(i['interval_iou'])}"
        for i in shown
    ]
    if len(items) > limit:
        lines.append(f"  ... {len(items) - limit} more items: use --json")
    return lines
