"""Training-data export: which corrections go out, in which shape, and that the files load back."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from annotate.errors import InvalidInput, NothingToExport
from annotate.export import ExportOptions, export, split_of
from annotate.importer import import_csv
from annotate.records import Edit
from annotate.store import Store
from annotate.validate import readable_reasoning
from inference.core import protocol
from inference.core.metrics import accuracy_reward, format_reward, temporal_iou_reward
from inference.core.vaubench import read_bench_csv
from tests import pg
from tests.conftest import SAMPLES_CSV, SAMPLES_DIR, SHARED_BENCH
from tests.test_import import GOOD, row, write_csv

datasets.disable_progress_bars()
REASONING = "1. A man walks along the platform.\n2. He falls at 12.5 to 14.0 seconds."


@pytest.fixture
def store(tmp_path):
    with Store(pg.backend_url("sqlite", tmp_path)) as opened:
        yield opened


@pytest.fixture
def bench(store, tmp_path):
    """Three imported videos; returns {task: item} of the first one."""
    names = ["Fighting001_x264.mp4", "Fighting002_x264.mp4", "Normal_Videos_1_x264.mp4"]
    rows = [row(Video_Name=n) for n in names[:2]]
    rows.append(row(Video_Name=names[2], Anomaly_Class="Normal", Start_Time="0.0", End_Time="0.0"))
    import_csv(store, write_csv(tmp_path / "test_ucf_crime.csv", rows))
    return {i.task: i for i in store.list_items(limit=None) if i.video.name == names[0]}


def correct(store, item, annotator="ann", status="approved", **edit):
    """A correction that ends in `status` (reviewed by rita when approved or rejected)."""
    edit = Edit(**edit)
    saved = store.save_correction(
        item.id, annotator, edit, status="submitted" if status != "draft" else "draft"
    )
    if status in ("approved", "rejected"):
        saved = store.review(saved.id, "rita", status)
    return saved


def run_export(store, tmp_path, fmt, **options):
    out = tmp_path / fmt
    report = export(store, ExportOptions(format=fmt, out=out, **options))
    return out, report


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- the tag protocol -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "answer", "interval", "solution"),
    [("qa", "C", None, "C"), ("classification", "Fire", None, "Fire"),
     ("grounding", "Anomaly", (2.0, 8.0), "Anomaly"), ("grounding", "Normal", None, "Normal")],
)  # fmt: skip
def test_the_rewards_score_a_corrected_answer_fully(task, answer, interval, solution):
    text = protocol.write(task, answer, reasoning="reasoning", interval=interval)
    assert format_reward([text], task=task) == [1.0]
    assert accuracy_reward([text], solution=[solution], task=task) == [1.0]
    if task == "grounding":
        truth = protocol.interval_values(interval)
        assert temporal_iou_reward([text], interval=[truth]) == [1.0]


def test_vau_bench_reasoning_becomes_titled_paragraphs():
    text = readable_reasoning(GOOD["Reasoning"])
    assert text == "Specific Anomaly Type: Fighting\n\nLocation: A street"
    assert readable_reasoning("Just one thought.") == "Just one thought."


# --- what is exported -----------------------------------------------------------------------


def test_only_approved_corrections_by_default(store, bench, tmp_path):
    correct(store, bench["qa"], answer="B", reasoning="approved one")
    correct(store, bench["classification"], status="submitted", answer="Fire", reasoning="r")
    correct(store, bench["grounding"], status="rejected", answer="Normal", reasoning="r")
    correct(store, bench["description"], status="draft", answer="d", reasoning="r")
    out, report = run_export(store, tmp_path, "trl-sft")
    records = jsonl(out / "train.jsonl")
    assert [r["task"] for r in records] == ["qa"]
    assert (report.from_corrections, report.from_ground_truth) == (1, 0)


@pytest.mark.parametrize(
    ("status", "tasks"),
    [
        ("approved", ["qa"]),
        ("submitted", ["classification", "qa"]),
        ("all", ["classification", "description", "qa"]),
    ],
)
def test_status_choices(store, bench, tmp_path, status, tasks):
    correct(store, bench["qa"], answer="B", reasoning="r")
    correct(store, bench["classification"], status="submitted", answer="Fire", reasoning="r")
    correct(store, bench["grounding"], status="rejected", answer="Normal", reasoning="r")
    correct(store, bench["description"], status="draft", answer="d", reasoning="r")
    out, _ = run_export(store, tmp_path, "trl-sft", status=status)
    assert sorted(r["task"] for r in jsonl(out / "train.jsonl")) == tasks


def test_ground_truth_fills_in_items_without_a_correction(store, bench, tmp_path):
    correct(store, bench["qa"], answer="D", reasoning="my reasons")
    out, report = run_export(store, tmp_path, "trl-grpo", include_ground_truth=True, task="qa")
    records = {r["id"].split("/")[1]: r for r in jsonl(out / "train.jsonl")}
    assert records["Fighting001_x264.mp4"]["solution"] == "D"  # the correction wins
    assert records["Fighting002_x264.mp4"]["solution"] == "A"  # imported truth
    assert (report.from_corrections, report.from_ground_truth) == (1, 2)


def test_task_and_annotator_filters(store, bench, tmp_path):
    correct(store, bench["qa"], "ann", answer="B", reasoning="r")
    correct(store, bench["qa"], "bob", answer="C", reasoning="r")
    correct(store, bench["classification"], "bob", answer="Fire", reasoning="r")
    out, _ = run_export(store, tmp_path, "trl-grpo", task="qa", annotator="bob")
    assert [(r["task"], r["annotator"], r["solution"]) for r in jsonl(out / "train.jsonl")] == [
        ("qa", "bob", "C")
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "parquet"}, "unknown format"),
        ({"status": "rejected"}, "unknown status"),
        ({"split": 0.0}, "0 < split <= 1"),
        ({"split": 1.5}, "0 < split <= 1"),
        ({"task": "caption"}, "unknown task"),
        ({"min_pixels": 100}, "min_pixels <= max_pixels"),
        ({"min_pixels": 50_000, "max_pixels": 40_000}, "min_pixels <= max_pixels"),
        ({"total_pixels": 3136}, "total_pixels 3136 cannot hold"),
        ({"fps": 0.0}, "fps must be a positive number"),
    ],
)
def test_bad_options_are_refused(store, tmp_path, options, message):
    options = {"format": "trl-sft", "out": tmp_path, **options}
    with pytest.raises(InvalidInput, match=message):
        export(store, ExportOptions(**options))


# --- the split ------------------------------------------------------------------------------


def test_the_split_is_by_video_and_stable():
    keys = [f"ucf/video{i}.mp4" for i in range(2000)]
    first = [split_of(k, 0.9) for k in keys]
    assert first == [split_of(k, 0.9) for k in keys]
    assert 0.87 < first.count("train") / len(keys) < 0.93
    assert set(split_of(k, 1.0) for k in keys) == {"train"}


def test_no_video_lands_in_both_splits(store, bench, tmp_path):
    out, report = run_export(store, tmp_path, "trl-sft", include_ground_truth=True, split=0.5)
    videos = {
        split: {r["id"].rsplit("/", 2)[0] for r in jsonl(out / f"{split}.jsonl")}
        for split in ("train", "validation")
    }
    assert not videos["train"] & videos["validation"]
    assert report.videos == {split: len(v) for split, v in videos.items()}
    assert sum(report.files.values()) == 12  # 3 videos x 4 tasks


# --- the formats, and loading them back -----------------------------------------------------


def test_trl_sft_messages_carry_the_video_and_the_tagged_answer(store, bench, tmp_path):
    correct(
        store, bench["grounding"], answer="Anomaly", interval=(12.5, 14.04), reasoning=REASONING
    )
    out, _ = run_export(store, tmp_path, "trl-sft")
    (record,) = jsonl(out / "train.jsonl")
    user, assistant = record["messages"][-2:]
    video, prompt = user["content"]
    assert (user["role"], video["type"], video["video"], video["fps"]) == (
        "user", "video", "Fighting001_x264.mp4", 2.0
    )  # fmt: skip
    assert video["max_pixels"] == 768 * 28 * 28 and video["total_pixels"] == 3584 * 28 * 28
    assert prompt["type"] == "text" and "<glue>" in prompt["text"]
    assert assistant == {
        "role": "assistant",
        "content": [{"type": "text", "text": f"<think>{REASONING}</think><answer>Anomaly</answer>"
                     "<glue>[12.5, 14.0]</glue>"}],
    }  # fmt: skip


def test_videos_are_written_relative_to_the_root_the_manifest_records(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'local.db'}") as store:
        import_csv(store, SAMPLES_CSV, videos=SAMPLES_DIR)
        for fmt in ("trl-sft", "trl-grpo", "sharegpt"):
            out, _ = run_export(store, tmp_path, fmt, include_ground_truth=True)
            manifest = json.loads((out / "manifest.json").read_text())
            assert manifest["video_root"] == str(SAMPLES_DIR.resolve())
            text = (out / ("train.json" if fmt == "sharegpt" else "train.jsonl")).read_text()
            assert str(SAMPLES_DIR) not in text and '"sample_fall.mp4"' in text
        out, _ = run_export(store, tmp_path, "trl-sft", include_ground_truth=True,
                            video_root=str(SAMPLES_DIR.parent))  # fmt: skip
        assert '"samples/sample_fall.mp4"' in (out / "train.jsonl").read_text()


def test_trl_sft_description_is_two_turns(store, bench, tmp_path):
    correct(store, bench["description"], answer="A fight starts.", reasoning="It is abnormal.")
    out, _ = run_export(store, tmp_path, "trl-sft")
    (record,) = jsonl(out / "train.jsonl")
    roles = [m["role"] for m in record["messages"] if m["role"] != "system"]
    assert roles == ["user", "assistant", "user", "assistant"]
    texts = [m["content"][-1]["text"] for m in record["messages"] if m["role"] == "assistant"]
    assert texts == ["A fight starts.", "It is abnormal."]


def test_the_think_variant_leaves_out_examples_without_reasoning(store, bench, tmp_path):
    correct(store, bench["qa"], answer="B")
    with pytest.raises(NothingToExport, match="export with --no-think") as refused:
        run_export(store, tmp_path, "trl-sft")
    reason = "no reasoning for the think variant (export with --no-think)"
    assert refused.value.report.skipped == {reason: 1}
    out, report = run_export(store, tmp_path, "trl-sft", think=False)
    (record,) = jsonl(out / "train.jsonl")
    assert record["messages"][-1]["content"][0]["text"] == "<answer>B</answer>"


def test_trl_grpo_has_the_columns_the_rewards_read(store, bench, tmp_path):
    correct(store, bench["grounding"], answer="Normal", reasoning="r")
    out, report = run_export(store, tmp_path, "trl-grpo", include_ground_truth=True)
    records = {(r["id"].split("/")[1], r["task"]): r for r in jsonl(out / "train.jsonl")}
    grounding = records[("Fighting001_x264.mp4", "grounding")]
    assert (grounding["solution"], grounding["interval"]) == ("Normal", [-1.0, -1.0])
    qa = records[("Fighting002_x264.mp4", "qa")]
    assert (qa["solution"], qa["answer"], qa["interval"], qa["class"]) == (
        "A",
        "A",
        [3.5, 9.0],
        "Fighting",
    )
    assert [m["role"] for m in qa["prompt"]][-1] == "user"
    assert report.skipped == {"description has no RFT reward": 3}


def test_dpo_pairs_the_correction_with_the_model_output(store, bench, tmp_path):
    item = bench["grounding"]
    raw = "<think>nothing</think><answer>Normal</answer><glue>[-1.0, -1.0]</glue>"
    run = store.record_run(item.id, checkpoint="ckpt", settings={}, raw=raw)
    edit = {"answer": "Anomaly", "interval": (3.5, 9), "reasoning": "He hits him."}
    saved = store.save_correction(item.id, "ann", Edit(**edit), status="submitted", run_id=run.id)
    store.review(saved.id, "rita", "approved")
    correct(store, bench["qa"], answer="B", reasoning="r")  # no model output to pair with
    out, report = run_export(store, tmp_path, "dpo")
    (record,) = jsonl(out / "train.jsonl")
    assert record["rejected"] == [{"role": "assistant", "content": [{"type": "text", "text": raw}]}]
    chosen = record["chosen"][0]["content"][0]["text"]
    assert chosen == "<think>He hits him.</think><answer>Anomaly</answer><glue>[3.5, 9.0]</glue>"
    assert (record["run_id"], record["checkpoint"]) == (run.id, "ckpt")
    assert report.skipped == {"no model output to pair with": 1}


def test_dpo_leaves_out_a_correction_equal_to_the_output(store, bench, tmp_path):
    item = bench["qa"]
    run = store.record_run(
        item.id, checkpoint="c", settings={}, raw="<think>r</think><answer>B</answer>"
    )
    saved = store.save_correction(
        item.id, "ann", Edit(answer="B", reasoning="r"), status="submitted", run_id=run.id
    )
    store.review(saved.id, "rita", "approved")
    with pytest.raises(NothingToExport, match="1 model output already equals") as refused:
        run_export(store, tmp_path, "dpo")
    assert refused.value.report.skipped == {"model output already equals the correction": 1}


@pytest.mark.parametrize("fmt", ["dpo", "trl-sft", "vau-csv", "sharegpt"])
def test_an_export_with_nothing_to_write_fails_in_one_line_and_writes_nothing(
    store, bench, tmp_path, fmt
):
    if fmt == "dpo":
        correct(store, bench["qa"], answer="B", reasoning="r")  # no model output to pair with
    out = tmp_path / "nothing"
    with pytest.raises(NothingToExport) as refused:
        export(store, ExportOptions(format=fmt, out=out))
    says = "no model output to pair with" if fmt == "dpo" else "no correction is approved"
    assert says in str(refused.value) and "\n" not in str(refused.value)
    assert not out.exists()


def test_sharegpt_records_and_dataset_info(store, bench, tmp_path):
    out, _ = run_export(store, tmp_path, "sharegpt", include_ground_truth=True, split=0.5)
    info = json.loads((out / "dataset_info.json").read_text())
    assert set(info) == {"vau_r1_train", "vau_r1_validation"}
    for entry in info.values():
        assert entry["formatting"] == "sharegpt" and (out / entry["file_name"]).is_file()
        assert entry["columns"] == {
            "messages": "conversations",
            "system": "system",
            "videos": "videos",
        }
    records = [
        r for s in ("train", "validation") for r in json.loads((out / f"{s}.json").read_text())
    ]
    assert len(records) == 12
    for record in records:
        turns = record["conversations"]
        assert [t["from"] for t in turns][:2] == ["human", "gpt"]
        assert sum(t["value"].count("<video>") for t in turns) == 1 == len(record["videos"])


EDITS = {
    "qa": Edit(answer="B", reasoning="r"),
    "grounding": Edit(interval=(1, 2), reasoning="r"),
    "classification": Edit(answer="Fire", reasoning="r"),
    "description": Edit(answer="d", reasoning="a"),
}


@pytest.mark.parametrize("fmt", ["trl-sft", "trl-grpo", "dpo"])
def test_trl_files_load_with_datasets(store, bench, tmp_path, fmt):
    for task, item in bench.items():
        raw = "<answer>wrong</answer>"
        run = store.record_run(item.id, checkpoint="c", settings={}, raw=raw)
        edit = EDITS[task]
        saved = store.save_correction(item.id, "ann", edit, status="submitted", run_id=run.id)
        store.review(saved.id, "rita", "approved")
    _, report = run_export(store, tmp_path, fmt, include_ground_truth=True, split=0.5)
    assert report.files
    for path, count in report.files.items():
        assert len(datasets.load_dataset("json", data_files=path)["train"]) == count


def test_sharegpt_loads_with_datasets(store, bench, tmp_path):
    out, report = run_export(store, tmp_path, "sharegpt", include_ground_truth=True)
    loaded = datasets.load_dataset("json", data_files=str(out / "train.json"))["train"]
    assert len(loaded) == report.files[str(out / "train.json")] == 12
    assert set(loaded.column_names) >= {"conversations", "system", "videos"}


# --- VAU-Bench CSV --------------------------------------------------------------------------


def items_of(store: Store) -> dict:
    return {
        (i.video.source, i.video.name, i.task): (i.question, i.options, i.truth)
        for i in store.list_items(limit=None)
    }


@pytest.mark.skipif(not SHARED_BENCH.is_dir(), reason="shared VAU-Bench CSVs absent")
@pytest.mark.parametrize("file", ["test_msad.csv", "test_ucf_crime.csv"])
def test_vau_csv_import_export_import_gives_the_same_items(store, tmp_path, file):
    import_csv(store, SHARED_BENCH / file)
    out, report = run_export(store, tmp_path, "vau-csv", include_ground_truth=True, split=0.8)
    with Store(f"sqlite:///{tmp_path / 'again.db'}") as again:
        for path in report.files:
            import_csv(again, path)
        assert items_of(again) == items_of(store)
    assert sorted(p.name for p in out.glob("*.csv"))[0].startswith("train_")


def test_vau_csv_overlays_corrections_on_the_ground_truth(store, bench, tmp_path):
    correct(store, bench["qa"], answer="D", reasoning="r")
    correct(store, bench["grounding"], answer="Anomaly", interval=(1.0, 2.5), reasoning="r")
    correct(store, bench["classification"], answer="Arson", reasoning="r")
    correct(store, bench["description"], answer="New description.", reasoning="New analysis.")
    out, _ = run_export(store, tmp_path, "vau-csv", include_ground_truth=True)
    rows = {r.video: r for r in read_bench_csv(out / "train_ucf.csv").rows}
    first = rows["Fighting001_x264.mp4"]
    assert (first.correct, first.start, first.end, first.anomaly_class) == ("D", 1.0, 2.5, "Arson")
    assert (first.description, first.reasoning) == ("New description.", "New analysis.")
    assert first.key_object == "two men" and first.question == GOOD["Question"]
    normal = rows["Normal_Videos_1_x264.mp4"]
    assert (normal.start, normal.end, normal.anomaly_class) == (0.0, 0.0, "Normal")


def test_vau_csv_without_ground_truth_marks_uncorrected_fields_unusable(store, bench, tmp_path):
    correct(store, bench["classification"], answer="Arson", reasoning="r")
    out, _ = run_export(store, tmp_path, "vau-csv")
    (only,) = read_bench_csv(out / "train_ucf.csv").rows
    assert (only.anomaly_class, only.question, only.description) == ("Arson", None, None)
    assert (only.start, only.end) == (-1.0, -1.0)


def test_an_empty_split_writes_no_file_and_removes_a_stale_one(store, bench, tmp_path):
    correct(store, bench["qa"], answer="B", reasoning="r")
    out, report = run_export(store, tmp_path, "trl-sft", split=0.999999)
    (out / "validation.jsonl").write_text("stale")
    out, report = run_export(store, tmp_path, "trl-sft", split=0.999999)
    assert list(report.files) == [str(out / "train.jsonl")]
    assert not (out / "validation.jsonl").exists()


def test_the_manifest_says_who_made_and_who_approved_each_example(store, bench, tmp_path):
    revision = correct(store, bench["qa"], answer="B", reasoning="why")
    out, _ = run_export(store, tmp_path, "trl-sft", include_ground_truth=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "trl-sft" and manifest["options"]["status"] == "approved"
    corrected = [e for e in manifest["examples"] if e["label"] == "correction"]
    assert [(e["annotator"], e["status"], e["reviewer"]) for e in corrected] == [
        (revision.annotator, "approved", "rita")
    ]
    ids = {record["id"] for record in jsonl(out / "train.jsonl")}
    assert {e["id"] for e in manifest["examples"]} == ids


@pytest.mark.parametrize("fmt", ["vau-csv", "trl-grpo"])
def test_the_class_set_on_a_grounding_correction_is_exported(store, bench, tmp_path, fmt):
    edit = {"answer": "Anomaly", "interval": (1.0, 2.5), "class_name": "Assault"}
    correct(store, bench["grounding"], reasoning="r", **edit)
    out, _ = run_export(store, tmp_path, fmt, task="grounding")
    if fmt == "vau-csv":
        (exported,) = read_bench_csv(out / "train_ucf.csv").rows
        assert (exported.anomaly_class, exported.start, exported.end) == ("Assault", 1.0, 2.5)
    else:
        (record,) = jsonl(out / "train.jsonl")
        assert (record["class"], record["interval"]) == ("Assault", [1.0, 2.5])


def test_the_approved_export_counts_only_independent_reviews(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'solo.db'}", allow_self_review=True) as solo:
        names = ["Fighting001_x264.mp4", "Fighting002_x264.mp4"]
        import_csv(solo, write_csv(tmp_path / "t.csv", [row(Video_Name=n) for n in names]))
        first, second = solo.list_items(task="qa", limit=None)
        own = solo.save_correction(first.id, "ann", Edit(answer="B"), status="submitted")
        solo.review(own.id, "ann", "approved")
        checked = solo.save_correction(second.id, "ann", Edit(answer="C"), status="submitted")
        solo.review(checked.id, "rita", "approved")
        out, report = run_export(solo, tmp_path, "trl-sft", think=False)
        assert report.from_corrections == 1
        assert report.skipped == {"approved by its own author, not by an independent reviewer": 1}
        out, report = run_export(solo, tmp_path, "trl-sft", think=False, status="submitted")
        assert report.from_corrections == 2


SMALL = {"min_pixels": 4 * 28 * 28, "max_pixels": 24 * 28 * 28, "total_pixels": 480 * 28 * 28}


def test_the_export_samples_as_asked_and_training_reads_it_back(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'local.db'}") as store:
        import_csv(store, SAMPLES_CSV, videos=SAMPLES_DIR)
        out, _ = run_export(store, tmp_path, "trl-sft", include_ground_truth=True, fps=1.5,
                            **SMALL)  # fmt: skip
    video = jsonl(out / "train.jsonl")[0]["messages"][-2]["content"][0]
    assert {k: video[k] for k in ("fps", *SMALL)} == {"fps": 1.5, **SMALL}
    manifest = json.loads((out / "manifest.json").read_text())
    assert {k: manifest["options"][k] for k in ("fps", *SMALL)} == {"fps": 1.5, **SMALL}
    from train.data import read_export

    data = read_export(out, "sft", max_frames=16)
    sampled = {(s.fps, s.max_pixels, s.total_pixels) for s in (r.sampling for r in data.records)}
    assert sampled == {(1.5, SMALL["max_pixels"], SMALL["total_pixels"])}
    assert data.summary()["sampling"] == [{"fps": 1.5, "max_frames": 16, **SMALL}]
    clip = data.records[0].clip()
    assert clip.visual_tokens <= SMALL["total_pixels"] // (28 * 28)
    assert clip.frame_size[0] * clip.frame_size[1] <= SMALL["max_pixels"]


def test_without_settings_the_export_samples_as_vau_r1_trained():
    options = ExportOptions(format="trl-sft", out=Path("x"))
    assert options.sampling("qa") == {
        "fps": 1.0,
        "min_pixels": 128 * 28 * 28,
        "max_pixels": 768 * 28 * 28,
        "total_pixels": 3584 * 28 * 28,
    }


# --- scans travel with their videos ---------------------------------------------------------


def test_an_exported_video_s_newest_scan_per_checkpoint_goes_beside_the_data(
    store, bench, tmp_path
):
    video = bench["qa"].video.id
    scan = {"curve": [[0.5, 0.2], [1.5, 0.9]], "interval": [1.0, 2.0], "segments": [[1.0, 2.0]],
            "windows": [], "timings": {}}  # fmt: skip
    store.record_scan(video, checkpoint="world", settings={"window_s": 4.0}, scan=scan)
    newer = store.record_scan(video, checkpoint="world", settings={"window_s": 2.0}, scan=scan)
    store.record_scan(video, checkpoint="tiny", settings={"window_s": 4.0}, scan=scan | {
        "interval": None})  # fmt: skip
    correct(store, bench["qa"], answer="D", reasoning="my reasons")
    out, _ = run_export(store, tmp_path, "trl-grpo", task="qa")
    lines = sorted(jsonl(out / "scans.jsonl"), key=lambda x: x["checkpoint"])
    assert [(x["video"], x["checkpoint"], x["interval"]) for x in lines] == [
        ("Fighting001_x264.mp4", "tiny", None), ("Fighting001_x264.mp4", "world", [1.0, 2.0])
    ]  # fmt: skip
    assert lines[1]["settings"]["window_s"] == newer.settings["window_s"] == 2.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scans"] == {"file": "scans.jsonl", "lines": 2}


def test_an_export_without_scans_writes_no_scans_file(store, bench, tmp_path):
    correct(store, bench["qa"], answer="D", reasoning="my reasons")
    out, _ = run_export(store, tmp_path, "trl-grpo", task="qa")
    assert not (out / "scans.jsonl").exists()
    assert "scans" not in json.loads((out / "manifest.json").read_text())
