"""Alembic environment: migrates the connection the store hands over, or a URL for the CLI.

The store runs `alembic upgrade head` itself on open (annotate.db.upgrade). By hand:
`alembic -c annotate/alembic.ini -x db=URL upgrade head` (default: VAU_DB_URL, then
sqlite:///var/studio.db).
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import text

from annotate.db import RetryPolicy, make_engine, parse_url, resolve_url
from annotate.schema import Base

config = context.config
target_metadata = Base.metadata


def run(connection) -> None:
    """Run the pending migrations on `connection` inside one transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two programs opening a fresh database at once must not both create the tables.
            connection.execute(text("SELECT pg_advisory_xact_lock(7306128)"))
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    if config.config_file_name:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = make_engine(parse_url(resolve_url(url)), RetryPolicy())
    with engine.execution_options(immediate=True).connect() as connection:
        run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; pass -x db=URL instead")
run_online()
