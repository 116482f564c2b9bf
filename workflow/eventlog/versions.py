"""Every state a projected record has had, by the event that gave it: reads in recorded time.

A projected table T declared `versioned` gets a twin, `T_version`, with T's columns and:

    known_from   the seq of the event that gave the record this state
    known_until  the seq of the event that gave it its next state (NULL: still its state)
    valid_from   when that event happened (its occurred_at): the state's start in valid time

so the record as the log told it at any point K is its version with known_from <= K <
known_until. A projection's handler returns the rows it wrote (`EventProjection` passes
them to `note_states`); `write_states` stores their states once a run of events is applied. Nothing is
kept by watching the session: a handler that does not return a row it wrote leaves no
version of it, which the tests compare for every table after random histories.

`as_known(session, seq)` gives a session in which every versioned table reads as known at
`seq` — through temporary views named like the tables, which the session's statements are
pointed at (`schema_translate_map`) — so the domain's own reads answer "as known at" with
no replay. The tables kept from the versions only (the derived read models) have no such
view: a read of one there fails at once instead of mixing what is known now into the past.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, Table, event, func, inspect, select, text
from sqlalchemy.sql.schema import MetaData
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import insert_rows
from workflow.eventlog.models import Event
from workflow.types import UTCDateTime

SUFFIX = "_version"
_PENDING = "exit_tracker.versions_pending"
_KNOWN_AT = "exit_tracker.known_at_seq"  # in a session's info: (the seq it reads as known at, the main schema, the tables changed since)

_versioned: dict[str, Table] = {}  # table name -> its version table
_as_known_views: dict[str, str] = {}  # table name -> the SELECT of its rows as known at :seq


def versioned(model: type) -> type:
    """Declare that `model`'s table keeps its versions (a class decorator for SQLModel tables).

    The versions are indexed by the seq that gave them, for the reads that ask what changed
    after a point of the log (`as_known`, `changed_after`)."""
    table: Table = model.__table__
    metadata: MetaData = table.metadata
    key = [column.name for column in table.primary_key.columns]
    columns = [Column(column.name, column.type, nullable=column.name not in key) for column in table.columns]
    version = Table(
        table.name + SUFFIX,
        metadata,
        *columns,
        Column("known_from", BigInteger, nullable=False, autoincrement=False),
        Column("known_until", BigInteger, nullable=True),
        Column("valid_from", UTCDateTime, nullable=False),
        PrimaryKeyConstraint(*key, "known_from"),
    )
    for index in table.indexes:
        Index(f"{index.name}{SUFFIX}", *(version.c[column.name] for column in index.columns))
    Index(f"ix_{version.name}_known_from", version.c.known_from)
    _versioned[table.name] = version
    return model


def versioned_tables() -> dict[str, Table]:
    """Each versioned table's name and its version table."""
    return dict(_versioned)


# ---- keeping versions -------------------------------------------------------------


def note_states(session: Session, event: Any, written: Any) -> None:
    """Note the state `written` (a row, several, or None) has after `event`, for `write_states`."""
    if written is None:
        return
    rows = written if isinstance(written, (list, tuple)) else (written,)
    pending = session.info.setdefault(_PENDING, [])
    for row in rows:
        table = row.__table__
        version = _versioned.get(table.name)
        if version is None:
            continue
        state = inspect(row)
        values = {column.name: getattr(row, column.key) for column in row.__mapper__.columns}
        pending.append(_state(table, values, event, state.transient or state.pending))


def note_values(session: Session, table: Table, event: Any, values: dict[str, Any], *, new: bool) -> None:
    """Note the state a row of `table` has after `event`, given as its values by column name
    (a projector writing by Core statements, with no ORM object), for `write_states`; `new`:
    the event added the row."""
    if table.name in _versioned:
        session.info.setdefault(_PENDING, []).append(_state(table, dict(values), event, new))


def _state(table: Table, values: dict[str, Any], event: Any, new: bool) -> tuple:
    return (table.name, tuple(values[c.name] for c in table.primary_key.columns), values, event.seq, event.occurred_at, new)


def insert_states(session: Session, table: Table, written: Iterable[tuple[Any, dict[str, Any]]]) -> list[dict[str, Any]]:
    """INSERT new rows of `table`, each written by an event: (event, the row's values by column
    name), and note their first states for `write_states`; the rows.

    What a handler adding an ORM object per event and returning it leaves, without the
    objects: for the runs of thousands of records an onboarding or a replay applies.
    """
    written = list(written)
    names = [column.name for column in table.columns]
    insert_rows(session.connection(), table, [tuple(values[name] for name in names) for _, values in written])
    if table.name in _versioned:
        session.info.setdefault(_PENDING, []).extend(_state(table, values, event, True) for event, values in written)
    return [values for _, values in written]


