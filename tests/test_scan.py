"""The scan: windows, the merged curve, the hysteresis interval, the Normal reply it scores, and
the shipped world model finding a planted event through `python -m inference scan`."""

from __future__ import annotations

import json

import pytest

from inference.backends.probability import departing_tokens
from inference.cli import main as inference_main
from inference.core.metrics import iou
from inference.core.tasks import PIXEL_KEYS
from inference.scan.reply import QUESTIONS, normal_reply
from inference.scan.windows import (
    ScanSettings,
    Window,
    patch_bounds,
    patch_scores,
    patches_for,
    proposal,
    segments,
    windows,
)
from world.generate import generate, plan
from world.recipe import Recipe

FIRE_SEED, NORMAL_SEED = 2_000_002, 2_000_004  # test-split videos: a fire at 8.8-19.3 s; Normal


# --- windows and the curve ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patches", "size", "step", "expected"),
    [
        (10, 4, 2, [(0, 4), (2, 6), (4, 8), (6, 10)]),
        (9, 4, 2, [(0, 4), (2, 6), (4, 8), (5, 9)]),  # the last window ends at the clip's end
        (3, 4, 1, [(0, 3)]),  # shorter than a window: one window of all of it
        (4, 4, 1, [(0, 4)]),
        (0, 4, 1, []),
    ],
)
def test_windows_cover_the_clip_to_its_end(patches, size, step, expected):
    assert [(w.first, w.stop) for w in windows(patches, size, step)] == expected


def test_a_window_holds_two_frames_per_patch():
    assert list(Window(2, 4).frames) == [4, 5, 6, 7]


@pytest.mark.parametrize(
    ("seconds", "fps", "patches"), [(4, 2, 4), (1, 2, 1), (0.2, 2, 1), (4, 1, 2)]
)
def test_seconds_become_whole_patches(seconds, fps, patches):
    assert patches_for(seconds, fps) == patches


def test_a_patch_scores_the_mean_of_the_windows_that_saw_it():
    spans = [Window(0, 2), Window(1, 3)]
    assert patch_scores(3, spans, [0.2, 0.8]) == pytest.approx([0.2, 0.5, 0.8])


def test_patch_bounds_follow_the_frames_and_stop_at_the_video_end():
    stamps = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]  # 2 fps
    assert patch_bounds(stamps, 2.0, 2.8) == [(0.0, 1.0), (1.0, 2.0), (2.0, 2.8)]


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([0.1, 0.9, 0.7, 0.7, 0.5, 0.1], [(1, 4)]),  # stays in above the release, leaves below
        ([0.1, 0.7, 0.7, 0.1], []),  # never reaches the threshold
        ([0.9, 0.1, 0.85, 0.9], [(0, 1), (2, 4)]),  # two runs, the last to the end
        ([0.8, 0.6, 0.59], [(0, 2)]),  # the threshold and the release are inclusive
    ],
)
def test_segments_enter_at_the_threshold_and_leave_below_the_release(scores, expected):
    assert segments(scores, threshold=0.8, release=0.6) == expected


def test_the_proposal_is_the_segment_with_the_most_score():
    scores = [0.9, 0.1, 0.85, 0.9, 0.9]
    bounds = [(float(i), float(i + 1)) for i in range(5)]
    interval, found = proposal(scores, bounds, 0.8, 0.6)
    assert interval == (2.0, 5.0)
    assert found == [(0.0, 1.0), (2.0, 5.0)]


def test_nothing_above_the_threshold_proposes_normal():
    assert proposal([0.1, 0.2], [(0.0, 1.0), (1.0, 2.0)], 0.8, 0.6) == (None, [])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_s": 0}, "--window"),
        ({"stride_s": 5, "window_s": 4}, "--stride"),
        ({"threshold": 0.5, "release": 0.6}, "--release"),
        ({"threshold": 1.5}, "--threshold"),
    ],
)
def test_settings_refuse_impossible_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScanSettings(**kwargs)


# --- the reply a window is scored on ------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "shared", "text"),
    [
        ("classification", "<answer>", "<answer>Normal"),
        ("grounding", "<glue>[", "<glue>[-1.0, -1.0]"),
    ],
)
def test_the_normal_reply_comes_from_the_protocol(question, shared, text):
    reply = normal_reply(question)
    assert (reply.shared, reply.text) == (shared, text)


