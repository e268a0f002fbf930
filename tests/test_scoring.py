"""Scoring predictions against the shared VAU-Bench splits: the paper's denominators and values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.core.vaubench import BenchRow, read_bench_csv
from inference.eval.scoring import (
    PredictionsError,
    format_score,
    read_predictions,
    score_predictions,
    task_truth,
)
from tests.conftest import SHARED_BENCH

needs_bench = pytest.mark.skipif(not SHARED_BENCH.is_dir(), reason="shared VAU-Bench CSVs missing")
OTHER_LETTER = {"A": "B", "B": "C", "C": "D", "D": "A"}


def rows_of(name: str) -> list[BenchRow]:
    return read_bench_csv(SHARED_BENCH / name).rows


def answer(text: str, glue: str = "") -> dict[str, str]:
    return {"raw": f"<think>I watched it.</think><answer>{text}</answer>{glue}"}


def glue(interval: tuple[float, float] | None) -> str:
    start, end = interval or (-1.0, -1.0)
    return f"<glue>[{start}, {end}]</glue>"


def perfect(row: BenchRow, task: str) -> dict[str, str]:
    """The ground truth written back as a model would answer."""
    if task == "qa":
        return answer(row.correct)
    if task == "grounding":
        return answer("Anomaly" if row.has_interval else "Normal", glue(row.interval))
    return answer(row.anomaly_class or "")


# --- the paper's denominators, with perfect predictions ---------------------------------


@needs_bench
@pytest.mark.parametrize(
    ("name", "task", "n"),
    [
        ("test_msad.csv", "qa", 240),
        ("test_ucf_crime.csv", "qa", 251),
        ("test_msad.csv", "grounding", 120),
        ("test_ecva.csv", "grounding", 402),
        ("test_ucf_crime.csv", "grounding", 124),
        ("test_msad.csv", "classification", 240),
        ("test_ucf_crime.csv", "classification", 251),
        ("test_ecva.csv", "classification", 438),
        ("val.csv", "qa", 734),
        ("val.csv", "grounding", 339),
    ],
)
def test_perfect_predictions_score_100_over_the_papers_denominators(name, task, n):
    rows = rows_of(name)
    score = score_predictions(rows, {r.video: perfect(r, task) for r in rows}, task)
    assert score.metrics["n"] == n
    assert score.metrics["missing"] == 0
    assert all(
        value == pytest.approx(100.0)
        for key, value in score.metrics.items()
        if key not in ("n", "missing")
    )


# --- deliberately wrong predictions, values computed by hand ----------------------------


@needs_bench
def test_msad_qa_half_right_with_ten_missing():
    rows = rows_of("test_msad.csv")
    # Right on even positions, a wrong letter on odd ones, nothing for the last 10 rows:
    # right = 120 even positions - 5 of them among the last 10 = 115; 115 / 240 = 47.916...%.
    predictions = {
        r.video: answer(r.correct if i % 2 == 0 else OTHER_LETTER[r.correct])
        for i, r in enumerate(rows[:-10])
    }
    score = score_predictions(rows, predictions, "qa")
    assert score.metrics == {"accuracy": pytest.approx(100 * 115 / 240), "n": 240, "missing": 10}


@needs_bench
def test_ucf_qa_always_a_counts_only_usable_rows():
    rows = rows_of("test_ucf_crime.csv")
    # The CSV's Correct Option column: 148 A, 81 B, 20 C, 2 D and 39 unusable "-1" rows.
    predictions = {r.video: answer("A") for r in rows}
    assert score_predictions(rows, predictions, "qa").metrics["accuracy"] == pytest.approx(
        100 * 148 / 251
    )


@needs_bench
def test_msad_full_text_correct_options_score_by_their_letter():
    rows = [r for r in rows_of("test_msad.csv") if r.row_number in (38, 46, 86, 106)]
    letters = {38: "D", 46: "B", 86: "A", 106: "D"}  # from "D. Green trash bin ..." and so on
    predictions = {r.video: answer(letters[r.row_number]) for r in rows}
    assert score_predictions(rows, predictions, "qa").metrics["accuracy"] == 100.0


@needs_bench
def test_ecva_grounding_half_length_shift_gives_iou_one_third():
    rows = rows_of("test_ecva.csv")
    # Shifting [s, e] right by (e - s) / 2 overlaps half of it over 1.5 times its length: IoU 1/3.
    predictions = {}
    for r in rows:
        if r.has_interval:
            half = (r.end - r.start) / 2
            predictions[r.video] = answer("Anomaly", glue((r.start + half, r.end + half)))
    metrics = score_predictions(rows, predictions, "grounding").metrics
    assert metrics["n"] == 402
    assert metrics["mIoU"] == pytest.approx(100 / 3, abs=1e-3)
    assert (metrics["R@0.3"], metrics["R@0.5"], metrics["R@0.7"]) == (100.0, 0.0, 0.0)


@needs_bench
def test_msad_grounding_exact_normal_and_missing_thirds():
    spans = [r for r in rows_of("test_msad.csv") if r.has_interval]
    # 60 exact, 30 answered Normal (IoU 0), 30 without a prediction (IoU 0): 60 / 120 = 50%.
    predictions = {r.video: perfect(r, "grounding") for r in spans[:60]}
    predictions |= {r.video: answer("Normal", glue(None)) for r in spans[60:90]}
    metrics = score_predictions(rows_of("test_msad.csv"), predictions, "grounding").metrics
    assert metrics == {
        "mIoU": pytest.approx(50.0),
        "R@0.3": 50.0,
        "R@0.5": 50.0,
        "R@0.7": 50.0,
        "n": 120,
        "missing": 30,
    }


@needs_bench
def test_grounding_unparsable_answer_scores_iou_zero():
    spans = [r for r in rows_of("test_msad.csv") if r.has_interval][:4]
    predictions = {r.video: {"raw": "I cannot tell."} for r in spans[:2]}
    predictions |= {r.video: perfect(r, "grounding") for r in spans[2:]}
    assert score_predictions(spans, predictions, "grounding").metrics["mIoU"] == 50.0


@needs_bench
@pytest.mark.parametrize(
    ("name", "guess", "binary", "multi"),
    [
        # Normal for everything: right exactly on the Normal rows (120 of 240; 123 of 251).
        ("test_msad.csv", lambda r: "Normal", 50.0, 50.0),
        ("test_ucf_crime.csv", lambda r: "Normal", 100 * 123 / 251, 100 * 123 / 251),
        # Normal rows right, every anomaly called Fighting: 120 + 6 Fighting rows of 240.
        (
            "test_msad.csv",
            lambda r: "Normal" if r.anomaly_class == "Normal" else "Fighting",
            100.0,
            100 * 126 / 240,
        ),
    ],
)
def test_classification_hand_computed(name, guess, binary, multi):
    rows = rows_of(name)
    metrics = score_predictions(
        rows, {r.video: answer(guess(r)) for r in rows}, "classification"
    ).metrics
    assert metrics["binary_accuracy"] == pytest.approx(binary)
    assert metrics["multiclass_accuracy"] == pytest.approx(multi)


@needs_bench
def test_per_class_breakdown_sums_to_the_total():
    rows = rows_of("test_msad.csv")
    predictions = {r.video: answer("Normal") for r in rows}
    score = score_predictions(rows, predictions, "classification")
    assert sum(values["n"] for values in score.per_class.values()) == 240
    assert score.per_class["Normal"]["multiclass_accuracy"] == 100.0
    assert score.per_class["Fighting"] == {
        "binary_accuracy": 0.0,
        "multiclass_accuracy": 0.0,
        "n": 6,
        "missing": 0,
    }


@needs_bench
def test_ucf_rows_without_a_class_group_as_no_class_in_grounding():
    score = score_predictions(rows_of("test_ucf_crime.csv"), {}, "grounding")
    assert score.per_class["(no class)"]["n"] == 12
    assert score.metrics["missing"] == 124


# --- predictions that do not belong ------------------------------------------------------


def row(video: str, **fields) -> BenchRow:
    base = {
        "row_number": 2,
        "video": video,
        "source": "other",
        "question": "Q?",
        "options": ("a", "b", "c", "d"),
        "correct": "A",
        "key_object": None,
        "description": None,
        "reasoning": None,
        "anomaly_class": "Fighting",
        "start": 1.0,
        "end": 3.0,
    }
    return BenchRow(**(base | fields))


def test_predictions_for_another_task_or_unknown_video_are_counted_and_ignored():
    rows = [row("a.mp4"), row("b.mp4")]
    predictions = {
        "a.mp4": answer("A") | {"task": "qa"},
        "b.mp4": answer("A") | {"task": "grounding"},
        "zzz.mp4": answer("A") | {"task": "qa"},
    }
    score = score_predictions(rows, predictions, "qa")
    assert score.metrics == {"accuracy": 50.0, "n": 2, "missing": 1}
    assert (score.other_task, score.extra) == (1, 1)


def test_duplicate_video_names_are_an_error():
    with pytest.raises(PredictionsError, match="appears in rows 2 and 2"):
        task_truth([row("a.mp4"), row("a.mp4")], "qa")


def test_description_has_no_automatic_metric():
    with pytest.raises(PredictionsError, match="LLM"):
        task_truth([row("a.mp4")], "description")


def test_table_lists_overall_and_each_class():
    rows = [row("a.mp4"), row("b.mp4", anomaly_class="Normal", start=0.0, end=0.0)]
    table = format_score(score_predictions(rows, {"a.mp4": answer("A")}, "qa"), title="t")
    lines = table.splitlines()
    assert lines[0] == "t"
    assert "accuracy" in lines[2]
    assert any(line.startswith("all") and "50.00" in line for line in lines)
    assert any(line.startswith("Fighting") and "100.00" in line for line in lines)
    assert any(line.startswith("Normal") and "0.00" in line for line in lines)


# --- the predictions file ----------------------------------------------------------------


def write_lines(path: Path, lines: list[str], newline_at_end: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


def record(video: str, raw: str = "<answer>A</answer>") -> str:
    return json.dumps({"video": video, "task": "qa", "raw": raw})


def test_read_predictions_by_video_last_wins(tmp_path):
    found = read_predictions(
        write_lines(tmp_path / "p.jsonl", [record("a", "1"), record("a", "2")])
    )
    assert found.records["a"]["raw"] == "2"
    assert (found.bad_lines, found.truncated) == ([], False)


def test_read_predictions_ignores_a_cut_off_last_line(tmp_path):
    lines = [record("a"), record("b")[:20]]
    found = read_predictions(write_lines(tmp_path / "p.jsonl", lines, newline_at_end=False))
    assert list(found.records) == ["a"] and found.truncated


def test_read_predictions_accepts_a_last_line_without_newline(tmp_path):
    found = read_predictions(write_lines(tmp_path / "p.jsonl", [record("a")], newline_at_end=False))
    assert list(found.records) == ["a"] and not found.truncated


@pytest.mark.parametrize(
    "bad",
    ["not json", "[1, 2]", json.dumps({"raw": "x"}), json.dumps({"video": "v", "raw": None})],
)
def test_read_predictions_notes_bad_lines(tmp_path, bad):
    found = read_predictions(write_lines(tmp_path / "p.jsonl", [record("a"), bad, record("b")]))
    assert sorted(found.records) == ["a", "b"] and found.bad_lines == [2]


def test_read_predictions_missing_file(tmp_path):
    with pytest.raises(PredictionsError, match="no such predictions file"):
        read_predictions(tmp_path / "none.jsonl")
