"""The store under stress: concurrent writers, killed writers, locks, unreachable and full disks.

Losing or half-writing a correction is the worst bug this project can have, so these tests use
real processes, real SQLite files, a real PostgreSQL server and (where it can be mounted) a
real, tiny tmpfs.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event, text

from annotate.db import RetryPolicy
from annotate.errors import StoreError
from annotate.records import Edit
from annotate.store import Store
from tests import pg
from tests.conftest import ROOT

TRICKY = "Ünïcödé “q” \"d\" 's'\nline\r\n🙂"
FAST = RetryPolicy(attempts=2, busy_timeout=0.2, backoff=0.05)  # gives up within a second

WRITER = f"""
import sys
from annotate.records import Edit
from annotate.store import Store

url, index, saves = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
items = [int(x) for x in sys.argv[4].split(",")]
with Store(url) as store:
    for i in range(saves):
        tag = f"{{index}}:{{i}}"
        edit = Edit(answer="Normal", comment=tag, reasoning=tag + " " + {TRICKY!r})
        store.save_correction(items[i % len(items)], f"w{{index % 4}}", edit)
"""

# Saves once, then hangs inside the second save after its INSERT reached the database and
# before COMMIT, telling the parent so through a marker file; the parent kills it there.
HANGS_MID_SAVE = """
import sys, time
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.orm import Session
from annotate.records import Edit
from annotate.schema import Revision
from annotate.store import Store

url, item, marker = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])

def hang(session, context):  # after_flush: the INSERT ran, session.new still lists the row
    if any(isinstance(o, Revision) and o.comment == "doomed" for o in session.new):
        marker.write_text("inside")
        time.sleep(120)

with Store(url) as store:
    store.save_correction(item, "ann", Edit(answer="Normal", comment="kept"))
    event.listen(Session, "after_flush", hang)
    store.save_correction(item, "ann", Edit(answer="Anomaly", interval=(1, 2), comment="doomed"))
