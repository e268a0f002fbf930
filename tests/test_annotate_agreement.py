"""Agreement between annotators of the same item, and the figures `stats` reports."""

from __future__ import annotations

import pytest

from annotate.agreement import agreement, interval_agreement
from annotate.records import Edit
from annotate.stats import gather, render
from annotate.store import Store
from tests import pg


@pytest.fixture
def store(tmp_path):
    with Store(pg.backend_url("sqlite", tmp_path)) as opened:
        yield opened


def item(store: Store, task: str, name: str = "v.mp4"):
    options = ("a", "b", "c", "d") if task == "qa" else None
    video = store.add_video(name)
    return store.add_item(video.id, task, question="q" if options else None, options=options)


def submit(store: Store, item_id: int, annotator: str, **edit) -> None:
    store.save_correction(item_id, annotator, Edit(**edit), status="submitted")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (None, None, 1.0),  # both Normal
        (None, (1.0, 2.0), 0.0),
        ((0.0, 10.0), (5.0, 15.0), 5 / 15),
        ((0.0, 10.0), (0.0, 10.0), 1.0),
        ((0.0, 1.0), (2.0, 3.0), 0.0),
    ],
)
def test_interval_agreement(a, b, expected):
    assert interval_agreement(a, b) == pytest.approx(expected)


def test_grounding_agreement_averages_every_pair(store):
    it = item(store, "grounding")
    submit(store, it.id, "ann", interval=(0, 10))
    submit(store, it.id, "bob", interval=(5, 15))
    submit(store, it.id, "cat", answer="Normal")
    (figures,) = agreement(store.current_revisions(statuses=("submitted",))).items
    assert figures.annotators == ("ann", "bob", "cat")
    assert figures.answer == pytest.approx(1 / 3)  # ann and bob say Anomaly, cat Normal
    assert figures.interval_iou == pytest.approx((5 / 15 + 0 + 0) / 3)
    assert figures.class_name is None


@pytest.mark.parametrize(
    ("task", "edits", "answer", "class_name"),
    [
        ("qa", [{"answer": "A"}, {"answer": "a"}], 1.0, None),
        ("qa", [{"answer": "A"}, {"answer": "B"}], 0.0, None),
        ("classification", [{"answer": "Fire"}, {"answer": "Arson"}], 0.0, 0.0),
        ("classification", [{"answer": "Fire"}, {"answer": "fire"}], 1.0, 1.0),
        ("description", [{"answer": "x"}, {"answer": "x"}], None, None),
    ],
)
def test_answer_and_class_agreement(store, task, edits, answer, class_name):
    it = item(store, task)
    for annotator, edit in zip(("ann", "bob"), edits, strict=True):
        submit(store, it.id, annotator, **edit)
    (figures,) = agreement(store.current_revisions()).items
    assert (figures.answer, figures.class_name, figures.interval_iou) == (answer, class_name, None)


def test_items_with_one_annotator_are_not_compared(store):
    submit(store, item(store, "qa").id, "ann", answer="A")
    assert agreement(store.current_revisions()).items == []
    assert agreement([]).mean("answer") is None


def test_overall_figures_are_means_over_items(store):
    first, second = item(store, "qa", "a.mp4"), item(store, "qa", "b.mp4")
    for annotator in ("ann", "bob"):
        submit(store, first.id, annotator, answer="A")
    submit(store, second.id, "ann", answer="A")
    submit(store, second.id, "bob", answer="C")
    assert agreement(store.current_revisions()).mean("answer") == 0.5


def test_stats_counts_and_agreement(store):
    it = item(store, "grounding")
    submit(store, it.id, "ann", interval=(0, 10))
    submit(store, it.id, "bob", interval=(0, 5))
    store.save_correction(item(store, "qa", "b.mp4").id, "ann", Edit(answer="A"))  # a draft
    figures = gather(store)
    assert figures["corrections_by_status"] == {"draft": 1, "submitted": 2}
    assert figures["corrections_by_annotator"] == {"ann": 2, "bob": 1}
    assert figures["agreement"]["items_compared"] == 1
    assert figures["agreement"]["interval_iou"] == pytest.approx(0.5)
    text = render(figures)
    assert "interval IoU 50.0%" in text and "submitted        2" in text


def test_stats_show_how_runs_spread_over_uncertainty(store):
    it = item(store, "grounding")
    for value in (0.05, 0.1, 0.5, 1.0):
        run = store.record_run(it.id, checkpoint="world", settings={}, raw="x")
        store.record_spread(run.id, {"samples": 4, "uncertainty": value})
    store.record_run(it.id, checkpoint="world", settings={}, raw="unmeasured")
    figures = gather(store)["uncertainty"]
    assert figures["runs"] == 4 and figures["mean"] == pytest.approx(0.4125)
    assert figures["bins"] == {"0.0-0.2": 2, "0.2-0.4": 0, "0.4-0.6": 1, "0.6-0.8": 0,
                               "0.8-1.0": 1}  # fmt: skip
    assert "model runs by uncertainty" in render(gather(store))
