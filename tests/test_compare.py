"""`python -m inference compare`: two checkpoints on the same videos, with paired intervals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inference.cli import main
from tests.test_evaluate import write_predictions
from tests.test_scoring import SHARED_BENCH, answer, glue, needs_bench, perfect, rows_of

pytestmark = needs_bench
CSV = str(SHARED_BENCH / "test_msad.csv")


def predictions(path, share_right: float, seed: int, fps: float = 2.0):
    """Grounding answers: the truth for about `share_right` of the videos, a wrong span else."""
    rng = np.random.default_rng(seed)
    records = []
    for row in rows_of("test_msad.csv"):
        right = rng.random() < share_right
        record = perfect(row, "grounding") if right else answer("Anomaly", glue((0.0, 0.5)))
        records.append(record | {"video": row.video, "task": "grounding",
                                 "settings": {"fps": fps, "model": path.stem}})  # fmt: skip
    return write_predictions(path, records)


def compare(*extra):
    return main(["compare", "--csv", CSV, "--task", "grounding", "--bootstrap", "300", *extra])


def test_a_real_improvement_has_an_interval_above_zero_and_a_small_p(tmp_path, capsys):
    a, b = predictions(tmp_path / "a.jsonl", 0.4, 1), predictions(tmp_path / "b.jsonl", 0.9, 2)
    assert compare("--pred", str(a), "--pred", str(b), "--json") == 0
    found = json.loads(capsys.readouterr().out)
    miou = found["metrics"]["mIoU"]
    assert miou["diff"] == pytest.approx(miou["b"] - miou["a"]) and miou["diff"] > 20
    assert miou["ci"][0] > 0 and miou["p"] < 0.01
    assert found["n"]["mIoU"] == 120 and found["metrics"]["false_alarm"]["diff"] < 0
    assert {"frame_auc", "frame_ap", "R@0.5"} <= set(found["metrics"])
    better = found["disagreements"]["b_better"]
    assert better and better[0]["a"]["value"] == 0.0 and better[0]["b"]["value"] == 1.0
    assert "<glue>" in better[0]["a"]["raw"] and "<glue>" in better[0]["b"]["raw"]
    assert found["differences"] == {"model": ["a", "b"]}


def test_a_file_compared_with_itself_differs_by_nothing(tmp_path, capsys):
    a = predictions(tmp_path / "a.jsonl", 0.5, 1)
    assert compare("--pred", str(a), "--pred", str(a), "--json") == 0
    for figure in json.loads(capsys.readouterr().out)["metrics"].values():
        assert figure["diff"] == 0 and figure["p"] == 1.0
        assert figure["ci"][0] <= 0 <= figure["ci"][1]


def test_unfair_settings_are_refused_unless_allowed_and_then_named(tmp_path, capsys):
    a = predictions(tmp_path / "a.jsonl", 0.5, 1)
    b = predictions(tmp_path / "b.jsonl", 0.5, 2, fps=1.0)
    assert compare("--pred", str(a), "--pred", str(b)) == 2
    err = capsys.readouterr().err
    assert "different settings (fps 2.0 vs 1.0)" in err and err.count("\n") == 1
    assert compare("--pred", str(a), "--pred", str(b), "--allow-mixed", "--report",
                   str(tmp_path / "rep")) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "MIXED SETTINGS" in out and "fps" in out and "mIoU" in out
    report = (tmp_path / "rep" / "compare.md").read_text()
    assert "## B better" in report and "- A (" in report


def test_compare_needs_exactly_two_files(tmp_path, capsys):
    a = predictions(tmp_path / "a.jsonl", 0.5, 1)
    assert compare("--pred", str(a)) == 2
    assert "two --pred files" in capsys.readouterr().err
