"""The Progress tab's evaluation: one predictions file scored with intervals, two compared
pairwise, the videos they disagree on listed, and every refusal a message naming the problem."""

from __future__ import annotations

import pytest

from annotate.errors import InvalidInput
from annotate.store import Store
from app import evaluation, items
from app.services import Studio
from app.settings import Settings
from inference.core.vaubench import read_bench_csv
from inference.eval.scoring import PredictionsError
from tests.conftest import SHARED_BENCH
from tests.test_compare import predictions
from tests.test_evaluate import write_predictions
from tests.test_scoring import answer, glue, needs_bench, perfect

pytestmark = needs_bench


@pytest.fixture
def studio(tmp_path):
    settings = Settings(db_url=f"sqlite:///{tmp_path}/eval.db").validate()
    store = Store(settings.db_url)
    yield Studio(settings, store)
    store.close()


def test_the_ground_truths_are_the_shipped_splits_and_the_samples_by_name(studio):
    names = set(evaluation.ground_truths(studio))
    assert {"test_msad.csv", "test_ucf_crime.csv", "test_ecva.csv", "val.csv"} <= names
    assert "samples.csv" in names and not any("/" in name for name in names)


def test_one_file_gets_each_figure_with_its_interval(studio, tmp_path):
    a = predictions(tmp_path / "a.jsonl", 0.5, seed=1)
    found = evaluation.evaluate(studio, "test_msad.csv", "grounding", [str(a)])
    rows = {row[0]: row for row in found.rows}
    assert found.headers == ["figure", "value", "interval"]
    low, high = (float(x) for x in rows["mIoU"][2].strip("[]").split(", "))
    assert low <= rows["mIoU"][1] <= high
    assert {"false_alarm", "frame_auc"} <= set(rows)
    assert found.notes[0].startswith("120 videos against test_msad.csv, studio reader")
    assert found.notes[1] == "a.jsonl: made by: model a, fps 2.0" and found.disagree == []


def test_two_files_get_the_paired_difference_and_what_they_disagree_on(studio, tmp_path):
    a = predictions(tmp_path / "a.jsonl", 0.3, seed=1)
    b = predictions(tmp_path / "b.jsonl", 0.8, seed=2)
    found = evaluation.evaluate(studio, "test_msad.csv", "grounding", [str(a), str(b)])
    rows = {row[0]: row for row in found.rows}
    _, mean_a, mean_b, diff, interval, p = rows["mIoU"]
    assert diff == pytest.approx(mean_b - mean_a, abs=0.01) and diff > 0
    assert float(interval.strip("[]").split(", ")[0]) > 0 and p < 0.01
    assert 0 < len(found.disagree) < 120 and len(set(found.disagree)) == len(found.disagree)
    assert f"they disagree on {len(found.disagree)} of 120 videos" in found.notes[0]


def test_a_file_compared_with_itself_disagrees_nowhere(studio, tmp_path):
    a = str(predictions(tmp_path / "a.jsonl", 0.5, seed=1))
    found = evaluation.evaluate(studio, "test_msad.csv", "grounding", [a, a])
    assert found.disagree == [] and all(row[3] == 0 for row in found.rows)


@pytest.mark.parametrize(
    ("truth", "task", "count", "says"),
    [
        (None, "grounding", 1, "choose the ground truth"),
        ("../../etc/passwd", "grounding", 1, "choose the ground truth"),
        ("test_msad.csv", "dancing", 1, "choose a task"),
        ("test_msad.csv", "grounding", 0, "upload one predictions file, or two"),
        ("test_msad.csv", "grounding", 3, "upload one predictions file, or two"),
    ],
)
def test_what_cannot_be_scored_is_refused_by_name(studio, tmp_path, truth, task, count, says):
    files = [str(predictions(tmp_path / f"{n}.jsonl", 0.5, seed=n)) for n in range(count)]
    with pytest.raises(InvalidInput, match=says):
        evaluation.evaluate(studio, truth, task, files)


def test_files_made_with_different_settings_are_not_compared(studio, tmp_path):
    a = predictions(tmp_path / "a.jsonl", 0.5, seed=1, fps=2.0)
    b = predictions(tmp_path / "b.jsonl", 0.5, seed=1, fps=1.0)
    with pytest.raises(PredictionsError, match=r"different settings \(fps 2.0 vs 1.0\)"):
        evaluation.evaluate(studio, "test_msad.csv", "grounding", [str(a), str(b)])


def test_a_file_of_another_task_is_refused(studio, tmp_path):
    a = predictions(tmp_path / "a.jsonl", 0.5, seed=1)
    with pytest.raises(PredictionsError, match="a.jsonl"):
        evaluation.evaluate(studio, "test_msad.csv", "qa", [str(a)])


