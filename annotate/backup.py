"""Snapshots of the SQLite store (plus exported training data) and restoring the latest one.

A snapshot is a folder `snapshots/<UTC stamp>/` holding `studio.db` (taken with SQLite's online
backup API, so annotators keep writing while it runs), `exports/<format>/...` made from that
same copy, and `manifest.json` written last. Snapshots are written to a *staging folder*; a
`LocalTarget` is just that folder, a `HubTarget` is the same folder plus a huggingface_hub
CommitScheduler that pushes it to a dataset repository (a Space's local disk is lost on
restart). On start-up, `restore_if_empty` brings back the latest snapshot when the database
file is missing or empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from annotate.db import parse_url
from annotate.errors import StoreError
from annotate.videos import content_hash

SNAPSHOTS = "snapshots"
DB_NAME = "studio.db"
MANIFEST = "manifest.json"
PARTIAL = ".partial-"  # prefix of a snapshot still being written (never uploaded)
HUB_PREFIX = "hf://datasets/"
DEFAULT_STAGING = "var/backup"


@dataclass(frozen=True)
class BackupOptions:
    """What goes into a snapshot and how many are kept in the staging folder."""

    formats: tuple[str, ...] = ("vau-csv", "trl-sft")
    status: str = "approved"  # the export's status filter (annotate.export.STATUS_CHOICES)
    keep: int = 10  # snapshots kept locally; older ones are deleted after a new one lands


@dataclass(frozen=True)
class Snapshot:
    """One finished snapshot folder and what its manifest says."""

    folder: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        """The snapshot's database file."""
        return self.folder / DB_NAME


class Target(Protocol):
    """Where snapshots go: a staging folder, and a lock held while a snapshot lands in it."""

    staging: Path

    def lock(self) -> contextlib.AbstractContextManager[Any]: ...

    def fetch_latest(self) -> Snapshot | None: ...


class LocalTarget:
    """Snapshots kept in a local folder."""

    def __init__(self, folder: str | Path) -> None:
        self.staging = Path(folder).expanduser()
        self._lock = threading.Lock()

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        """Serialises snapshots landing in the folder."""
        return self._lock

    def fetch_latest(self) -> Snapshot | None:
        """The newest complete snapshot in the folder."""
        return latest_snapshot(self.staging)

    def __repr__(self) -> str:
        return f"LocalTarget({str(self.staging)!r})"


class HubTarget(LocalTarget):
    """The local staging folder, pushed to a dataset repository by a CommitScheduler."""

    def __init__(
        self,
        repo_id: str,
        staging: str | Path = DEFAULT_STAGING,
        *,
        every_minutes: float = 5,
        token: str | None = None,
    ) -> None:
        super().__init__(staging)
        self.repo_id, self.token = repo_id, token
        self.every_minutes = every_minutes
        self._scheduler: Any = None

    @property
    def scheduler(self) -> Any:
        """The CommitScheduler, made on first use (it creates the repository on the hub)."""
        if self._scheduler is None:
            from huggingface_hub import CommitScheduler

            self.staging.mkdir(parents=True, exist_ok=True)
            self._scheduler = CommitScheduler(
                repo_id=self.repo_id,
                repo_type="dataset",
                folder_path=self.staging,
                path_in_repo="",
                every=self.every_minutes,
                private=True,
                token=self.token,
                ignore_patterns=[f"{SNAPSHOTS}/{PARTIAL}*", "*.tmp"],
            )
        return self._scheduler

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        """The scheduler's lock: no upload reads the folder while a snapshot lands."""
        return self.scheduler.lock

    def fetch_latest(self) -> Snapshot | None:
        """Download the newest snapshot from the repository into the staging folder."""
        local = latest_snapshot(self.staging)
        if local is not None:
            return local
        from huggingface_hub import hf_hub_download, list_repo_files

        try:
            files = list_repo_files(self.repo_id, repo_type="dataset", token=self.token)
        except Exception as error:  # noqa: BLE001  # any hub failure means "nothing to restore"
            raise StoreError(f"cannot list backups in {self.repo_id}: {error}") from None
        stamps = sorted(
            {p.split("/")[1] for p in files if p.startswith(f"{SNAPSHOTS}/") and MANIFEST in p}
        )
        if not stamps:
            return None
        for name in (MANIFEST, DB_NAME):
            hf_hub_download(
                self.repo_id,
                f"{SNAPSHOTS}/{stamps[-1]}/{name}",
                repo_type="dataset",
                local_dir=self.staging,
                token=self.token,
            )
        return latest_snapshot(self.staging)

    def __repr__(self) -> str:
        return f"HubTarget({self.repo_id!r}, staging={str(self.staging)!r})"


