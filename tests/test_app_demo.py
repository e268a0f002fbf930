"""The Demo tab through gradio_client: runs recorded with the tiny checkpoint replay from the
database in a Studio that has no model at all (no GPU, no network), labelled as recorded."""

from __future__ import annotations

import html
import shutil
import time
from dataclasses import replace

import pytest
from gradio_client import Client

from annotate.store import Store
from app import demo as gallery
from app import record, views
from app.items import import_samples
from app.runtime import ModelSlot
from app.services import Studio
from inference.core.parse import Result
from inference.core.protocol import without_tags
from tests.app_helpers import (
    ScriptedEngine,
    call,
    call_streamed,
    free_port,
    item_id,
    launch,
    studio_settings,
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, tiny_checkpoint):
    """A database holding the tiny checkpoint's grounding runs of every sample."""
    folder = tmp_path_factory.mktemp("recorded")
    settings = studio_settings(folder, model=str(tiny_checkpoint))
    code = record.main(
        ["--model", str(tiny_checkpoint), "--db", settings.db_url, "--max-new-tokens", "16"]
        + ["--tasks", "grounding", "qa"]
    )
    assert code == 0
    return settings


@pytest.fixture(scope="module")
def served(recorded):
    """The Studio on that database with no model loaded, replaying fast."""
    demo, url = launch(replace(recorded, model=None, port=free_port(), replay_cps=2000))
    yield demo, url
    demo.close()


def _returns(client: Client, api: str) -> list[dict]:
    return client.view_api(return_format="dict", print_info=False)["named_endpoints"][f"/{api}"][
        "returns"
    ]


def _video(demo, name: str) -> int:
    return demo.studio.store.get_item(item_id(demo, name, "grounding")).video.id


def test_record_stores_a_run_per_task_and_sample(recorded):
    with Store(recorded.db_url) as store:
        runs = store.latest_runs(i.id for i in store.list_items(limit=None))
        tasks = sorted(store.get_item(i).task for i in runs)
        assert tasks == ["grounding"] * 4 + ["qa"] * 4
        run = next(iter(runs.values()))
        assert run.checkpoint.endswith("tiny-qwen2.5-vl") and run.created_by == "demo-recorder"
        assert run.settings["frames"] > 0 and run.settings["think"] is True


