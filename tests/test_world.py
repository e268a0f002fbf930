"""The world: seeded street videos with planted anomalies whose truth is known, written as
videos plus a VAU-Bench CSV that the Studio imports and the scorer scores unchanged."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from annotate.cli import main as annotate_main
from inference.cli import main as inference_main
from inference.core.steps import split_steps
from inference.core.vaubench import COLUMNS, read_bench_csv
from inference.video.sampling import probe_video
from world.__main__ import main as world_main
from world.events import EVENTS, NORMAL
from world.generate import SPLITS, WorldError, frame, generate, plan, seeds_for, split_of
from world.scene import FPS, SIZE

TEST = SPLITS["test"].start
PLANS = [plan(TEST + k) for k in range(300)]  # planning draws no pictures: cheap


def first_of(kind: str):
    return next(v for v in PLANS if v.kind == kind)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Three test-split videos and their manifest, written by the command line."""
    out = tmp_path_factory.mktemp("world")
    assert world_main(["generate", "--out", str(out), "--count", "3", "--split", "test"]) == 0
    return out


def test_the_manifest_is_a_vau_bench_csv_without_problems(world):
    bench = read_bench_csv(world / "world.csv")
    assert bench.problems == []
    assert [r.video for r in bench.rows] == [f"world_{TEST + k:07d}.mp4" for k in range(3)]
    header = (world / "world.csv").read_text(encoding="utf-8").splitlines()[0]
    assert tuple(header.split(",")) == COLUMNS


def test_each_video_has_the_planned_length_size_and_rate(world):
    for k in range(3):
        video = plan(TEST + k)
        probe = probe_video(world / video.name)
        assert (probe.width, probe.height) == SIZE
        assert probe.fps == pytest.approx(FPS)
        assert probe.duration == pytest.approx(video.duration, abs=1.5 / FPS)


def test_video_k_is_drawn_from_seed_s_plus_k_alone(world, tmp_path):
    alone = tmp_path / "alone"
    generate(alone, 1, seed=TEST + 2)
    name = plan(TEST + 2).name
    assert (alone / name).read_bytes() == (world / name).read_bytes()
    assert plan(TEST + 2) == plan(TEST + 2)


def test_processes_side_by_side_write_the_same_files(world, tmp_path):
    manifest = generate(tmp_path / "two", 3, split="test", jobs=2)
    assert manifest.read_bytes() == (world / "world.csv").read_bytes()
    for k in range(3):
        name = plan(TEST + k).name
        assert (tmp_path / "two" / name).read_bytes() == (world / name).read_bytes()


def test_the_same_seed_draws_the_same_pixels():
    video = PLANS[0]
    assert np.array_equal(frame(video, 17), frame(plan(video.seed), 17))
    assert not np.array_equal(frame(video, 17), frame(PLANS[1], 17))


def test_the_world_has_five_classes_and_normal_videos():
    counts = Counter(v.row["Anomaly Class"] for v in PLANS)
    assert set(counts) == {*EVENTS, NORMAL} and len(EVENTS) >= 5
    assert all(n >= 20 for n in counts.values()), counts


def test_truth_is_inside_the_video_never_on_whole_seconds_and_varied():
    events = [(v, v.event) for v in PLANS if v.event]
    assert all(10 <= v.duration <= 60 for v in PLANS)
    assert all(0 < e.start < e.end <= v.duration for v, e in events)
    assert all(e.start != int(e.start) and e.end != int(e.end) for _, e in events)
    lengths = [e.end - e.start for _, e in events]
    assert min(lengths) < 3 and max(lengths) > 10  # some short, some long
    assert any(e.far for _, e in events)  # some subtle: small, on the far sidewalk
    assert any(v.layout.sitter for v in PLANS)  # look-alikes that are not anomalies
    assert all(v.row["Start Time"] == "0.0" for v in PLANS if not v.event)  # VAU-Bench's Normal


@pytest.mark.parametrize("kind", [*EVENTS])
def test_the_pictures_differ_from_a_calm_street_exactly_inside_the_truth(kind):
    video = first_of(kind)
    event = video.event

    def differs(t: float) -> float:
        index = int(t * FPS)
        calm = frame(video, index, calm=True).astype(int)
        return float(np.abs(frame(video, index).astype(int) - calm).mean())

    before = np.arange(max(event.start - 3, 0), event.start - 0.2, 0.5)
    inside = np.linspace(event.start + 0.3, event.end - 0.3, 6)
    assert all(differs(t) == 0 for t in before), "nothing abnormal before the truth starts"
    assert all(differs(t) > 0.05 for t in inside), [round(differs(t), 3) for t in inside]