"""


def python(code: str, *args: object) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def grounding_items(store: Store, n: int) -> list[int]:
    return [store.add_item(store.add_video(f"v{i}.mp4").id, "grounding").id for i in range(n)]


def all_revisions(store: Store) -> list[tuple[int, int, int, str | None, str | None]]:
    query = text(
        "SELECT c.id, c.head, r.number, r.comment, r.reasoning "
        "FROM revisions r JOIN corrections c ON c.id = r.correction_id"
    )
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def check_threads_are_whole(rows) -> None:
    """Every thread numbers its revisions 1..head without gaps, and no text is torn."""
    numbers: dict[int, list[int]] = {}
    heads = {}
    for thread, head, number, comment, reasoning in rows:
        numbers.setdefault(thread, []).append(number)
        heads[thread] = head
        assert reasoning == f"{comment} {TRICKY}"
    for thread, found in numbers.items():
        assert sorted(found) == list(range(1, heads[thread] + 1)), thread


# --- concurrency ----------------------------------------------------------------------------


def run_writers(url: str, writers: int, saves: int, items: str) -> None:
    children = [python(WRITER, url, index, saves, items) for index in range(writers)]
    for child in children:
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]


def check_every_save_is_there(url: str, writers: int, saves: int) -> None:
    with Store(url) as store:
        rows = all_revisions(store)
        assert len(rows) == store.counts().revisions == writers * saves
    assert Counter(comment for *_, comment, _ in rows) == Counter(
        f"{w}:{i}" for w in range(writers) for i in range(saves)
    )
    check_threads_are_whole(rows)


def test_eight_concurrent_writers_keep_every_revision_in_one_sqlite_file(tmp_path):
    url = pg.backend_url("sqlite", tmp_path)
    with Store(url) as store:
        items = ",".join(map(str, grounding_items(store, 5)))
    run_writers(url, 8, 200, items)
    check_every_save_is_there(url, 8, 200)
    with sqlite3.connect(tmp_path / "studio.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def test_eight_concurrent_writers_keep_every_revision_on_postgresql(tmp_path):
    url = pg.backend_url("postgresql", tmp_path)
    with Store(url) as store:
        items = ",".join(map(str, grounding_items(store, 5)))
    run_writers(url, 8, 50, items)  # fewer saves: the server shares the two cores
    check_every_save_is_there(url, 8, 50)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_store_shared_by_threads_keeps_every_revision(backend, tmp_path):
    """The app serves several browser sessions from one Store, one thread each."""
    with Store(pg.backend_url(backend, tmp_path)) as store:
        items = grounding_items(store, 2)

        def work(index: int) -> None:
            for i in range(50):
                tag = f"{index}:{i}"
                edit = Edit(answer="Normal", comment=tag, reasoning=f"{tag} {TRICKY}")
                store.save_correction(items[i % 2], f"t{index % 2}", edit)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(work, range(4)))
        rows = all_revisions(store)
    assert sorted(comment for *_, comment, _ in rows) == sorted(
        f"{t}:{i}" for t in range(4) for i in range(50)
    )
    check_threads_are_whole(rows)


# --- a crash in the middle of a save --------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_writer_killed_mid_save_leaves_no_partial_record(backend, tmp_path):
    url = pg.backend_url(backend, tmp_path)
    with Store(url) as store:
        (item,) = grounding_items(store, 1)
    marker = tmp_path / "inside"
    child = python(HANGS_MID_SAVE, url, item, marker)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, child.stderr.read()[-2000:]
        assert time.monotonic() < deadline, "the writer never reached the middle of its save"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with Store(url, policy=RetryPolicy(attempts=3, busy_timeout=2.0)) as store:
        history = store.history(item, "ann")
        assert [(r.number, r.comment) for r in history] == [(1, "kept")]
        assert history[0].is_current
        after = store.save_correction(item, "ann", Edit(answer="Normal", comment="after"))
        assert after.number == 2  # the killed save's number was rolled back with it


# --- locks, unreachable servers, full disks -------------------------------------------------


def hold_sqlite_lock(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def hold_postgres_lock(store: Store):
    connection = store.engine.connect()
    connection.execute(text("LOCK TABLE corrections IN ACCESS EXCLUSIVE MODE"))
    return connection


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_locked_database_fails_clearly_after_a_bounded_retry(backend, tmp_path):
    url = pg.backend_url(backend, tmp_path)
    with Store(url) as setup:
        (item,) = grounding_items(setup, 1)
        setup.save_correction(item, "ann", Edit(answer="Normal", comment="before"))
        holder = (
            hold_sqlite_lock(tmp_path / "studio.db")
            if backend == "sqlite"
            else hold_postgres_lock(setup)
        )
        try:
            with Store(url, policy=FAST) as store:
                started = time.monotonic()
                with pytest.raises(StoreError, match=r"is locked by another program.*2 tries"):
                    store.save_correction(item, "ann", Edit(answer="Anomaly", interval=(1, 2)))
                assert 0.2 <= time.monotonic() - started < 5
        finally:
            holder.rollback()
            holder.close()
        with Store(url, policy=FAST) as store:
            assert [r.comment for r in store.history(item, "ann")] == ["before"]
            assert store.save_correction(item, "ann", Edit(answer="Normal")).number == 2


def test_reading_still_works_while_another_program_writes(tmp_path):
    url = pg.backend_url("sqlite", tmp_path)
    with Store(url, policy=FAST) as store:
        (item,) = grounding_items(store, 1)
        holder = hold_sqlite_lock(tmp_path / "studio.db")
        try:
            assert store.get_item(item).task == "grounding"  # WAL: readers never wait
        finally:
            holder.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe closes


def test_an_unreachable_server_fails_clearly_after_a_bounded_retry():
    url = f"postgresql+psycopg://user:secret@127.0.0.1:{closed_port()}/studio"
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"cannot reach database .*127\.0\.0\.1.*2 tries") as error:
        Store(url, policy=FAST)
    assert "secret" not in str(error.value)  # passwords never reach messages
    assert "\n" not in str(error.value)
    assert time.monotonic() - started < 10


def test_a_sqlite_file_that_cannot_be_created_is_a_store_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store(f"sqlite:///{blocker / 'studio.db'}")


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "studio.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store(f"sqlite:///{path}")


def fill_until_full(store: Store, item: int) -> list[str]:
    """Save ever more revisions until the database refuses; returns the saved comments."""
    saved = []
    with pytest.raises(StoreError, match="disk or its size limit is full") as error:
        for i in range(10_000):
            comment = f"save {i}"
            store.save_correction(
                item, "ann", Edit(answer="Normal", comment=comment, reasoning="x" * 20_000)
            )
            saved.append(comment)
    assert "\n" not in str(error.value) and "nothing was saved" in str(error.value)
    return saved


def test_a_size_limit_reached_fails_clearly_and_keeps_earlier_work(tmp_path):
    url = pg.backend_url("sqlite", tmp_path)
    with Store(url) as store:
        (item,) = grounding_items(store, 1)

        @event.listens_for(store.engine, "connect")
        def _limit(dbapi_connection, _record):  # the page budget of a nearly full disk
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 40}")

        store.engine.dispose()
        saved = fill_until_full(store, item)
        assert saved  # some saves fit before the limit
    with Store(url) as store:
        assert [r.comment for r in store.history(item, "ann")] == saved


@pytest.fixture
def tiny_tmpfs(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_clearly_and_keeps_earlier_work(tiny_tmpfs, tmp_path):
    url = f"sqlite:///{tiny_tmpfs / 'studio.db'}"
    with Store(url) as store:
        (item,) = grounding_items(store, 1)
        saved = fill_until_full(store, item)
        assert saved
        assert [r.comment for r in store.history(item, "ann")] == saved
    backup = tmp_path / "copy.db"
    with sqlite3.connect(tiny_tmpfs / "studio.db") as source, sqlite3.connect(backup) as copy:
        source.backup(copy)  # the full disk's file is whole: copy it off and check it
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