def write_states(session: Session) -> None:
    """Store the states noted since the last call: each closes the version before it."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    by_table: dict[str, list] = {}
    for item in pending:
        by_table.setdefault(item[0], []).append(item)
    for name, items in by_table.items():
        table = _versioned[name]
        key_names = [c.name for c in table.primary_key.columns if c.name != "known_from"]
        latest: dict[tuple, dict] = {}
        closing: list[tuple] = []  # (known_until, *key) of versions stored before this run
        rows: list[dict] = []
        for _, key, values, seq, occurred_at, new in items:
            before = latest.get(key)
            if before is not None:
                if before["known_from"] == seq:  # the same event wrote the row again: keep its last state
                    before.update(values)
                    continue
                before["known_until"] = seq
            elif not new:
                closing.append((seq, *key))
            row = {**values, "known_from": seq, "known_until": None, "valid_from": occurred_at}
            latest[key] = row
            rows.append(row)
        if closing:
            where = " AND ".join(f"{_quote(connection, column)} = :{column}" for column in key_names)
            connection.execute(
                text(f"UPDATE {_quote(connection, table.name)} SET known_until = :until WHERE {where} AND known_until IS NULL"),
                [{"until": until, **dict(zip(key_names, key))} for until, *key in closing],
            )
        order = [column.name for column in table.columns]
        insert_rows(connection, table, [tuple(row[column] for column in order) for row in rows])


def _quote(connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


# ---- reading as known at a point of the log ------------------------------------------


def _temporary_schema(session: Session) -> str:
    return "pg_temp" if session.get_bind().dialect.name == "postgresql" else "temp"


def _main_schema(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT current_schema()")).scalar_one()
    return "main"


_computed: dict[str, str] = {}  # table name -> a SELECT over the live table as known at :seq (tables kept by columns, not versions)


def known_by_columns(table_name: str, select_sql: str) -> None:
    """Declare how a table whose rows carry their own seqs reads as known at :seq (`{main}` names its schema)."""
    _computed[table_name] = select_sql


def known_by(session: Session, moment: dt.datetime) -> int:
    """The seq of the last event of the log as it stood at `moment`: the last one recorded by then.

    The log's recorded time never runs backwards (`log.recording_moment`), so that is a
    prefix of the log, a state the database really held, found by index.
    """
    found = session.execute(select(Event.recorded_at).where(Event.recorded_at <= moment).order_by(Event.recorded_at.desc()).limit(1)).scalar()
    if found is None:
        return 0
    return session.execute(select(func.max(Event.seq)).where(Event.recorded_at == found)).scalar_one()


@contextlib.contextmanager
def as_known(session: Session, seq: int) -> Iterator[Session]:
    """A session reading, in `session`'s transaction, every versioned table as the log up to
    event `seq` told it, and the log itself up to `seq`. `session` reads the same while the
    block runs (they share a connection).

    The session's statements name the temporary schema (`schema_translate_map`), where a view
    of each table a statement reads is made just before its first statement that reads it
    (`_KnownViews`): a household's read makes the few views it reads, not one for every table.
    """
    connection = session.connection()
    temporary, main = _temporary_schema(session), _main_schema(session)
    changed = _changed_tables(connection, main, seq)
    if _VIEWS in connection.info:
        raise RuntimeError("as_known within as_known on one connection")
    if not event.contains(connection, "before_cursor_execute", _make_views):  # the listener is this connection's own
        event.listen(connection, "before_cursor_execute", _make_views)
    before = connection.get_execution_options().get("schema_translate_map")
    views = _KnownViews(connection, main, int(seq), changed)
    # `connection.info` is the pooled connection's: whatever happens, the block leaves nothing in it.
    with contextlib.ExitStack() as undo:
        connection.info[_VIEWS] = views
        undo.callback(views.drop, temporary)  # last: the views made, dropped
        undo.callback(connection.info.pop, _VIEWS, None)
        # Execution options of a connection change it in place: put them back after the block.
        connection.execution_options(schema_translate_map={None: temporary})
        undo.callback(connection.execution_options, schema_translate_map=before)
        known = undo.enter_context(Session(bind=connection))
        known.info[_KNOWN_AT] = (int(seq), main, frozenset(changed))
        yield known


_VIEWS = "exit_tracker.known_views"  # in a connection's info while `as_known` runs on it
_NAMED = re.compile(r'(?<![\w."])"?(?:pg_temp|temp)"?\."?(\w+)')  # a table named in the temporary schema


class _KnownViews:
    """The views of one `as_known` block: each made the first time a statement reads its table.

    A table with no view here (the read models kept from the versions: visit masks, obligation
    rows, tallies) is left without one, so a read of it as known then fails at once instead of
    mixing what is known now into the past.
    """

    def __init__(self, connection, main: str, seq: int, changed: set[str]):
        self.connection, self.main, self.seq, self.changed = connection, main, seq, changed
        self.made: list[str] = []

    def select(self, name: str) -> str | None:
        """The SELECT of table `name` as known at the seq; None for a table that has none."""
        quote = self.connection.dialect.identifier_preparer.quote
        main, seq = quote(self.main), self.seq
        if name in _versioned:
            version = _versioned[name]
            columns = ", ".join(quote(column.name) for column in version.columns if column.name not in ("known_from", "known_until", "valid_from"))
            if name not in self.changed:  # no record of it was given a state since: as known then, it is the table as it stands (and its indexes serve)
                return f"SELECT {columns} FROM {main}.{quote(name)}"
            return f"SELECT {columns} FROM {main}.{quote(version.name)} WHERE known_from <= {seq} AND (known_until IS NULL OR known_until > {seq})"
        if name.endswith(SUFFIX) and name.removesuffix(SUFFIX) in _versioned:  # the versions themselves as far as known then: the record's history in valid time (`state_on`)
            return f"SELECT * FROM {main}.{quote(name)} WHERE known_from <= {seq}"
        if name in _computed:
            return _computed[name].format(main=main, seq=seq)
        if name == "event":
            return f"SELECT * FROM {main}.{quote('event')} WHERE seq <= {seq}"
        return None

    def make(self, names: frozenset[str]) -> None:
        quote = self.connection.dialect.identifier_preparer.quote
        made = [(name, select_sql) for name in sorted(names.difference(self.made)) if (select_sql := self.select(name)) is not None]
        # Noted before they are made: the block's end drops each if it exists, made or not.
        self.made += [name for name, _ in made]
        _run_all(self.connection, [f"CREATE TEMPORARY VIEW {quote(name)} AS {select_sql}" for name, select_sql in made])

    def drop(self, temporary: str) -> None:
        """Drop the views made. Not in a PostgreSQL transaction already failed: its rollback takes
        them with it, and a statement there would only hide the error that failed it."""
        if self.connection.dialect.name == "postgresql" and _failed(self.connection):
            return
        quote = self.connection.dialect.identifier_preparer.quote
        _run_all(self.connection, [f"DROP VIEW IF EXISTS {quote(temporary)}.{quote(name)}" for name in self.made])


def _failed(connection) -> bool:
    """Whether `connection`'s PostgreSQL transaction has failed (every statement refused until it ends)."""
    from psycopg.pq import TransactionStatus

    return connection.connection.dbapi_connection.info.transaction_status == TransactionStatus.INERROR


