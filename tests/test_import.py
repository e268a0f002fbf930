"""VAU-Bench import: the shared splits' counts, sentinels, bad rows, idempotence, video matching."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from annotate.importer import import_csv
from annotate.records import Edit
from annotate.store import Store
from inference.core.vaubench import COLUMNS
from inference.errors import StudioError
from tests import pg
from tests.conftest import SAMPLES_DIR, SHARED_BENCH

needs_bench = pytest.mark.skipif(not SHARED_BENCH.is_dir(), reason="shared VAU-Bench CSVs absent")

GOOD = {
    "Video Name": "Fighting001_x264.mp4",
    "Question": "What happens?",
    "Option 1": "A fight",
    "Option 2": "Nothing",
    "Option 3": "A fire",
    "Option 4": "Rain",
    "Correct Option": "A",
    "Key Object": "two men",
    "Description": "Two men fight.",
    "Reasoning": "{'Specific Anomaly Type': 'Fighting', 'Location': 'A street'}",
    "Anomaly Class": "Fighting",
    "Start Time": "3.5",
    "End Time": "9.0",
}
TRICKY = "Ünïcödé “curly” \"double\" 'single', commas\nnew line\r\n\ttab 漢字 🙂"


def row(**changes: str) -> dict[str, str]:
    values = dict(GOOD)
    for key, value in changes.items():
        values[key.replace("_", " ")] = value
    return values


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def store(tmp_path):
    with Store(pg.backend_url("sqlite", tmp_path)) as opened:
        yield opened


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    with Store(pg.backend_url(request.param, tmp_path)) as opened:
        yield opened


def items_by_task(store: Store) -> dict[str, object]:
    return {item.task: item for item in store.list_items(limit=None)}


# --- the four shared splits -----------------------------------------------------------------


@needs_bench
@pytest.mark.parametrize(
    ("file", "imported", "skipped", "qa", "grounding", "classification", "description"),
    [
        ("val.csv", 734, 0, 734, 553, 734, 734),
        ("test_msad.csv", 240, 0, 240, 240, 240, 240),
        ("test_ucf_crime.csv", 263, 27, 251, 247, 251, 251),
        ("test_ecva.csv", 438, 0, 438, 402, 438, 438),
    ],
)
def test_the_shared_splits_import_with_known_counts(
    store, file, imported, skipped, qa, grounding, classification, description
):
    report = import_csv(store, SHARED_BENCH / file)
    assert (report.rows_imported, len(report.skipped)) == (imported, skipped)
    expected = {"qa": qa, "grounding": grounding, "classification": classification}
    expected["description"] = description
    assert dict(report.items_by_task) == expected
    assert store.counts().items_by_task == expected
    assert report.items == {"created": sum(expected.values())}


@needs_bench
def test_ucf_crime_reports_unusable_rows_by_number(store):
    report = import_csv(store, SHARED_BENCH / "test_ucf_crime.csv")
    assert [p.row_number for p in report.skipped][:4] == [82, 94, 96, 97]
    assert all("every text field is -1" in p.message for p in report.skipped)
    grounding_only = [p.row_number for p in report.notes if "grounding only" in p.message]
    assert len(grounding_only) == 12 and grounding_only[0] == 3


@needs_bench
def test_grounding_truth_follows_the_times(store):
    import_csv(store, SHARED_BENCH / "test_ucf_crime.csv")
    answers = [i.truth.answer for i in store.list_items(task="grounding", limit=None)]
    assert (answers.count("Anomaly"), answers.count("Normal")) == (124, 123)  # paper: 124


@needs_bench
def test_msad_full_text_correct_options_become_letters(store):
    import_csv(store, SHARED_BENCH / "test_msad.csv")
    letters = {item.truth.answer for item in store.list_items(task="qa", limit=None)}
    assert letters <= {"A", "B", "C", "D"}


@needs_bench
def test_importing_a_shared_split_again_changes_nothing(any_store):
    first = import_csv(any_store, SHARED_BENCH / "test_msad.csv")
    before = any_store.list_items(limit=None)
    again = import_csv(any_store, SHARED_BENCH / "test_msad.csv")
    assert again.items == {"unchanged": sum(first.items.values())}
    assert any_store.list_items(limit=None) == before


# --- sentinels and normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "tasks"),
    [
        ({}, {"qa", "grounding", "classification", "description"}),
        ({"Start_Time": "-1.0", "End_Time": "-1.0"}, {"qa", "classification", "description"}),
        ({"Question": "-1"}, {"grounding", "classification", "description"}),
        ({"Correct_Option": "-1"}, {"grounding", "classification", "description"}),
        ({"Anomaly_Class": "-1"}, {"qa", "grounding", "description"}),
        ({"Description": "-1"}, {"qa", "grounding", "classification"}),
    ],
)
def test_a_row_gives_an_item_for_each_task_it_can_serve(store, tmp_path, changes, tasks):
    import_csv(store, write_csv(tmp_path / "t.csv", [row(**changes)]))
    assert set(items_by_task(store)) == tasks


@pytest.mark.parametrize(
    ("start", "end", "answer", "interval"),
    [("3.5", "9.0", "Anomaly", (3.5, 9.0)), ("0.0", "0.0", "Normal", None)],
)
def test_times_decide_the_grounding_answer(store, tmp_path, start, end, answer, interval):
    import_csv(store, write_csv(tmp_path / "t.csv", [row(Start_Time=start, End_Time=end)]))
    truth = items_by_task(store)["grounding"].truth
    assert (truth.answer, truth.interval) == (answer, interval)


@pytest.mark.parametrize(
    ("field", "value", "task", "expected"),
    [
        ("Correct Option", "B. Nothing at all", "qa", "B"),
        ("Correct Option", " c ", "qa", "C"),
        ("Anomaly Class", "traffic accident", "classification", "Traffic_accident"),
        ("Anomaly Class", "FOOD_SAFETY", "classification", "Food Safety"),
    ],
)
def test_answers_are_normalised(store, tmp_path, field, value, task, expected):
    values = dict(GOOD, **{field: value})
    import_csv(store, write_csv(tmp_path / "t.csv", [values]))
    assert items_by_task(store)[task].truth.answer == expected


def test_every_item_of_a_row_carries_the_row_facts(store, tmp_path):
    import_csv(store, write_csv(tmp_path / "t.csv", [row()]))
    for item in items_by_task(store).values():
        truth = item.truth
        assert (truth.class_name, truth.interval, truth.key_objects) == (
            "Fighting",
            (3.5, 9.0),
            "two men",
        )
        assert truth.reasoning == GOOD["Reasoning"]  # stored raw, split into steps on use
        assert (item.origin, item.origin_row) == ("t.csv", 2)


def test_imported_text_is_stored_exactly(store, tmp_path):
    values = row(Question=TRICKY, Description=TRICKY, Reasoning=TRICKY, Key_Object=TRICKY)
    import_csv(store, write_csv(tmp_path / "t.csv", [values]))
    items = items_by_task(store)
    assert items["qa"].question == TRICKY
    assert items["description"].truth.answer == TRICKY
    assert items["description"].truth.reasoning == TRICKY
    assert items["qa"].truth.key_objects == TRICKY


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"Start_Time": "soon"}, "unparsable times"),
        ({"Start_Time": "9", "End_Time": "3"}, "after end"),
        ({"Video_Name": " "}, "empty Video Name"),
    ],
)
def test_malformed_rows_are_reported_by_row_number_and_left_out(store, tmp_path, bad, message):
    rows = [row(Video_Name="a.mp4"), row(**{"Video_Name": "b.mp4", **bad}), row(Video_Name="c.mp4")]
    report = import_csv(store, write_csv(tmp_path / "t.csv", rows))
    assert [(p.row_number, message in p.message) for p in report.skipped] == [(3, True)]
    assert report.rows_imported == 2
    assert sorted({i.video.name for i in store.list_items(limit=None)}) == ["a.mp4", "c.mp4"]


def test_a_repeated_video_is_noted(store, tmp_path):
    report = import_csv(store, write_csv(tmp_path / "t.csv", [row(), row(Correct_Option="B")]))
    assert any(p.row_number == 3 and "also on row 2" in p.message for p in report.notes)
    assert items_by_task(store)["qa"].truth.answer == "B"


@pytest.mark.parametrize("content", ["", "just,a,header\n1,2,3\n"])
def test_a_file_that_is_not_a_vau_bench_csv_is_a_clear_error(store, tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StudioError, match="bad.csv"):
        import_csv(store, path)


def test_a_missing_file_is_a_clear_error(store, tmp_path):
    with pytest.raises(StudioError, match="no such file"):
        import_csv(store, tmp_path / "absent.csv")


# --- re-import and sources ------------------------------------------------------------------


def test_reimport_is_idempotent_on_every_backend(any_store, tmp_path):
    path = write_csv(tmp_path / "test_msad.csv", [row(Video_Name=f"v{i}.mp4") for i in range(3)])
    first = import_csv(any_store, path)
    second = import_csv(any_store, path)
    assert first.items == {"created": 12} and second.items == {"unchanged": 12}
    assert any_store.counts().items == 12 and any_store.counts().videos == 3


def test_a_changed_file_updates_ground_truth_and_keeps_corrections(any_store, tmp_path):
    path = write_csv(tmp_path / "t.csv", [row()])
    import_csv(any_store, path)
    qa = items_by_task(any_store)["qa"]
    any_store.save_correction(qa.id, "ann", Edit(answer="D"), status="submitted")
    report = import_csv(any_store, write_csv(path, [row(Correct_Option="C")]))
    assert report.items == {"updated": 1, "unchanged": 3}
    assert any_store.get_item(qa.id).truth.answer == "C"
    assert any_store.current(qa.id, "ann").answer == "D"


@pytest.mark.parametrize(
    ("file", "name", "source"),
    [
        ("test_msad.csv", "Assault_2.mp4", "msad"),
        ("test_ucf_crime.csv", "Abuse028_x264.mp4", "ucf"),
        ("val.csv", "ecva_17.mp4", "ecva"),
        ("mine.csv", "clip.mp4", "other"),
    ],
)
def test_the_source_comes_from_the_name_prefix_or_the_file_name(
    store, tmp_path, file, name, source
):
    import_csv(store, write_csv(tmp_path / file, [row(Video_Name=name)]))
    assert {i.video.source for i in store.list_items()} == {source}


def test_the_source_can_be_given(store, tmp_path):
    import_csv(store, write_csv(tmp_path / "mine.csv", [row()]), source="local")
    assert {i.video.source for i in store.list_items()} == {"local"}


# --- finding the videos ---------------------------------------------------------------------


def test_videos_are_matched_by_name_and_missing_ones_listed(store, tmp_path):
    videos = tmp_path / "videos"
    (videos / "ECVA").mkdir(parents=True)
    (videos / "other").mkdir()
    (videos / "ECVA" / "17.mp4").write_bytes(b"ecva video")
    (videos / "other" / "17.mp4").write_bytes(b"some other dataset")
    (videos / "Fighting001_x264.mp4").write_bytes(b"ucf video")
    rows = [row(Video_Name="ecva_17.mp4"), row(), row(Video_Name="ecva_99.mp4")]
    report = import_csv(
        store, write_csv(tmp_path / "val.csv", rows), videos=videos, hash_videos=True
    )
    assert (report.videos_matched, report.missing_videos) == (2, ["ecva_99.mp4"])
    found = {i.video.name: i.video for i in store.list_items(limit=None)}
    assert found["ecva_17.mp4"].path == str((videos / "ECVA" / "17.mp4").resolve())
    assert found["ecva_17.mp4"].content_hash == hashlib.sha256(b"ecva video").hexdigest()
    assert found["ecva_99.mp4"].path is None


def test_a_later_import_without_videos_keeps_the_found_paths(store, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "Fighting001_x264.mp4").write_bytes(b"x")
    path = write_csv(tmp_path / "t.csv", [row()])
    import_csv(store, path, videos=videos)
    import_csv(store, path)
    assert store.list_items()[0].video.path == str((videos / "Fighting001_x264.mp4").resolve())


def test_found_videos_are_probed_so_corrections_can_be_checked_against_them(store, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(SAMPLES_DIR / "sample_fight.mp4", videos / "Fighting001_x264.mp4")  # 18 s
    late = row(Video_Name="late.mp4", Start_Time="12.0", End_Time="30.0")
    shutil.copy(SAMPLES_DIR / "sample_fight.mp4", videos / "late.mp4")
    report = import_csv(store, write_csv(tmp_path / "t.csv", [row(), late]), videos=videos)
    video = store.list_items()[0].video
    assert (video.duration, video.fps) == (18.0, 10.0)
    assert [str(n) for n in report.notes] == [
        "row 3: ground truth interval: end 30 s is after the video ends (18 s)"
    ]


def test_an_unreadable_video_is_a_note_and_keeps_its_path(store, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "Fighting001_x264.mp4").write_bytes(b"not a video")
    report = import_csv(store, write_csv(tmp_path / "t.csv", [row()]), videos=videos)
    assert "video not readable" in str(report.notes[0])
    video = store.list_items()[0].video
    assert video.path is not None and video.duration is None
