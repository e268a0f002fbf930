"""A throwaway PostgreSQL server for the store tests: initdb into a temp dir, start on a free port.

`database_url()` gives a fresh empty database on that server (one server per test process,
stopped at exit), or raises `Unavailable` saying why. PostgreSQL refuses to run as root, so as
root the server runs as the `postgres` user that Debian's package creates. Set
`VAU_TEST_PG_URL` (e.g. postgresql+psycopg://user:pw@host/postgres) to use an existing server;
each test then creates its own database there.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "VAU_TEST_PG_URL"


class Unavailable(Exception):
    """PostgreSQL cannot be started here; the message says why."""


@dataclass
class Server:
    admin_url: str  # a URL of the server's maintenance database, for CREATE DATABASE
    stop: callable = lambda: None  # type: ignore[valid-type]


_server: Server | None = None
_failure: str | None = None


def find_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: newest Debian version, else PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    if shutil.which("pg_ctl"):
        candidates.append(Path(shutil.which("pg_ctl")).resolve().parent)  # type: ignore[arg-type]
    for folder in candidates:
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], user: str | None) -> None:
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()
        raise Unavailable(f"{Path(command[0 if user is None else 4]).name} failed: {output[-1:]}")


def _start() -> Server:
    bindir = find_bindir()
    if bindir is None:
        raise Unavailable("no PostgreSQL server binaries (apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no 'postgres' user") from None
        if shutil.which("runuser") is None:
            raise Unavailable("running as root and runuser is missing")
        user = "postgres"
    home = Path(tempfile.mkdtemp(prefix="vau-pg-"))
    if user is not None:
        shutil.chown(home, user)
    data, port = home / "data", _free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
          "-E", "UTF8", "--no-locale", "-N"], user)  # fmt: skip
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log")]
    _run([*pg_ctl, "-w", "-t", "60", "-o", options, "start"], user)

    def stop() -> None:
        with contextlib.suppress(Unavailable):
            _run([*pg_ctl, "-m", "immediate", "stop"], user)
        shutil.rmtree(home, ignore_errors=True)

    atexit.register(stop)
    return Server(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop)


def server() -> Server:
    """The process's PostgreSQL server, started on first use; Unavailable if it cannot be."""
    global _server, _failure
    if _server is None and _failure is None:
        try:
            url = os.environ.get(ENV_URL)
            _server = Server(url) if url else _start()
        except (Unavailable, OSError, subprocess.SubprocessError) as error:
            _failure = str(error)
    if _failure is not None:
        raise Unavailable(_failure)
    assert _server is not None
    return _server


def _dsn(database: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(server().admin_url).set(database=database)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _url(database: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(server().admin_url).set(database=database)
    return url.render_as_string(hide_password=False)


def database_url() -> str:
    """A URL of a new, empty database on the test server (CREATE DATABASE: ~0.4 s)."""
    import psycopg

    name = "vau_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_dsn("postgres"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return _url(name)


_shared: str | None = None


def emptied_database_url() -> str:
    """The URL of one database per process with every table emptied (schema kept): fast."""
    global _shared
    import psycopg

    if _shared is None:
        _shared = database_url()
    name = _shared.rsplit("/", 1)[1]
    with psycopg.connect(_dsn(name), autocommit=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    return _shared


def backend_url(backend: str, folder: Path, fresh: bool = False) -> str:
    """An empty database URL for "sqlite" (a new file in `folder`) or "postgresql".

    PostgreSQL reuses one emptied database unless `fresh`; it skips the test, with the
    reason, where no server can be started.
    """
    if backend == "sqlite":
        return f"sqlite:///{folder / 'studio.db'}"
    import pytest

    try:
        return database_url() if fresh else emptied_database_url()
    except Unavailable as error:
        pytest.skip(f"PostgreSQL could not be started: {error}")