@functools.lru_cache(maxsize=1024)
def _names_in(statement: str) -> frozenset[str]:
    """The tables `statement` reads in the temporary schema."""
    return frozenset(_NAMED.findall(statement))


def _make_views(connection, cursor, statement, parameters, context, executemany) -> None:
    views = connection.info.get(_VIEWS)
    if views is not None:
        views.make(_names_in(statement))


def _changed_tables(connection, main: str, seq: int) -> set[str]:
    """The versioned tables a record of which was given a state after event `seq`: one
    statement, a look by each version table's index on the seq."""
    quote = connection.dialect.identifier_preparer.quote
    probes = [
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {quote(main)}.{quote(version.name)} WHERE known_from > {int(seq)})"
        for name, version in _versioned.items()
    ]
    return {name for (name,) in connection.exec_driver_sql(" UNION ALL ".join(probes))}


def _run_all(connection, statements: list[str]) -> None:
    """Run `statements` (no parameters): on PostgreSQL in one round trip (the driver sends
    several statements at once when given no parameters; one each cost 40 of a record read's
    50 ms as known at a moment), on SQLite one by one (in the process: no round trip)."""
    if not statements:
        return
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor()
        try:
            cursor.execute("; ".join(statements))
        finally:
            cursor.close()
        return
    for statement in statements:
        connection.exec_driver_sql(statement)


@contextlib.contextmanager
def as_known_at(session: Session, moment: dt.datetime) -> Iterator[Session]:
    """`as_known` at the log as it stood at `moment` (`known_by`)."""
    with as_known(session, known_by(session, moment)) as known:
        yield known


