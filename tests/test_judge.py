"""VAU-Eval: the judge's replies, its requests and faults, the judged file, the aggregation."""

from __future__ import annotations

import json

import pytest

from inference.backends.remote import ServerOptions
from inference.cli import main
from inference.errors import ServerError
from inference.eval.judge import KEYS, Judge, Reference, ReplyError, parse_scores
from inference.eval.vaueval import aggregate
from tests.fake_openai import MODEL, FakeServer
from tests.test_evaluate import bench_csv
from tests.test_scoring import row

GOOD = {key: 7 for key in KEYS}
REFERENCE = Reference("Fighting", "Two men fight.", "They hit each other.")


def reply(**changes) -> str:
    return json.dumps(GOOD | changes)


@pytest.fixture
def server():
    with FakeServer() as fake:
        fake.script.text = reply()
        yield fake


def judge_of(server, **options) -> Judge:
    return Judge(ServerOptions(server.base_url, MODEL, max_retries=0), **options)


# --- the reply --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (reply(), GOOD),
        ("Scores:\n```json\n" + reply(fluency=10) + "\n```\nDone.", GOOD | {"fluency": 10}),
        ("Here: " + reply(informativeness=0) + " thanks", GOOD | {"informativeness": 0}),
        (reply(classification=8.0), GOOD | {"classification": 8}),
    ],
)
def test_a_valid_reply_gives_five_scores(text, expected):
    assert parse_scores(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("I cannot grade this.", "no JSON object"),
        ("{fluency: 7}", "does not parse"),
        (json.dumps({k: 7 for k in KEYS[:-1]}), "lack factual_consistency"),
        (reply(fluency=11), "fluency is 11, outside 0-10"),
        (reply(fluency=-1), "fluency is -1, outside 0-10"),
        (reply(fluency=7.5), "fluency is 7.5, not a whole number"),
        (reply(fluency="7"), "fluency is '7', not a whole number"),
        (reply(fluency=True), "fluency is True, not a whole number"),
    ],
)
def test_an_invalid_reply_says_what_is_wrong(text, says):
    with pytest.raises(ReplyError, match=says):
        parse_scores(text)


# --- the requests -----------------------------------------------------------------------------


def test_a_request_is_greedy_seeded_and_asks_for_the_schema(server):
    verdict = judge_of(server, seed=11).judge(REFERENCE, "Two men are fighting.")
    assert verdict.scores == GOOD and verdict.total == 35 and verdict.attempts == 1
    (request,) = server.script.requests
    assert (request["temperature"], request["seed"]) == (0.0, 11)
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["required"] == list(KEYS)
    assert "Two men fight." in request["messages"][1]["content"]
    assert "Two men are fighting." in request["messages"][1]["content"]


def test_an_invalid_reply_is_asked_again(server):
    server.script.replies = ["no idea", reply(fluency=3)]
    verdict = judge_of(server).judge(REFERENCE, "x")
    assert verdict.scores == GOOD | {"fluency": 3} and verdict.attempts == 2


def test_a_reply_that_never_validates_is_unscored_with_its_reason(server):
    server.script.text = reply(fluency=12)
    verdict = judge_of(server, attempts=2).judge(REFERENCE, "x")
    assert verdict.scores is None and verdict.total is None
    assert verdict.reason == "fluency is 12, outside 0-10 (after 2 attempts)"
    assert len(server.script.requests) == 2


def test_a_server_without_structured_output_is_asked_in_words(server):
    server.script.schema = False
    judge = judge_of(server)
    assert judge.judge(REFERENCE, "x").scores == GOOD
    assert judge.judge(REFERENCE, "y").scores == GOOD
    sent = [("response_format" in r) for r in server.script.requests]
    assert sent == [True, False, False]  # refused once, then never sent again


def test_a_failing_judge_server_is_one_line(server):
    server.script.fault, server.script.status = "status", 503
    with pytest.raises(ServerError, match=r"refused the request \(HTTP 503\)"):
        judge_of(server).judge(REFERENCE, "x")


