"""Starting the Studio: `python app.py`, login, and life without a (loadable) model."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from gradio_client import Client

from tests.app_helpers import ROOT, call, free_port, item_id, launch, studio_settings


def test_bad_flags_end_with_one_line_and_exit_code_2():
    done = subprocess.run(
        [sys.executable, "app.py", "--quant", "3bit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "app.py: --quant must be one of none, 4bit, 8bit, not '3bit'"


def test_an_unreachable_database_ends_with_one_line():
    done = subprocess.run(
        [sys.executable, "app.py", "--db", "postgresql://nobody@127.0.0.1:1/none"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("app.py: cannot reach database") and done.stderr.count("\n") == 1


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def test_app_py_serves_the_studio_with_a_model_directory(tmp_path, tiny_checkpoint):
    port = free_port()
    command = [
        sys.executable,
        "app.py",
        "--model",
        str(tiny_checkpoint),
        "--port",
        str(port),
        "--db",
        f"sqlite:///{tmp_path / 'studio.db'}",
    ]
    env = {**os.environ, "VAU_UPLOADS": str(tmp_path / "up"), "VAU_EXPORTS": str(tmp_path / "ex")}
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline, page = time.monotonic() + 120, None
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                page = _get(f"http://127.0.0.1:{port}/config")
            except OSError:
                time.sleep(0.5)
        assert page is not None, server.stdout.read() if server.poll() is not None else "timeout"
        assert "VAU-R1 Studio" in page
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def no_model(tmp_path_factory):
    """The Studio with login on and a checkpoint that cannot load."""
    settings = studio_settings(
        tmp_path_factory.mktemp("login"),
        users="ann:secret,rev:other:reviewer,boss:chief:admin",
        model="/no/such/model",
    )
    demo, url = launch(settings)
    demo.studio.models.wait(timeout=60)
    yield demo, url
    demo.close()


def test_wrong_password_is_refused(no_model):
    with pytest.raises(Exception, match="(?i)login|credentials|auth"):
        Client(no_model[1], auth=("ann", "wrong"), verbose=False)


def test_revisions_record_the_logged_in_user(no_model):
    demo, url = no_model
    ann = Client(url, auth=("ann", "secret"), verbose=False)
    fight = item_id(demo, "sample_fight.mp4", "grounding")
    call(ann, "open_item", fight, "")
    call(ann, "submit", "Anomaly", 6.0, 12.0, None, "", "", "someone else typed")
    (revision,) = demo.studio.store.history(fight, "ann")
    assert (revision.author, revision.status) == ("ann", "submitted")
    rev = Client(url, auth=("rev", "other"), verbose=False)
    out = call(rev, "approve", revision.id, "agreed", "")
    assert "Approved: ann&#x27;s correction of sample_fight.mp4 · Grounding" in out["Review status"]
    assert demo.studio.store.current(fight, "ann").reviewer == "rev"


def test_a_model_that_cannot_load_says_why_and_runs_are_refused(no_model):
    demo, url = no_model
    client = Client(url, auth=("ann", "secret"), verbose=False)
    assert "does not exist" in demo.studio.models.status().message
    call(client, "open_item", item_id(demo, "sample_fall.mp4", "grounding"), "")
    out = call(client, "run", "grounding", True, 2.0, 8, "", "", "", "", "", "")
    assert "did not load" in out["Run status"] and 'class="warn"' in out["Run status"]


def test_the_model_can_be_loaded_from_the_ui(no_model, tiny_checkpoint):
    demo, url = no_model
    client = Client(url, auth=("boss", "chief"), verbose=False)
    out = call(client, "load_model", str(tiny_checkpoint), "none", "cpu")
    assert "ready" in out["Model status"] and "ready" in out["Header"]
    assert demo.studio.models.engine is not None