@contextlib.contextmanager
def known_records(session: Session, known_at: dt.datetime | None) -> Iterator[Session]:
    """`session` itself, or, given a moment, `session` as known at it (`known_at`).

    `session` itself too when the log recorded nothing after that moment: every record then
    reads as it stands now (`reads_now`), and a read need not go through the versions.
    """
    if known_at is None:
        yield session
        return
    if session.execute(select(Event.seq).where(Event.recorded_at > known_at).limit(1)).first() is None:
        yield session  # by the index on recorded_at: the log then is the whole log
        return
    with as_known_at(session, known_at) as known:
        yield known


def reads_now(session: Session) -> bool:
    """Whether `session` reads the records as they stand now (not through `as_known`)."""
    return _KNOWN_AT not in session.info


def read_now(session: Session) -> dict[str, Any]:
    """Execution options under which a statement run in `session` reads the tables as they
    stand now, even where `session` reads as known at a point of the log (`as_known`).

    For a read model that is a function of the log (the visit masks, the obligation rows),
    read now and corrected by what changed since that point (`changed_since`, or the seqs a
    table keeps): no view stands for it, so that nothing reads it as known then by accident.
    """
    known = session.info.get(_KNOWN_AT)
    return {} if known is None else {"schema_translate_map": {None: known[1]}}


@contextlib.contextmanager
def reading_now(session: Session) -> Iterator[Session]:
    """A session reading the records as they stand now, in `session`'s transaction: `session`
    itself, or, where it reads as known at a point of the log (`as_known`), a session on its
    connection without the views, for an answer as known now that is then corrected by what
    changed since. `session` reads as known then again once the block ends."""
    known = session.info.get(_KNOWN_AT)
    if known is None:
        yield session
        return
    connection = session.connection()
    before = connection.get_execution_options().get("schema_translate_map")
    connection.execution_options(schema_translate_map={None: known[1]})
    now = Session(bind=connection)
    try:
        yield now
    finally:
        now.close()
        connection.execution_options(schema_translate_map=before)


def known_seq(session: Session) -> int | None:
    """The seq of the last event `session` reads the log up to (`as_known`); None: all of it."""
    known = session.info.get(_KNOWN_AT)
    return None if known is None else known[0]


def table_changed(session: Session, model: type) -> bool:
    """Whether, where `session` reads as known at a point of the log, a record of `model` was
    given a state since (`as_known` looked); True where it reads current knowledge."""
    known = session.info.get(_KNOWN_AT)
    return known is None or model.__tablename__ in known[2]


def changed_since(session: Session, model: type, column: str, values: Iterable[Any]) -> bool:
    """Whether a record of `model` whose `column` is one of `values` was given a state after the
    point `session` reads as known at: whether it reads differently now. False when `session`
    reads current knowledge. A look by the versions' index on `column`."""
    seq = known_seq(session)
    if seq is None or not table_changed(session, model):
        return False
    table = _versioned[model.__tablename__]
    for part in chunks(set(values)):
        query = select(table.c[column]).where(table.c[column].in_(part), table.c.known_from > seq).limit(1)
        if session.execute(query, execution_options=read_now(session)).first() is not None:
            return True
    return False


def changed_after(session: Session, model: type, column: str, seq: int, *, limit: int, **equal: Any) -> set[Any] | None:
    """The `column` values of the records of `model` (those whose columns `equal` the values
    given) that were given a state after event `seq`: the records that read differently now
    than as known at `seq`. None when more than `limit` states (of any record of `model`) were
    given since: too many to correct a read by. Read by the versions' index on the seq."""
    known = session.info.get(_KNOWN_AT)
    if known is not None and known[0] == seq and not table_changed(session, model):
        return set()
    table = _versioned[model.__tablename__]
    # The states since, by the seq's index alone, `equal` tested here: given `kind = ?` too,
    # SQLite (no statistics) took the kind's index and read every poor household's versions.
    names = list(equal)
    query = select(table.c[column], *(table.c[name] for name in names)).where(table.c.known_from > seq).limit(limit + 1)
    found = session.execute(query, execution_options=read_now(session)).all()
    if len(found) > limit:
        return None
    wanted = tuple(equal[name] for name in names)
    return {row[0] for row in found if tuple(row[1:]) == wanted}


def state_on(session: Session, model: type, key: tuple, moment: dt.datetime) -> dict[str, Any] | None:
    """The state record `key` of `model` was in at `moment`, in valid time: its latest version
    whose event happened by then (among those `session` knows of); None if none had."""
    table = _versioned[model.__tablename__]
    names = [column.name for column in model.__table__.primary_key.columns]
    query = (
        select(*(table.c[column.name] for column in model.__table__.columns))
        .where(*(table.c[name] == value for name, value in zip(names, key)), table.c.valid_from <= moment)
        .order_by(table.c.valid_from.desc(), table.c.known_from.desc())
        .limit(1)
    )
    row = session.execute(query).mappings().first()
    return dict(row) if row is not None else None