def target_from_spec(spec: str, staging: str | Path = DEFAULT_STAGING) -> LocalTarget:
    """`hf://datasets/OWNER/NAME` -> HubTarget staged in `staging`; anything else a folder."""
    if spec.startswith(HUB_PREFIX):
        repo_id = spec.removeprefix(HUB_PREFIX).strip("/")
        if repo_id.count("/") != 1:
            raise StoreError(f"backup target {spec!r} must look like hf://datasets/OWNER/NAME")
        return HubTarget(repo_id, staging, token=os.environ.get("HF_TOKEN"))
    if not spec.strip():
        raise StoreError("backup target is empty: give a folder or hf://datasets/OWNER/NAME")
    return LocalTarget(spec)


def sqlite_file(db_url: str) -> Path:
    """The file behind a SQLite URL; StoreError for other databases (they back up themselves)."""
    url = parse_url(db_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        raise StoreError(
            f"snapshots need a SQLite file, not {db_url!r} (back up that database with its tools)"
        )
    return Path(database).expanduser()


# --- taking a snapshot ----------------------------------------------------------------------


def copy_database(source: Path, dest: Path, busy_timeout: float = 30.0) -> None:
    """Copy a live SQLite file with the online backup API, then check the copy's integrity."""
    if not source.is_file() or source.stat().st_size == 0:
        raise StoreError(f"no database to back up at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=busy_timeout)
    dst = sqlite3.connect(dest)
    try:
        # One step (pages=-1) copies everything inside one read transaction: in WAL mode that
        # never blocks writers and always yields the database as of one commit.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained file, no -wal beside it
        check_integrity(dst, dest)
    except sqlite3.Error as error:
        raise StoreError(f"cannot back up {source}: {error}") from None
    finally:
        dst.close()
        src.close()


def check_integrity(connection: sqlite3.Connection, where: Path) -> None:
    """Raise StoreError unless `PRAGMA integrity_check` says ok."""
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        raise StoreError(f"snapshot {where} is damaged: {rows[0][0] if rows else 'no answer'}")


def _export_from(db: Path, out: Path, options: BackupOptions) -> dict[str, Any]:
    """Export training data from the snapshot copy itself, so both describe the same moment."""
    from annotate.errors import NothingToExport
    from annotate.export import ExportOptions, export
    from annotate.store import Store

    results: dict[str, Any] = {}
    store = Store(f"sqlite:///{db}", migrate=False)
    try:
        for fmt in options.formats:
            folder = out / fmt
            try:
                report = export(store, ExportOptions(format=fmt, out=folder, status=options.status))
            except NothingToExport:
                results[fmt] = {}  # nothing approved yet: the snapshot holds the store alone
                continue
            results[fmt] = {Path(p).relative_to(out).as_posix(): n for p, n in report.files.items()}
    finally:
        store.close()
    # The store switched the copy to WAL; make it a single file again.
    with contextlib.closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
    return results


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def take_snapshot(
    db_url: str,
    target: Target,
    options: BackupOptions | None = None,
    now: datetime | None = None,
) -> Snapshot:
    """Write a consistent snapshot of the store and its training data into `target`."""
    options = options or BackupOptions()
    source = sqlite_file(db_url)
    stamp = _stamp(now or datetime.now(UTC))
    root = target.staging / SNAPSHOTS
    partial = root / f"{PARTIAL}{stamp}"
    try:
        partial.mkdir(parents=True, exist_ok=False)
        copy_database(source, partial / DB_NAME)
        exports = _export_from(partial / DB_NAME, partial / "exports", options)
        manifest = {
            "created": stamp,
            "source": str(source),
            "db": DB_NAME,
            "bytes": (partial / DB_NAME).stat().st_size,
            "sha256": content_hash(partial / DB_NAME),
            "exports": exports,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        with target.lock():  # the folder appears whole to an uploader, never half-written
            final = root / stamp
            partial.rename(final)
    except OSError as error:
        raise StoreError(f"cannot write snapshot to {root}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    prune(target, options.keep)
    return Snapshot(final, manifest)


def snapshots(staging: Path) -> list[Snapshot]:
    """Complete snapshots in a staging folder, oldest first."""
    root = Path(staging) / SNAPSHOTS
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith(PARTIAL) or not (folder / MANIFEST).is_file():
            continue
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable manifest: treat the folder as unfinished
        found.append(Snapshot(folder, manifest))
    return found


def latest_snapshot(staging: Path) -> Snapshot | None:
    """The newest complete snapshot, or None."""
    found = snapshots(staging)
    return found[-1] if found else None


def prune(target: Target, keep: int) -> list[Path]:
    """Delete all but the newest `keep` snapshots from the staging folder; return the deleted."""
    old = snapshots(target.staging)[: -keep if keep > 0 else None]
    with target.lock():
        for snapshot in old:
            shutil.rmtree(snapshot.folder, ignore_errors=True)
    return [s.folder for s in old]


# --- restoring ------------------------------------------------------------------------------


def is_empty(path: Path) -> bool:
    """True when the database file is missing or has no bytes."""
    return not path.exists() or path.stat().st_size == 0


def restore_snapshot(snapshot: Snapshot, db_url: str) -> Path:
    """Copy a snapshot's database to the store's file; refuses to overwrite a non-empty one."""
    dest = sqlite_file(db_url)
    if not is_empty(dest):
        raise StoreError(f"{dest} already holds data; move it away before restoring")
    expected = snapshot.manifest.get("sha256")
    if expected and content_hash(snapshot.db) != expected:
        raise StoreError(f"snapshot {snapshot.folder.name} does not match its manifest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    temporary = dest.with_name(dest.name + ".restoring")
    temporary.unlink(missing_ok=True)
    copy_database(snapshot.db, temporary)
    for suffix in ("-wal", "-shm"):  # leftovers of an empty file would be replayed onto it
        dest.with_name(dest.name + suffix).unlink(missing_ok=True)
    os.replace(temporary, dest)
    return dest


def restore_if_empty(db_url: str, target: Target) -> Snapshot | None:
    """At start-up: restore the latest snapshot when the store's file is missing or empty."""
    try:
        dest = sqlite_file(db_url)
    except StoreError:
        return None  # an external database keeps its own data
    if not is_empty(dest):
        return None
    snapshot = target.fetch_latest()
    if snapshot is None:
        return None
    restore_snapshot(snapshot, db_url)
    return snapshot


# --- running in the background --------------------------------------------------------------


class Backups:
    """Takes a snapshot every `every_s` seconds on a daemon thread (and once more at stop)."""

    def __init__(
        self,
        db_url: str,
        target: Target,
        every_s: float = 300.0,
        options: BackupOptions | None = None,
    ) -> None:
        self.db_url, self.target, self.every_s = db_url, target, every_s
        self.options = options or BackupOptions()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Backups:
        """Start the thread; returns self."""
        self._thread = threading.Thread(target=self._loop, daemon=True, name="vau-backups")
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.snapshot_now()

    def snapshot_now(self) -> Snapshot | None:
        """One snapshot; a failure is remembered (and the next run tries again)."""
        try:
            return take_snapshot(self.db_url, self.target, self.options)
        except StoreError as error:
            self.errors.append(str(error))
            return None

    def stop(self, final: bool = True) -> None:
        """Stop the thread, taking a last snapshot when `final`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if final:
            self.snapshot_now()


@contextlib.contextmanager
def running(backups: Backups) -> Iterator[Backups]:
    """Run `backups` for the duration of a with-block."""
    backups.start()
    try:
        yield backups
    finally:
        backups.stop()
