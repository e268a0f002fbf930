"""The Studio's page, one module per tab: each owns its components (a small dataclass), its
layout and its wiring; the work behind them is Gradio-free (app.items, app.runs, ...).

`build(studio, blocks)` lays out the header and the tabs inside `blocks` and wires them.
"""

from __future__ import annotations

import gradio as gr

from app.services import Studio
from app.tabs import demo, model, page, progress, review, training
from app.tabs import studio as studio_tab


def build(studio: Studio, blocks: gr.Blocks) -> None:
    """Every tab, in the order the page shows them, wired to its handlers."""
    shared = page.build(studio)
    with gr.Tabs(selected=studio.settings.first_tab) as shared.tabs:
        demo_tab = demo.build(studio)
        annotate = studio_tab.build(studio)
        review_tab = review.build(studio)
        progress_tab = progress.build(studio)
        model_tab = model.build(studio)
        training_tab = training.build(studio)
    page.wire(shared, studio, blocks)
    studio_tab.wire(annotate, shared, studio, blocks)
    review.wire(review_tab, shared, studio, blocks)
    progress.wire(progress_tab, shared, studio, blocks, annotate)
    model.wire(model_tab, shared, studio)
    training.wire(training_tab, shared, studio)
    demo.wire(demo_tab, shared, studio, blocks, annotate)
