"""Rows written at the driver's speed (db.insert_rows, db.update_rows) are stored exactly as SQLAlchemy stores them."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from workflow.db import insert_rows, one_of, update_rows
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
