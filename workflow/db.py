"""Engines and transactions: SQLite (embedded default) or PostgreSQL, chosen by URL."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Date, Table, and_, any_, bindparam, event, or_, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, create_engine

from workflow.chunking import IN_LIST, chunks
from workflow.clock import UTC
from workflow.types import UTCDateTime

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
        # No JIT compilation of plans: the reports' statements run in well under a second, and
        # compiling one cost more than it saved (a city's deep-poverty advisories: 197 ms of JIT
        # in a 615 ms statement).
        connect_args = {"options": "-c jit=off", **kwargs.pop("connect_args", {})}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    raise ValueError(f"unsupported database '{backend}': use sqlite:///FILE or postgresql://…")


SQLITE_MMAP_SIZE = 2_147_418_112  # SQLITE_MAX_MMAP_SIZE, the most a default build maps


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
        # Read the database file through a memory map (SQLite's largest by default) rather than
        # a read() per page into each connection's 2 MB page cache: a city's incidence reads
        # 260,000 households and spells at random, 1.4 s through reads, 0.8 s mapped. The map
        # shares the operating system's page cache, so it costs no memory per connection.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_SIZE}")
        cursor.close()
        # PostgreSQL has bit_count; reports count the set bits of period masks with this.
        dbapi_connection.create_function("popcount", 1, _popcount, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _popcount(value: int | None) -> int | None:
    return None if value is None else value.bit_count()


# Pages a SQLite connection keeps while it writes a city's sheet (KiB): 2 MB, the default, is
# a few thousand rows' worth, and a transaction writing more spills its pages to the WAL and
# reads them back from there (a full-scale sheet of households read 17 GB that way).
SQLITE_BULK_CACHE_KIB = 512 * 1024


@contextlib.contextmanager
def large_page_cache(session: Session, kib: int = SQLITE_BULK_CACHE_KIB) -> Iterator[None]:
    """For a block writing hundreds of thousands of rows in `session`'s transaction: SQLite
    keeps up to `kib` of pages in memory (what it uses, not reserved) and goes back to its
    cache size after. PostgreSQL's server keeps its own cache: nothing to do."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{kib}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def analyze(bind: Engine | Session) -> None:
    """Fresh planner statistics on PostgreSQL for the product's tables (those of the current
    schema) after they grew by millions of rows; nothing on SQLite. Given an engine: on its own
    autocommit connection, after the writing transaction. Given a session: inside its
    transaction, whose own uncommitted rows ANALYZE counts and autovacuum never sees (without
    it a statement was planned for empty tables).

    Never a bare ANALYZE inside a transaction: it also analyzes the cluster's shared catalogs
    (pg_database, pg_authid…) and keeps their lock to the commit, and every other database's
    ANALYZE waited an hour for the history's transaction."""
    if isinstance(bind, Session):
        if bind.get_bind().dialect.name == "postgresql":
            _analyze_own_tables(bind.connection())
    elif bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            _analyze_own_tables(connection)


def _analyze_own_tables(connection: Connection) -> None:
    tables = connection.exec_driver_sql("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1").scalars().all()
    if tables:
        connection.exec_driver_sql("ANALYZE " + ", ".join(tables))


def plan_each_statement(session: Session) -> None:
    """For the rest of `session`'s transaction, PostgreSQL plans every statement for its own
    parameters. psycopg prepares a statement run five times, and PostgreSQL may then keep a
    generic plan, blind to the values:
    - bulk work: a plan made while a table was still small turned a bulk import's id lookups
      into table scans on a table growing inside the transaction;
    - reports: one plan for a township and for the whole city, for any date; after ten calls
      the city-wide V7 page took 140 ms instead of 92.
    Other requests keep cached plans (planning again costs about a millisecond a statement).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


@contextlib.contextmanager
def without_parallel_workers(session: Session) -> Iterator[None]:
    """For the statements run inside, PostgreSQL plans without parallel workers (then as before).

    For a grouped read whose rows the key's index holds in the groups' order: a parallel plan
    sorts the rows again in each worker, and with wide rows the sorts spill to disk (the city's
    V7 scores: 104,000 rows of 44 columns, 340 ms, where the index streams the groups in 170 ms).
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    setting = "max_parallel_workers_per_gather"
    previous = session.execute(text(f"SELECT current_setting('{setting}'), set_config('{setting}', '0', true)")).scalar_one()
    try:
        yield
    finally:
        session.execute(text(f"SELECT set_config('{setting}', :previous, true)"), {"previous": previous})


