"""The Training tab (admins): start a fine-tuning job on the approved corrections, watch its
progress, curves, rollouts and log, stop and resume it. The work is in app.training (planning),
app.training_jobs (the runner) and app.training_view (what a job's files say)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from annotate.errors import InvalidInput
from annotate.jobs import list_jobs
from app import training_charts, views
from app.evaluation import TWO_HEADERS
from app.guard import Guard
from app.held_out import comparison
from app.services import STORE, UI, Studio
from app.tabs.page import Page
from app.training import (
    ALL_TASKS,
    FORM_FIELDS,
    RECIPES,
    JobForm,
    count_examples,
    plan_job,
    preview_line,
)
from app.training_jobs import TrainingRunner
from app.training_view import (
    JOB_COLUMNS,
    curves,
    job_rows,
    latest_rollouts,
    log_tail,
    progress,
    tracker_line,
    zero_warnings,
)
from inference.core.tasks import TASKS
from train.card import list_checkpoints


@dataclass(slots=True, eq=False)
class TrainingTab:
    """The tab's components; `form` holds the inputs in FORM_FIELDS order."""

    form: list = None
    count: gr.HTML = None
    start: gr.Button = None
    msg: gr.HTML = None
    jobs: gr.Dataframe = None
    job: gr.Number = None
    stop: gr.Button = None
    resume: gr.Button = None
    refresh: gr.Button = None
    progress: gr.HTML = None
    curves: gr.Plot = None
    compare: gr.Dataframe = None
    rollouts: gr.HTML = None
    rollout_plot: gr.Plot = None
    log: gr.Code = None
    details: gr.JSON = None
    timer: gr.Timer = None


def counting(value: int, label: str, elem_id: str) -> gr.Number:
    """A whole-number field of at least 1 (steps, generations, videos)."""
    return gr.Number(value, precision=0, minimum=1, label=label, elem_id=elem_id)


def base_choices(studio: Studio) -> list[str]:
    """The base checkpoints offered: the loaded one, the bundled ones, those trained here."""
    loaded = studio.models.status().name
    local = [summary.path for summary in list_checkpoints(studio.settings.checkpoints)]
    return list(dict.fromkeys([c for c in (loaded, "world", "tiny", *local) if c]))


def build(studio: Studio) -> TrainingTab:
    """The tab's components, inside the current gr.Tabs."""
    t, d = TrainingTab(), JobForm()
    with gr.Tab("Training", id="training"):
        gr.Markdown(
            "Fine-tune the next checkpoint on the **approved corrections** (admins). Start runs "
            "`python -m train` in the background, one job at a time; the Studio keeps serving. "
            "SFT teaches the answer format and the corrected answers; GRPO then samples answers "
            "and rewards format, accuracy and interval IoU (start it from an SFT checkpoint). "
            "A finished checkpoint is listed in the Model tab. On this machine's CPU the "
            "recipes train the small toy models (`tiny`, `world`), not VAU-R1."
        )
        with gr.Row():
            recipe = gr.Radio(list(RECIPES), value=d.recipe, label="Recipe", elem_id="train-recipe")
            base = gr.Dropdown(
                base_choices(studio),
                value="tiny",
                allow_custom_value=True,
                label="Base checkpoint",
                scale=2,
                elem_id="train-base",
            )
            name = gr.Textbox(
                label="New checkpoint name",
                placeholder="e.g. round-2",
                scale=2,
                elem_id="train-name",
            )
        with gr.Row():
            task = gr.Dropdown(
                [ALL_TASKS, *TASKS], value=ALL_TASKS, label="Task", elem_id="train-task"
            )
            truth = gr.Checkbox(d.ground_truth, label="Add imported ground truth")
            think = gr.Checkbox(d.think, label="Reasoning in <think>", elem_id="train-think")
        t.count = gr.HTML(views.message_html(""), elem_id="train-count", label="Training data")
        with gr.Accordion(
            "Settings (each recipe's defaults)", open=False, elem_id="train-settings"
        ):
            with gr.Row():
                steps = counting(d.max_steps, "Max steps", "train-steps")
                save = counting(d.save_steps, "Save every N steps", "train-save")
                sft_lr = gr.Number(d.sft_lr, label="SFT learning rate")
                grpo_lr = gr.Number(d.grpo_lr, label="GRPO learning rate")
            with gr.Row():
                gens = counting(d.num_generations, "GRPO generations per prompt", "train-gens")
                length = counting(d.max_completion_length, "GRPO completion tokens", "train-length")
                temperature = gr.Number(d.temperature, label="GRPO temperature")
                beta = gr.Number(d.beta, label="GRPO KL beta")
                rollouts = counting(
                    d.rollout_steps, "Rollouts every N steps", "train-rollout-steps"
                )
        t.form = [
            recipe,
            base,
            name,
            task,
            truth,
            think,
            steps,
            save,
            sft_lr,
            grpo_lr,
            gens,
            length,
            temperature,
            beta,
            rollouts,
        ]
        t.start = gr.Button("Start training", variant="primary", elem_id="train-start")
        t.msg = gr.HTML(views.message_html(""), elem_id="train-msg", label="Training status")
        t.jobs = gr.Dataframe(
            headers=list(JOB_COLUMNS),
            interactive=False,
            wrap=True,
            label="Training jobs",
            elem_id="train-jobs",
        )
        with gr.Row():
            t.job = gr.Number(None, precision=0, label="Job", elem_id="train-job", scale=1)
            t.stop = gr.Button("Stop", elem_id="train-stop", scale=1)
            t.resume = gr.Button("Resume", elem_id="train-resume", scale=1)
            t.refresh = gr.Button("Refresh", scale=1)
        t.progress = gr.HTML("", elem_id="train-progress", label="Job progress")
        t.curves = gr.Plot(label="Metrics", elem_id="train-curves")
        t.compare = gr.Dataframe(headers=list(TWO_HEADERS), interactive=False, wrap=True,
                                 label="Evaluation: B (candidate) − A (loaded model)",
                                 elem_id="train-compare")  # fmt: skip
        gr.Markdown(
            "**Rollouts**: the sampled completions of the last logged GRPO step, each "
            "with its reward per component; grounding ones on the video's timeline."
        )
        t.rollouts = gr.HTML("", elem_id="train-rollouts", label="Rollouts")
        t.rollout_plot = gr.Plot(label="Rollout intervals", elem_id="train-rollout-plot")
        with gr.Accordion("Job log", open=False):
            t.log = gr.Code("", language=None, label="Job log", elem_id="train-log")
        t.details = gr.JSON(label="Job details", visible=False)
        t.timer = gr.Timer(2.0, active=False)
    return t


