"""What the Training tab shows of a job, read from the files its recipe writes (metrics.jsonl,
rollouts.jsonl, job.log): progress, curves, warnings, rollouts. No Gradio here."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from annotate.records import TrainingJobRecord
from app.training_jobs import Running, log_path
from inference.core import protocol
from inference.core.parse import parse_response
from train.card import METRICS, TRACKIO_PROJECT
from train.rollouts import read_rollouts

# The curves the tab draws: label -> the metrics.jsonl key (TRL's names).
CURVES: dict[str, str] = {
    "loss": "loss",
    "eval loss": "eval_loss",
    "reward (sum)": "reward",
    "format reward": "rewards/format_reward/mean",
    "accuracy reward": "rewards/accuracy_reward/mean",
    "IoU reward": "rewards/iou_reward/mean",
    "KL": "kl",
    "completion length": "completions/mean_length",
}
REWARD_PARTS = ("format reward", "accuracy reward", "IoU reward")
TAIL_BYTES = 64_000  # of a job's log, read for the tab
ZERO_STEPS = 20  # a reward component at 0 for this many logged steps in a row gets a warning
JOB_COLUMNS = (
    "id",
    "checkpoint",
    "recipe",
    "state",
    "progress",
    "elapsed",
    "left",
    "by",
    "message",
)


def read_metrics(folder: str | Path) -> list[dict[str, Any]]:
    """The records of a run's metrics.jsonl (a line being written is skipped)."""
    try:
        lines = (Path(folder) / METRICS).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def stage_steps(job: TrainingJobRecord, stage: int) -> int:
    """How far a stage is: the last step a recipe logged, the videos drawn, the answers an
    evaluation wrote (0 before the first)."""
    spec = job.stages[stage]
    out = Path(spec["out"])
    if spec["recipe"] == "world":
        return min(len(list(out.glob("*.mp4"))), int(spec["max_steps"]))
    if spec["recipe"] == "eval":
        try:
            return sum(1 for line in out.read_text(encoding="utf-8").splitlines() if line.strip())
        except OSError:
            return 0
    records = read_metrics(out)
    return max((int(r.get("step") or 0) for r in records), default=0)


@dataclass(frozen=True)
class Progress:
    """Where a job stands: its stage, step of max steps, time spent and an estimate of the rest."""

    stage: int
    stages: int
    step: int
    total: int
    elapsed_s: float | None
    left_s: float | None
    unit: str = "step"  # what is counted: steps, or videos drawn or answered

    def line(self) -> str:
        """ "stage 1 of 2 · step 12 / 50" and the times."""
        head = f"{self.unit} {self.step} / {self.total}"
        if self.stages > 1:
            head = f"stage {self.stage + 1} of {self.stages} · {head}"
        return head


def progress(job: TrainingJobRecord, running: Running | None) -> Progress:
    """The job's progress; the time left is estimated from the steps its process has run."""
    step, total = stage_steps(job, job.stage), int(job.stages[job.stage]["max_steps"])
    elapsed = None
    if job.started_at is not None:
        end = job.ended_at.timestamp() if job.ended_at else time.time()
        elapsed = max(0.0, end - job.started_at.timestamp())
    left = None
    if running is not None and running.job_id == job.id and running.stage == job.stage:
        now = time.time()
        if running.seen is None:
            running.seen = (now, step)
        first_time, first_step = running.seen
        later = sum(int(s["max_steps"]) for s in job.stages[job.stage + 1 :])
        if step > first_step and now > first_time:
            left = (now - first_time) / (step - first_step) * (total - step + later)
    unit = "step" if job.stages[job.stage]["recipe"] in ("sft", "grpo") else "video"
    return Progress(job.stage, len(job.stages), step, total, elapsed, left, unit)


