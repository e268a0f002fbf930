"""VAU-Bench CSV reading: the shared splits' known counts, sentinels, bad rows, round trip."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from inference.core.vaubench import (
    COLUMNS,
    BenchFormatError,
    BenchRow,
    guess_source,
    parse_correct,
    read_bench_csv,
    write_bench_csv,
)
from inference.errors import StudioError
from tests.conftest import SHARED_BENCH

BENCH = SHARED_BENCH
needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason="shared VAU-Bench CSVs not present")

GOOD = {
    "Video Name": "ucf_Fighting001_x264.mp4",
    "Question": "What happens?",
    "Option 1": "A fight",
    "Option 2": "Nothing",
    "Option 3": "A fire",
    "Option 4": "Rain",
    "Correct Option": "A",
    "Key Object": "two men",
    "Description": "Two men fight.",
    "Reasoning": "{'Specific Anomaly Type': 'Fighting'}",
    "Anomaly Class": "Fighting",
    "Start Time": "3.5",
    "End Time": "9.0",
}


def write_rows(path: Path, rows: list[dict[str, str]], header=COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row[c] for c in header] if isinstance(row, dict) else row)
    return path


def one_row(tmp_path: Path, **changes: str):
    bench = read_bench_csv(write_rows(tmp_path / "bench.csv", [GOOD | changes]))
    return bench


# --- the four shared splits -------------------------------------------------------------


@needs_bench
@pytest.mark.parametrize(
    ("name", "rows", "qa", "intervals", "normal", "skipped"),
    [
        ("val.csv", 734, 734, 339, 214, 0),
        ("test_msad.csv", 240, 240, 120, 120, 0),
        ("test_ucf_crime.csv", 263, 251, 124, 123, 27),
        ("test_ecva.csv", 438, 438, 402, 2, 0),
    ],
)
def test_shared_split_counts(name, rows, qa, intervals, normal, skipped):
    bench = read_bench_csv(BENCH / name)
    assert len(bench.rows) == rows
    assert sum(r.usable_qa for r in bench.rows) == qa
    assert sum(r.has_interval for r in bench.rows) == intervals
    assert sum(r.is_normal for r in bench.rows) == normal
    assert sum(p.skipped for p in bench.problems) == skipped


@needs_bench
def test_msad_has_120_normal_videos_with_zero_times():
    rows = read_bench_csv(BENCH / "test_msad.csv").rows
    normal = [r for r in rows if r.anomaly_class == "Normal"]
    assert len(normal) == 120
    assert all((r.start, r.end) == (0.0, 0.0) and r.interval is None for r in normal)


@needs_bench
def test_msad_full_text_correct_options_become_letters():
    # The README says 9 such rows; the file itself has 8 (rows 38, 46, 86, 106, 124, 158, 169, 199).
    with (BENCH / "test_msad.csv").open(encoding="utf-8-sig", newline="") as handle:
        raw = {i: r["Correct Option"] for i, r in enumerate(csv.DictReader(handle), start=2)}
    full_text = {i: text for i, text in raw.items() if len(text) > 1}
    assert sorted(full_text) == [38, 46, 86, 106, 124, 158, 169, 199]
    rows = {r.row_number: r for r in read_bench_csv(BENCH / "test_msad.csv").rows}
    for number, text in full_text.items():
        assert rows[number].correct == text[0]
    assert rows[38].correct == "D"
    assert rows[38].options[3] == "Green trash bin tipping over unexpectedly"


@needs_bench
def test_ucf_reports_all_39_rows_whose_text_is_all_minus_one():
    bench = read_bench_csv(BENCH / "test_ucf_crime.csv")
    assert len(bench.problems) == 39
    skipped = [p for p in bench.problems if p.skipped]
    kept = [p for p in bench.problems if not p.skipped]
    assert len(skipped) == 27 and all(p.message.startswith("unusable row") for p in skipped)
    assert len(kept) == 12 and all("grounding only" in p.message for p in kept)


@needs_bench
def test_ucf_text_less_rows_with_spans_count_for_grounding_only():
    # The paper's 124 UCF-Crime grounding rows include 12 rows with no question or class.
    bench = read_bench_csv(BENCH / "test_ucf_crime.csv")
    noted = {p.row_number for p in bench.problems if not p.skipped}
    rows = [r for r in bench.rows if r.row_number in noted]
    assert len(rows) == 12
    for row in rows:
        assert row.has_interval and not row.usable_qa
        assert row.question is None and row.options is None and row.correct is None
        assert row.anomaly_class is None and row.reasoning is None


@needs_bench
def test_ecva_unannotated_rows_have_no_interval():
    rows = read_bench_csv(BENCH / "test_ecva.csv").rows
    unannotated = [r for r in rows if r.is_unannotated]
    assert len(unannotated) == 36
    assert all(r.interval is None and not r.has_interval for r in unannotated)


@needs_bench
def test_ecva_normal_class_rows_with_spans_still_count_as_intervals():
    rows = read_bench_csv(BENCH / "test_ecva.csv").rows
    labelled_normal = [r for r in rows if r.anomaly_class == "Normal"]
    assert [(r.row_number, r.interval) for r in labelled_normal] == [
        (317, (2.0, 150.0)),
        (402, (0.0, 100.0)),
    ]
    assert all(r.is_normal for r in labelled_normal)


@needs_bench
@pytest.mark.parametrize(
    ("name", "sources"),
    [
        ("val.csv", {"ecva": 339, "ucf": 299, "msad": 96}),
        ("test_msad.csv", {"msad": 240}),
        ("test_ucf_crime.csv", {"ucf": 263}),
        ("test_ecva.csv", {"ecva": 438}),
    ],
)
def test_shared_split_sources(name, sources):
    rows = read_bench_csv(BENCH / name).rows
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.source] = counts.get(row.source, 0) + 1
    assert counts == sources


@needs_bench
def test_reasoning_is_kept_exactly_as_stored():
    with (BENCH / "test_msad.csv").open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle))
    row = read_bench_csv(BENCH / "test_msad.csv").rows[0]
    assert row.row_number == 2
    assert row.reasoning == first["Reasoning"]
    assert row.reasoning.lstrip().startswith("###")


@needs_bench
@pytest.mark.parametrize(
    "name", ["val.csv", "test_msad.csv", "test_ucf_crime.csv", "test_ecva.csv"]
)
def test_shared_split_round_trip(tmp_path, name):
    first = read_bench_csv(BENCH / name)
    write_bench_csv(first.rows, tmp_path / name)
    second = read_bench_csv(tmp_path / name)
    assert [r.to_csv_dict() for r in second.rows] == [r.to_csv_dict() for r in first.rows]
    assert [r.source for r in second.rows] == [r.source for r in first.rows]
    write_bench_csv(second.rows, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / name).read_bytes()


@needs_bench
@pytest.mark.parametrize("name", ["val.csv", "test_ecva.csv"])
def test_clean_splits_are_written_back_byte_for_byte(tmp_path, name):
    write_bench_csv(read_bench_csv(BENCH / name).rows, tmp_path / name)
    assert (tmp_path / name).read_bytes() == (BENCH / name).read_bytes()


# --- one field at a time ----------------------------------------------------------------


def test_a_good_row_reads_every_field(tmp_path):
    bench = one_row(tmp_path)
    assert bench.problems == []
    assert bench.rows == [
        BenchRow(
            row_number=2,
            video="ucf_Fighting001_x264.mp4",
            source="ucf",
            question="What happens?",
            options=("A fight", "Nothing", "A fire", "Rain"),
            correct="A",
            key_object="two men",
            description="Two men fight.",
            reasoning="{'Specific Anomaly Type': 'Fighting'}",
            anomaly_class="Fighting",
            start=3.5,
            end=9.0,
        )
    ]


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("A", "A"),
        ("d", "D"),
        (" C ", "C"),
        ("D. Green trash bin tipping over", "D"),
        ("B) The person", "B"),
        ("C.", "C"),
        ("E", None),
        ("Green trash bin", None),
        ("Above", None),
        ("", None),
    ],
)
def test_parse_correct(text, letter):
    assert parse_correct(text) == letter


@pytest.mark.parametrize(
    ("start", "end", "interval", "normal", "unannotated"),
    [
        ("3.5", "9.0", (3.5, 9.0), False, False),
        ("0.0", "0.0", None, True, False),
        ("0", "0", None, True, False),
        ("-1.0", "-1.0", None, False, True),
        ("-1", "-1", None, False, True),
        ("0.0", "12.0", (0.0, 12.0), False, False),
        ("4.0", "4.0", (4.0, 4.0), False, False),
    ],
)
def test_time_sentinels(tmp_path, start, end, interval, normal, unannotated):
    changes = {"Start Time": start, "End Time": end, "Anomaly Class": "Fighting"}
    row = one_row(tmp_path, **changes).rows[0]
    assert row.interval == interval
    assert row.has_interval == (interval is not None)
    assert row.is_normal == normal
    assert row.is_unannotated == unannotated


def test_class_normal_makes_a_row_normal(tmp_path):
    row = one_row(tmp_path, **{"Anomaly Class": "normal"}).rows[0]
    assert row.anomaly_class == "Normal" and row.is_normal


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("Traffic accident", "Traffic_accident"), ("FOOD_SAFETY", "Food Safety"), ("-1", None)],
)
def test_anomaly_class_is_canonical(tmp_path, text, canonical):
    bench = one_row(tmp_path, **{"Anomaly Class": text})
    assert bench.rows[0].anomaly_class == canonical
    assert bench.problems == []


def test_unknown_class_is_a_problem_but_the_row_stays(tmp_path):
    bench = one_row(tmp_path, **{"Anomaly Class": "Jaywalking"})
    assert bench.rows[0].anomaly_class is None
    assert [str(p) for p in bench.problems] == ["row 2: unknown Anomaly Class 'Jaywalking'"]
    assert not bench.problems[0].skipped


def test_unrecognised_correct_option_is_a_problem(tmp_path):
    bench = one_row(tmp_path, **{"Correct Option": "Green"})
    assert bench.rows[0].correct is None and not bench.rows[0].usable_qa
    assert "names no option" in bench.problems[0].message


@pytest.mark.parametrize("column", ["Question", "Correct Option"])
def test_minus_one_in_a_qa_field_makes_qa_unusable(tmp_path, column):
    row = one_row(tmp_path, **{column: "-1"}).rows[0]
    assert not row.usable_qa


def test_all_options_minus_one_means_no_options(tmp_path):
    changes = {f"Option {i}": "-1" for i in range(1, 5)}
    bench = one_row(tmp_path, **changes)
    assert bench.rows[0].options is None and bench.problems == []


def test_one_option_minus_one_is_a_problem(tmp_path):
    bench = one_row(tmp_path, **{"Option 3": "-1"})
    assert bench.rows[0].options is None
    assert bench.problems[0].message == "some options are -1; question unusable"


@pytest.mark.parametrize("column", ["Key Object", "Description", "Reasoning"])
def test_minus_one_text_becomes_none(tmp_path, column):
    row = one_row(tmp_path, **{column: "-1"}).rows[0]
    assert getattr(row, column.lower().replace(" ", "_")) is None


@pytest.mark.parametrize(
    ("video", "file_name", "source"),
    [
        ("msad_Assault_2.mp4", "val.csv", "msad"),
        ("MSAD_normal_testing_1.mp4", "anything.csv", "msad"),
        ("ecva_17.mp4", "test_msad.csv", "ecva"),
        ("14.mp4", "test_ecva.csv", "ecva"),
        ("Abuse028_x264.mp4", "test_ucf_crime.csv", "ucf"),
        ("Assault_2.mp4", "test_msad.csv", "msad"),
        ("clip.mp4", "mine.csv", "other"),
    ],
)
def test_guess_source(video, file_name, source):
    assert guess_source(video, file_name) == source


# --- rows that cannot be used -----------------------------------------------------------


def test_a_row_of_minus_ones_without_times_is_skipped(tmp_path):
    unusable = {c: "-1" for c in COLUMNS[1:11]} | {"Start Time": "0.0", "End Time": "0.0"}
    path = write_rows(tmp_path / "b.csv", [GOOD, GOOD | unusable, GOOD])
    bench = read_bench_csv(path)
    assert [r.row_number for r in bench.rows] == [2, 4]
    assert [(p.row_number, p.skipped) for p in bench.problems] == [(3, True)]
    assert bench.problems[0].message.startswith("unusable row")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("abc", "3.0", "unparsable times 'abc' / '3.0'"),
        ("", "", "unparsable times '' / ''"),
        ("nan", "1.0", "unparsable times 'nan' / '1.0'"),
        ("9.0", "3.0", "start 9.0 is after end 3.0"),
    ],
)
def test_bad_times_skip_the_row_with_its_number(tmp_path, start, end, message):
    path = write_rows(tmp_path / "b.csv", [GOOD, GOOD | {"Start Time": start, "End Time": end}])
    bench = read_bench_csv(path)
    assert [r.row_number for r in bench.rows] == [2]
    assert [str(p) for p in bench.problems] == [f"row 3: {message}"]


@pytest.mark.parametrize("fields", [12, 14])
def test_wrong_field_count_skips_the_row(tmp_path, fields):
    values = [GOOD[c] for c in COLUMNS]
    record = (values + ["extra"])[:fields]
    bench = read_bench_csv(write_rows(tmp_path / "b.csv", [record, GOOD]))
    assert [r.row_number for r in bench.rows] == [3]
    assert [str(p) for p in bench.problems] == [f"row 2: expected 13 fields, found {fields}"]


def test_empty_video_name_skips_the_row(tmp_path):
    bench = one_row(tmp_path, **{"Video Name": "  "})
    assert bench.rows == [] and str(bench.problems[0]) == "row 2: empty Video Name"


def test_row_numbers_count_spreadsheet_rows_across_multiline_cells(tmp_path):
    path = write_rows(tmp_path / "b.csv", [GOOD | {"Description": "one\ntwo\nthree"}, GOOD])
    assert [r.row_number for r in read_bench_csv(path).rows] == [2, 3]


def test_blank_lines_are_ignored(tmp_path):
    path = write_rows(tmp_path / "b.csv", [GOOD])
    path.write_text(path.read_text() + "\n\n")
    bench = read_bench_csv(path)
    assert len(bench.rows) == 1 and bench.problems == []


def test_byte_order_mark_and_reordered_columns_are_accepted(tmp_path):
    header = tuple(reversed(COLUMNS))
    path = write_rows(tmp_path / "b.csv", [GOOD], header=header)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_bench_csv(path).rows[0].video == GOOD["Video Name"]


# --- files that are not VAU-Bench CSVs --------------------------------------------------


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(BenchFormatError, match="no such file"):
        read_bench_csv(tmp_path / "nope.csv")


def test_missing_columns_are_named(tmp_path):
    path = write_rows(tmp_path / "b.csv", [], header=COLUMNS[:-2])
    with pytest.raises(StudioError, match="missing columns Start Time, End Time"):
        read_bench_csv(path)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage"])
def test_empty_or_binary_file_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "b.csv"
    path.write_bytes(content)
    with pytest.raises(BenchFormatError) as error:
        read_bench_csv(path)
    assert "\n" not in str(error.value)


# --- writing ----------------------------------------------------------------------------


def test_round_trip_keeps_sentinels_and_letters(tmp_path):
    rows = [
        GOOD,
        GOOD | {"Correct Option": "D. Rain", "Start Time": "-1.0", "End Time": "-1.0"},
        GOOD
        | {"Key Object": "-1", "Anomaly Class": "Normal", "Start Time": "0.0", "End Time": "0.0"},
    ]
    first = read_bench_csv(write_rows(tmp_path / "a.csv", rows))
    write_bench_csv(first.rows, tmp_path / "b.csv")
    second = read_bench_csv(tmp_path / "b.csv")
    assert second.rows == [r for r in first.rows]
    assert second.rows[1].correct == "D"
    with (tmp_path / "b.csv").open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [w["Correct Option"] for w in written] == ["A", "D", "A"]
    assert written[2]["Key Object"] == "-1"
    assert (written[1]["Start Time"], written[2]["End Time"]) == ("-1.0", "0.0")


def test_to_csv_dict_has_the_13_columns_in_order(tmp_path):
    row = one_row(tmp_path).rows[0]
    assert tuple(row.to_csv_dict()) == COLUMNS
