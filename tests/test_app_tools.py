"""The Studio's run and score as API endpoints and MCP tools (`python app.py --mcp`).

The same functions answer gradio_client and an MCP client (the `mcp` package's own client over
streamable HTTP), behind the same Guard as the page: with a login, an MCP caller without the
login's cookie is refused and one with it runs under its own name.
"""

from __future__ import annotations

import ast
import asyncio
import json

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from app import api
from app.settings import Settings, SettingsError, from_sources
from inference.core.vaubench import read_bench_csv
from tests.app_helpers import SCRIPTED, ScriptedEngine, launch, studio_settings
from tests.test_scoring import perfect

SAMPLES = ("sample_fall.mp4", "sample_fight.mp4", "sample_fire.mp4", "sample_normal.mp4")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = studio_settings(tmp_path_factory.mktemp("tools"), model=SCRIPTED, mcp=True)
    demo, url = launch(settings, engine=ScriptedEngine())
    yield demo, url
    demo.close()


def mcp_call(url: str, tool: str | None = None, arguments: dict | None = None, **headers):
    """List the MCP server's tools (tool=None) or call one: (is_error, text) for a call."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def talk():
        async with (
            streamablehttp_client(url + api.MCP_PATH.lstrip("/"), headers=headers) as (r, w, _),
            ClientSession(r, w) as session,
        ):
            await session.initialize()
            if tool is None:
                return [t.name for t in (await session.list_tools()).tools]
            result = await session.call_tool(tool, arguments or {})
            return result.isError, " ".join(c.text for c in result.content)

    return asyncio.run(talk())


def sample_predictions() -> str:
    """The samples' own truth written back as a model's grounding answers, as JSON Lines."""
    rows = read_bench_csv(Settings().samples).rows
    records = [perfect(r, "grounding") | {"video": r.video, "task": "grounding"} for r in rows]
    return "".join(json.dumps(r) + "\n" for r in records)


# --- the API --------------------------------------------------------------------------------


def test_list_videos_names_every_video_on_this_machine_with_its_tasks(studio):
    _, url = studio
    listed = Client(url, verbose=False).predict(api_name="/list_videos")
    assert tuple(v["video"] for v in listed) == SAMPLES
    assert all(v["tasks"] == ["classification", "description", "grounding", "qa"] for v in listed)


def test_run_video_returns_the_parsed_answer_and_records_the_run(studio):
    demo, url = studio
    ran = Client(url, verbose=False).predict(
        "sample_fight.mp4", "grounding", True, "", None, "ann", api_name="/run_video"
    )
    assert (ran["answer"], ran["interval"], ran["checkpoint"]) == ("Anomaly", [6.0, 12.0], SCRIPTED)
    stored = demo.studio.store.get_run(ran["run_id"])
    assert stored.created_by == "ann" and stored.raw == ran["raw"]


@pytest.mark.parametrize(
    ("video", "task", "said"),
    [
        ("nope.mp4", "grounding", "no video called 'nope.mp4'"),
        ("sample_fight.mp4", "dance", "unknown task 'dance'"),
    ],
)
def test_run_video_refuses_what_it_cannot_run_in_words(studio, video, task, said):
    _, url = studio
    with pytest.raises(AppError, match=said):
        Client(url, verbose=False).predict(video, task, api_name="/run_video")


def test_score_predictions_scores_jsonl_text_against_the_samples(studio):
    _, url = studio
    found = Client(url, verbose=False).predict(sample_predictions(), api_name="/score_predictions")
    figures = {row["figure"]: row["value"] for row in found["figures"]}
    assert figures["mIoU"] == figures["R@0.7"] == pytest.approx(100.0)
    assert "samples.csv" in " ".join(found["notes"])


def test_empty_predictions_are_refused_in_words(studio):
    _, url = studio
    with pytest.raises(AppError, match="predictions are empty"):
        Client(url, verbose=False).predict(" ", api_name="/score_predictions")


# --- MCP ------------------------------------------------------------------------------------


def test_the_mcp_server_lists_only_the_studios_tools(studio):
    _, url = studio
    assert sorted(mcp_call(url)) == sorted(api.TOOLS)


def test_an_mcp_agent_runs_the_model_on_a_named_video(studio):
    demo, url = studio
    failed, text = mcp_call(
        url, "run_video", {"video": "sample_fire.mp4", "task": "classification"}
    )
    ran = ast.literal_eval(text)  # Gradio hands a dict to MCP as its repr
    assert not failed and (ran["video"], ran["answer"]) == ("sample_fire.mp4", "Fighting")
    assert demo.studio.store.get_run(ran["run_id"]).parsed["answer"] == "Fighting"


def test_an_mcp_agent_is_told_what_went_wrong(studio):
    _, url = studio
    failed, text = mcp_call(url, "run_video", {"video": "nope.mp4"})
    assert failed and "no video called 'nope.mp4'" in text and "sample_fall.mp4" in text


def test_without_mcp_there_is_no_mcp_server(tmp_path):
    demo, url = launch(studio_settings(tmp_path, model=SCRIPTED), engine=ScriptedEngine())
    try:
        assert api.expose_tools(demo) == []
        assert httpx.get(url + api.MCP_PATH.lstrip("/")).status_code == 404
    finally:
        demo.close()


def test_an_mcp_run_records_the_name_the_agent_gives(studio):
    demo, url = studio
    failed, text = mcp_call(url, "run_video", {"video": "sample_fall.mp4", "who": "agent-7"})
    assert not failed and demo.studio.store.get_run(
        ast.literal_eval(text)["run_id"]
    ).created_by == ("agent-7")


def test_an_mcp_caller_meets_the_pages_guard(studio, monkeypatch):
    demo, url = studio
    from app import roles

    def refuse(identity, action):
        raise roles.NotAllowed(f"only an admin may {action} here")

    monkeypatch.setattr(roles, "require", refuse)  # the one check every handler calls
    before = demo.studio.store.counts().runs
    failed, text = mcp_call(url, "run_video", {"video": "sample_fall.mp4"})
    assert failed and "only an admin may view here" in text
    assert demo.studio.store.counts().runs == before


# --- settings ---------------------------------------------------------------------------------


def test_mcp_is_a_flag_and_a_variable():
    assert from_sources(["--mcp"], environ={}).mcp
    assert from_sources([], environ={"VAU_MCP": "1"}).mcp
    assert not from_sources([], environ={}).mcp


def test_mcp_with_a_password_login_is_refused_at_start():
    with pytest.raises(SettingsError, match="--mcp does not work with a --users login"):
        Settings(mcp=True, users="ann:pw-a").validate()


def test_mcp_without_the_package_is_refused_at_start(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "mcp" else real(n))
    with pytest.raises(SettingsError, match="--mcp needs the mcp package"):
        Settings(mcp=True).validate()


def test_run_video_runs_the_projects_tiny_checkpoint(tmp_path):
    demo, url = launch(studio_settings(tmp_path, model="tiny"))  # loaded as a real one is
    try:
        ran = Client(url, verbose=False).predict("sample_normal.mp4", api_name="/run_video")
        assert ran["checkpoint"] == "tiny" and ran["raw"]  # noise, but the tiny model's own
        stored = demo.studio.store.get_run(ran["run_id"])
        assert stored.settings["model_source"] != "scripted (no model)"
    finally:
        demo.close()
