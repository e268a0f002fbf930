"""`python -m inference score` and `eval`: JSON keys, tables, reports, resuming, missing videos."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from inference.cli import main
from inference.core.parse import parse_response
from inference.core.vaubench import COLUMNS
from inference.errors import VideoError
from inference.eval import evaluate
from inference.eval.scoring import PredictionsError
from tests.conftest import ROOT, SAMPLES_CSV, SAMPLES_DIR, SHARED_BENCH

needs_bench = pytest.mark.skipif(not SHARED_BENCH.is_dir(), reason="shared VAU-Bench CSVs missing")


def write_predictions(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def perfect_ucf_qa(tmp_path: Path, drop: int = 0) -> Path:
    with (SHARED_BENCH / "test_ucf_crime.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Correct Option"] != "-1"]
    records = [
        {"video": r["Video Name"], "task": "qa", "raw": f"<answer>{r['Correct Option']}</answer>"}
        for r in rows[drop:]
    ]
    return write_predictions(tmp_path / "pred.jsonl", records)


# --- score ----------------------------------------------------------------------------------


@needs_bench
def test_score_json_has_exactly_the_issue_keys(tmp_path, capsys):
    pred = perfect_ucf_qa(tmp_path, drop=1)
    csv_path = str(SHARED_BENCH / "test_ucf_crime.csv")
    assert main(["score", "--csv", csv_path, "--pred", str(pred), "--task", "qa", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {k: found[k] for k in ("accuracy", "n", "missing")} == {
        "accuracy": pytest.approx(100 * 250 / 251),
        "n": 251,
        "missing": 1,
    }
    tables = {"format_rate", "per_class", "per_source", "extra", "other_task", "reader", "ci"}
    assert set(found) == {"accuracy", "n", "missing"} | tables
    assert found["format_rate"] == 100.0 and found["per_source"]["ucf"]["n"] == 251
    assert found["per_class"]["Stealing"]["accuracy"] == 100.0
    low, high = found["ci"]["accuracy"]
    assert low <= found["accuracy"] <= high <= 100.0 and found["reader"] == "studio"


@needs_bench
@pytest.mark.parametrize(
    ("task", "keys"),
    [
        ("grounding", ["mIoU", "R@0.3", "R@0.5", "R@0.7", "n", "missing"]),
        ("classification", ["binary_accuracy", "multiclass_accuracy", "n", "missing"]),
    ],
)
def test_score_json_keys_per_task(tmp_path, capsys, task, keys):
    elsewhere = {"video": "not-in-the-csv.mp4", "task": task, "raw": ""}
    pred = write_predictions(tmp_path / "p.jsonl", [elsewhere])
    csv_path = str(SHARED_BENCH / "test_msad.csv")
    assert main(["score", "--csv", csv_path, "--pred", str(pred), "--task", task, "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert list(metrics)[: len(keys)] == keys and metrics["extra"] == 1
    assert metrics["missing"] == metrics["n"] == (120 if task == "grounding" else 240)


@needs_bench
def test_score_table_shows_classes(tmp_path, capsys):
    pred = perfect_ucf_qa(tmp_path)
    main(
        [
            "score",
            "--csv",
            str(SHARED_BENCH / "test_ucf_crime.csv"),
            "--pred",
            str(pred),
            "--task",
            "qa",
        ]
    )
    out = capsys.readouterr().out
    assert "qa: 251 rows scored, 0 missing" in out
    assert any(line.startswith("Stealing") and "100.00" in line for line in out.splitlines())


@needs_bench
def test_score_report_writes_files(tmp_path, capsys):
    pred = perfect_ucf_qa(tmp_path)
    args = ["--pred", str(pred), "--task", "qa", "--report", str(tmp_path / "rep"), "--json"]
    assert main(["score", "--csv", str(SHARED_BENCH / "test_ucf_crime.csv"), *args]) == 0
    written = sorted(p.name for p in (tmp_path / "rep").iterdir())
    assert written == ["plotly.min.js", "report.html", "summary.md"]
    assert "| all | 100.00 | 251 | 0 |" in (tmp_path / "rep" / "summary.md").read_text()


@needs_bench
def test_score_notes_a_cut_off_last_line(tmp_path, capsys):
    pred = perfect_ucf_qa(tmp_path)
    with pred.open("a") as handle:
        handle.write('{"video": "Abuse028_x264.mp4", "ra')
    main(
        [
            "score",
            "--csv",
            str(SHARED_BENCH / "test_ucf_crime.csv"),
            "--pred",
            str(pred),
            "--task",
            "qa",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert json.loads(captured.out)["accuracy"] == 100.0
    assert "note: the last line of the predictions file is cut off" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "nope.csv", "--pred", "p.jsonl"], "error: nope.csv: no such file\n"),
        (
            ["--csv", "{bench}", "--pred", "nope.jsonl"],
            "error: nope.jsonl: no such predictions file\n",
        ),
    ],
)
def test_score_bad_paths_are_one_line_errors(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.jsonl").write_text("")
    (tmp_path / "bench.csv").write_text(",".join(COLUMNS) + "\n")
    args = [a.replace("{bench}", "bench.csv") for a in args]
    assert main(["score", *args, "--task", "qa"]) == 2
    assert capsys.readouterr().err == message


def grounding_line(video: str, raw: str, fps: float = 2.0) -> dict:
    return {"video": video, "task": "grounding", "raw": raw, "settings": {"fps": fps}}


GOOD_FALL = "<glue>[8.0, 15.0]</glue>"  # the no-think grounding reply


def score_samples(*args: str) -> int:
    return main(["score", "--csv", str(SAMPLES_CSV), "--task", "grounding", *args])


def test_score_refuses_a_file_of_another_task(tmp_path, capsys):
    qa = write_predictions(tmp_path / "qa.jsonl", [
        {"video": "sample_fall.mp4", "task": "qa", "raw": "<answer>B</answer>"}
    ])  # fmt: skip
    assert score_samples("--pred", str(qa)) == 2
    err = capsys.readouterr().err
    assert err == "error: qa.jsonl holds qa predictions, not grounding: score it with --task qa\n"


def test_score_refuses_a_video_predicted_twice(tmp_path, capsys):
    lines = [grounding_line("sample_fall.mp4", GOOD_FALL), grounding_line("sample_fight.mp4", ""),
             grounding_line("sample_fall.mp4", "<answer>Normal</answer>")]  # fmt: skip
    joined = write_predictions(tmp_path / "joined.jsonl", lines)
    assert score_samples("--pred", str(joined)) == 2
    err = capsys.readouterr().err
    assert "sample_fall.mp4 (joined.jsonl line 1, joined.jsonl line 3)" in err
    assert "were two runs joined?" in err and err.count("\n") == 1


def test_score_refuses_a_file_of_mixed_settings(tmp_path, capsys):
    lines = [grounding_line("sample_fall.mp4", GOOD_FALL),
             grounding_line("sample_fight.mp4", "", fps=1.0)]  # fmt: skip
    mixed = write_predictions(tmp_path / "mixed.jsonl", lines)
    assert score_samples("--pred", str(mixed)) == 2
    assert "mixes predictions made with different settings (fps)" in capsys.readouterr().err


def test_score_merges_shards_that_share_settings_and_only_when_asked(tmp_path, capsys):
    first = write_predictions(tmp_path / "a.jsonl", [grounding_line("sample_fall.mp4", GOOD_FALL)])
    second = write_predictions(tmp_path / "b.jsonl", [grounding_line("sample_fight.mp4", "")])
    assert score_samples("--pred", str(first), str(second), "--json") == 2
    assert "add --merge" in capsys.readouterr().err
    assert score_samples("--pred", str(first), str(second), "--merge", "--json") == 0
    merged = json.loads(capsys.readouterr().out)
    assert (merged["n"], merged["missing"]) == (3, 1)
    other = write_predictions(tmp_path / "c.jsonl", [grounding_line("sample_fire.mp4", "", 1.0)])
    assert score_samples("--pred", str(first), str(other), "--merge") == 2
    assert "different settings (fps)" in capsys.readouterr().err


def test_score_reports_the_format_rate_and_each_item_with_items(tmp_path, capsys):
    lines = [grounding_line("sample_fall.mp4", GOOD_FALL),
             grounding_line("sample_fight.mp4", "I think it is from 5 to 12 s")]  # fmt: skip
    pred = write_predictions(tmp_path / "p.jsonl", lines)
    assert score_samples("--pred", str(pred), "--json", "--items") == 0
    found = json.loads(capsys.readouterr().out)
    assert found["format_rate"] == 50.0  # the prose answer is credited, but not well-formed
    items = {item["video"]: item for item in found["items"]}
    assert items["sample_fall.mp4"]["format_ok"] is True
    assert items["sample_fall.mp4"]["predicted"] == [8.0, 15.0]
    assert items["sample_fight.mp4"]["format_ok"] is False
    assert items["sample_fire.mp4"] | {"value": 0.0} == items["sample_fire.mp4"]
    assert items["sample_fire.mp4"]["missing"] and items["sample_fire.mp4"]["format_ok"] is None
    assert score_samples("--pred", str(pred)) == 0
    assert "format: 50.0% of the predictions follow the output protocol" in capsys.readouterr().out


def test_score_with_no_scorable_rows_is_an_error(tmp_path, capsys):
    (tmp_path / "b.csv").write_text(",".join(COLUMNS) + "\n")
    (tmp_path / "p.jsonl").write_text("")
    args = ["--csv", str(tmp_path / "b.csv"), "--pred", str(tmp_path / "p.jsonl"), "--task", "qa"]
    assert main(["score", *args]) == 2
    assert "has no rows that qa can be scored on" in capsys.readouterr().err


def test_score_sends_descriptions_to_the_judge(capsys):
    assert main(["score", "--csv", "x", "--pred", "y", "--task", "description"]) == 2
    assert "descriptions are scored by the judge" in capsys.readouterr().err


# --- finding videos ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "name", "found"),
    [
        (["Assault_2.mp4"], "Assault_2.mp4", "Assault_2.mp4"),
        (["Assault_2.avi"], "Assault_2.mp4", "Assault_2.avi"),
        (["clips/x/Assault_2.mp4"], "Assault_2.mp4", "clips/x/Assault_2.mp4"),
        (["msad/Assault_2.mp4"], "msad_Assault_2.mp4", "msad/Assault_2.mp4"),
        (["ucf_Normal_1.mp4", "Normal_1.mp4"], "ucf_Normal_1.mp4", "ucf_Normal_1.mp4"),
        (["a/b/14.webm", "z/14.mkv"], "14.mp4", "z/14.mkv"),  # extensions in VIDEO_EXTENSIONS order
        (["b/14.mp4", "a/c/14.mp4"], "14.mp4", "a/c/14.mp4"),  # same name: first in sorted walk
        (["Assault_2.txt"], "Assault_2.mp4", None),
        ([], "Assault_2.mp4", None),
    ],
)
def test_find_video(tmp_path, files, name, found):
    for file in files:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_bytes(b"")
    path = evaluate.find_video(name, tmp_path, evaluate.video_index(tmp_path))
    assert path == (tmp_path / found if found else None)


# --- eval, with scripted model text -----------------------------------------------------------


def bench_csv(path: Path, videos: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i, video in enumerate(videos):
            writer.writerow(
                [
                    video,
                    "What?",
                    "a",
                    "b",
                    "c",
                    "d",
                    "ABCD"[i % 4],
                    "k",
                    "d",
                    "r",
                    "Fire",
                    "1.0",
                    "3.0",
                ]
            )
    return path


class ScriptedModel:
    """Stands in for the checkpoint: answers the right letter, can fail or be interrupted."""

    def __init__(self, interrupt_after: int | None = None, bad: tuple[str, ...] = ()):
        self.calls: list[str] = []
        self.interrupt_after = interrupt_after
        self.bad = bad

        self.stop = threading.Event()

    def made_by(self):
        return {"engine": {"backend": "scripted"}, "weights": None, "git": None}

    def sample(self, item):
        row, path = item
        if row.video in self.bad:
            raise VideoError(f"{path}: cannot decode")
        return row

    def generate(self, row):
        if self.interrupt_after is not None and len(self.calls) == self.interrupt_after:
            raise KeyboardInterrupt
        self.calls.append(row.video)
        text = f"<think>seen</think><answer>{row.correct}</answer>"
        timings = SimpleNamespace(to_dict=lambda: {"generate_s": 0.01})
        clip = SimpleNamespace(info=SimpleNamespace(duration=12.0))
        result = parse_response(text, "qa")
        return SimpleNamespace(text=text, result=result, timings=timings, clip=clip)


@pytest.fixture
def workspace(tmp_path):
    videos = [f"v{i}.mp4" for i in range(6)]
    (tmp_path / "videos").mkdir()
    for name in videos[:5]:  # v5 has no file
        (tmp_path / "videos" / name).write_bytes(b"")
    return SimpleNamespace(
        root=tmp_path,
        csv=bench_csv(tmp_path / "bench.csv", videos),
        out=tmp_path / "out" / "pred.jsonl",
        args=lambda *extra: [
            "eval",
            "--csv",
            str(tmp_path / "bench.csv"),
            "--videos",
            str(tmp_path / "videos"),
            "--task",
            "qa",
            "--model",
            "scripted",
            "--out",
            str(tmp_path / "out" / "pred.jsonl"),
            *extra,
        ],
    )


def use_model(monkeypatch, model: ScriptedModel) -> ScriptedModel:
    monkeypatch.setattr(evaluate, "_runner", lambda args, options, templates: model)
    return model


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_eval_writes_one_line_per_item_with_settings(workspace, monkeypatch, capsys):
    use_model(monkeypatch, ScriptedModel())
    assert main(workspace.args("--no-think", "--fps", "1.5")) == 0
    records = lines(workspace.out)
    assert [r["video"] for r in records] == ["v0.mp4", "v1.mp4", "v2.mp4", "v3.mp4", "v4.mp4"]
    first = records[0]
    assert (first["task"], first["row"], first["answer"]) == ("qa", 2, "A")
    assert first["raw"] == "<think>seen</think><answer>A</answer>"
    assert (
        first["settings"] | {"model": "scripted", "think": False, "fps": 1.5} == first["settings"]
    )
    assert first["settings"]["max_frames"] == 768
    assert set(first["timings"]) == {"generate_s", "total_s"}


def test_eval_lists_missing_videos_without_failing(workspace, monkeypatch, capsys):
    use_model(monkeypatch, ScriptedModel())
    assert main(workspace.args()) == 0
    err = capsys.readouterr().err
    assert "5 to run, 0 already in" in err and "1 videos missing" in err
    assert "1 missing videos:\n  v5.mp4\n" in err


def test_eval_notes_unreadable_videos_and_goes_on(workspace, monkeypatch, capsys):
    use_model(monkeypatch, ScriptedModel(bad=("v1.mp4",)))
    assert main(workspace.args()) == 0
    assert [r["video"] for r in lines(workspace.out)] == ["v0.mp4", "v2.mp4", "v3.mp4", "v4.mp4"]
    assert "1 failed:\n  v1.mp4: " in capsys.readouterr().err


def test_eval_resumes_after_an_interruption(workspace, monkeypatch):
    use_model(monkeypatch, ScriptedModel(interrupt_after=2))
    assert main(workspace.args()) == 130
    assert [r["video"] for r in lines(workspace.out)] == ["v0.mp4", "v1.mp4"]
    second = use_model(monkeypatch, ScriptedModel())
    assert main(workspace.args()) == 0
    assert second.calls == ["v2.mp4", "v3.mp4", "v4.mp4"]
    assert [r["video"] for r in lines(workspace.out)] == [f"v{i}.mp4" for i in range(5)]


def test_eval_resumes_over_a_cut_off_last_line(workspace, monkeypatch, capsys):
    use_model(monkeypatch, ScriptedModel())
    main(workspace.args("--limit", "2"))
    with workspace.out.open("a") as handle:
        handle.write('{"video": "v2.mp4", "task": "qa", "raw": "<ans')  # killed mid-write
    model = use_model(monkeypatch, ScriptedModel())
    assert main(workspace.args()) == 0
    assert model.calls == ["v2.mp4", "v3.mp4", "v4.mp4"]
    assert [r["video"] for r in lines(workspace.out)] == [f"v{i}.mp4" for i in range(5)]
    assert "removed the cut-off last line" in capsys.readouterr().err


def test_eval_appends_after_a_last_line_without_newline(workspace, monkeypatch):
    use_model(monkeypatch, ScriptedModel())
    main(workspace.args("--limit", "1"))
    workspace.out.write_text(workspace.out.read_text().rstrip("\n"))
    main(workspace.args())
    assert [r["video"] for r in lines(workspace.out)] == [f"v{i}.mp4" for i in range(5)]


def test_eval_then_score_gives_the_accuracy(workspace, monkeypatch, capsys):
    use_model(monkeypatch, ScriptedModel())
    main(workspace.args())
    capsys.readouterr()
    main(
        [
            "score",
            "--csv",
            str(workspace.csv),
            "--pred",
            str(workspace.out),
            "--task",
            "qa",
            "--json",
        ]
    )
    # 5 of 6 answered correctly, v5.mp4 had no video: 5 / 6.
    found = json.loads(capsys.readouterr().out)
    assert {k: found[k] for k in ("accuracy", "n", "missing")} == {
        "accuracy": pytest.approx(500 / 6),
        "n": 6,
        "missing": 1,
    }


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--no-think"], "written with think=True, not False"),
        (["--model", "other"], "written with model='scripted', not 'other'"),
        (["--fps", "2"], "written with fps=1.0, not 2.0"),
    ],
)
def test_eval_refuses_to_mix_settings_in_one_file(workspace, monkeypatch, capsys, flags, message):
    use_model(monkeypatch, ScriptedModel())
    main(workspace.args("--limit", "1"))
    capsys.readouterr()
    assert main(workspace.args(*flags)) == 2
    assert message in capsys.readouterr().err


def test_eval_refuses_a_file_of_another_task(workspace):
    workspace.out.parent.mkdir()
    write_predictions(workspace.out, [{"video": "v0.mp4", "task": "grounding", "raw": ""}])
    with pytest.raises(PredictionsError, match="holds grounding predictions"):
        evaluate.resume_point(workspace.out, "qa", {})


def test_eval_with_a_missing_video_directory_is_one_line(workspace, monkeypatch, capsys):
    use_model(monkeypatch, ScriptedModel())
    args = workspace.args()
    args[args.index("--videos") + 1] = str(workspace.root / "nowhere")
    assert main(args) == 2
    assert capsys.readouterr().err.strip().endswith("nowhere: no such directory of videos")


def test_eval_with_nothing_left_does_not_load_the_model(workspace, monkeypatch):
    use_model(monkeypatch, ScriptedModel())
    main(workspace.args())

    def must_not_load(*args):
        raise AssertionError("model loaded with nothing to do")

    monkeypatch.setattr(evaluate, "_runner", must_not_load)
    assert main(workspace.args()) == 0


@pytest.mark.parametrize(
    ("task", "videos"),
    [
        ("qa", ["a", "b"]),
        ("grounding", ["a", "b"]),  # b, a Normal video, for false alarms
        ("classification", ["a", "b"]),
        ("description", ["a", "b", "c"]),
    ],
)
def test_eval_runs_the_rows_its_metric_scores(task, videos):
    from tests.test_scoring import row

    rows = [
        row("a", row_number=2),
        row("b", row_number=3, anomaly_class="Normal", start=0.0, end=0.0),
        row(
            "c",
            row_number=4,
            question=None,
            options=None,
            correct=None,
            anomaly_class=None,
            start=-1.0,
            end=-1.0,
        ),
    ]
    assert [r.video for r in evaluate.eval_rows(rows, task)] == videos


# --- eval with the tiny checkpoint, killed part-way -------------------------------------------


def eval_command(checkpoint: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "inference",
        "eval",
        "--csv",
        str(SAMPLES_CSV),
        "--videos",
        str(SAMPLES_DIR),
        "--task",
        "grounding",
        "--model",
        str(checkpoint),
        "--max-new-tokens",
        "8",
        "--max-frames",
        "8",
        "--out",
        str(out),
    ]


def complete_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_eval_with_the_tiny_checkpoint_survives_a_kill(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "pred.jsonl"
    process = subprocess.Popen(eval_command(tiny_checkpoint, out), cwd=ROOT, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while complete_lines(out) < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()  # SIGKILL: no cleanup, as a crash or an out-of-memory kill leaves it
    process.communicate()
    assert complete_lines(out) >= 1
    with out.open("a") as handle:  # and as if it died in the middle of the next line
        handle.write('{"video": "sample_fire.mp4", "task": "grounding", "raw": "<gl')
    resumed = subprocess.run(
        eval_command(tiny_checkpoint, out), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["video"] for r in records) == [
        "sample_fall.mp4",
        "sample_fight.mp4",
        "sample_fire.mp4",
        "sample_normal.mp4",
    ]  # the Normal sample has no span for mIoU, and is run for the false-alarm rate
    assert all(r["task"] == "grounding" and isinstance(r["raw"], str) for r in records)
    assert all(r["timings"]["sampling_s"] > 0 and r["timings"]["new_tokens"] <= 8 for r in records)
    args = ["--csv", str(SAMPLES_CSV), "--pred", str(out), "--task", "grounding", "--json"]
    assert main(["score", *args]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert (metrics["n"], metrics["missing"]) == (3, 0)
    assert metrics["false_alarm_n"] == 1 and all(r["duration"] > 0 for r in records)
    made_by = records[0]["provenance"]
    assert len(made_by["weights"]) == 16 and len(made_by["template"]) == 16
    assert made_by["engine"]["backend"] == "transformers" and made_by["versions"]["torch"]
    assert made_by["sampling"]["max_frames"] == 8


def test_score_json_carries_intervals_false_alarms_and_frame_figures(tmp_path, capsys):
    lines = [grounding_line("sample_fall.mp4", GOOD_FALL) | {"duration": 22.0},
             grounding_line("sample_normal.mp4", "<glue>[1.0, 3.0]</glue>") | {"duration": 22.0},
             grounding_line("sample_fight.mp4", "<glue>[5.0, 12.0]</glue>")]  # fmt: skip
    pred = write_predictions(tmp_path / "p.jsonl", lines)
    assert score_samples("--pred", str(pred), "--json", "--bootstrap", "500", "--seed", "1") == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["false_alarm"], found["false_alarm_n"]) == (100.0, 1)
    assert 0.5 < found["frame_auc"] <= 1.0 and 0 < found["frame_ap"] <= 1.0
    assert {"mIoU", "R@0.5", "false_alarm", "frame_auc", "frame_ap"} <= set(found["ci"])
    assert all(low <= found[k] <= high for k, (low, high) in found["ci"].items())
    assert score_samples("--pred", str(pred)) == 0
    out = capsys.readouterr().out
    assert "false alarms 100.0% of 1 Normal videos" in out and "95% intervals" in out
    (line,) = [line for line in out.splitlines() if line.startswith("95% intervals")]
    assert "mIoU " in line and "[" in line
    assert out.splitlines()[-1] == "made by: fps 2.0"
