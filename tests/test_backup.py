"""Snapshots of the store taken while annotators write, restoring them, and the hub target."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from annotate import backup
from annotate.backup import (
    BackupOptions,
    Backups,
    HubTarget,
    LocalTarget,
    restore_if_empty,
    restore_snapshot,
    take_snapshot,
    target_from_spec,
)
from annotate.cli import main as cli_main
from annotate.errors import StoreError
from annotate.records import Edit
from annotate.store import Store

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'live' / 'studio.db'}"
    with Store(url) as store:
        store.add_video("seed", "test")
    return url


def _names(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [r[0] for r in connection.execute("SELECT name FROM videos ORDER BY id")]


def _write_videos(url: str, prefix: str, count: int) -> None:
    """A writer: adds `prefix-0000`, `prefix-0001`, ... one transaction each, in order."""
    with Store(url) as store:
        for i in range(count):
            store.add_video(f"{prefix}-{i:04d}", "test")


def _is_prefix_per_writer(names: list[str], writers: dict[str, int]) -> bool:
    for prefix in writers:
        mine = [n for n in names if n.startswith(prefix + "-")]
        if mine != [f"{prefix}-{i:04d}" for i in range(len(mine))]:
            return False
    return True


def test_snapshot_while_threads_and_a_process_write(db_url: str, tmp_path: Path) -> None:
    writers = {"thread-a": 150, "thread-b": 150, "proc": 100}
    target = LocalTarget(tmp_path / "backups")
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_write_videos, args=(db_url, "proc", writers["proc"]))
    threads = [
        threading.Thread(target=_write_videos, args=(db_url, p, writers[p]))
        for p in ("thread-a", "thread-b")
    ]
    process.start()
    for thread in threads:
        thread.start()
    taken = []
    options = BackupOptions(formats=(), keep=100_000)  # prune none: every one is checked
    while any(t.is_alive() for t in threads) or process.is_alive():
        taken.append(take_snapshot(db_url, target, options, T0 + timedelta(seconds=len(taken))))
    for thread in threads:
        thread.join()
    process.join()
    taken.append(take_snapshot(db_url, target, options, T0 + timedelta(seconds=len(taken))))

    assert process.exitcode == 0
    assert len(taken) >= 3
    sizes = []
    for snapshot in taken:
        with sqlite3.connect(snapshot.db) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = _names(snapshot.db)
        assert names[0] == "seed"
        assert _is_prefix_per_writer(names, writers)
        sizes.append(len(names))
    assert sizes == sorted(sizes)  # later snapshots never lose writes
    assert sizes[-1] == 1 + sum(writers.values())


def test_snapshot_is_a_single_file_with_a_manifest(db_url: str, tmp_path: Path) -> None:
    snapshot = take_snapshot(db_url, LocalTarget(tmp_path / "b"), now=T0)
    assert snapshot.folder == tmp_path / "b" / "snapshots" / "20260102T030405.000000Z"
    assert sorted(p.name for p in snapshot.folder.iterdir()) == [
        "exports",
        "manifest.json",
        "studio.db",
    ]
    manifest = json.loads((snapshot.folder / "manifest.json").read_text())
    assert manifest["sha256"] == snapshot.manifest["sha256"]
    assert manifest["bytes"] == snapshot.db.stat().st_size
    with sqlite3.connect(snapshot.db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_snapshot_carries_the_exported_training_data(db_url: str, tmp_path: Path) -> None:
    with Store(db_url) as store:
        video = store.add_video("fight.mp4", "test")
        item = store.add_item(video.id, "grounding")
        edit = Edit(answer="Anomaly", reasoning="A fight starts.", interval=(1.0, 2.0))
        revision = store.save_correction(item.id, "ann", edit, status="submitted")
        store.review(revision.id, "boss", "approved")
    options = BackupOptions(formats=("trl-sft",))
    snapshot = take_snapshot(db_url, LocalTarget(tmp_path / "b"), options, T0)
    files = snapshot.manifest["exports"]["trl-sft"]
    assert list(files.values()) == [1]
    exported = snapshot.folder / "exports" / next(iter(files))
    assert "A fight starts." in exported.read_text()


def test_old_snapshots_are_pruned(db_url: str, tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "b")
    options = BackupOptions(formats=(), keep=2)
    made = [take_snapshot(db_url, target, options, T0 + timedelta(minutes=i)) for i in range(4)]
    assert [s.folder for s in backup.snapshots(target.staging)] == [m.folder for m in made[2:]]


def test_half_written_snapshots_are_never_the_latest(db_url: str, tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "b")
    done = take_snapshot(db_url, target, BackupOptions(formats=()), T0)
    (target.staging / "snapshots" / ".partial-20991231T000000.000000Z").mkdir()
    (target.staging / "snapshots" / "20991231T000000.000000Z").mkdir()  # no manifest
    assert backup.latest_snapshot(target.staging).folder == done.folder


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_an_empty_store_restores_the_latest_snapshot(
    db_url: str, tmp_path: Path, state: str
) -> None:
    target = LocalTarget(tmp_path / "b")
    take_snapshot(db_url, target, BackupOptions(formats=()), T0)
    _write_videos(db_url, "later", 2)
    take_snapshot(db_url, target, BackupOptions(formats=()), T0 + timedelta(minutes=1))
    fresh = tmp_path / "restart" / "studio.db"
    if state == "empty":
        fresh.parent.mkdir()
        fresh.touch()
    restored = restore_if_empty(f"sqlite:///{fresh}", target)
    assert restored is not None and restored.folder.name.startswith("20260102T030505")
    with Store(f"sqlite:///{fresh}") as store:  # the restored file opens as a store
        assert store.find_video("seed", "test") is not None
    assert _names(fresh) == ["seed", "later-0000", "later-0001"]


def test_a_store_with_data_is_never_overwritten(db_url: str, tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "b")
    take_snapshot(db_url, target, BackupOptions(formats=()), T0)
    _write_videos(db_url, "newer", 1)
    assert restore_if_empty(db_url, target) is None
    assert _names(sqlite_path(db_url))[-1] == "newer-0000"
    with pytest.raises(StoreError, match="already holds data"):
        restore_snapshot(backup.latest_snapshot(target.staging), db_url)


def sqlite_path(url: str) -> Path:
    return backup.sqlite_file(url)


def test_nothing_to_restore_leaves_the_store_alone(tmp_path: Path) -> None:
    fresh = tmp_path / "studio.db"
    assert restore_if_empty(f"sqlite:///{fresh}", LocalTarget(tmp_path / "none")) is None
    assert not fresh.exists()


def test_a_tampered_snapshot_is_refused(db_url: str, tmp_path: Path) -> None:
    snapshot = take_snapshot(db_url, LocalTarget(tmp_path / "b"), BackupOptions(formats=()), T0)
    with sqlite3.connect(snapshot.db) as connection:
        connection.execute("UPDATE videos SET name = 'forged'")
    with pytest.raises(StoreError, match="does not match its manifest"):
        restore_snapshot(snapshot, f"sqlite:///{tmp_path / 'new.db'}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u@h/db", "need a SQLite file"),
        ("sqlite://", "need a SQLite file"),
    ],
)
def test_only_sqlite_files_are_snapshotted(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        take_snapshot(url, LocalTarget(tmp_path))


def test_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database to back up"):
        take_snapshot(f"sqlite:///{tmp_path / 'nope.db'}", LocalTarget(tmp_path / "b"))
    assert list((tmp_path / "b" / "snapshots").iterdir()) == []


@pytest.mark.parametrize(
    ("spec", "kind", "where"),
    [
        ("hf://datasets/me/studio-backup", HubTarget, "me/studio-backup"),
        ("var/backups", LocalTarget, "var/backups"),
    ],
)
def test_target_from_spec(spec: str, kind: type, where: str) -> None:
    target = target_from_spec(spec, staging="stage")
    assert type(target) is kind
    assert (target.repo_id if kind is HubTarget else str(target.staging)) == where


@pytest.mark.parametrize("spec", ["hf://datasets/only-owner", "hf://datasets/a/b/c", " "])
def test_bad_target_specs_are_refused(spec: str) -> None:
    with pytest.raises(StoreError):
        target_from_spec(spec)


class FakeScheduler:
    """Records how it was made; the real one would create the repo and push every N minutes."""

    made: list[dict] = []

    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs
        self.lock = threading.Lock()
        FakeScheduler.made.append(kwargs)


def test_hub_target_stages_the_same_snapshot_for_the_scheduler(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    FakeScheduler.made = []
    monkeypatch.setattr(huggingface_hub, "CommitScheduler", FakeScheduler)
    target = HubTarget("me/studio-backup", tmp_path / "stage", every_minutes=2)
    snapshot = take_snapshot(db_url, target, BackupOptions(formats=("trl-sft",)), T0)
    assert snapshot.folder.parent == tmp_path / "stage" / "snapshots"
    assert sorted(p.name for p in snapshot.folder.iterdir()) == [
        "exports",
        "manifest.json",
        "studio.db",
    ]
    [made] = FakeScheduler.made
    assert made["repo_id"] == "me/studio-backup"
    assert made["repo_type"] == "dataset"
    assert made["folder_path"] == tmp_path / "stage"
    assert made["every"] == 2
    assert "snapshots/.partial-*" in made["ignore_patterns"]


def test_hub_target_restores_from_the_repository(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    remote = LocalTarget(tmp_path / "remote-repo")  # stands in for the dataset repository
    take_snapshot(db_url, remote, BackupOptions(formats=()), T0)
    files = [p.relative_to(remote.staging).as_posix() for p in remote.staging.rglob("*")]

    def download(repo_id, filename, *, repo_type, local_dir, token):
        assert (repo_id, repo_type) == ("me/b", "dataset")
        dest = Path(local_dir) / filename
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((remote.staging / filename).read_bytes())
        return str(dest)

    monkeypatch.setattr(huggingface_hub, "list_repo_files", lambda *a, **k: files)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    fresh = tmp_path / "space" / "studio.db"
    restored = restore_if_empty(f"sqlite:///{fresh}", HubTarget("me/b", tmp_path / "stage"))
    assert restored is not None
    assert _names(fresh) == ["seed"]


def test_backups_thread_snapshots_and_takes_a_last_one(db_url: str, tmp_path: Path) -> None:
    target = LocalTarget(tmp_path / "b")
    with backup.running(Backups(db_url, target, every_s=0.05, options=BackupOptions(formats=()))):
        _write_videos(db_url, "during", 3)
    latest = backup.latest_snapshot(target.staging)
    assert _names(latest.db)[-1] == "during-0002"


def test_backups_thread_remembers_failures(tmp_path: Path) -> None:
    backups = Backups(f"sqlite:///{tmp_path / 'gone.db'}", LocalTarget(tmp_path / "b"))
    assert backups.snapshot_now() is None
    assert "no database to back up" in backups.errors[0]


def test_cli_snapshot_then_restore(db_url: str, tmp_path: Path, capsys) -> None:
    assert cli_main(["snapshot", "--db", db_url, "--to", str(tmp_path / "b")]) == 0
    assert "snapshot" in capsys.readouterr().out
    fresh = tmp_path / "new.db"
    assert cli_main(["restore", "--db", str(fresh), "--from", str(tmp_path / "b")]) == 0
    assert _names(fresh) == ["seed"]
    assert cli_main(["restore", "--db", str(fresh), "--from", str(tmp_path / "b")]) == 2
    assert "already holds data" in capsys.readouterr().err
