"""The page is assembled from one module per tab: the tabs in their order, nothing else inside
the tab bar (a stray component there relabels the tabs after it), and each tab's endpoints."""

from __future__ import annotations

import gradio as gr
import pytest

from app.ui import build_app
from tests.app_helpers import studio_settings

TABS = [("demo", "Demo"), ("studio", "Studio"), ("review", "Review"),
        ("progress", "Progress & export"), ("model", "Model"),
        ("training", "Training")]  # fmt: skip


@pytest.fixture(scope="module")
def blocks(tmp_path_factory):
    demo = build_app(studio_settings(tmp_path_factory.mktemp("tabs")))
    yield demo
    demo.studio.training.close()
    demo.studio.store.close()


def tab_bar(blocks: gr.Blocks) -> gr.Tabs:
    return next(b for b in blocks.blocks.values() if isinstance(b, gr.Tabs))


def test_the_tab_bar_holds_the_six_tabs_in_order_and_nothing_else(blocks):
    children = tab_bar(blocks).children
    assert all(isinstance(child, gr.Tab) for child in children)
    assert [(tab.id, tab.label) for tab in children] == TABS


def test_the_api_names_every_tab_serves(blocks):
    named = {fn.api_name for fn in blocks.fns.values() if fn.api_visibility == "public"}
    assert {"open_item", "next_item", "skip_item", "upload", "task", "run", "run_all", "stop",
            "save_draft", "submit", "restore", "take_model_answer", "discard_edits", "pin",
            "unpin", "approve", "reject", "review_queue", "score_description", "progress",
            "export", "evaluate", "send_to_queue", "load_model", "memory_plan", "checkpoints",
            "demo_task", "demo_replay", "demo_open", "demo_live", "training_data",
            "start_training", "training_jobs", "stop_training",
            "resume_training", "evaluate_checkpoint"} <= named  # fmt: skip
