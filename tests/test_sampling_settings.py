"""Sampling settings everywhere: the frame rate, frame cap and pixel bounds are settings of
`inference run|eval`, `annotate export` (tests/test_export.py), the Studio and the recipes,
recorded with what they made, so small videos run and train at their own size."""

from __future__ import annotations

import json

import pytest

from app.settings import SettingsError, from_sources
from inference.cli import main
from inference.core.tasks import DEFAULT_PIXELS
from tests.conftest import SAMPLES_CSV, SAMPLES_DIR
from tests.test_cli import run_cli

SMALL = {"min_pixels": 4 * 28 * 28, "max_pixels": 24 * 28 * 28, "total_pixels": 480 * 28 * 28}
SMALL_FLAGS = [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()]


def test_run_samples_within_the_pixel_bounds_it_is_given(tiny_checkpoint, sample_video):
    def run(*flags: str) -> dict:
        video = ["--video", str(sample_video), "--task", "grounding"]
        proc = run_cli("run", "--model", str(tiny_checkpoint), *video, "--max-new-tokens", "2",
                       "--json", *flags)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["clip"]

    default, small = run(), run(*SMALL_FLAGS)
    assert small["visual_tokens"] <= SMALL["total_pixels"] // 784 < default["visual_tokens"]
    height, width = small["frame_size"]
    assert height * width <= SMALL["max_pixels"]


@pytest.mark.parametrize(
    ("flags", "says"),
    [(["--min-pixels", "100"], "min_pixels <= max_pixels"),
     (["--total-pixels", "3136"], "cannot hold"),
     (["--max-pixels", "-5"], "min_pixels <= max_pixels")],
)  # fmt: skip
def test_impossible_pixel_bounds_are_one_line_before_loading(sample_video, flags, says):
    proc = run_cli("run", "--model", "no-such-model", "--video", str(sample_video), "--task",
                   "grounding", *flags)  # fmt: skip
    assert proc.returncode == 2 and says in proc.stderr
    assert proc.stderr.count("\n") == 1 and "no-such-model" not in proc.stderr


def eval_args(checkpoint, out, *flags: str) -> list[str]:
    return ["eval", "--csv", str(SAMPLES_CSV), "--videos", str(SAMPLES_DIR), "--task",
            "grounding", "--model", str(checkpoint), "--max-new-tokens", "2", "--max-frames",
            "8", "--out", str(out), *flags]  # fmt: skip


def test_eval_records_the_pixel_bounds_and_resumes_only_with_the_same(
    tiny_checkpoint, tmp_path, capsys
):
    out = tmp_path / "pred.jsonl"
    assert main(eval_args(tiny_checkpoint, out, *SMALL_FLAGS)) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all({k: r["settings"][k] for k in SMALL} == SMALL for r in records)
    assert all(r["provenance"]["sampling"]["max_pixels"] == SMALL["max_pixels"] for r in records)
    assert main(eval_args(tiny_checkpoint, out)) == 2  # the default bounds: another file
    assert "min_pixels" in capsys.readouterr().err


def test_score_refuses_a_file_mixing_pixel_bounds(tmp_path, capsys):
    bounds = (("sample_fall.mp4", 18_816), ("sample_fight.mp4", 50_176))
    raw = "<glue>[1.0, 2.0]</glue>"
    lines = [{"video": video, "task": "grounding", "raw": raw,
              "settings": {"fps": 2.0, **SMALL, "max_pixels": max_pixels}}
             for video, max_pixels in bounds]  # fmt: skip
    pred = tmp_path / "mixed.jsonl"
    pred.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    args = ["score", "--csv", str(SAMPLES_CSV), "--pred", str(pred), "--task", "grounding"]
    assert main(args) == 2
    assert "max_pixels" in capsys.readouterr().err


def test_the_studio_takes_pixel_bounds_from_flags_and_environment():
    flags = from_sources([*SMALL_FLAGS], {})
    env = from_sources([], {"VAU_TOTAL_PIXELS": str(SMALL["total_pixels"])})
    sampling = flags.sampling(2.0, 16)
    assert (sampling.min_pixels, sampling.max_pixels) == (SMALL["min_pixels"], SMALL["max_pixels"])
    assert env.sampling(2.0, 16).total_pixels == SMALL["total_pixels"]
    assert from_sources([], {}).sampling(1.0, 16).min_pixels == DEFAULT_PIXELS["min_pixels"]


def test_the_studio_refuses_impossible_pixel_bounds_at_start():
    with pytest.raises(SettingsError, match="pixel settings: .*min_pixels <= max_pixels"):
        from_sources(["--min-pixels", "900000", "--max-pixels", "1000"], {})
