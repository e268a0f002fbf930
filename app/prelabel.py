"""`python -m app.prelabel --task T --model M [app.py flags]`: the model's first pass over items.

Runs the model on every item of the task (`--source` narrows them) through the same code as the
Studio's Run button and stores each run as a pre-label: a model run whose settings say
`prelabel`, by PRELABELER, under the checkpoint and settings that made it. Opening such an item
shows the run at once and the correction form starts from it (an item with ground truth starts
from the truth); a correction saved there names the run it started from. A rerun skips the items
that already hold a complete pre-label from the same checkpoint with the same think setting, so
a killed run resumes and nothing is duplicated. A video that cannot be read is one line, and
the others go on; a server that stops ends the whole pass. `--scan` also stores each video's
scan (the Studio's Score lane). `--samples K` also asks K sampled answers and keeps their
spread with the pre-label (inference.core.spread), and the pass ends by saving the work queue
"most uncertain first: TASK", the labelled items by that uncertainty, which the Studio's picker
offers beside its filters. Takes every flag of app.py (`--db`, `--backend`, ...).
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from annotate.errors import InvalidInput
from annotate.records import PRELABELER, ItemRecord
from annotate.store import Store
from app import items, runs, scans
from app.runtime import ModelSlot
from app.services import Studio
from app.settings import from_sources
from inference.argparsing import ArgumentParser
from inference.core.tasks import TASKS
from inference.errors import GenerationError, ModelUnavailable, StudioError, VideoError, first_line

UNCERTAIN_QUEUE = "most uncertain first: {task}"  # the work queue a pass with --samples saves
ITEM_ERRORS = (VideoError, GenerationError, InvalidInput)  # one item fails; the pass goes on


def check_samples(samples: int) -> int:
    """`samples`, or InvalidInput: 0 (no spread) or at least 2 (a spread needs two answers)."""
    if samples < 0 or samples == 1:
        raise InvalidInput(
            "sampled answers (--samples) are 0 (none) or at least 2: a spread needs two answers"
        )
    return samples


@dataclass
class Report:
    """What a pass did: items run, items already done, videos scanned, and each failure."""

    done: int = 0
    skipped: int = 0
    scanned: int = 0
    queued: int = 0  # items in the most-uncertain-first queue
    failed: list[tuple[str, str]] = field(default_factory=list)  # (video, why)


def pending(
    studio: Studio, task: str, source: str | None, checkpoint: str, think: bool
) -> tuple[list[ItemRecord], int]:
    """The task's items still without this pre-label, and how many already have it."""
    listed = studio.store.list_items(task=task, source=source, limit=None)
    todo = [item for item in listed if not studio.store.prelabels(item.id, checkpoint, think)]
    return todo, len(listed) - len(todo)


def prelabel_item(
    studio: Studio, item: ItemRecord, think: bool, scan: bool, samples: int = 0
) -> bool:
    """Run (with `scan`, scan; with `samples`, measure the spread of) one item; returns
    whether a scan was stored."""
    session = items.open_item(studio, item.id)
    if session.video is None:
        raise VideoError(f"{item.video.name}: the video file is not on this machine")
    request = runs.RunRequest(
        task=item.task, think=think, question=item.question, options=item.options, prelabel=True
    )
    updates = runs.run_model(studio, session, request, threading.Event(), PRELABELER)
    last = deque(updates, maxlen=1)
    run_id = last[0].session.run_id if last else None
    session = scans.with_stored_scan(studio, session) if scan or samples else session
    scanned = scan and session.scan is None
    if scanned:
        session, _ = scans.scan_video(studio, session, PRELABELER)
    if samples and run_id is not None:
        score = max((v for _, v in session.scan.curve), default=None) if session.scan else None
        studio.store.record_spread(run_id, sampled_spread(studio, item, request, samples, score))
    return scanned


def sampled_spread(
    studio: Studio, item: ItemRecord, request: runs.RunRequest, samples: int, score
) -> dict:
    """The spread of `samples` sampled answers to the item (seeds 0 .. samples - 1), with the
    scan's highest score when there is one."""
    from inference.backends.generation import Decoding
    from inference.core.prompts import build_prompt
    from inference.core.spread import spread
    from inference.core.tasks import DEFAULT_FPS
    from inference.video.cache import cached_sample_video

    engine, _ = runs.engine_for(studio.models)
    prompt = build_prompt(request.task, request.think, request.question, request.options)
    options = studio.sampling(DEFAULT_FPS[request.task], request.max_frames)
    clip = cached_sample_video(item.video.path, options)
    results = [
        engine.run(clip, prompt, studio.settings.max_new_tokens, decoding=Decoding(seed=k)).result
        for k in range(samples)
    ]
    intervals = [r.interval for r in results] if request.task == "grounding" else None
    return spread([r.answer for r in results], intervals, score)


