"""Rows written at the driver's speed (db.insert_rows, db.update_rows) are stored exactly as SQLAlchemy stores them."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from workflow.clock import UTC
from workflow.db import analyze, driver_values, insert_rows, one_of, transaction, update_rows
from workflow.org.models import Person
from workflow.visits.models import Visit

BEIJING = ZoneInfo("Asia/Shanghai")
AWKWARD_TEXT = 'tab\there, new\nline, back\\slash, "quotes", 走访,\\N'


def _visit(visit_id: str) -> dict:
    return {
        "id": visit_id,
        "visitor_id": "P1",
        "target_level": "household",
        "target_id": "431224100201000001",
        "village_code": None,
        "township_code": "431224100000",
        "unit_path": "431200000000/431224000000/431224100000",
        "occurred_at": dt.datetime(2018, 3, 1, 0, 30, 5, 7, tzinfo=BEIJING),  # the day before, in UTC
        "occurred_on": dt.date(2018, 3, 1),
        "recorded_at": dt.datetime(2019, 6, 1, 2, 0, tzinfo=dt.UTC),  # no microseconds
        "recorded_by": "admin",
        "on_behalf_of": None,
        "notes": AWKWARD_TEXT,
        "latitude": 27.553_210_987_654_321,
        "longitude": 109.998_000_000_000_01,
        "voided_at": None,
        "voided_by": None,
        "void_reason": None,
        "recorded_seq": 1,
        "voided_seq": None,
    }


def _stored(connection, visit_id: str) -> tuple:
    """The row as the driver returns it, without SQLAlchemy's result processing (SQLite: the stored text)."""
    return tuple(connection.exec_driver_sql(f"SELECT * FROM visit WHERE id = '{visit_id}'").one())[1:]


def test_rows_inserted_in_bulk_are_stored_as_an_insert_statement_stores_them(engine):
    table = Visit.__table__
    with engine.begin() as connection:
        connection.execute(insert(Person.__table__), [{"id": "P1", "name": "张三"}])
        connection.execute(insert(table), [_visit("by-statement")])
        insert_rows(connection, table, [tuple(_visit("in-bulk")[name] for name in table.c.keys())])
        assert _stored(connection, "in-bulk") == _stored(connection, "by-statement")


def test_rows_updated_in_bulk_are_stored_as_an_update_statement_stores_them(engine):
    table = Visit.__table__
    voided_at = dt.datetime(2019, 7, 1, 8, 0, 0, 1, tzinfo=BEIJING)
    with engine.begin() as connection:
        connection.execute(insert(Person.__table__), [{"id": "P1", "name": "张三"}])
        connection.execute(insert(table), [_visit("by-statement"), _visit("in-bulk"), _visit("untouched")])
        connection.execute(update(table).where(table.c.id == "by-statement").values(voided_at=voided_at, void_reason=AWKWARD_TEXT))
        update_rows(connection, table, keys=("id",), values=("voided_at", "void_reason"), rows=[(voided_at, AWKWARD_TEXT, "in-bulk")])
        assert _stored(connection, "in-bulk") == _stored(connection, "by-statement")
        assert connection.execute(select(table.c.void_reason).where(table.c.id == "untouched")).scalar_one() is None


def test_one_of_selects_the_rows_whose_column_takes_one_of_the_values(engine):
    table = Person.__table__
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": f"P{n}", "name": f"人{n}"} for n in range(5)])
        found = connection.execute(select(table.c.id).where(one_of(connection, table.c.id, {"P1", "P3", "nobody"}))).scalars()
        assert sorted(found) == ["P1", "P3"]


# driver_values takes a shortcut for the moments and dates of bulk rows: it must give the
# driver what SQLAlchemy's own bind processing gives it, for any value, on either engine.
_DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]
_ZONES = st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-3, minutes=-30)), BEIJING])
_MOMENTS = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=_ZONES)
_COLUMNS = [Visit.__table__.c[name] for name in ("voided_at", "occurred_on", "notes", "latitude")]


def _by_sqlalchemy(dialect, rows: list[tuple]) -> list[tuple]:
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value) for column in _COLUMNS]
    return [tuple(process(value) for process, value in zip(processors, row, strict=True)) for row in rows]


@pytest.mark.parametrize("dialect", _DIALECTS, ids=lambda dialect: dialect.name)
@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(_MOMENTS | st.none(), st.dates() | _MOMENTS.map(lambda moment: moment.replace(tzinfo=None)), st.text() | st.none(), st.floats() | st.none()), min_size=1, max_size=4))
def test_moments_and_dates_of_bulk_rows_reach_the_driver_as_sqlalchemy_processes_them(dialect, rows):
    # A datetime in a date column too: SQLite's DATE keeps its date only.
    converted = driver_values(SimpleNamespace(dialect=dialect), _COLUMNS, rows)
    # By repr: equal moments in different zones compare equal, but reach the driver differently.
    assert [tuple(map(repr, row)) for row in converted] == [tuple(map(repr, row)) for row in _by_sqlalchemy(dialect, rows)]


@pytest.mark.parametrize("dialect", _DIALECTS, ids=lambda dialect: dialect.name)
def test_a_moment_without_offset_is_refused_in_bulk_as_by_a_statement(dialect):
    naive = dt.datetime(2018, 3, 1, 0, 30)
    with pytest.raises(ValueError, match="naive datetime refused"):
        _by_sqlalchemy(dialect, [(naive, None, None, None)])
    with pytest.raises(ValueError, match="naive datetime refused"):
        driver_values(SimpleNamespace(dialect=dialect), _COLUMNS, [(naive, None, None, None)])


def test_analyze_inside_a_transaction_counts_its_own_rows_and_leaves_the_shared_catalogs_alone(engine):
    """The history generator analyzes inside its one transaction of an hour: PostgreSQL's
    statistics must count the rows it wrote, and no lock on the cluster's shared catalogs may
    be kept to its commit (a bare ANALYZE kept them: every other database's ANALYZE waited)."""
    with transaction(engine) as session:
        session.execute(insert(Person.__table__), [{"id": f"P{n}", "name": "张三"} for n in range(500)])
        analyze(session)
        assert session.execute(select(func.count()).select_from(Person)).scalar_one() == 500
        if engine.dialect.name == "postgresql":
            assert session.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'person'::regclass")).scalar_one() == 500
            kept = session.execute(text(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND database = 0 AND mode = 'ShareUpdateExclusiveLock'"
            )).scalar_one()
            assert kept == 0
    analyze(engine)  # after the commit, on a connection of its own
