"""Fixtures shared across the suite: the tiny checkpoint and the bundled sample videos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT / "data" / "vau-bench"
SAMPLES_DIR = ROOT / "assets" / "samples"
SAMPLES_CSV = ROOT / "assets" / "samples.csv"
WORLD_SAMPLES_CSV = ROOT / "assets" / "world-samples" / "world.csv"


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory) -> None:
    """Keep the suite's tiny checkpoint, caches and trackio runs out of the user's home."""
    os.environ.setdefault("VAU_HOME", str(tmp_path_factory.mktemp("vau-home")))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRACKIO_DIR", str(tmp_path_factory.mktemp("trackio")))
    # The suite's Studios queue the four drawn samples its tests are written against; the
    # bundled world videos are imported where a test asks for them (tests/test_world_samples.py).
    os.environ.setdefault("VAU_WORLD_SAMPLES", "")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """The tiny random-weight Qwen2.5-VL checkpoint, built once per test session."""
    from inference.models.tiny import make_tiny

    return make_tiny(tmp_path_factory.mktemp("tiny") / "tiny-qwen2.5-vl")


@pytest.fixture(scope="session")
def sample_video() -> Path:
    """One bundled sample video with an anomaly at known seconds."""
    videos = sorted(SAMPLES_DIR.glob("*.mp4"))
    if not videos:
        pytest.fail("no sample videos: run `python assets/make_samples.py`")
    return videos[0]