def duration(seconds: float | None) -> str:
    """12 s, 3 min 5 s, 1 h 02 min; blank when unknown."""
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def job_rows(jobs: list[TrainingJobRecord], running: Running | None) -> list[list[Any]]:
    """The jobs table, newest first."""
    rows = []
    for job in reversed(jobs):
        p = progress(job, running)
        rows.append(
            [
                job.id,
                job.name,
                job.recipe,
                job.state,
                p.line(),
                duration(p.elapsed_s),
                duration(p.left_s),
                job.created_by,
                job.message,
            ]
        )
    return rows


Curves = dict[str, list[tuple[int, float]]]  # what curves() reads, for everything drawn from it


def curves(job: TrainingJobRecord) -> Curves:
    """Each curve's (step, value) points over the job's stages (named by stage when several)."""
    found: Curves = {}
    for stage in job.stages[: job.stage + 1]:
        if stage["recipe"] not in ("sft", "grpo"):
            continue
        prefix = f"{stage['recipe'].upper()} " if len(job.stages) > 1 else ""
        for record in read_metrics(stage["out"]):
            for label, key in CURVES.items():
                value = record.get(key)
                if isinstance(value, int | float) and "step" in record:
                    found.setdefault(prefix + label, []).append((int(record["step"]), value))
    return found


def zero_warnings(found: Curves, steps: int = ZERO_STEPS) -> list[str]:
    """A line per reward component (of a job's `curves`) that has been 0 for the last `steps`
    logged steps."""
    said = []
    for label, points in found.items():
        if not label.endswith(REWARD_PARTS):
            continue
        last = [value for _, value in points[-steps:]]
        if len(last) >= steps and all(value == 0 for value in last):
            said.append(
                f"{label} has been 0 for the last {steps} logged steps: look at the "
                "rollouts below (format? intervals?) before training further"
            )
    return said


def tracker_line(job: TrainingJobRecord) -> str | None:
    """Where the job's metrics are also logged, when trackio is installed (its own dashboard)."""
    runs = [Path(s["out"]).name for s in job.stages if s["recipe"] in ("sft", "grpo")]
    if not runs or find_spec("trackio") is None:
        return None
    return (f"Also logged to trackio (runs {', '.join(runs)}): open its dashboard with "
            f"`trackio show --project {TRACKIO_PROJECT}`")  # fmt: skip


def log_tail(job: TrainingJobRecord, lines: int = 60) -> str:
    """The end of the job's log."""
    try:
        with log_path(job).open("rb") as handle:  # the end only: a long job's log grows
            handle.seek(max(0, handle.seek(0, 2) - TAIL_BYTES))
            text = handle.read().decode("utf-8", errors="replace")  # \r kept: progress bars
    except OSError:
        return ""
    # Progress bars redraw with carriage returns; keep each line's last state.
    kept = [line.rsplit("\r", 1)[-1] for line in text.rstrip("\n").split("\n")]
    return "\n".join(kept[-lines:])


@dataclass(frozen=True)
class Rollout:
    """One prompt's sampled completions at a step, with their rewards and parsed intervals."""

    step: int
    prompt: str
    task: str
    truth: tuple[float, float] | None
    completions: list[dict[str, Any]]  # text, rewards, total, interval


def latest_rollouts(job: TrainingJobRecord) -> list[Rollout]:
    """The GRPO stage's rollouts at the last step it wrote them."""
    grpo = [s for s in job.stages if s["recipe"] == "grpo"]
    if not grpo:
        return []
    lines = read_rollouts(grpo[-1]["out"], limit=200)
    if not lines:
        return []
    step = lines[-1]["step"]
    found = []
    for line in (line for line in lines if line["step"] == step):
        task = line.get("task", "grounding")
        truth = line.get("interval")
        truth = (float(truth[0]), float(truth[1])) if protocol.has_span(truth) else None
        completions = [
            c | {"interval": parse_response(c["text"], task).interval} for c in line["completions"]
        ]
        found.append(Rollout(step, line["prompt"], task, truth, completions))
    return found
