"""Endpoints with no page: the Studio's run and score for API clients and MCP agents.

`wire` registers them (gr.api); with `--mcp` they are also the MCP server's only tools
(`expose_tools`): the page's own endpoints take its state and stay API-only. Every call passes
the same Guard as the page, so a login decides who may run or score, through MCP too (the MCP
server forwards the caller's headers, cookie included, to these endpoints).
"""

from __future__ import annotations

import gradio as gr

from app import tools
from app.guard import Guard
from app.services import MODEL, STORE, Studio

# What an MCP client lists: these endpoints' function names (Gradio names tools by function).
TOOLS = ("list_videos", "run_video", "scan_video", "score_predictions")
MCP_PATH = "/gradio_api/mcp/"  # Gradio's streamable-HTTP MCP endpoint under the app's root


def wire(studio: Studio) -> None:
    """Register the API/MCP endpoints on the Blocks being built."""
    guard = Guard(studio).api

    @guard("view")
    def list_videos(request: gr.Request) -> list[dict]:
        """List the videos this Studio can run its model on.

        Returns:
            One entry per video: its name (what run_video takes), seconds and tasks.
        """
        return tools.video_list(studio)

    @guard("view")
    def run_video(
        video: str,
        task: str = "grounding",
        think: bool = True,
        question: str = "",
        options: list[str] | None = None,
        who: str = "",
        request: gr.Request = None,
    ) -> dict:
        """Run the Studio's loaded model on one of its videos and return the parsed answer.

        Args:
            video: the video's name, as list_videos gives it (for example sample_fight.mp4).
            task: grounding (when is the anomaly), classification, qa or description.
            think: reason in <think> before answering (the paper's think mode).
            question: the multiple-choice question, for the qa task only.
            options: the answer options, for the qa task only (two to four).
            who: your name, stored with the run (a Studio with a login records the login's).

        Returns:
            The run: checkpoint, run id, raw text, reasoning, answer and interval (seconds).
        """
        return tools.run_video(studio, video, task, think, question, options, who)

    @guard("view")
    def scan_video(video: str, who: str = "", request: gr.Request = None) -> dict:
        """Scan one of the Studio's videos with its loaded model: an anomaly score over time.

        Short windows of the video are each asked whether something abnormal happens; a
        window's score is 1 - the model's probability of the Normal answer. A stored scan by
        the same model and settings is returned without running again.

        Args:
            video: the video's name, as list_videos gives it (for example sample_fire.mp4).
            who: your name, stored with the scan (a Studio with a login records the login's).

        Returns:
            The checkpoint, whether the scan was stored already, the proposed interval in
            seconds (null: no anomaly), every segment, the threshold, and the curve.
        """
        return tools.scan_video(studio, video, who)

    @guard("view")
    def score_predictions(
        predictions: str, truth: str = "", task: str = "grounding", request: gr.Request = None
    ) -> dict:
        """Score a predictions file (JSON Lines, as `inference eval` writes) with the paper's
        metrics against one of the Studio's ground-truth CSVs.

        Args:
            predictions: the predictions file's text, one JSON object per line.
            truth: the ground-truth CSV's name (empty: the Studio's bundled samples).
            task: the task to score: qa, grounding or classification.

        Returns:
            The figures (one row per metric) and notes on what was scored.
        """
        return tools.score_text(studio, truth, task, predictions)

    gr.api(list_videos, api_name="list_videos", **STORE)
    gr.api(run_video, api_name="run_video", **MODEL)
    gr.api(scan_video, api_name="scan_video", **MODEL)
    gr.api(score_predictions, api_name="score_predictions", **STORE)


def expose_tools(demo: gr.Blocks) -> list[str]:
    """Keep only TOOLS in the launched app's MCP server (none when it serves no MCP)."""
    server = getattr(demo, "mcp_server_obj", None)
    if server is None:
        return []
    prefix = server.tool_prefix  # a Space's name and "_" before each tool's name
    server.tool_to_endpoint = {
        name: endpoint
        for name, endpoint in server.tool_to_endpoint.items()
        if name.removeprefix(prefix) in TOOLS
    }
    return list(server.tool_to_endpoint)