def test_the_question_has_four_distinct_options_and_one_right_answer():
    for video in PLANS[:50]:
        options = [video.row[f"Option {i}"] for i in range(1, 5)]
        assert len(set(options)) == 4 and video.row["Correct Option"] in "ABCD"
    letters = Counter(v.row["Correct Option"] for v in PLANS)
    assert set(letters) == set("ABCD")  # the right answer is not always in one place


def test_the_reasoning_has_vau_benchs_six_sections_citing_the_times():
    video = first_of("Fighting")
    steps = split_steps(video.row["Reasoning"])
    assert len(steps) == 6
    assert (
        f"{video.event.start:.1f}" in steps[-1].text and f"{video.event.end:.1f}" in steps[-1].text
    )
    assert f"{video.event.start:.1f}" in video.row["Description"]


@pytest.mark.parametrize(
    ("args", "says"),
    [(["--split", "train", "--seed", "999999", "--count", "5"], "leave the train split"),
     (["--seed", "-3", "--count", "1"], "outside every split"),
     (["--count", "0"], "at least 1"),
     (["--count", "2", "--jobs", "0"], "--jobs must be at least 1"),
     (["--split", "test", "--seed", "5", "--count", "1"], "leave the test split"),
     (["--count", "2", "--kinds", "Fire,Arson"], "no kind Arson"),
     (["--seeds", "2000001,5"], "seed 5 is outside the test split"),
     (["--seeds", "7,7"], "names a seed twice"),
     (["--seeds", "7", "--split", "test"], "seed 7 is outside the test split"),
     (["--seeds", "7", "--kinds", "Fire"], "leave out --seed and --kinds")],
)  # fmt: skip
def test_a_bad_request_is_one_line_and_writes_nothing(tmp_path, capsys, args, says):
    out = tmp_path / "w"
    assert world_main(["generate", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and "\n" not in err
    assert not out.exists()


def test_kinds_keep_the_first_seeds_of_those_classes_in_order(tmp_path):
    manifest = generate(tmp_path, 3, split="test", kinds=("Fire", NORMAL))
    rows = read_bench_csv(manifest).rows
    seeds = [int(r.video[6:13]) for r in rows]
    kinds = {s: plan(s).kind for s in range(TEST, seeds[-1] + 1)}
    assert seeds == [s for s, kind in kinds.items() if kind in ("Fire", NORMAL)]
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == [r.video for r in rows]


def test_seeds_name_the_videos_one_by_one_in_their_order(world, tmp_path):
    picked = [TEST + 2, TEST]
    assert world_main(["generate", "--out", str(tmp_path), "--seeds", "2000002,2000000"]) == 0
    rows = read_bench_csv(tmp_path / "world.csv").rows
    assert [r.video for r in rows] == [plan(s).name for s in picked]
    for seed in picked:  # the same bytes as the run that drew them among others
        name = plan(seed).name
        assert (tmp_path / name).read_bytes() == (world / name).read_bytes()


def test_seeds_default_to_the_splits_start():
    assert seeds_for(2, None, "val") == range(SPLITS["val"].start, SPLITS["val"].start + 2)
    assert split_of(5) == "train" and split_of(TEST) == "test"
    with pytest.raises(WorldError):
        seeds_for(1, None, "holdout")


def test_the_studio_imports_it_and_the_scorer_scores_its_truth_as_perfect(world, tmp_path, capsys):
    db = tmp_path / "studio.db"
    args = ["import-csv", str(world / "world.csv"), "--videos", str(world), "--db", str(db)]
    assert annotate_main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)[0]
    assert (report["rows_imported"], report["videos_matched"], report["notes"]) == (3, 3, [])
    assert report["items_by_task"] == dict.fromkeys(("qa", "grounding", "classification",
                                                     "description"), 3)  # fmt: skip
    rows = read_bench_csv(world / "world.csv").rows
    lines = []
    for row in rows:
        interval = [row.start, row.end] if row.anomaly_class != NORMAL else [-1.0, -1.0]
        raw = f"<glue>[{interval[0]}, {interval[1]}]</glue>"
        lines.append({"video": row.video, "task": "grounding", "raw": raw})
    pred = tmp_path / "truth.jsonl"
    pred.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    score = ["score", "--csv", str(world / "world.csv"), "--pred", str(pred), "--task"]
    assert inference_main([*score, "grounding", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    scored = sum(1 for r in rows if r.anomaly_class != NORMAL)
    assert figures["n"] == scored and (scored == 0 or figures["mIoU"] == 100.0)