def read_only(engine: Engine) -> Engine:
    """`engine` for reads that must not queue behind writers, each transaction reading one
    snapshot, so a report's totals and rows agree (SQLite: a deferred BEGIN, which in WAL
    mode reads one snapshot; PostgreSQL: REPEATABLE READ)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="DEFERRED")
    return engine.execution_options(isolation_level="REPEATABLE READ")


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


# ---- many rows at the driver's speed ---------------------------------------------


def insert_rows(connection: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """INSERT `rows` (values in the order of `table.columns`) into `table`, in `connection`'s transaction.

    Each value goes through its column type's own bind processing, as `insert(table)` would
    send it (so a moment is stored exactly as the ORM stores it), then straight to the
    driver: COPY on PostgreSQL, one executemany on SQLite. Building a statement's
    parameters row by row costs SQLAlchemy more than the database spends storing them.
    """
    if not rows:
        return
    columns = list(table.columns)
    quote = connection.dialect.identifier_preparer.quote
    cursor = connection.connection.cursor()
    try:
        store_rows(cursor, connection.dialect.name, quote(table.name), [quote(column.name) for column in columns], driver_values(connection, columns, rows))
    finally:
        cursor.close()


def store_rows(cursor: Any, dialect: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Hand `rows` to the driver as they are, into `columns` of `table` (names as SQL writes
    them): COPY on PostgreSQL, one executemany on SQLite."""
    names = ", ".join(columns)
    if dialect == "postgresql":
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)


