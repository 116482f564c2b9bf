"""Fixtures: a freshly migrated database on SQLite and, when configured, on PostgreSQL.

PostgreSQL tests run when EXIT_TRACKER_TEST_PG_URL points at a server (any database on it
that we may connect to); each test run creates its own database there and drops it at the
end. Without the variable they skip; with EXIT_TRACKER_REQUIRE_PG=1 (CI) an unreachable
server fails the run instead.
"""

from __future__ import annotations

import importlib
import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from workflow.db import make_engine, transaction
from workflow.eventlog import Actor
from workflow.migrate import upgrade
from workflow.schema import metadata

PG_URL_ENV = "EXIT_TRACKER_TEST_PG_URL"
TRUNCATE_GUARD = importlib.import_module("workflow.migrations.versions.0008_event_no_truncate").CREATE_TRIGGER
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file that each test copies, so no test migrates on its own."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return str(path)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this run's own, dropped when the run ends."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"{PG_URL_ENV} is not set")
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    name = f"exit_tracker_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 — any failure to reach the server
        admin.dispose()
        message = f"PostgreSQL at {make_url(base).render_as_string(hide_password=True)} is unreachable: {exc}"
        if os.environ.get("EXIT_TRACKER_REQUIRE_PG"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_database(engine: Engine) -> None:
    """Empty every table, the log included (for tests that run many examples on one database)."""
    names = [table.name for table in metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # The log refuses TRUNCATE (migration 0008): its guard is off while the tables empty.
            connection.execute(text("DROP TRIGGER IF EXISTS event_no_truncate ON event"))
            connection.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
            # Tampering tests drop the guards; every test starts with them back in place.
            connection.execute(text(
                "CREATE OR REPLACE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
                "FOR EACH ROW EXECUTE FUNCTION event_is_append_only()"
            ))
            connection.execute(text(TRUNCATE_GUARD))
            return
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS event_no_delete")
        for name in reversed(names):
            connection.exec_driver_sql(f'DELETE FROM "{name}"')
        for action in ("UPDATE", "DELETE"):
            connection.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS event_no_{action.lower()} BEFORE {action} ON event "
                "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
            )


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path) -> Iterator[Engine]:
    """An empty, migrated database: a copied SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        url = request.getfixturevalue("pg_server_url")
        engine = make_engine(url)
        reset_database(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=ENGINES)
def empty_database(request, tmp_path):
    """A maker of empty, unmigrated databases on one engine: each call gives a new URL.

    For tests that run the real CLI in their own processes (`init-db` migrates). SQLite:
    files in the test's folder; PostgreSQL: databases of their own, dropped afterwards.
    """
    made: list[str] = []

    def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'db{len(made)}.db'}"
        else:
            base = request.getfixturevalue("pg_server_url")  # skips (or fails in CI) without a server
            name = f"exit_tracker_test_{uuid.uuid4().hex[:12]}"
            admin = make_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = make_url(base).set(database=name).render_as_string(hide_password=False)
        made.append(url)
        return url

    yield make
    if request.param == "postgresql" and made:
        admin = make_engine(request.getfixturevalue("pg_server_url"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for url in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def session(engine):
    """A session on the test database; the test commits what it wants kept."""
    with transaction(engine) as session:
        yield session


@pytest.fixture
def actor() -> Actor:
    return Actor(account="test-admin")