def save_uncertain_queue(studio: Studio, task: str, checkpoint: str, think: bool) -> int:
    """Save the task's pre-labelled items, most uncertain first, as a work queue; its size."""
    measured = []
    for item in studio.store.list_items(task=task, limit=None):
        prelabels = studio.store.prelabels(item.id, checkpoint, think)
        found = [r for r in prelabels if r.uncertainty is not None]
        if found:
            measured.append((found[0].uncertainty, item.id))
    if not measured:
        return 0
    ordered = [item_id for _, item_id in sorted(measured, key=lambda m: (-m[0], m[1]))]
    note = f"pre-labels by {checkpoint}, the most uncertain first (app.prelabel --samples)"
    studio.store.save_queue(UNCERTAIN_QUEUE.format(task=task), ordered, PRELABELER, note)
    return len(ordered)


def prelabel(
    studio: Studio,
    task: str,
    *,
    source: str | None = None,
    think: bool = True,
    scan: bool = False,
    samples: int = 0,
    concurrency: int = 1,
    say: Callable[[str], None] = print,
    progress: bool = True,
    on_item: Callable[[Report, int], None] | None = None,
) -> Report:
    """Pre-label every pending item of `task` with the model in service (with `samples`, then
    save the most-uncertain-first queue); `on_item(report, total)` follows each item."""
    from tqdm import tqdm

    _, checkpoint = runs.engine_for(studio.models)
    report = Report()
    todo, report.skipped = pending(studio, task, source, checkpoint, think)
    bar = tqdm(total=len(todo), desc=f"pre-labelling {task}", unit="item", disable=not progress)
    counting = threading.Lock()  # items finish on the pool's threads

    def one(item: ItemRecord) -> None:
        try:
            scanned = prelabel_item(studio, item, think, scan, samples)
            with counting:
                report.done, report.scanned = report.done + 1, report.scanned + scanned
        except ITEM_ERRORS as error:
            with counting:
                report.failed.append((item.video.name, first_line(error)))
            (bar.write if progress else say)(f"{item.video.name}: {first_line(error)}")
        finally:
            bar.update(1)
            if on_item is not None:
                on_item(report, len(todo))

    try:
        with ThreadPoolExecutor(max(1, concurrency)) as pool:
            list(pool.map(one, todo))  # the first error that is not one item's ends the pass
    finally:
        bar.close()
    if samples:
        report.queued = save_uncertain_queue(studio, task, checkpoint, think)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Load the model and pre-label; 0 when every item is labelled, 1 when some could not be,
    2 when the pass could not run (one line on stderr)."""
    parser = ArgumentParser(prog="python -m app.prelabel", description=__doc__)
    parser.add_argument("--task", choices=TASKS, required=True)
    parser.add_argument("--source", default=None, help="only items of this source (dataset)")
    parser.add_argument("--no-think", action="store_true", help="answers without <think>")
    parser.add_argument("--scan", action="store_true", help="also store each video's scan")
    parser.add_argument(
        "--samples",
        type=int,
        default=0,
        help="sampled answers per item whose spread is its uncertainty (0: none)",
    )
    parser.add_argument("--concurrency", type=int, default=1, help="items in flight at once")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    own, rest = parser.parse_known_args(argv)
    try:
        settings = from_sources(rest)
        if not settings.model:
            raise ModelUnavailable("name the checkpoint to pre-label with: --model ID_OR_DIR")
        if own.concurrency < 1:
            raise InvalidInput("--concurrency must be at least 1")
        check_samples(own.samples)
        store = Store(settings.db_url, allow_self_review=settings.allow_self_review)
        studio = Studio(settings, store, ModelSlot(backend=settings.backend_options))
        status = studio.models.load(settings.model, settings.quant, settings.device)
        if status.state != "ready":
            raise ModelUnavailable(status.message)
        report = prelabel(studio, own.task, source=own.source, think=not own.no_think,
                          scan=own.scan, samples=own.samples, concurrency=own.concurrency,
                          progress=not own.quiet)  # fmt: skip
    except StudioError as error:
        print(f"error: {first_line(error)}", file=sys.stderr)
        return 2
    print(
        f"pre-labelled {report.done} {own.task} items with {settings.model} "
        f"({report.skipped} already done, {report.scanned} videos scanned, "
        f"{len(report.failed)} could not be read) into {studio.store.where}"
    )
    if report.queued:
        name = UNCERTAIN_QUEUE.format(task=own.task)
        print(f"work queue {name!r}: {report.queued} items, the most uncertain first")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
