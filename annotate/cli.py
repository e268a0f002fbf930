"""`python -m annotate`: import VAU-Bench CSVs, export training data, print statistics.

Every command takes `--db URL` (any SQLAlchemy URL or a SQLite file path; default:
`VAU_DB_URL`, then sqlite:///var/studio.db). Errors print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from annotate.db import DEFAULT_URL, ENV_VAR, resolve_url
from annotate.export import FORMATS, STATUS_CHOICES, ExportOptions, export
from annotate.importer import ImportReport, import_csv
from annotate.stats import gather, render
from annotate.store import Store
from inference.argparsing import ArgumentParser, add_pixel_args
from inference.core.tasks import TASKS, pixels_of
from inference.errors import StudioError


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"database URL or SQLite file (default: ${ENV_VAR}, else {DEFAULT_URL})",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with the import-csv, import-runs, export and stats subcommands."""
    parser = ArgumentParser(
        prog="python -m annotate",
        description="Import VAU-Bench CSVs, export training data, print statistics.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    imp = commands.add_parser("import-csv", help="import VAU-Bench annotation CSVs")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--videos", type=Path, metavar="DIR", help="find the videos under DIR")
    imp.add_argument("--hash", action="store_true", help="with --videos: store each file's sha256")
    imp.add_argument(
        "--source", help="dataset name for every row (default: name prefix, else file name)"
    )
    imp.add_argument("--json", action="store_true", help="print the reports as JSON")
    _add_db(imp)

    runs = commands.add_parser(
        "import-runs", help="store a predictions file's answers (inference eval) as pre-labels"
    )
    runs.add_argument("file", type=Path, metavar="PRED.jsonl")
    runs.add_argument("--task", required=True, choices=TASKS)
    _add_db(runs)

    exp = commands.add_parser("export", help="write training data from corrections")
    exp.add_argument("--format", required=True, choices=FORMATS)
    exp.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    exp.add_argument(
        "--status",
        default="approved",
        choices=list(STATUS_CHOICES),
        help="approved (default); submitted = submitted or approved; all = anything not rejected",
    )
    exp.add_argument(
        "--include-ground-truth",
        action="store_true",
        help="also export imported ground truth for items without such a correction",
    )
    exp.add_argument("--task", choices=TASKS)
    exp.add_argument("--annotator", help="only this annotator's corrections")
    exp.add_argument(
        "--split", type=float, default=1.0, help="share of videos for train (default 1.0)"
    )
    exp.add_argument("--no-think", action="store_true", help="answers without <think> reasoning")
    exp.add_argument(
        "--video-root",
        metavar="DIR",
        help="write video paths relative to DIR (default: the folder holding them all)",
    )
    exp.add_argument(
        "--fps", type=float, help="frames per second training samples (default: per task)"
    )
    add_pixel_args(exp)
    exp.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_db(exp)

    rubric = commands.add_parser(
        "export-rubric", help="reviewers' VAU-Eval scores of model descriptions, as JSONL"
    )
    rubric.add_argument("--out", required=True, type=Path, metavar="FILE", help="output JSONL")
    _add_db(rubric)

    stats = commands.add_parser("stats", help="counts and annotator agreement")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    _add_db(stats)
    add_backup_commands(commands)
    return parser


def add_backup_commands(commands: argparse._SubParsersAction) -> None:
    """The snapshot and restore subcommands (annotate.backup)."""
    snap = commands.add_parser("snapshot", help="write a consistent snapshot of a SQLite store")
    snap.add_argument(
        "--to", required=True, metavar="DIR", help="folder, or hf://datasets/OWNER/NAME"
    )
    snap.add_argument("--keep", type=int, default=10, help="snapshots to keep (default 10)")
    _add_db(snap)
    rest = commands.add_parser("restore", help="restore the latest snapshot into an empty store")
    rest.add_argument(
        "--from", dest="source", required=True, metavar="DIR", help="folder or hf:// repo"
    )
    _add_db(rest)


