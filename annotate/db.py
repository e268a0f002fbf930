"""Connecting to the database: URLs, engines, schema migrations, and errors turned into messages.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout; writes start
with ``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of failing half-way.
Any other SQLAlchemy URL (PostgreSQL, ...) works the same. Nothing here is global: every
function takes the URL or engine it works on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from annotate.errors import StoreError

DEFAULT_URL = "sqlite:///var/studio.db"
ENV_VAR = "VAU_DB_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration; a test checks it against migrations/versions. Knowing it lets an
# up-to-date database open without importing Alembic (a third of a second per start).
HEAD = "0009"

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for a busy database before giving up with a StoreError."""

    attempts: int = 3  # tries per operation
    busy_timeout: float = 5.0  # seconds each try waits on a lock (SQLite busy timeout, PG)
    backoff: float = 0.1  # seconds before the second try, doubled after each

    @property
    def budget(self) -> float:
        """Roughly the longest an operation waits before failing."""
        waits = sum(self.backoff * 2**i for i in range(self.attempts - 1))
        return self.attempts * self.busy_timeout + waits


def resolve_url(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The database URL to use: the flag, else `VAU_DB_URL`, else `DEFAULT_URL`."""
    environ = os.environ if environ is None else environ
    return flag or environ.get(ENV_VAR) or DEFAULT_URL


def parse_url(text: str) -> URL:
    """Parse a SQLAlchemy URL; a bare file path means a SQLite file, `postgresql` means psycopg."""
    if "://" not in text:
        return URL.create("sqlite", database=text)
    try:
        url = make_url(text)
    except ArgumentError:
        raise StoreError(f"not a database URL: {text!r}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def describe(url: URL) -> str:
    """The URL for messages: the file for SQLite, the URL without its password otherwise."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def is_memory(url: URL) -> bool:
    """True for an in-memory SQLite database."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: URL, policy: RetryPolicy) -> Engine:
    """An engine for `url` with the store's connection settings; raises StoreError."""
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url, policy)
        connect_args: dict[str, object] = {}
        if url.get_backend_name() == "postgresql":
            wait_ms = int(policy.busy_timeout * 1000)
            connect_args = {
                "connect_timeout": max(2, int(policy.busy_timeout)),
                "options": f"-c lock_timeout={wait_ms}",
            }
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ImportError, ArgumentError) as error:
        raise StoreError(f"cannot use database {describe(url)}: {_first_line(error)}") from None


def _sqlite_engine(url: URL, policy: RetryPolicy) -> Engine:
    if is_memory(url):
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        database = url.database or ""
        if not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the folder for {database}: {error}") from None
        engine = create_engine(url, connect_args={"timeout": policy.busy_timeout})
    wal = not is_memory(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # pysqlite's own transaction handling starts transactions late and commits before DDL;
        # switching it off lets the "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(policy.busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")  # a saved correction survives power loss
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Writers take the lock up front: a deferred transaction that upgrades to a write lock
        # fails at once with SQLITE_BUSY instead of waiting for the busy timeout.
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# --- errors -----------------------------------------------------------------------------------

LOCKED, UNREACHABLE, FULL, CONFLICT, OTHER = "locked", "unreachable", "full", "conflict", "other"
TRANSIENT = (LOCKED, UNREACHABLE, CONFLICT)

# SQLSTATE codes (PostgreSQL) by kind of failure.
_PG_KINDS = {
    "55P03": LOCKED,  # lock_not_available (lock_timeout)
    "40001": CONFLICT,  # serialization_failure
    "40P01": CONFLICT,  # deadlock_detected
    "53100": FULL,  # disk_full
    "57P01": UNREACHABLE,  # admin_shutdown
    "57P03": UNREACHABLE,  # cannot_connect_now
}


def classify(error: DBAPIError) -> str:
    """Sort a driver error into LOCKED, UNREACHABLE, FULL, CONFLICT or OTHER."""
    if isinstance(error, IntegrityError):
        return CONFLICT  # the store checks references first, so this is a concurrent insert
    text = str(error.orig).lower()
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _PG_KINDS:
        return _PG_KINDS[sqlstate]
    if "locked" in text or "database is busy" in text:
        return LOCKED
    if "disk is full" in text or "no space left" in text or "disk i/o error" in text:
        return FULL
    if error.connection_invalidated or (sqlstate is None and _looks_like_connect(text)):
        return UNREACHABLE
    return OTHER


def _looks_like_connect(text: str) -> bool:
    words = ("connection", "connect", "could not translate host", "server closed", "timeout")
    return any(word in text for word in words)


def store_error(error: DBAPIError, where: str, attempts: int, policy: RetryPolicy) -> StoreError:
    """A one-line StoreError explaining `error` on the database `where`."""
    kind = classify(error)
    detail = _first_line(error.orig)
    tries = f"gave up after {attempts} {'try' if attempts == 1 else 'tries'}"
    if kind == LOCKED:
        return StoreError(
            f"database {where} is locked by another program ({tries} over about "
            f"{policy.budget:.0f} s); nothing was saved, try again"
        )
    if kind == UNREACHABLE:
        return StoreError(f"cannot reach database {where} ({tries}): {detail}")
    if kind == FULL:
        return StoreError(
            f"database {where} cannot grow: the disk or its size limit is full; nothing was "
            "saved, earlier work is intact — free some space and try again"
        )
    if kind == CONFLICT:
        return StoreError(f"database {where} refused a concurrent change ({tries}): {detail}")
    return StoreError(f"database {where} failed: {detail}")


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def retrying(action: Callable[[], T], where: str, policy: RetryPolicy) -> T:
    """Run `action` (one whole transaction), retrying locks and dropped connections."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return action()
        except DBAPIError as error:
            if classify(error) in TRANSIENT and attempt < policy.attempts:
                time.sleep(policy.backoff * 2 ** (attempt - 1))
                continue
            raise store_error(error, where, attempt, policy) from error
    raise AssertionError("unreachable")  # the loop always returns or raises


# --- migrations --------------------------------------------------------------------------------


def alembic_config(url: str | None = None):
    """An Alembic config pointing at the migrations shipped inside this package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration; refuse a newer database."""
    current = current_revision(engine)
    if current == HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config()
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"database schema {current!r} is newer than this program knows ({HEAD!r}); "
            "upgrade VAU-R1 Studio"
        )
    # One immediate transaction: two programs opening a fresh database migrate it once.
    with engine.execution_options(immediate=True).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