# --- the judged file --------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    videos = ["v0.mp4", "v1.mp4", "v2.mp4"]
    csv_path = bench_csv(tmp_path / "bench.csv", videos)
    pred = tmp_path / "pred.jsonl"
    with pred.open("w") as handle:
        for video in videos[:2]:  # v2 has no prediction
            record = {"video": video, "task": "description", "raw": f"About {video}."}
            handle.write(json.dumps(record | {"answer": f"About {video}."}) + "\n")
    return csv_path, pred, tmp_path / "judged.jsonl"


def judge_flags(server, files, *extra) -> list[str]:
    csv_path, pred, out = files
    flags = ["judge", "--csv", str(csv_path), "--pred", str(pred), "--out", str(out)]
    return [*flags, "--base-url", server.base_url, "--model", MODEL, "--timeout", "5", *extra]


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_judge_writes_a_line_per_item_and_repeat(server, files):
    assert main(judge_flags(server, files, "--repeats", "2")) == 0
    records = lines(files[2])
    assert sorted((r["video"], r["repeat"]) for r in records) == [
        ("v0.mp4", 0),
        ("v0.mp4", 1),
        ("v1.mp4", 0),
        ("v1.mp4", 1),
    ]
    assert all(r["scores"] == GOOD and r["total"] == 35 for r in records)
    judge = {"model": MODEL, "base_url": server.base_url, "seed": 0, "temperature": 0.7}
    assert records[0]["judge"] == judge


@pytest.mark.parametrize(
    ("flags", "temperature", "seeds"),
    [
        ([], 0.0, [0, 0]),
        (["--repeats", "3"], 0.7, [0, 0, 1, 1, 2, 2]),
        (["--repeats", "2", "--seed", "10", "--temperature", "1.0"], 1.0, [10, 10, 11, 11]),
    ],
)
def test_each_repeat_samples_with_its_own_seed_at_a_stated_temperature(
    server, files, flags, temperature, seeds
):
    assert main(judge_flags(server, files, "--concurrency", "1", *flags)) == 0
    requests = server.script.requests
    assert {r["temperature"] for r in requests} == {temperature}
    assert sorted(r["seed"] for r in requests) == seeds
    assert sorted(r["seed"] for r in lines(files[2])) == seeds


def test_a_file_judged_from_other_predictions_is_refused(server, files, capsys):
    assert main(judge_flags(server, files)) == 0
    capsys.readouterr()
    csv_path, pred, out = files
    before = out.read_text()
    records = [json.loads(line) for line in pred.read_text().splitlines()]
    other = [r | {"raw": "Another model.", "answer": "Another model."} for r in records]
    pred.write_text("".join(json.dumps(r) + "\n" for r in other))
    assert main(judge_flags(server, files)) == 2
    err = capsys.readouterr().err
    assert "judged from other predictions" in err and err.count("\n") == 1
    assert out.read_text() == before


def test_a_file_judged_for_videos_the_predictions_lack_is_refused(server, files, capsys):
    assert main(judge_flags(server, files)) == 0
    csv_path, pred, out = files
    pred.write_text(pred.read_text().splitlines()[0] + "\n")  # v1's prediction is gone
    assert main(judge_flags(server, files)) == 2
    assert "v1.mp4, which" in capsys.readouterr().err


def test_judge_records_an_unscored_reply_and_goes_on(server, files, capsys):
    server.script.replies = ["nothing", "nothing", "nothing"]  # the first item's 3 attempts
    assert main(judge_flags(server, files, "--concurrency", "1")) == 0
    first, second = lines(files[2])
    assert first["scores"] is None and first["reason"].startswith("no JSON object")
    assert second["scores"] == GOOD
    assert "1 judgements unscored" in capsys.readouterr().err


def test_judge_stops_when_the_server_goes_and_resumes_over_a_cut_line(server, files, capsys):
    out = files[2]
    server.script.fault, server.script.status, server.script.fault_from = "status", 503, 1
    args = judge_flags(server, files, "--concurrency", "1")
    assert main(args) == 2
    assert "HTTP 503" in capsys.readouterr().err
    assert len(lines(out)) == 1
    with out.open("a") as handle:
        handle.write('{"video": "v1.mp4", "rep')  # as a kill mid-write leaves it
    server.script.fault = None
    assert main(args) == 0
    assert "removed the cut-off last line" in capsys.readouterr().err
    assert sorted(r["video"] for r in lines(out)) == ["v0.mp4", "v1.mp4"]


