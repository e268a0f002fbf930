"""A pre-label pass started from the Studio's Model tab through gradio_client: an admin starts
it on the tiny checkpoint, follows it to the end while the Studio keeps serving, and the store
holds one pre-label per item; a second start while it runs is refused."""

from __future__ import annotations

import html
import time

import pytest
from gradio_client import Client

from annotate.records import PRELABELER
from tests.app_helpers import call, launch, studio_settings

USERS = "ann:pw-a,boss:pw-b:admin"


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_checkpoint):
    settings = studio_settings(tmp_path_factory.mktemp("prelabel"), model=str(tiny_checkpoint),
                               users=USERS)  # fmt: skip
    demo, url = launch(settings)
    assert demo.studio.models.wait(timeout=300) is not None, demo.studio.models.status().message
    yield demo, url
    demo.close()


def wait_until_done(client: Client, timeout_s: float = 120) -> str:
    """Poll the pass's status until it is no longer running; its last line."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = html.unescape(call(client, "prelabel_status")["Pre-label status"])
        if "working" not in text and "starting" not in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"the pass did not end: {text}")


def prelabelled(demo, task: str) -> list[int]:
    """Pre-label runs per item of the task."""
    store = demo.studio.store
    return [
        sum(r.created_by == PRELABELER for r in store.runs(item.id))
        for item in store.list_items(task=task, limit=None)
    ]


def test_an_admin_prelabels_the_queue_and_follows_it_to_the_end(studio):
    demo, url = studio
    boss = Client(url, auth=("boss", "pw-b"), verbose=False)
    out = call(boss, "start_prelabel", "classification", False, 2, False, "")
    assert "classification:" in out["Pre-label status"]
    refused = call(boss, "start_prelabel", "classification", False, 0, False, "")
    last = wait_until_done(boss)
    assert "done" in last and "queue 'most uncertain first: classification'" in last, last
    assert prelabelled(demo, "classification") == [1, 1, 1, 1]
    said = html.unescape(refused["Pre-label status"])
    assert "is running" in said or "already done" in said, said  # refused, or it had ended


def test_an_annotator_may_not_start_a_pass(studio):
    demo, url = studio
    ann = Client(url, auth=("ann", "pw-a"), verbose=False)
    before = demo.studio.store.counts().runs
    out = call(ann, "start_prelabel", "qa", False, 0, False, "")
    assert "only an admin may pre-label the queue" in out["Pre-label status"]
    assert demo.studio.store.counts().runs == before


def test_impossible_settings_are_refused_before_anything_runs(studio):
    demo, url = studio
    boss = Client(url, auth=("boss", "pw-b"), verbose=False)
    before = demo.studio.store.counts().runs
    out = call(boss, "start_prelabel", "qa", False, 1, False, "")
    assert "a spread needs two answers" in out["Pre-label status"]
    assert demo.studio.store.counts().runs == before
