"""The Model tab: load a checkpoint (admins), and the checkpoints trained here."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from app import checkpoints, views
from app.guard import Guard
from app.held_out import DEFAULT_COUNT, plan_evaluation
from app.prelabel_jobs import PrelabelJobs
from app.services import MODEL, STORE, UI, Studio
from app.settings import DEVICES, QUANTS
from app.tabs.page import Page
from app.tabs.training import counting
from inference.core.tasks import TASKS
from inference.eval.scoring import SCORED_TASKS
from inference.models.named import WORLD_NOTE
from train.card import SUMMARY_COLUMNS


@dataclass(slots=True, eq=False)
class ModelTab:
    """The Model tab's components."""

    name: gr.Textbox = None
    quant: gr.Dropdown = None
    device: gr.Dropdown = None
    load: gr.Button = None
    plan: gr.Button = None
    msg: gr.HTML = None
    table: gr.Dataframe = None
    refresh: gr.Button = None
    pl_task: gr.Dropdown = None
    pl_think: gr.Checkbox = None
    pl_samples: gr.Number = None
    pl_scan: gr.Checkbox = None
    pl_start: gr.Button = None
    pl_msg: gr.HTML = None
    pl_timer: gr.Timer = None
    ev_count: gr.Number = None
    ev_task: gr.Dropdown = None
    ev_think: gr.Checkbox = None
    ev_start: gr.Button = None
    ev_msg: gr.HTML = None


def build(studio: Studio) -> ModelTab:
    """The tab's components, inside the current gr.Tabs."""
    t, settings = ModelTab(), studio.settings
    with gr.Tab("Model", id="model"):
        gr.Markdown(
            "Load a Qwen2.5-VL or Qwen2-VL checkpoint: a hub id (cached locally when offline), "
            f"a local directory, `world` (a {WORLD_NOTE}) or `tiny` (a random-weight test model "
            "built on this machine)."
        )
        with gr.Row():
            t.name = gr.Textbox(
                value=settings.model or "", label="Checkpoint", scale=3, elem_id="model-name"
            )
            t.quant = gr.Dropdown(list(QUANTS), value=settings.quant, label="Quantization")
            t.device = gr.Dropdown(list(DEVICES), value=settings.device, label="Device")
        with gr.Row():
            t.load = gr.Button("Load model", variant="primary", elem_id="load-btn", scale=3)
            t.plan = gr.Button("Memory plan", elem_id="plan-btn", scale=1)
        t.msg = gr.HTML(views.message_html(""), elem_id="model-msg", label="Model status")
        gr.Markdown(
            f"Checkpoints trained here (`python -m train ... --out {settings.checkpoints}/NAME`); "
            "pick one to load it. Each stored run names the checkpoint it came from, so the "
            "History compares old and new models on the same item."
        )
        t.table = gr.Dataframe(
            value=checkpoints.checkpoint_rows(studio),
            headers=list(SUMMARY_COLUMNS),
            interactive=False,
            wrap=True,
            label="Local checkpoints",
            elem_id="checkpoints",
        )
        t.refresh = gr.Button("Refresh the list", size="sm")
        _evaluate_panel(t)
        _prelabel_panel(t)
    return t


def _evaluate_panel(t: ModelTab) -> None:
    """Compare the checkpoint named above with the loaded model before loading it (admins)."""
    with gr.Accordion("Evaluate before loading (admins)", open=False, elem_id="evaluate-panel"):
        gr.Markdown(
            "The checkpoint named above (B) and the loaded model (A) answer the same held-out "
            "videos of the world's test split, with the same settings; the Training tab shows "
            "the job and then the paired comparison, B − A with 95% intervals over videos. Load "
            "B when it is better."
        )
        with gr.Row():
            t.ev_count = counting(DEFAULT_COUNT, "Held-out videos", "evaluate-count")
            t.ev_task = gr.Dropdown(list(SCORED_TASKS), value="grounding", label="Task")
            t.ev_think = gr.Checkbox(False, label="Think")
        t.ev_start = gr.Button("Evaluate against the loaded model", elem_id="evaluate-btn")
        t.ev_msg = gr.HTML(views.message_html(""), elem_id="evaluate-msg",
                           label="Evaluation status")  # fmt: skip


