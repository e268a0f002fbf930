"""The bundled world videos: test-split seeds the world model never trained on, drawn by the
world's own generator, imported by the Studio beside the drawn samples, shown in the demo
gallery and recorded there by the world model."""

from __future__ import annotations

import json

import pytest
from conftest import WORLD_SAMPLES_CSV

from annotate.store import Store
from app import demo, items, scans
from app.record import main as record_main
from app.runtime import ModelSlot
from app.services import Studio
from app.settings import Settings
from inference.cli import main as inference_main
from inference.core.metrics import iou
from inference.core.vaubench import read_bench_csv
from world.__main__ import main as world_main
from world.events import NORMAL
from world.generate import SPLITS
from world.recipe import Recipe

FOLDER = WORLD_SAMPLES_CSV.parent
ROWS = read_bench_csv(WORLD_SAMPLES_CSV).rows
SEEDS = [int(row.video.removeprefix("world_").removesuffix(".mp4")) for row in ROWS]
TRAINED = {k: v for k, v in Recipe.read().sampling.items() if k != "fps"}  # its pixel bounds


def by_class(kind: str) -> str:
    return next(row.video for row in ROWS if row.anomaly_class == kind)


def test_they_are_test_split_seeds_of_different_classes_with_normal_among_them():
    assert all(seed in SPLITS["test"] for seed in SEEDS)
    classes = [row.anomaly_class for row in ROWS]
    assert NORMAL in classes and len(set(classes)) == len(classes) == 4
    assert read_bench_csv(WORLD_SAMPLES_CSV).problems == []


def test_the_files_are_what_the_generator_draws_from_their_seeds(tmp_path):
    seeds = ["--seeds", ",".join(map(str, SEEDS)), "--split", "test"]
    assert world_main(["generate", "--out", str(tmp_path), *seeds]) == 0
    assert (tmp_path / "world.csv").read_bytes() == WORLD_SAMPLES_CSV.read_bytes()
    for row in ROWS:
        assert (tmp_path / row.video).read_bytes() == (FOLDER / row.video).read_bytes()


@pytest.fixture
def studio(tmp_path):
    """A Studio on a fresh database with the bundled samples and world videos imported."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'studio.db'}",
                        world_samples=str(WORLD_SAMPLES_CSV)).validate()  # fmt: skip
    with Store(settings.db_url) as store:
        found = Studio(settings, store, ModelSlot())
        items.import_samples(found)
        yield found


def test_a_fresh_studio_queues_them_beside_the_drawn_samples(studio):
    videos = {video.name for video in studio.store.located_videos()}
    assert {row.video for row in ROWS} <= videos and "sample_fight.mp4" in videos
    world = [i for i in studio.store.list_items(limit=200) if i.video.name.startswith("world_")]
    assert len(world) == 4 * len(ROWS)  # every task: each row has QA, interval, class, text
    items.import_samples(studio)  # a restart imports nothing twice
    assert len(studio.store.list_items(limit=200)) == len(world) + 16


def test_the_demo_gallery_shows_them_after_the_drawn_samples(studio):
    names = [entry.video.name for entry in demo.gallery(studio.store, studio.settings)]
    assert names[:4] == sorted(names[:4]) and all(n.startswith("sample_") for n in names[:4])
    assert sorted(names[4:]) == sorted(row.video for row in ROWS)


@pytest.mark.parametrize("kind", ["Fire", NORMAL])
def test_the_world_model_tells_the_bundled_fire_from_the_calm_street(kind, capsys):
    """What the world model learned (bench_world.py): fires and Normal videos, on videos it
    never saw, sampled as it was trained."""
    video = FOLDER / by_class(kind)
    assert inference_main(["run", "--model", "world", "--video", str(video), "--task",
                           "classification", "--no-think", "--json",
                           *Recipe.read().sampling_flags()]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["result"]["answer"] == kind


def test_the_demo_recordings_are_made_with_the_world_model_sampled_as_it_was_trained(
    tmp_path, capsys
):
    db = f"sqlite:///{tmp_path / 'studio.db'}"
    flags = ["--db", db, "--world-samples", str(WORLD_SAMPLES_CSV)]  # no pixel flags: its own
    assert record_main(["--model", "world", "--tasks", "classification", "--no-think",
                        *flags]) == 0  # fmt: skip
    assert "recorded 8 runs with world" in capsys.readouterr().out
    with Store(db) as store:
        settings = Settings(db_url=db, world_samples=str(WORLD_SAMPLES_CSV))
        fire = next(e for e in demo.gallery(store, settings) if e.video.name == by_class("Fire"))
        run = fire.recordings["classification"].run
        assert run is not None and run.checkpoint == "world"
        assert run.answer == "Fire"
        assert {k: run.settings[k] for k in TRAINED} == TRAINED  # what the run really sampled


@pytest.fixture(scope="module")
def scanning_studio(tmp_path_factory):
    """A Studio serving the world model, the bundled world videos imported."""
    db = tmp_path_factory.mktemp("scan") / "studio.db"
    settings = Settings(db_url=f"sqlite:///{db}", world_samples=str(WORLD_SAMPLES_CSV)).validate()
    with Store(settings.db_url) as store:
        studio = Studio(settings, store, ModelSlot())
        items.import_samples(studio)
        assert studio.models.load("world").state == "ready"
        yield studio


def scan_of(studio: Studio, video: str):
    """The Studio's Scan (the button, `scan_video` over the API) on a bundled world video."""
    (item,) = [i for i in studio.store.list_items(task="grounding", limit=200)
               if i.video.name == video]  # fmt: skip
    return scans.scan_video(studio, items.open_item(studio, item.id), "ann")[1]


@pytest.mark.parametrize("kind", ["Fire", "Explosion"])
def test_the_world_models_scan_finds_the_salient_events_near_the_truth(scanning_studio, kind):
    """Its one-pass interval never overlaps the truth (bench_world.py); asked window by window
    whether something abnormal happens, it finds the fire and the explosion."""
    row = next(r for r in ROWS if r.anomaly_class == kind)
    scan = scan_of(scanning_studio, row.video)
    assert scan.checkpoint == "world" and scan.interval is not None
    assert iou(scan.interval, (row.start, row.end)) >= 0.5, (scan.interval, row.start, row.end)


def test_the_world_models_scan_finds_nothing_in_the_calm_street(scanning_studio):
    assert scan_of(scanning_studio, by_class(NORMAL)).interval is None
