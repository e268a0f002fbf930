"""Evaluate before loading: a candidate checkpoint and the loaded model answer the same held-out
videos (the world's test split), and the paired comparison with intervals says whether the
candidate is better. It runs as a job of the Studio's runner, in three stages: draw the videos
(`python -m world generate`, kept for later evaluations), then `python -m inference eval` for A
(the loaded model) and B (the candidate) with the same settings. No Gradio here."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from annotate.errors import InvalidInput
from annotate.jobs import add_job
from annotate.records import TrainingJobRecord
from app.checkpoints import checkpoint_name
from app.evaluation import Figures, score_files
from app.services import Studio
from app.training import work_folder
from inference.eval.scoring import SCORED_TASKS

EVALUATE = "evaluate"  # the job's recipe: what the jobs table shows
DEFAULT_COUNT = 20  # held-out videos per evaluation
MAX_COUNT = 1000
FINISHED = "finished: the comparison is below (A: the loaded model, B: the candidate)"


def held_out_folder(studio: Studio) -> Path:
    """Where the world's test-split videos are drawn, once, for every evaluation."""
    return Path(studio.settings.exports) / "held-out" / "world-test"


def world_sampling() -> list[str]:
    """The world's own sampling flags: both models see the videos as the world model was
    trained to (one frame a second at the clips' size)."""
    from world.recipe import Recipe

    return Recipe.read().sampling_flags()


def plan_evaluation(studio: Studio, candidate: str | None, count: int, task: str, think: bool,
                    who: str) -> TrainingJobRecord:  # fmt: skip
    """Queue the evaluation of `candidate` (B) against the loaded model (A)."""
    candidate = checkpoint_name(candidate)
    serving = studio.models.status()
    if serving.state != "ready" or not serving.name:
        raise InvalidInput("load the model to compare against first (it is A; the candidate B)")
    if candidate == serving.name:
        raise InvalidInput(f"{candidate} is the loaded model: name another checkpoint to compare")
    if task not in SCORED_TASKS:
        raise InvalidInput(f"choose a task: {', '.join(SCORED_TASKS)}")
    if not isinstance(count, int | float) or not 1 <= int(count) <= MAX_COUNT:
        raise InvalidInput(f"held-out videos: a number from 1 to {MAX_COUNT}")
    count = int(count)
    name = f"eval-{time.strftime('%Y%m%d-%H%M%S')}"
    folder, videos = work_folder(studio, name), held_out_folder(studio)
    draw = [sys.executable, "-m", "world", "generate", "--out", str(videos), "--count",
            str(count), "--split", "test"]  # fmt: skip
    stages = [{"recipe": "world", "argv": draw, "out": str(videos), "max_steps": count}]
    for label, model in (("A", serving.name), ("B", candidate)):
        out = folder / f"{label}.jsonl"
        argv = eval_command(studio, model, videos, task, think, out)
        stages.append({"recipe": "eval", "argv": argv, "out": str(out), "max_steps": count})
    data = {"folder": str(folder), "finished": FINISHED,
            "evaluation": {"csv": str(videos / "world.csv"), "task": task, "a": serving.name,
                           "b": candidate, "count": count, "think": think}}  # fmt: skip
    settings = {"count": count, "task": task, "think": think}
    return add_job(studio.store, name=name, recipe=EVALUATE, base=serving.name, stages=stages,
                   data=data, settings=settings, created_by=who)  # fmt: skip


def eval_command(studio: Studio, model: str, videos: Path, task: str, think: bool,
                 out: Path) -> list[str]:  # fmt: skip
    """`python -m inference eval` of one model on the held-out videos (the same for A and B)."""
    settings = studio.settings
    return [sys.executable, "-m", "inference", "eval", "--csv", str(videos / "world.csv"),
            "--videos", str(videos), "--task", task, "--out", str(out), "--model", model,
            "--device", settings.device, "--max-new-tokens", str(settings.max_new_tokens),
            "--think" if think else "--no-think", *world_sampling()]  # fmt: skip


_COMPARED: dict[tuple[str, int, object], Figures] = {}  # the tab asks again every 2 s


def comparison(job: TrainingJobRecord) -> Figures | None:
    """A finished evaluation's paired comparison (B − A with intervals); None for other jobs."""
    if job.recipe != EVALUATE or job.state != "finished":
        return None
    key = (job.data["folder"], job.id, job.ended_at)
    if key not in _COMPARED:
        _COMPARED[key] = _compare(job)
    return _COMPARED[key]


def _compare(job: TrainingJobRecord) -> Figures:
    asked = job.data["evaluation"]
    files = [job.stages[1]["out"], job.stages[2]["out"]]
    names = [f"A {asked['a']}", f"B {asked['b']}"]
    return score_files(Path(asked["csv"]), asked["task"], files, names)