def test_record_without_a_model_says_so(tmp_path, capsys):
    assert record.main(["--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    assert "name the checkpoint" in capsys.readouterr().err


def test_a_recorded_run_replays_without_a_model(served):
    demo, url = served
    assert demo.studio.models.engine is None
    out = call_streamed(
        Client(url, verbose=False), "demo_open", _video(demo, "sample_fight.mp4"), None
    )
    assert "● RECORDED" in out["Demo badge"] and "tiny-qwen2.5-vl" in out["Demo badge"]
    assert "Grounding" in out["Demo badge"] and "fps ×" in out["Demo badge"]
    (run,) = demo.studio.store.runs(item_id(demo, "sample_fight.mp4", "grounding"))
    result = Result.from_dict(run.parsed)
    assert out["Steps"] == views.steps_view(result.think or result.raw, 0)[0]


def test_the_replay_streams_the_recorded_text_in_pieces(served, monkeypatch):
    demo, url = served
    monkeypatch.setattr(demo.studio, "settings", replace(demo.studio.settings, replay_cps=40))
    job = Client(url, verbose=False).submit(
        _video(demo, "sample_fire.mp4"), "qa", api_name="/demo_open"
    )
    while not job.done():
        time.sleep(0.05)
    labels = [r["label"] for r in _returns(Client(url, verbose=False), "demo_open")]
    steps = [out[labels.index("Steps")] for out in job.outputs()]
    (run,) = demo.studio.store.runs(item_id(demo, "sample_fire.mp4", "qa"))
    live = [s for s in steps if isinstance(s, str) and "vau-live" in s]
    shown = without_tags(run.raw)  # the live view shows the words, not the protocol's tags
    assert len(live) >= 2 and html.escape(shown[:4]) in live[-1]  # text arriving in pieces
    assert "vau-live" not in steps[-1]  # and then the step view


def test_a_task_without_a_recorded_run_shows_the_reference(served):
    demo, url = served
    out = call_streamed(
        Client(url, verbose=False), "demo_open", _video(demo, "sample_fight.mp4"), "classification"
    )
    assert "REFERENCE" in out["Demo badge"] and "RECORDED" not in out["Demo badge"]
    assert "Specific Anomaly Type" in out["Steps"]


def test_opening_an_unknown_video_explains(served):
    _, url = served
    out = call_streamed(Client(url, verbose=False), "demo_open", 987654, None)
    assert "no longer in the store" in out["Demo status"]


def test_pin_needs_an_open_item(served):
    _, url = served
    out = call(Client(url, verbose=False), "pin", "boss")
    assert "open an item first" in out["Pin status"]


def test_an_item_pinned_in_the_studio_joins_the_gallery(served, tmp_path):
    demo, url = served
    client = Client(url, verbose=False)
    store = demo.studio.store
    path = tmp_path / "pinned.mp4"
    shutil.copyfile(store.get_item(item_id(demo, "sample_fall.mp4", "grounding")).video.path, path)
    item = store.add_item(store.add_video("pinned.mp4", "upload", path=str(path)).id, "grounding")
    store.record_run(item.id, checkpoint="c", settings={}, raw="<answer>Normal</answer>")
    call(client, "open_item", item.id, "boss")
    pinned = call(client, "pin", "boss")["Pin status"]
    assert "Pinned pinned.mp4 · Grounding" in pinned and f"run {item.id}" not in pinned
    names = [e.video.name for e in gallery.gallery(store, demo.studio.settings)]
    assert names[-1] == "pinned.mp4"
    assert "no longer" in call(client, "unpin", "boss")["Pin status"]


# --- a live run from the demo ------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    settings = studio_settings(tmp_path_factory.mktemp("live"), model="scripted", replay_cps=0)
    demo, url = launch(settings, engine=ScriptedEngine())
    yield demo, url
    demo.close()


def test_a_live_run_from_the_demo_is_stored_but_replaces_nobodys_demo(live):
    demo, url = live
    client = Client(url, verbose=False)
    video = _video(demo, "sample_fight.mp4")
    before = call_streamed(client, "demo_open", video, "grounding")
    assert "REFERENCE" in before["Demo badge"]
    out = call_streamed(client, "demo_live", "stakeholder")
    assert "Done." in out["Demo status"] and "● LIVE" in out["Demo badge"]
    assert "RECORDED" not in out["Demo badge"] and "Live run · Grounding" in out["Demo badge"]
    assert "scripted" in out["Demo badge"] and "Step 1 of 3" in out["Steps"]
    (run,) = demo.studio.store.runs(item_id(demo, "sample_fight.mp4", "grounding"))
    assert run.created_by == "stakeholder" and run.interval == (6.0, 12.0)
    # The next visitor still sees what an admin chose (here: no run, so the reference).
    again = call_streamed(Client(url, verbose=False), "demo_open", video, None)
    assert "REFERENCE" in again["Demo badge"]


def test_a_live_run_before_picking_a_video_explains(live):
    _, url = live
    out = call_streamed(Client(url, verbose=False), "demo_live", "stakeholder")
    assert "pick a video" in out["Demo status"]


def test_the_live_button_names_where_the_model_runs(live, tmp_path):
    demo, _ = live
    assert gallery.live_label(demo.studio) == "▶ Run live"  # the scripted engine has no device
    settings = studio_settings(tmp_path)
    idle = Studio(settings, Store(settings.db_url), ModelSlot())
    import_samples(idle)
    assert gallery.live_label(idle) is None
