"""`score --report`: a markdown summary and an offline plotly page."""

from __future__ import annotations

import re

import pytest

from inference.core.vaubench import BenchRow
from inference.eval.report import confusion_matrix, interval_chart, iou_histogram, write_report
from inference.eval.scoring import score_predictions

HOSTILE = "</script><script>alert(1)</script>|x.mp4"


def bench_row(
    number: int, video: str, cls: str, start: float, end: float, correct: str
) -> BenchRow:
    options = ("a", "b", "c", "d")
    return BenchRow(
        number, video, "other", "Q?", options, correct, None, None, None, cls, start, end
    )


ROWS = [
    bench_row(2, "a.mp4", "Fighting", 0.0, 10.0, "A"),
    bench_row(3, "b.mp4", "Fire", 10.0, 20.0, "B"),
    bench_row(4, "c.mp4", "Normal", 0.0, 0.0, "C"),
    bench_row(5, HOSTILE, "Fire", 2.0, 4.0, "D"),
]
RAW = {
    "a.mp4": "<answer>Anomaly</answer><glue>[0, 5]</glue>",  # IoU 0.5
    "b.mp4": "<answer>Fire</answer><glue>[10, 20]</glue>",  # IoU 1
    "c.mp4": "<answer>C</answer>",
}


def scored(task: str):
    return score_predictions(ROWS, {v: {"raw": raw} for v, raw in RAW.items()}, task)


def test_report_writes_summary_and_page(tmp_path):
    paths = write_report(scored("grounding"), tmp_path / "out", "MSAD grounding")
    assert [p.name for p in paths] == ["summary.md", "report.html"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_summary_has_metrics_classes_and_missing_rows(tmp_path):
    write_report(scored("grounding"), tmp_path, "MSAD grounding")
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("# MSAD grounding\n")
    assert "| class | mIoU | R@0.3 | R@0.5 | R@0.7 | n | missing |" in summary
    assert "| all | 50.00 | 66.67 | 66.67 | 33.33 | 3 | 1 |" in summary
    assert "| Fire | 50.00 | 50.00 | 50.00 | 50.00 | 2 | 1 |" in summary
    assert "## Without a prediction (1, scored as wrong)" in summary


def test_summary_escapes_names_from_the_csv(tmp_path):
    write_report(scored("grounding"), tmp_path, "t")
    summary = (tmp_path / "summary.md").read_text()
    assert "<script>" not in summary
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\|x.mp4" in summary


@pytest.mark.parametrize("task", ["qa", "grounding", "classification"])
def test_page_is_offline_small_and_reads_plotly_from_beside_it(tmp_path, task):
    write_report(scored(task), tmp_path, "t")
    page = (tmp_path / "report.html").read_text()
    assert re.findall(r"<script[^>]*\ssrc='([^']*)'", page) == ["plotly.min.js"]
    assert "Plotly" in (tmp_path / "plotly.min.js").read_text()  # plotly.js, beside the page
    assert len(page.encode()) < 100_000
    assert page.count("<script>alert(1)") == 0


def test_the_report_names_what_made_the_predictions_and_how_they_were_read(tmp_path):
    made_by = {"model": "var/checkpoints/run-7", "backend": "transformers", "fps": 2.0,
               "think": False, "max_frames": 32}  # fmt: skip
    write_report(scored("grounding"), tmp_path, "t", made_by)
    summary, page = (tmp_path / "summary.md").read_text(), (tmp_path / "report.html").read_text()
    for text in (summary, page):
        assert "var/checkpoints/run-7" in text and "transformers" in text and "32" in text
        assert "interval reader" in text and "sorts swapped ends" in text


@pytest.mark.parametrize(("task", "count"), [("grounding", 2), ("qa", 1), ("classification", 1)])
def test_page_has_one_plot_per_figure(tmp_path, task, count):
    write_report(scored(task), tmp_path, "t")
    assert (tmp_path / "report.html").read_text().count('class="plotly-graph-div"') == count


def test_iou_histogram_bins_every_scored_row():
    figure = iou_histogram(scored("grounding"))
    assert sorted(figure.data[0].x) == [0.0, 0.5, 1.0]


def test_interval_chart_draws_truth_and_prediction_per_video():
    figure = interval_chart(scored("grounding"))
    truth, predicted = figure.data
    assert [x for x in truth.x if x is not None] == [2.0, 4.0, 0.0, 10.0, 10.0, 20.0]
    assert [x for x in predicted.x if x is not None] == [0.0, 5.0, 10.0, 20.0]


def test_confusion_matrix_counts_pairs_with_none_for_missing():
    figure = confusion_matrix(scored("classification"))
    heat = figure.data[0]
    cells = {
        (t, p): heat.z[i][j]
        for i, t in enumerate(heat.y)
        for j, p in enumerate(heat.x)
        if heat.z[i][j]
    }
    # a.mp4 names no class (Anomaly), b.mp4 is right, c.mp4 answers "C", the hostile row is missing.
    assert cells == {
        ("Fighting", "(none)"): 1,
        ("Fire", "Fire"): 1,
        ("Fire", "(none)"): 1,
        ("Normal", "(none)"): 1,
    }
