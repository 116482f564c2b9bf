"""Engines and transactions: SQLite (embedded default) or PostgreSQL, chosen by URL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

DATABASE_URL_ENV = "EXIT_TRACKER_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///exit-tracker.db"


def database_url() -> str:
    """The configured database URL: $EXIT_TRACKER_DATABASE_URL, else a SQLite file here."""
    return os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def normalize_url(url: str) -> str:
    """`url` with PostgreSQL pointed at psycopg 3, whatever driver the user named."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for `url` with the settings this product relies on.

    SQLite: WAL, a busy timeout, foreign keys on, and write transactions that begin
    IMMEDIATE so two writers queue instead of failing half-way. Read-only work can use
    `engine.execution_options(sqlite_begin="DEFERRED")`.
    """
    url = normalize_url(url or database_url())
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        # psycopg prepares a statement run five times, and PostgreSQL may then keep a generic
        # plan made while a table was small: a bulk import's id lookups turned into table
        # scans. Plan every statement for its own parameters.
        kwargs.setdefault("connect_args", {}).setdefault("options", "-c plan_cache_mode=force_custom_plan")
        return create_engine(url, pool_pre_ping=True, **kwargs)
    raise ValueError(f"unsupported database '{backend}': use sqlite:///FILE or postgresql://…")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from pysqlite so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def read_only(engine: Engine) -> Engine:
    """`engine` for reads that must not queue behind writers (SQLite: deferred BEGIN)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="DEFERRED")
    return engine


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