def run_snapshot(args: argparse.Namespace) -> int:
    from annotate.backup import BackupOptions, take_snapshot, target_from_spec

    target = target_from_spec(args.to)
    snapshot = take_snapshot(resolve_url(args.db), target, BackupOptions(keep=args.keep))
    print(f"snapshot {snapshot.folder} ({snapshot.manifest['bytes']} bytes)")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from annotate.backup import restore_snapshot, target_from_spec

    url = resolve_url(args.db)
    snapshot = target_from_spec(args.source).fetch_latest()
    if snapshot is None:
        print(f"error: no snapshot in {args.source}", file=sys.stderr)
        return 2
    print(f"restored {snapshot.folder.name} to {restore_snapshot(snapshot, url)}")
    return 0


def _print_import(report: ImportReport) -> None:
    items = ", ".join(f"{n} {outcome}" for outcome, n in sorted(report.items.items()))
    tasks = ", ".join(f"{task} {n}" for task, n in sorted(report.items_by_task.items()))
    print(
        f"{report.file}: {report.rows_read} rows, {report.rows_imported} imported, "
        f"{len(report.skipped)} skipped; items: {items or 'none'} ({tasks or 'no tasks'})"
    )
    for problem in report.skipped:
        print(f"  skipped {problem}")
    for problem in report.notes:
        print(f"  note {problem}")
    if report.missing_videos or report.videos_matched:
        print(f"  videos found: {report.videos_matched}, missing: {len(report.missing_videos)}")
        for name in report.missing_videos:
            print(f"  missing video {name}")


def run_import(args: argparse.Namespace, store: Store) -> int:
    reports = []
    for path in args.files:
        report = import_csv(
            store, path, videos=args.videos, hash_videos=args.hash, source=args.source
        )
        reports.append(report)
        if not args.json:
            _print_import(report)
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False))
    return 0


def run_import_runs(args: argparse.Namespace, store: Store) -> int:
    from annotate.runs_import import import_runs

    report = import_runs(store, args.file, args.task)
    print(f"{args.file}: {report.stored} pre-labels stored, {report.skipped} already there, "
          f"{len(report.missing)} not placed")  # fmt: skip
    for line in report.missing:
        print(f"  not placed: {line}")
    return 0


def run_export(args: argparse.Namespace, store: Store) -> int:
    options = ExportOptions(
        format=args.format,
        out=args.out,
        status=args.status,
        include_ground_truth=args.include_ground_truth,
        task=args.task,
        annotator=args.annotator,
        split=args.split,
        think=not args.no_think,
        video_root=args.video_root,
        fps=args.fps,
        **pixels_of(args),
    )
    report = export(store, options)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(
        f"{report.format}: {report.from_corrections} from corrections, "
        f"{report.from_ground_truth} from ground truth"
    )
    for path, n in report.files.items():
        print(f"  wrote {path} ({n} records)")
    for reason, n in sorted(report.skipped.items()):
        print(f"  left out {n}: {reason}")
    return 0


def run_export_rubric(args: argparse.Namespace, store: Store) -> int:
    """One line per (run, reviewer): the description as `judge --pred` reads it, the scores."""
    from inference.eval.judge_agreement import text_digest

    records = store.rubric_scores()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for found in records:
            answer = found.run.answer or found.run.raw
            line = {"video": found.video, "task": "description", "raw": found.run.raw}
            line |= {"answer": answer, "text": text_digest(answer), "run": found.run.id}
            line["human"] = {
                "reviewer": found.reviewer,
                "scores": found.scores,
                "at": found.created_at.isoformat(),
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {args.out} ({len(records)} scored descriptions)")
    return 0


def run_stats(args: argparse.Namespace, store: Store) -> int:
    figures = gather(store)
    print(json.dumps(figures, indent=2, ensure_ascii=False) if args.json else render(figures))
    return 0


COMMANDS = {
    "import-csv": run_import,
    "import-runs": run_import_runs,
    "export": run_export,
    "export-rubric": run_export_rubric,
    "stats": run_stats,
}
NO_STORE = {"snapshot": run_snapshot, "restore": run_restore}  # work on the file, not a Store


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; domain errors become one line on stderr and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        if args.command in NO_STORE:
            return NO_STORE[args.command](args)
        with Store(resolve_url(args.db)) as store:
            return COMMANDS[args.command](args, store)
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # Python flushes stdout at exit
        return 0
