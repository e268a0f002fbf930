"""The Progress tab's work: counts by status and annotator, and exports of training data."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from annotate.schema import STATUSES
from app.labels import count_rows
from app.services import Studio


def progress(studio: Studio) -> tuple[list[list], list[list]]:
    """(totals and corrections by status, per-annotator counts by status) for the dashboard."""
    counts = studio.store.counts()
    rows = []
    for name in sorted(counts.corrections_by_annotator):
        per_status = [studio.store.count_items(status=s, annotator=name) for s in STATUSES]
        rows.append([name, *per_status, sum(per_status)])
    return count_rows(counts), rows


def export(studio: Studio, fmt: str, status: str, with_truth: bool) -> tuple[Path, str]:
    """Write training data in `fmt`; return the export folder as one zip (its data files with
    the manifest that `python -m train --data` reads) and a summary line."""
    from annotate.export import ExportOptions
    from annotate.export import export as write_export

    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path(studio.settings.exports) / f"{stamp}-{fmt}"
    options = ExportOptions(format=fmt, out=folder, status=status, include_ground_truth=with_truth)
    report = write_export(studio.store, options)
    records = sum(report.files.values())
    summary = (
        f"{records} records ({report.from_corrections} corrections, "
        f"{report.from_ground_truth} ground truth) in {folder.name}"
    )
    archive = shutil.make_archive(str(folder), "zip", root_dir=folder)
    return Path(archive), summary