def _prelabel_panel(t: ModelTab) -> None:
    """Start a pre-label pass (admins) and watch it."""
    with gr.Accordion("Pre-label the queue (admins)", open=False, elem_id="prelabel-panel"):
        gr.Markdown(
            "Runs the loaded model on every item of a task and stores each run as a pre-label "
            "(as `python -m app.prelabel` does): the item opens with it, the correction form "
            "starts from it. Items already pre-labelled by this model are skipped. Sampled "
            "answers measure each item's uncertainty and fill the work queue *most uncertain "
            "first*. The Studio keeps serving while it works."
        )
        with gr.Row():
            t.pl_task = gr.Dropdown(list(TASKS), value="grounding", label="Task")
            t.pl_samples = gr.Number(
                value=0, precision=0, minimum=0, label="Sampled answers", elem_id="prelabel-samples"
            )
            t.pl_think = gr.Checkbox(True, label="Think")
            t.pl_scan = gr.Checkbox(False, label="Also scan each video")
        t.pl_start = gr.Button("Start pre-labelling", elem_id="prelabel-btn")
        t.pl_msg = gr.HTML(views.message_html(""), elem_id="prelabel-msg", label="Pre-label status")
        t.pl_timer = gr.Timer(2.0, active=False)


def wire(t: ModelTab, page: Page, studio: Studio) -> None:
    """Loading (one at a time, in the model's group), listing, and picking a checkpoint."""
    guard = Guard(studio)

    @guard("load_model", t.msg)
    def on_load(name, quant, device, request: gr.Request):
        status = checkpoints.load_model(studio, name, quant, device)
        ok = status.state == "ready" and status.name == (name or "").strip()  # not the old one
        return {
            page.header: views.header_html(status),
            t.msg: views.message_html(status.message, ok=ok),
        }

    inputs = [t.name, t.quant, t.device]
    t.load.click(on_load, inputs, [page.header, t.msg], api_name="load_model", **MODEL)

    @guard("load_model", t.msg)
    def on_plan(name, quant, device, request: gr.Request):
        return {t.msg: views.lines_html(checkpoints.memory_plan(studio, name, quant, device))}

    t.plan.click(on_plan, inputs, [t.msg], api_name="memory_plan")

    @guard("load_model")
    def on_refresh(request: gr.Request):
        return checkpoints.checkpoint_rows(studio)

    t.refresh.click(on_refresh, None, [t.table], api_name="checkpoints")

    def on_pick(evt: gr.SelectData):
        row = evt.row_value or []
        return row[-1] if row else gr.skip()  # the path column

    t.table.select(on_pick, None, [t.name], api_name=False, **UI)
    _wire_evaluate(t, page, studio, guard)
    _wire_prelabel(t, page, studio, guard)


def _wire_evaluate(t: ModelTab, page: Page, studio: Studio, guard: Guard) -> None:
    """Queue the comparison of a checkpoint with the loaded model on the Training tab's runner."""

    @guard("train", t.ev_msg)
    def on_evaluate(name, count, task, think, who, request: gr.Request = None):
        job = plan_evaluation(studio, name, count, task, bool(think), who)
        studio.training.submitted()
        asked = job.data["evaluation"]
        said = (f"Evaluation queued as job {job.id}: A {asked['a']}, B {asked['b']} on "
                f"{asked['count']} held-out videos; follow it in the Training tab")  # fmt: skip
        return {t.ev_msg: views.message_html(said)}

    inputs = [t.name, t.ev_count, t.ev_task, t.ev_think, page.name]
    t.ev_start.click(on_evaluate, inputs, [t.ev_msg], api_name="evaluate_checkpoint", **STORE)


def _wire_prelabel(t: ModelTab, page: Page, studio: Studio, guard: Guard) -> None:
    """Start (admins) and follow the Studio's one pre-label pass."""
    jobs = studio.prelabels = PrelabelJobs(studio)

    def shown(state) -> dict:
        ok = state.state != "failed"
        return {
            t.pl_msg: views.message_html(state.line(), ok=ok),
            t.pl_timer: gr.Timer(active=state.running),
        }

    @guard("prelabel", t.pl_msg)
    def on_start(task, think, samples, scan, who, request: gr.Request = None):
        return shown(jobs.start(task, who, bool(think), int(samples or 0), bool(scan)))

    inputs = [t.pl_task, t.pl_think, t.pl_samples, t.pl_scan, page.name]
    outputs = [t.pl_msg, t.pl_timer]
    t.pl_start.click(on_start, inputs, outputs, api_name="start_prelabel")

    @guard("prelabel", t.pl_msg)
    def on_status(request: gr.Request = None):
        return shown(jobs.status())

    t.pl_timer.tick(on_status, None, outputs, api_name="prelabel_status")