def update_rows(connection: Connection, table: Table, *, keys: Sequence[str], values: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE `table` SET the `values` columns WHERE the `keys` columns match, for each row of
    `rows` (the values, then the keys; no two rows with the same keys), with bind processing
    as in `insert_rows`: one statement over arrays on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    columns = [table.c[name] for name in (*values, *keys)]
    rows = driver_values(connection, columns, rows)
    target = quote(table.name)
    cursor = connection.connection.cursor()
    try:
        if dialect.name == "postgresql":
            arrays = ", ".join(f"%s::{column.type.compile(dialect=dialect)}[]" for column in columns)
            names = ", ".join(quote(column.name) for column in columns)
            cursor.execute(
                f"UPDATE {target} SET {', '.join(f'{quote(name)} = given.{quote(name)}' for name in values)}"
                f" FROM unnest({arrays}) AS given ({names})"
                f" WHERE {' AND '.join(f'{target}.{quote(name)} = given.{quote(name)}' for name in keys)}",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            cursor.executemany(
                f"UPDATE {target} SET {', '.join(f'{quote(name)} = ?' for name in values)} WHERE {' AND '.join(f'{quote(name)} = ?' for name in keys)}",
                rows,
            )
    finally:
        cursor.close()


def one_of(connection: Connection, column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`, as `connection`'s engine takes it best: PostgreSQL gets one array
    parameter (`= ANY`) rather than a parameter per value to parse and plan; the others one
    expanding parameter, built once rather than a bound literal per value (5× cheaper to build
    for an IN list of 900)."""
    values = list(values)
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(bindparam(None, values, type_=column.type, expanding=True))


# Values per `one_of` on PostgreSQL: one array parameter, however long, so a round trip per
# 900 values (SQLite's bound on an IN list, `chunking.IN_LIST`) would be spent for nothing: a
# city scorecard's 52,705 officials' names took 59 round trips.
PG_ARRAY = 50_000


def in_list_size(connection: Connection) -> int:
    """How many values to give `one_of` at once on `connection`'s engine."""
    return PG_ARRAY if connection.dialect.name == "postgresql" else IN_LIST


def rows_in(executor: Session | Connection, query: Any, column: ColumnElement[Any], values: Iterable[Any] | None, options: dict | None = None) -> list:
    """The rows of `query` (run by a session or a connection, with execution `options`), or,
    given `values`, of those whose `column` is one of them: a statement per IN list."""
    if values is None:
        return list(executor.execute(query, execution_options=options or {}))
    connection = executor if isinstance(executor, Connection) else executor.connection()
    found: list = []
    for part in chunks(values, in_list_size(connection)):
        found += executor.execute(query.where(one_of(connection, column, part)), execution_options=options or {})
    return found


def in_span(start: ColumnElement[Any], end: ColumnElement[Any], first: Any, last: Any = None) -> ColumnElement[bool]:
    """Rows whose days `start`..`end` (end NULL: still running) share a day with `first`..`last`
    (`last` omitted: the one day `first`) — a post held, a spell on the registry, on a day or in a range."""
    return and_(start <= (first if last is None else last), or_(end.is_(None), end >= first))


def driver_values(connection: Connection, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """`rows` with each value as SQLAlchemy hands it to the driver for its column."""
    dialect = connection.dialect
    converters = [(i, convert) for i, column in enumerate(columns) if (convert := _to_driver(column.type, dialect)) is not None]
    if not converters or not rows:
        return rows
    # Column by column: one map per converted column rather than a Python loop over every value.
    values = list(zip(*rows, strict=True))
    for i, convert in converters:
        values[i] = map(convert, values[i])
    return list(zip(*values, strict=True))


def _to_driver(type_: TypeEngine, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy's bind processing of `type_` makes of a value; None if the value goes as it is.

    The moments and dates of bulk rows take a shortcut that gives the same result in a
    fraction of the time (tests/workflow/test_bulk_rows.py holds both to it); any other
    value, None or a moment in another zone say, takes SQLAlchemy's own processing.
    """
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    shortcut = _SHORTCUTS.get((type(type_), dialect.name))
    return process if shortcut is None else shortcut(process)


def _sqlite_moment(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # UTCDateTime drops the zone of a UTC moment, then SQLite's DATETIME writes
    # '%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d':
    # isoformat writes those digits too, before the offset.
    def convert(value: Any) -> Any:
        if value.__class__ is dt.datetime and value.tzinfo is UTC:
            return value.isoformat(" ", "microseconds")[:26]
        return process(value)

    return convert


def _postgresql_moment(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # UTCDateTime hands psycopg a UTC moment as it is (astimezone(UTC) returns it unchanged).
    def convert(value: Any) -> Any:
        return value if value.__class__ is dt.datetime and value.tzinfo is UTC else process(value)

    return convert


def _sqlite_day(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # SQLite's DATE writes '%(year)04d-%(month)02d-%(day)02d' (of a datetime too, hence the exact class).
    def convert(value: Any) -> Any:
        return value.isoformat() if value.__class__ is dt.date else process(value)

    return convert


# By the column's exact type (a subclass, or SQLite's DATE with its own storage format, has none).
_SHORTCUTS = {
    (UTCDateTime, "sqlite"): _sqlite_moment,
    (UTCDateTime, "postgresql"): _postgresql_moment,
    (Date, "sqlite"): _sqlite_day,
}


@contextlib.contextmanager
def counted_at_end(connection: Connection, key: str, count: Callable[[Connection, set], None]) -> Iterator[set]:
    """For bulk writes on `connection`: whatever they touch is noted in the set kept at
    `connection.info[key]`, and counted once, at the end (`count(connection, noted)`), instead
    of as each write goes. Yields the set; a caller that will roll back empties it, to skip the
    counting. Inside an enclosing block with the same key, that block counts."""
    if key in connection.info:
        yield set()
        return
    noted = connection.info[key] = set()
    try:
        yield noted
        connection.info.pop(key)
        count(connection, noted)
    finally:
        connection.info.pop(key, None)
