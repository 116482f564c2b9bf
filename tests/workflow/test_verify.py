"""The SQL form of an event's canonical bytes is the definition's, and where it is not, the definition decides."""

import datetime as dt

from sqlalchemy import text
from sqlmodel import Session

from tests.factories import ADMIN
from workflow.db import transaction
from workflow.eventlog import append
from workflow.eventlog.verify import agreement_sql, verify_chain

# Every character JSON escapes (NUL is refused before any write), and text it leaves alone.
AWKWARD = "".join(chr(code) for code in range(1, 32)) + '"\\/\x7f 中文 😀 \u2028\u2029 \ufeff'


def _disagreeing(engine) -> list[int]:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT seq FROM event WHERE NOT ({agreement_sql(engine.dialect.name)}) ORDER BY seq")).scalars().all()


def test_the_database_writes_every_escaped_character_as_the_canonical_form_does(engine):
    with transaction(engine) as session:
        for n, piece in enumerate([AWKWARD, AWKWARD[::-1], "plain"]):
            append(session, type="person.added", entity_type="person", entity_id=f"p{n}{piece[:3]}", payload={"id": f"p{n}", "name": piece, piece: [piece]}, actor=ADMIN)
    assert _disagreeing(engine) == []
    with Session(engine) as session:
        assert verify_chain(session).intact


def test_an_event_whose_sql_form_differs_from_the_definition_is_judged_by_the_definition(engine):
    # The canonical form writes a year before 1000 without padding (as strftime did); SQL pads it.
    with transaction(engine) as session:
        append(session, type="person.added", entity_type="person", entity_id="p-old", payload={"id": "p-old", "name": "古人"}, actor=ADMIN,
               occurred_at=dt.datetime(999, 1, 1, tzinfo=dt.timezone.utc))
    assert len(_disagreeing(engine)) == 1
    with Session(engine) as session:
        assert verify_chain(session).intact
