"""`python -m app.record --model M [app.py flags]`: record the demo gallery's runs ahead of time.

Runs the model on every task of each gallery video (the bundled samples and the pinned items)
through the same code as the Studio's Run button, and stores each run with its checkpoint and
settings. The Demo tab then replays them from the database, on a machine with no GPU at all.
Takes every flag of app.py (`--db`, `--quant`, `--device`, ...) plus `--tasks` and `--no-think`.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence

from annotate.records import RunRecord
from annotate.store import Store
from app import demo, items, runs
from app.runs import RunRequest
from app.runtime import ModelSlot
from app.services import Studio
from app.settings import from_sources
from inference.argparsing import ArgumentParser
from inference.core.tasks import TASKS
from inference.errors import ModelUnavailable, StudioError, first_line


def record(
    studio: Studio,
    tasks: Sequence[str] = TASKS,
    think: bool = True,
    who: str = demo.RECORDER,
    say: Callable[[str], None] = print,
) -> list[RunRecord]:
    """Run and store each task of each gallery video; returns the stored runs."""
    recorded = []
    for entry in demo.gallery(studio.store, studio.settings):
        for task in tasks:
            rec = entry.recordings.get(task)
            if rec is None:
                continue  # the video has no item for this task (e.g. no QA question)
            session = items.open_item(studio, rec.item.id)
            request = RunRequest(task, think, question=rec.item.question, options=rec.item.options)
            updates = runs.run_model(studio, session, request, threading.Event(), who)
            last = deque(updates, maxlen=1)  # the finished run; the partial texts are not needed
            if not last or last[0].session.run_id is None:
                continue
            update = last[0]
            recorded.append(studio.store.get_run(update.session.run_id))
            answer = " ".join((recorded[-1].answer or "no answer").split())[:60]
            say(f"{entry.video.name} · {task}: {update.message} ({answer})")
    return recorded


def main(argv: Sequence[str] | None = None) -> int:
    """Load the model, record the gallery; errors print one line and exit with status 2."""
    parser = ArgumentParser(prog="python -m app.record", description=__doc__)
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--no-think", action="store_true", help="answers without <think>")
    own, rest = parser.parse_known_args(argv)
    try:
        settings = from_sources(rest)
        if not settings.model:
            raise ModelUnavailable("name the checkpoint to record with: --model ID_OR_DIR")
        studio = Studio(
            settings,
            Store(settings.db_url, allow_self_review=settings.allow_self_review),
            ModelSlot(backend=settings.backend_options),
        )
        items.import_samples(studio)
        status = studio.models.load(settings.model, settings.quant, settings.device)
        if status.state != "ready":
            raise ModelUnavailable(status.message)
        recorded = record(studio, own.tasks, think=not own.no_think)
    except StudioError as error:
        print(f"error: {first_line(error)}", file=sys.stderr)
        return 2
    print(f"recorded {len(recorded)} runs with {settings.model} into {studio.store.where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
