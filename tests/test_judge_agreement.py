"""Judge vs reviewers: the statistics by hand, then the loop from the store to the table."""

from __future__ import annotations

import json

import pytest

from annotate.cli import main as annotate_main
from annotate.store import Store
from inference.cli import main
from inference.core.rubric import KEYS
from inference.eval.judge_agreement import ranks, spearman, weighted_kappa
from tests.conftest import SAMPLES_CSV
from tests.fake_openai import MODEL, FakeServer


@pytest.mark.parametrize(
    ("values", "expected"),
    [([3, 1, 2], [3.0, 1.0, 2.0]), ([1, 2, 2, 3], [1.0, 2.5, 2.5, 4.0]), ([5, 5], [1.5, 1.5])],
)
def test_ranks_share_ties(values, expected):
    assert ranks(values) == expected


@pytest.mark.parametrize(
    ("a", "b", "rho"),
    [
        ([1, 2, 3], [10, 20, 30], 1.0),
        ([1, 2, 3], [3, 2, 1], -1.0),
        ([1, 2, 2, 3], [1, 3, 2, 4], 4.5 / (4.5 * 5) ** 0.5),  # by hand, ties averaged
        ([4, 4, 4], [1, 2, 3], None),  # no variation: undefined, not zero
        ([1], [1], None),
    ],
)
def test_spearman(a, b, rho):
    found = spearman(a, b)
    assert found == (None if rho is None else pytest.approx(rho))


@pytest.mark.parametrize(
    ("a", "b", "top", "kappa"),
    [
        ([2, 4, 6], [2, 4, 6], 10, 1.0),
        ([0, 10], [10, 0], 10, -1.0),
        ([0, 1, 2, 2], [0, 2, 2, 1], 2, 1 - 0.5 / 1.375),  # by hand: disagreement / chance
        ([], [], 10, None),
        ([5, 5], [5, 5], 10, None),  # one category only: chance disagreement is 0
    ],
)
def test_quadratic_weighted_kappa(a, b, top, kappa):
    found = weighted_kappa(a, b, top)
    assert found == (None if kappa is None else pytest.approx(kappa))


def test_reviewers_scores_go_out_get_judged_and_are_compared(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'studio.db'}"
    with Store(db) as store:
        runs = []
        for name, text in (("sample_fall.mp4", "A man falls."), ("sample_fire.mp4", "Fire.")):
            video = store.add_video(name, "local")
            item = store.add_item(video.id, "description")
            runs.append(store.record_run(item.id, checkpoint="c", settings={}, raw=text))
        store.score_description(runs[0].id, "rev", dict.fromkeys(KEYS, 8))
        store.score_description(runs[1].id, "rev", dict.fromkeys(KEYS, 2))
    human = tmp_path / "human.jsonl"
    assert annotate_main(["export-rubric", "--out", str(human), "--db", db]) == 0
    lines = [json.loads(line) for line in human.read_text().splitlines()]
    assert [line["human"]["scores"]["fluency"] for line in lines] == [8, 2]
    judged = tmp_path / "judged.jsonl"
    with FakeServer() as server:
        server.script.replies = [
            json.dumps(dict.fromkeys(KEYS, 9)),
            json.dumps(dict.fromkeys(KEYS, 3)),
        ]
        flags = ["judge", "--csv", str(SAMPLES_CSV), "--pred", str(human), "--out", str(judged)]
        flags += ["--base-url", server.base_url, "--model", MODEL, "--concurrency", "1"]
        assert main(flags) == 0
    capsys.readouterr()
    assert main(["judge-agreement", "--judged", str(judged), "--human", str(human), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["fluency"]["pairs"] == 2
    assert result["fluency"]["spearman"] == pytest.approx(1.0)  # both rank fall above fire
    assert result["fluency"]["judge_minus_human"] == pytest.approx(1.0)
    assert main(["judge-agreement", "--judged", str(judged), "--human", str(human)]) == 0
    assert "spearman" in capsys.readouterr().out


def test_agreement_without_common_descriptions_says_what_to_run(tmp_path, capsys):
    (tmp_path / "h.jsonl").write_text('{"video": "a.mp4", "raw": "x", "human": {"scores": {}}}\n')
    (tmp_path / "j.jsonl").write_text("")
    args = ["judge-agreement", "--judged", str(tmp_path / "j.jsonl"), "--human"]
    assert main([*args, str(tmp_path / "h.jsonl")]) == 2
    assert "run `judge --pred" in capsys.readouterr().err
