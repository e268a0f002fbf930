"""assets/make_samples.py: the sample videos and their VAU-Bench manifest agree with each other."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from inference.core.tasks import CLASSES
from inference.core.vaubench import COLUMNS, read_bench_csv
from inference.video.sampling import probe_video
from world.draw import x264_cpu_cap

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "assets" / "make_samples.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("make_samples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


make_samples = _load_script()
SAMPLES = {sample.name: sample for sample in make_samples.SAMPLES}


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, Path]:
    """(video folder, manifest) written by the script's command line into a fresh folder."""
    out = tmp_path_factory.mktemp("assets") / "samples"
    assert make_samples.main(["--out", str(out)]) == 0
    return out, out.parent / "samples.csv"


@pytest.fixture(scope="module")
def rows(made):
    bench = read_bench_csv(made[1])
    assert bench.problems == []
    return {row.video: row for row in bench.rows}


def test_manifest_has_exactly_the_vau_bench_columns(made):
    with made[1].open(encoding="utf-8", newline="") as handle:
        assert tuple(next(csv.reader(handle))) == COLUMNS


def test_manifest_lists_every_video_once(made, rows):
    assert sorted(rows) == sorted(path.name for path in made[0].glob("*.mp4"))
    assert sorted(rows) == sorted(SAMPLES)


def test_three_anomalies_of_different_classes_and_one_normal_video(rows):
    classes = [row.anomaly_class for row in rows.values()]
    assert classes.count("Normal") == 1
    assert len(set(classes)) == len(classes) == 4
    assert all(name in CLASSES for name in classes)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_video_duration_matches_the_script(made, name):
    found = probe_video(made[0] / name)
    assert found.duration == pytest.approx(SAMPLES[name].seconds)
    assert (found.fps, found.width, found.height) == (10.0, 320, 240)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_interval_lies_within_the_video(made, rows, name):
    row, duration = rows[name], probe_video(made[0] / name).duration
    if row.anomaly_class == "Normal":
        assert (row.start, row.end) == (0.0, 0.0)
    else:
        assert 0.0 < row.start < row.end <= duration


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_row_is_usable_for_every_task(rows, name):
    row = rows[name]
    assert row.usable_qa and row.correct in "ABCD"
    assert row.key_object and row.description
    positions = [row.reasoning.find(f"### {section}:") for section in make_samples.SECTIONS]
    assert -1 not in positions and positions == sorted(positions)


def test_videos_are_small_enough_to_commit(made):
    sizes = [path.stat().st_size for path in made[0].glob("*.mp4")]
    assert max(sizes) <= 250_000 and sum(sizes) < 1_000_000


def _orange_pixels(frame: np.ndarray) -> int:
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    return int(((r > 220) & (g > 60) & (g < 240) & (b < 110)).sum())


def test_fire_is_seen_only_inside_its_interval():
    fire = SAMPLES["sample_fire.mp4"]
    seconds = np.arange(0, fire.seconds, 0.5)
    burning = [_orange_pixels(make_samples.render(fire, round(t * 10))) > 30 for t in seconds]
    assert burning == [t >= fire.start for t in seconds]


def _figure_box(frame: np.ndarray, color=(200, 120, 40)) -> tuple[int, int]:
    ys, xs = np.nonzero(np.all(frame == color, axis=2))
    return int(np.ptp(xs)), int(np.ptp(ys))


@pytest.mark.parametrize(("second", "lying"), [(3, False), (7.5, False), (10, True), (12.5, True)])
def test_fallen_person_lies_flat_inside_the_interval(second, lying):
    fall = SAMPLES["sample_fall.mp4"]
    width, height = _figure_box(make_samples.render(fall, round(second * 10)))
    assert (width > height) is lying


def test_rendering_is_deterministic():
    fight = SAMPLES["sample_fight.mp4"]
    assert np.array_equal(make_samples.render(fight, 80), make_samples.render(fight, 80))


def test_encoding_is_byte_for_byte_reproducible(tmp_path):
    normal = SAMPLES["sample_normal.mp4"]
    make_samples.write_sample(normal, tmp_path / "a.mp4")
    make_samples.write_sample(normal, tmp_path / "b.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_second_run_keeps_existing_files(made):
    out, manifest = made
    assert make_samples.make(out, manifest) == []


def test_check_passes_on_fresh_output(made):
    assert make_samples.main(["--out", str(made[0]), "--check"]) == 0


def test_check_reports_missing_video_and_stale_manifest(tmp_path, made, capsys):
    out = tmp_path / "samples"
    out.mkdir()
    for path in made[0].glob("*.mp4"):
        if path.name != "sample_fire.mp4":
            (out / path.name).write_bytes(path.read_bytes())
    (tmp_path / "samples.csv").write_text("Video Name\n", encoding="utf-8")
    assert make_samples.main(["--out", str(out), "--check"]) == 1
    errors = capsys.readouterr().err
    assert "sample_fire.mp4: missing" in errors and "samples.csv: missing or out of date" in errors


def test_bundled_manifest_is_current():
    bundled = ROOT / "assets" / "samples.csv"
    assert bundled.read_text(encoding="utf-8") == make_samples.manifest_text()


def test_bundled_videos_pass_the_check():
    if not list((ROOT / "assets" / "samples").glob("*.mp4")):
        pytest.skip("no bundled videos: run `python assets/make_samples.py`")
    folder = ROOT / "assets" / "samples"
    assert make_samples.check(folder, ROOT / "assets" / "samples.csv") == []


@pytest.mark.parametrize(
    ("flags", "options"),
    [
        ("flags\t\t: fpu sse2 avx2 avx512f avx512dq", {"x264-params": "asm=avx2"}),
        ("flags\t\t: fpu sse2 avx2", {}),
        ("Features\t: fp asimd", {}),  # aarch64
    ],
)
def test_x264_is_kept_off_avx512_only_where_the_cpu_has_it(tmp_path, flags, options):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(flags + "\n", encoding="utf-8")
    assert x264_cpu_cap(cpuinfo) == options


def test_without_cpuinfo_x264_is_left_alone(tmp_path):
    assert x264_cpu_cap(tmp_path / "missing") == {}