def test_judge_refuses_to_mix_judges_in_one_file(server, files, capsys):
    assert main(judge_flags(server, files)) == 0
    assert main(judge_flags(server, files, "--seed", "5")) == 2
    assert "use another --out" in capsys.readouterr().err


# --- aggregation: the paper's means, by hand ------------------------------------------------


def scored(video: str, repeat: int, **scores) -> dict:
    values = {key: scores.get(key, 0) for key in KEYS}
    return {"video": video, "repeat": repeat, "scores": values}


def test_aggregate_means_items_then_sums_the_criteria():
    rows = [
        row("msad_a.mp4", source="msad", anomaly_class="Fighting"),
        row("msad_b.mp4", source="msad", anomaly_class="Fire"),
        row("ucf_c.mp4", source="ucf", anomaly_class="Fire"),
        row("ucf_d.mp4", source="ucf", anomaly_class="Fire"),  # never judged: missing
    ]
    records = [
        scored("msad_a.mp4", 0, fluency=10, classification=4),
        scored("msad_a.mp4", 1, fluency=6, classification=4),  # item a: fluency 8, cls 4
        scored("msad_b.mp4", 0, fluency=2, classification=10),
        scored("msad_b.mp4", 1, fluency=2, classification=10),
        {"video": "ucf_c.mp4", "repeat": 0, "scores": None, "reason": "no JSON object"},
        scored("elsewhere.mp4", 0, fluency=10),  # not in the CSV: ignored
    ]
    judged = aggregate(rows, records)
    assert judged.overall.n == 2 and (judged.unscored, judged.missing) == (1, 1)
    assert judged.overall.means["fluency"] == 5.0  # (8 + 2) / 2
    assert judged.overall.means["classification"] == 7.0  # (4 + 10) / 2
    assert judged.overall.means["total"] == 12.0
    # the judge's noise: item a's fluency repeats 10, 6 (sd 2.83); item b's 2, 2 (sd 0)
    assert judged.overall.judge_sd["fluency"] == pytest.approx((8**0.5 + 0) / 2)
    assert judged.per_class["Fighting"].means["total"] == 12.0
    assert judged.per_class["Fire"].means["total"] == 12.0
    assert set(judged.per_source) == {"msad"}


def test_score_prints_vau_eval_for_a_judged_file(server, files, capsys):
    assert main(judge_flags(server, files)) == 0
    capsys.readouterr()
    csv_path, _, out = files
    flags = ["score", "--csv", str(csv_path), "--task", "description", "--judged", str(out)]
    assert main([*flags, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["n"], result["missing"], result["unscored"]) == (2, 1, 0)
    assert result["total"] == 35.0 and result["fluency"] == 7.0
    assert main(flags) == 0
    assert "VAU-Eval" in capsys.readouterr().out


def test_score_description_without_a_judged_file_says_how(capsys):
    assert main(["score", "--csv", "x.csv", "--task", "description"]) == 2
    assert "run `judge`, then --judged" in capsys.readouterr().err


def test_the_report_writes_the_table_and_the_distributions(server, files, tmp_path, capsys):
    assert main(judge_flags(server, files)) == 0
    csv_path, _, out = files
    flags = ["score", "--csv", str(csv_path), "--task", "description", "--judged", str(out)]
    assert main([*flags, "--report", str(tmp_path / "report")]) == 0
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "| all | 2 | 7.00 | 7.00 | 7.00 | 7.00 | 7.00 | 35.00 |" in summary
    assert "Items without a prediction: 1." in summary
    page = (tmp_path / "report" / "report.html").read_text()
    assert "<script src='plotly.min.js'>" in page and len(page) < 100_000
    assert (tmp_path / "report" / "plotly.min.js").is_file()
    assert "Score per item, by criterion" in page