def test_the_page_scores_uploaded_files_and_a_bad_upload_is_a_message(tmp_path):
    from gradio_client import Client, handle_file

    from tests.app_helpers import call, scripted_studio

    demo, url = scripted_studio(tmp_path / "page")
    try:
        client = Client(url, verbose=False)
        a = predictions(tmp_path / "a.jsonl", 0.3, seed=1)
        b = predictions(tmp_path / "b.jsonl", 0.8, seed=2)
        files = [handle_file(str(a)), handle_file(str(b))]
        out = call(client, "evaluate", "test_msad.csv", "grounding", files, "researcher")
        assert "A = a.jsonl, B = b.jsonl" in out["Evaluation status"]
        table = out["Figures"]["value"]  # an update: the headers change with the file count
        assert table["headers"] == evaluation.TWO_HEADERS
        assert "mIoU" in [row[0] for row in table["data"]]
        junk = tmp_path / "junk.jsonl"
        junk.write_text("not json\n", encoding="utf-8")
        out = call(client, "evaluate", "test_msad.csv", "grounding", [handle_file(str(junk))], "r")
        said = out["Evaluation status"]
        assert "junk.jsonl" in said and 'class="warn"' in said  # a red line, never a traceback
        sent = call(client, "send_to_queue", "", "reviewer")["Queue status"]
        assert "name the queue" in sent or "compare two" in sent  # the junk file compared none
        # The samples, which this Studio imported: B right where A is wrong.
        rows = read_bench_csv(demo.studio.settings.samples).rows
        wrong = [answer("Anomaly", glue((0.0, 0.5))) | {"video": r.video} for r in rows]
        right = [perfect(r, "grounding") | {"video": r.video} for r in rows]
        paths = [
            write_predictions(tmp_path / n, x) for n, x in (("a.jsonl", wrong), ("b.jsonl", right))
        ]
        call(
            client,
            "evaluate",
            "samples.csv",
            "grounding",
            [handle_file(str(p)) for p in paths],
            "r",
        )
        sent = call(client, "send_to_queue", "samples A vs B", "reviewer")["Queue status"]
        assert "Sent" in sent and "samples A vs B" in sent
        assert demo.studio.store.queue("samples A vs B").created_by == "reviewer"
    finally:
        demo.close()


@pytest.fixture
def imported(studio):
    from annotate.importer import import_csv

    import_csv(studio.store, SHARED_BENCH / "test_msad.csv")  # its items, without the videos
    return studio


def test_the_disagreements_go_to_a_work_queue_in_their_order(imported, tmp_path):
    a = predictions(tmp_path / "a.jsonl", 0.3, seed=1)
    b = predictions(tmp_path / "b.jsonl", 0.8, seed=2)
    found = evaluation.evaluate(imported, "test_msad.csv", "grounding", [str(a), str(b)])
    assert found.queue == "a.jsonl vs b.jsonl · grounding"
    note = evaluation.send_to_queue(imported, found.queue, "grounding", found.disagree, "rev")
    assert note == f"Sent {len(found.disagree)} items to the work queue {found.queue!r}."
    queued = imported.store.queue(found.queue)
    assert [imported.store.get_item(i).video.name for i in queued.item_ids] == found.disagree
    picker = items.queue_choices(imported, "ann", items.QueueFilter(video_here=False,
                                                                   queue=found.queue))  # fmt: skip
    assert [item_id for _, item_id in picker] == list(queued.item_ids)


@pytest.mark.parametrize(
    ("name", "videos", "says"),
    [
        ("q", [], "compare two predictions files first"),
        ("  ", ["Assault_2.mp4"], "name the queue"),
        ("q", ["nowhere.mp4"], "none of the 1 videos has a grounding item here"),
    ],
)
def test_a_queue_that_cannot_be_sent_is_refused(imported, name, videos, says):
    with pytest.raises(InvalidInput, match=says):
        evaluation.send_to_queue(imported, name, "grounding", videos, "rev")
    assert imported.store.queues() == []


def test_videos_without_an_item_here_are_named_in_the_note(imported):
    note = evaluation.send_to_queue(imported, "q", "grounding", ["Assault_2.mp4", "x.mp4"], "rev")
    assert note == "Sent 1 items to the work queue 'q'; 1 videos have no grounding item here."


def test_qa_gets_its_accuracy_with_an_interval(studio, tmp_path):
    from tests.test_evaluate import perfect_ucf_qa

    found = evaluation.evaluate(studio, "test_ucf_crime.csv", "qa", [str(perfect_ucf_qa(tmp_path))])
    (accuracy,) = [row for row in found.rows if row[0] == "accuracy"]
    assert accuracy[1:] == [100.0, "[100.00, 100.00]"]
