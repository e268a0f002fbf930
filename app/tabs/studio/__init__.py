"""The Studio tab: pick or upload a video, run the model, step through its reasoning, correct
the answer, interval, class and reasoning, and keep every revision.

Its components (app.tabs.studio.components) are wired by job: items and the queue, runs, the
reasoning steps and the interval, corrections. The work itself is Gradio-free (app.items,
app.runs, app.corrections).
"""

from __future__ import annotations

import gradio as gr

from app import items
from app.services import Studio
from app.tabs.page import Page
from app.tabs.studio import components, correct, queue, run, steps
from app.tabs.studio.components import StudioTab

__all__ = ["StudioTab", "build", "wire"]


def build(studio: Studio) -> StudioTab:
    """The tab's components, inside the current gr.Tabs."""
    return components.build(items.queue_choices(studio), items.item_sources(studio))


def wire(s: StudioTab, page: Page, studio: Studio, blocks: gr.Blocks) -> None:
    """Connect every component of the tab to its handler."""
    queue.wire(s, page, studio, blocks)
    run.wire(s, page, studio)
    steps.wire_steps(s)
    steps.wire_interval(s)
    correct.wire(s, page, studio)
