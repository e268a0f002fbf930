"""The Space folder written by `python -m app.deploy`: front matter, pins, code and samples."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from gradio_client import Client

from app.deploy import (
    DeployError,
    SpaceConfig,
    main,
    readme,
    requirement_name,
    requirements,
    write_space,
)
from tests.app_helpers import call, call_streamed, free_port


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    block, _, _ = text[4:].partition("\n---\n")
    return yaml.safe_load(block)


@pytest.fixture(scope="module")
def space(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("space") / "studio"
    write_space(out, SpaceConfig(org="vau-lab"))
    return out


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sdk", "gradio"),
        ("sdk_version", metadata.version("gradio")),
        ("python_version", "3.12"),
        ("app_file", "app.py"),
        ("hf_oauth", True),
        ("hf_oauth_authorized_org", "vau-lab"),
    ],
)
def test_readme_front_matter(space: Path, key: str, value: object) -> None:
    assert front_matter((space / "README.md").read_text())[key] == value


def test_no_org_means_any_hugging_face_account() -> None:
    assert "hf_oauth_authorized_org" not in front_matter(readme(SpaceConfig()))


def test_requirements_pin_zero_gpu_torch(space: Path) -> None:
    lines = (space / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if "==" in line)
    assert pins["torch"] == "2.8.0" and pins["torchvision"] == "0.23.0"
    assert pins["gradio[oauth]"] == metadata.version("gradio")
    assert pins["spaces"] == "0.51.3"


def test_every_runtime_requirement_is_pinned(tmp_path: Path) -> None:
    source = tmp_path / "requirements.txt"
    source.write_text("# comment\n\ngradio[oauth]>=1\nnot-installed-pkg>=1.2  # why\ntorch>=9\n")
    assert requirements(source).splitlines()[1:] == [
        f"gradio[oauth]=={metadata.version('gradio')}",
        "not-installed-pkg>=1.2",
        "torch==2.8.0",
        "spaces==0.51.3",
    ]


@pytest.mark.parametrize(
    ("line", "name"),
    [("torch>=2.8", "torch"), ("huggingface_hub[cli]==1", "huggingface-hub"), ("# x", None)],
)
def test_requirement_name(line: str, name: str | None) -> None:
    assert requirement_name(line) == name


@pytest.mark.parametrize(
    "path",
    ["app.py", "app/ui.py", "app/gpu.py", "inference/backends/engine.py", "annotate/backup.py"],
)
def test_the_code_is_copied(space: Path, path: str) -> None:
    assert (space / path).is_file()


def test_samples_ship_and_caches_do_not(space: Path) -> None:
    assert sorted(p.name for p in (space / "assets" / "samples").glob("*.mp4"))
    assert (space / "assets" / "samples.csv").is_file()
    world = space / "assets" / "world-samples"  # the Space's gallery shows the world videos too
    assert (world / "world.csv").is_file() and len(list(world.glob("world_*.mp4"))) == 4
    assert not list(space.rglob("__pycache__"))


def test_refuses_a_folder_with_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main([str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


# --- the written folder runs as a Space ---------------------------------------------------------


def _serve(folder: Path, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(server: subprocess.Popen, url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    output = server.stdout.read() if server.poll() is not None else "timeout"
    pytest.fail(f"the Space did not start: {output}")


def test_the_space_folder_starts_on_the_demo_with_no_model_gpu_or_network(tmp_path):
    folder = tmp_path / "space"
    write_space(folder)
    port = free_port()
    env = {
        **os.environ,
        "SPACE_ID": "owner/vau-r1-studio",  # what the platform sets; no SPACES_ZERO_GPU here
        "HF_HUB_OFFLINE": "1",
        "VAU_REPLAY_CPS": "0",
        "VAU_HOST": "127.0.0.1",  # a Space would listen on every interface; a test need not
    }
    env.pop("VAU_MODEL", None)
    server = _serve(folder, port, env)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(server, url + "config")
        client = Client(url, verbose=False)
        config = client.config
        tabs = [c for c in config["components"] if c.get("type") == "tabs"]
        assert tabs and tabs[0]["props"]["selected"] == "demo"  # a Space lands on the demo
        # An anonymous visitor of a Space sees the demo only; a typed name does not sign in.
        refused = call(client, "next_item", "visitor")["Save status"]
        assert "sign in to save corrections; visitors see the demo" in refused
        out = call_streamed(client, "demo_open", 1, None)  # the first sample's video
        assert "REFERENCE" in out["Demo badge"] and "Step 1 of 6" in out["Steps"]
        assert (folder / "var" / "studio.db").is_file()  # the store lives in the Space folder
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_an_organisation_role_is_a_variable_the_readme_and_the_command_name(tmp_path, capsys):
    out = tmp_path / "space"
    assert main([str(out), "--org", "vau-lab", "--org-role", "reviewer"]) == 0
    assert "VAU_ORG_ROLES=vau-lab:reviewer" in (out / "README.md").read_text()
    assert "set the Space variable VAU_ORG_ROLES=vau-lab:reviewer" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (SpaceConfig(org_role="reviewer"), "--org-role needs --org"),
        (SpaceConfig(org="vau-lab", org_role="owner"), "--org-role must be one of"),
    ],
)
def test_an_organisation_role_needs_an_organisation_and_a_known_role(tmp_path, config, says):
    with pytest.raises(DeployError, match=says):
        write_space(tmp_path / "space", config)
    assert not (tmp_path / "space").exists()