def wire(t: TrainingTab, page: Page, studio: Studio) -> None:
    """Start, watch, stop and resume jobs; the runner starts with the tab."""
    guard = Guard(studio)
    runner = studio.training = TrainingRunner(studio).start()
    recipe, _, _, task, truth, think = t.form[:6]

    @guard("watch_training", t.count)
    def on_count(recipe, task, ground_truth, think, request: gr.Request = None):
        form = JobForm(recipe=recipe, task=task, ground_truth=ground_truth, think=think)
        return {t.count: views.message_html(preview_line(count_examples(studio, form)))}

    for n, box in enumerate((recipe, task, truth, think)):
        named = "training_data" if n == 0 else False  # one endpoint for API callers
        box.change(on_count, [recipe, task, truth, think], [t.count], api_name=named, **STORE)

    def watched(job_id) -> dict:
        """The jobs table, the timer (on while a job waits or works) and the chosen job."""
        jobs, current = list_jobs(studio.store), runner.running
        active = any(job.active for job in jobs)
        shown = {t.jobs: job_rows(jobs, current), t.timer: gr.Timer(active=active)}
        chosen = next((j for j in jobs if job_id not in (None, "") and j.id == int(job_id)), None)
        if chosen is None:
            return shown
        p = progress(chosen, current)
        tracked = tracker_line(chosen)
        found, rollouts = curves(chosen), latest_rollouts(chosen)  # each file read once a tick
        lines = [f"{chosen.name}: {chosen.state} · {p.line()}", *zero_warnings(found)]
        lines += [tracked] if tracked else []
        figures = comparison(chosen)
        compared = figures.rows if figures else []
        return shown | {
            t.progress: views.lines_html(lines + (figures.notes if figures else [])),
            t.compare: {"headers": list(TWO_HEADERS), "data": compared},
            t.curves: training_charts.curves_figure(found),
            t.rollouts: training_charts.rollouts_html(rollouts),
            t.rollout_plot: training_charts.rollouts_figure(rollouts),
            t.log: log_tail(chosen),
            t.details: training_charts.details(chosen, p, found) | {"comparison": compared},
        }

    watching = [t.jobs, t.timer, t.progress, t.curves, t.compare, t.rollouts, t.rollout_plot,
                t.log, t.details]  # fmt: skip

    @guard("train", t.msg)
    def on_start(
        recipe,
        base,
        name,
        task,
        ground_truth,
        think,
        max_steps,
        save_steps,
        sft_lr,
        grpo_lr,
        num_generations,
        max_completion_length,
        temperature,
        beta,
        rollout_steps,
        who,
        request: gr.Request = None,
    ):
        values = dict(locals())
        form = JobForm(**{field: values[field] for field in FORM_FIELDS})
        job = plan_job(studio, form, who)
        runner.submitted()
        said = f"Job {job.id} queued: {job.recipe} from {job.base} to {job.out}"
        return {t.msg: views.message_html(said), t.job: job.id} | watched(job.id)

    t.start.click(
        on_start,
        [*t.form, page.name],
        [t.msg, t.job, *watching],
        api_name="start_training",
        **STORE,
    )

    @guard("watch_training", t.msg)
    def on_jobs(job_id, request: gr.Request = None):
        return watched(job_id)

    shown = [t.msg, *watching]  # a refusal is said in the status line
    t.refresh.click(on_jobs, [t.job], shown, api_name="training_jobs", **STORE)
    t.timer.tick(on_jobs, [t.job], shown, api_name=False, **STORE)
    t.job.change(on_jobs, [t.job], shown, api_name=False, **STORE)

    @guard("train", t.msg)
    def on_stop(job_id, who, request: gr.Request = None):
        job = runner.stop(_job_id(job_id))
        return {t.msg: views.message_html(f"Job {job.id}: {job.message}")} | watched(job.id)

    t.stop.click(on_stop, [t.job, page.name], [t.msg, *watching], api_name="stop_training", **STORE)

    @guard("train", t.msg)
    def on_resume(job_id, who, request: gr.Request = None):
        job = runner.resume(_job_id(job_id))
        return {t.msg: views.message_html(f"Job {job.id}: {job.message}")} | watched(job.id)

    t.resume.click(
        on_resume, [t.job, page.name], [t.msg, *watching], api_name="resume_training", **STORE
    )

    def on_pick(evt: gr.SelectData):
        row = evt.row_value or []
        return row[0] if row else gr.skip()  # the id column

    t.jobs.select(on_pick, None, [t.job], api_name=False, **UI)


def _job_id(value) -> int:
    """The job a field names; InvalidInput when it names none."""
    if value in (None, ""):
        raise InvalidInput("choose a job: click its row in the table, or type its id")
    return int(value)
