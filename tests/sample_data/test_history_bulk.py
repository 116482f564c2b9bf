"""The history's bulk path writes exactly what its commands write: the same events, byte for
byte (same canonical bytes, same hashes, given the same clock and ids), and the same tables."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from sqlmodel import Session

from sample_data import history
from workflow.db import make_engine, transaction
from workflow.eventlog import Event
from workflow.migrate import upgrade
from workflow.schema import metadata

SCALE = 0.002  # 13 poor villages, some 260 households
# Registrations, people and posts, posts turning over, two years of exits, village exits, relapses, the pairings of the rule book's day.
UNTIL = dt.datetime(2017, 6, 1, 12, tzinfo=history.BEIJING)


def _lived(url: str, *, bulk: bool, monkeypatch) -> object:
    """A new database at `url` holding the history up to UNTIL, its random ids drawn from one sequence."""
    drawn = iter(range(1, 10**9))
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(drawn)))
    engine = make_engine(url)
    upgrade(engine)
    history.write(engine, history.History(scale=SCALE, seed=2018, last=2017), bulk=bulk, until=UNTIL)
    return engine


def _tables(engine) -> dict[str, list[tuple]]:
    with transaction(engine) as session:
        return {table.name: sorted(map(tuple, session.execute(select(table)).all()), key=repr) for table in metadata.sorted_tables}


# Lives the history twice, once by command (some 40 s on an idle machine, per engine).
@pytest.mark.slow
def test_the_bulk_path_appends_the_commands_events_and_writes_their_tables(empty_database, monkeypatch):
    from workflow.audit.verify import audit

    by_command = _lived(empty_database(), bulk=False, monkeypatch=monkeypatch)
    in_bulk = _lived(empty_database(), bulk=True, monkeypatch=monkeypatch)
    try:
        with Session(by_command) as one, Session(in_bulk) as other:
            expected = one.execute(select(Event.seq, Event.hash, Event.canonical).order_by(Event.seq)).all()
            got = other.execute(select(Event.seq, Event.hash, Event.canonical).order_by(Event.seq)).all()
            types = {kind for (kind,) in other.execute(select(Event.type).distinct())}
        assert len(got) == len(expected) > 2000
        assert {"household.registered", "person.added", "post.assigned", "pairing.started", "exit_case.opened", "exit_case.signed", "exit_case.relapsed"} <= types
        assert got == expected  # the last hash seals the whole log
        expected_tables, got_tables = _tables(by_command), _tables(in_bulk)
        for name in expected_tables:
            assert got_tables[name] == expected_tables[name], name
        with Session(in_bulk) as session:
            report = audit(session)
        assert report.intact, report
    finally:
        by_command.dispose()
        in_bulk.dispose()
