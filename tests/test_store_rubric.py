"""Reviewers' VAU-Eval scores of model descriptions, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from annotate.errors import InvalidInput, NotFound
from annotate.store import Store
from inference.core.rubric import KEYS
from tests import pg
from tests.test_store import BACKENDS, make_item

SCORES = dict(zip(KEYS, (8, 6, 9, 5, 7), strict=True))


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with Store(pg.backend_url(request.param, tmp_path)) as opened:
        yield opened


def description_run(store, name: str = "fight.mp4"):
    item = make_item(store, "description", name)
    return store.record_run(item.id, checkpoint="ckpt", settings={}, raw="Two men fight.")


def test_scores_are_stored_with_who_and_when(store):
    run = description_run(store)
    saved = store.score_description(run.id, "rev", SCORES)
    (found,) = store.rubric_scores()
    assert found.scores == SCORES and found.reviewer == "rev" and found.created_at is not None
    assert (found.run.id, found.video, found.id) == (run.id, "fight.mp4", saved.id)


def test_scoring_again_adds_a_row_and_the_newest_counts(store):
    run = description_run(store)
    store.score_description(run.id, "rev", SCORES)
    store.score_description(run.id, "rev", SCORES | {"fluency": 2})
    store.score_description(run.id, "other", SCORES)
    found = {(r.reviewer, r.scores["fluency"]) for r in store.rubric_scores()}
    assert found == {("rev", 2), ("other", 9)}


@pytest.mark.parametrize(
    ("scores", "says"),
    [
        (SCORES | {"fluency": 11}, "scores: fluency is 11, outside 0-10"),
        (SCORES | {"fluency": 6.5}, "scores: fluency is 6.5, not a whole number"),
        ({k: 5 for k in KEYS[1:]}, "scores: the scores lack classification"),
    ],
)
def test_invalid_scores_are_refused_and_nothing_is_stored(store, scores, says):
    run = description_run(store)
    with pytest.raises(InvalidInput, match=says):
        store.score_description(run.id, "rev", scores)
    assert store.rubric_scores() == []


def test_only_description_runs_are_scored(store):
    item = make_item(store, "grounding", "fall.mp4")
    run = store.record_run(item.id, checkpoint="ckpt", settings={}, raw="<answer>Normal</answer>")
    with pytest.raises(InvalidInput, match="grounding run; only descriptions"):
        store.score_description(run.id, "rev", SCORES)


def test_an_unknown_run_is_not_found(store):
    with pytest.raises(NotFound, match="no model run 99"):
        store.score_description(99, "rev", SCORES)