def test_a_question_without_a_normal_answer_is_refused():
    with pytest.raises(ValueError, match="--question"):
        normal_reply("qa")


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_score_reads_the_normal_answer_from_where_it_departs(question, tiny_checkpoint):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    reply = normal_reply(question)
    ids, first = departing_tokens(tokenizer, reply.text, reply.rival)
    assert tokenizer.decode(ids) == reply.text
    assert tokenizer.decode(ids[first:]).endswith(reply.text[len(reply.shared) :])
    assert reply.shared.startswith(tokenizer.decode(ids[:first]))


# --- the world model finds the planted event ----------------------------------------------------


@pytest.fixture(scope="module")
def world_videos(tmp_path_factory):
    """The fire and the Normal test-split videos, drawn once."""
    out = tmp_path_factory.mktemp("scan-world")
    for seed in (FIRE_SEED, NORMAL_SEED):
        generate(out / str(seed), 1, seed=seed, split="test")
    return {seed: out / str(seed) / plan(seed).name for seed in (FIRE_SEED, NORMAL_SEED)}


def scan(video, capsys, *flags, model="world"):
    """`inference scan --json` on `video`; its parsed output."""
    sampling = Recipe.read().sampling  # the world's pixel bounds; the scan's own frame rate
    pixels = [x for k in PIXEL_KEYS for x in (f"--{k.replace('_', '-')}", str(sampling[k]))]
    assert inference_main(["scan", "--model", str(model), "--video", str(video), *pixels,
                           "--json", *flags]) == 0  # fmt: skip
    return json.loads(capsys.readouterr().out)


def test_the_world_model_scan_peaks_inside_the_fire(world_videos, capsys):
    truth = plan(FIRE_SEED).event
    result = scan(world_videos[FIRE_SEED], capsys)
    peak = max(result["curve"], key=lambda point: point[1])
    assert truth.start <= peak[0] <= truth.end
    assert iou(result["interval"], (truth.start, truth.end)) >= 0.5
    assert result["model"]["name"] == "world"


def test_the_world_model_scan_proposes_nothing_on_a_normal_street(world_videos, capsys):
    result = scan(world_videos[NORMAL_SEED], capsys)
    assert result["interval"] is None
    assert max(score for _, score in result["curve"]) < ScanSettings().release


def test_every_window_says_which_frames_it_saw(world_videos, capsys):
    result = scan(world_videos[FIRE_SEED], capsys, "--window", "4", "--stride", "2")
    first, second = result["windows"][:2]
    assert first["frames"][0] == 0.0 and len(first["frames"]) == 8  # 4 s at 2 fps
    assert second["start"] == pytest.approx(first["start"] + 2, abs=0.2)
    assert result["settings"] == {"window_s": 4.0, "stride_s": 2.0, "threshold": 0.8,
                                  "release": 0.6}  # fmt: skip


@pytest.mark.parametrize("model", ["world", "tiny"])
def test_reused_vision_features_give_the_scores_of_separate_runs(world_videos, capsys, model,
                                                                 tiny_checkpoint):  # fmt: skip
    name = tiny_checkpoint if model == "tiny" else model
    video = world_videos[FIRE_SEED]
    reused = scan(video, capsys, model=name)
    separate = scan(video, capsys, "--no-reuse", model=name)
    pairs = zip(reused["windows"], separate["windows"], strict=True)
    assert all(a["score"] == pytest.approx(b["score"], abs=1e-3) for a, b in pairs)


# --- the command line's errors ------------------------------------------------------------------


def test_bad_settings_are_refused_before_the_model_loads(world_videos, capsys):
    code = inference_main(["scan", "--model", "no-such-model", "--video",
                           str(world_videos[FIRE_SEED]), "--stride", "9"])  # fmt: skip
    assert code == 2
    assert "--stride must be positive and at most --window" in capsys.readouterr().err


def test_a_missing_video_is_one_clear_line(tmp_path, capsys):
    code = inference_main(["scan", "--model", "world", "--video", str(tmp_path / "gone.mp4")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "gone.mp4" in err


def test_a_corrupt_video_is_one_clear_line(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 and then nothing a decoder can read")
    code = inference_main(["scan", "--model", "world", "--video", str(broken)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "broken.mp4" in err and "Traceback" not in err
