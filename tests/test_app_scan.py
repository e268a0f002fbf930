"""The Studio's Scan through gradio_client: the shipped world model scans a world video, the scan
is stored under the checkpoint and settings, the timeline draws its Score lane, and the item
reopens with the stored scan without running the model again."""

from __future__ import annotations

import re

import pytest
from gradio_client import Client

from tests.app_helpers import WORLD_FIRE_SEED, call, scripted_studio, world_studio
from world.generate import plan


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The Studio serving the world model, with a world fire to scan."""
    demo, url, item, video = world_studio(tmp_path_factory.mktemp("scan-studio"))
    yield demo, url, item, video
    demo.close()


def score_lane(timeline: str | dict) -> list[tuple[float, float]]:
    """The Score lane's points as the page gets them ([] without a lane)."""
    if isinstance(timeline, dict):  # an update rather than a value
        timeline = timeline.get("value") or ""
    found = re.search(r'data-curve="([^"]+)"', timeline)
    if not found:
        return []
    return [tuple(float(x) for x in p.split(":")) for p in found.group(1).split(",")]


def test_a_scan_is_drawn_on_the_timeline_and_stored(studio):
    demo, url, item, video = studio
    client = Client(url, verbose=False)
    call(client, "open_item", item, "ann")
    out = call(client, "scan", "ann", "", None, None, None, "", "", 0)
    assert "Scanned with world: anomaly" in out["Run status"], out["Run status"]
    curve = score_lane(out["Timeline"])
    peak = max(curve, key=lambda point: point[1])
    event = plan(WORLD_FIRE_SEED).event
    assert event.start <= peak[0] <= event.end
    (scan,) = demo.studio.store.scans(video)
    assert scan.checkpoint == "world" and scan.created_by == "ann"
    assert scan.settings["engine"]["backend"] == "transformers"
    assert [list(p) for p in curve] == [[t, round(v, 3)] for t, v in scan.curve]


def test_reopening_the_item_shows_the_stored_scan_without_running(studio):
    demo, url, item, video = studio
    client = Client(url, verbose=False)
    call(client, "open_item", item, "ann")
    if not demo.studio.store.scans(video):
        call(client, "scan", "ann", "", None, None, None, "", "", 0)
    before = len(demo.studio.store.scans(video))
    out = call(Client(url, verbose=False), "open_item", item, "rev")  # another browser
    assert score_lane(out["Timeline"]), "the stored scan is not on the reopened item's timeline"
    assert len(demo.studio.store.scans(video)) == before


def test_a_model_without_probabilities_says_it_cannot_scan(tmp_path):
    demo, url = scripted_studio(tmp_path)
    try:
        client = Client(url, verbose=False)
        items = demo.studio.store.list_items(task="grounding", limit=1)
        call(client, "open_item", items[0].id, "ann")
        out = call(client, "scan", "ann", "", None, None, None, "", "", 0)
        assert "cannot scan" in out["Run status"]
        assert demo.studio.store.scans(items[0].video.id) == []
    finally:
        demo.close()


def test_the_review_player_draws_the_stored_scan(studio):
    from annotate.records import Edit
    from app.review import review_evidence
    from app.timeline import timeline_figure
    from app.views import timeline_data

    demo, url, item, video = studio
    if not demo.studio.store.scans(video):
        call(Client(url, verbose=False), "open_item", item, "ann")
        call(Client(url, verbose=False), "scan", "ann", "", None, None, None, "", "", 0)
    edit = Edit(answer="Anomaly", interval=(9.0, 19.0))
    revision = demo.studio.store.save_correction(item, "ann", edit, status="submitted")
    _, _, session = review_evidence(demo.studio, revision.id)
    assert session.scan is not None and session.scan.checkpoint == "world"
    figure = timeline_figure(timeline_data(session, None, [], 0))
    assert any(trace.name == "Anomaly score (world)" for trace in figure.data)


def test_taking_the_scan_s_interval_fills_the_form_without_saving(studio):
    demo, url, item, video = studio
    client = Client(url, verbose=False)
    call(client, "open_item", item, "ann")
    out = call(client, "scan", "ann", "", None, None, None, "", "", 0)
    interval = demo.studio.store.scans(video)[0].interval
    before = demo.studio.store.counts().revisions
    taken = call(client, "take_scan_interval", "ann")
    assert (float(taken["Start (s)"]), float(taken["End (s)"])) == pytest.approx(interval, abs=0.05)
    assert taken["Answer"] == "Anomaly" and "not saved yet" in taken["Save status"]
    assert demo.studio.store.counts().revisions == before
    assert "Scanned" in out["Run status"]


def test_taking_a_scan_before_scanning_says_so(tmp_path):
    demo, url = scripted_studio(tmp_path)
    try:
        client = Client(url, verbose=False)
        items = demo.studio.store.list_items(task="grounding", limit=1)
        call(client, "open_item", items[0].id, "ann")
        out = call(client, "take_scan_interval", "ann")
        assert "no scan of this video yet" in out["Save status"]
    finally:
        demo.close()


def test_an_api_caller_scans_a_video_and_a_second_call_reuses_the_stored_scan(studio):
    demo, url, item, video = studio
    client = Client(url, verbose=False)
    first = client.predict("world_2000002.mp4", "agent-7", api_name="/scan_video")
    before = len(demo.studio.store.scans(video))
    again = client.predict("world_2000002.mp4", "agent-7", api_name="/scan_video")
    assert len(demo.studio.store.scans(video)) == before
    assert again["stored"] is True and again["scan_id"] == first["scan_id"]
    event = plan(WORLD_FIRE_SEED).event
    assert first["checkpoint"] == "world" and first["threshold"] == 0.8
    start, end = first["interval"]
    assert start < event.end and end > event.start
