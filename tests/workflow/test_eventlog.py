import dataclasses
import datetime as dt
import json
import threading

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from workflow.db import transaction
from workflow.errors import DomainError
from workflow.eventlog import GENESIS_HASH, Actor, Event, NewEvent, append, append_many, append_new, chain_hash
from workflow.eventlog.verify import verify_chain
from workflow.org import service as org
from workflow.org.models import Person

BEIJING = dt.timezone(dt.timedelta(hours=8))


def _events(session: Session) -> list[Event]:
    return list(session.execute(select(Event).order_by(Event.seq)).scalars())


def test_each_event_carries_the_hash_of_the_one_before(session, actor):
    for name in ("张三", "李四", "王五"):
        org.add_person(session, actor=actor, name=name)
    session.commit()
    events = _events(session)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    assert all(chain_hash(e) == e.hash for e in events)
    assert verify_chain(session).intact


def test_event_records_account_on_behalf_of_and_both_times(session):
    occurred = dt.datetime(2017, 7, 1, 0, 30, tzinfo=BEIJING)
    with freeze_time("2017-07-03T02:00:00Z"):
        event = append(
            session,
            type="person.added",
            entity_type="person",
            entity_id="p-1",
            payload={"id": "p-1", "name": "舒建国", "gender": None},
            actor=Actor(account="clerk-7", on_behalf_of="p-9"),
            occurred_at=occurred,
        )
    session.commit()
    stored = session.execute(select(Event)).scalar_one()
    assert stored.account == "clerk-7" and stored.on_behalf_of == "p-9"
    assert stored.occurred_at == occurred
    assert stored.recorded_at == dt.datetime(2017, 7, 3, 2, 0, tzinfo=dt.timezone.utc)
    assert json.loads(stored.payload)["name"] == "舒建国"
    assert "舒建国" in stored.payload  # stored as UTF-8 text, not \\u escapes
    assert stored.hash == event.hash == chain_hash(stored)


def test_an_event_that_names_its_actor_is_recorded_as_theirs_by_either_appender(session, actor):
    """A signature entered by staff on the signer's behalf, among the staff's own events: the
    event names its actor, and one appended alone or in a batch records the same account."""
    signer = Actor(account="clerk-7", on_behalf_of="p-9")
    append_new(session, dataclasses.replace(_person_added("p-1", name="甲"), actor=signer), actor=actor)
    append_many(session, [_person_added("p-2", name="乙"), dataclasses.replace(_person_added("p-3", name="丙"), actor=signer)], actor=actor)
    session.commit()
    recorded = [(e.entity_id, e.account, e.on_behalf_of) for e in _events(session)]
    assert recorded == [("p-1", "clerk-7", "p-9"), ("p-2", actor.account, actor.on_behalf_of), ("p-3", "clerk-7", "p-9")]


def test_event_that_occurred_in_the_future_is_refused(session, actor):
    with freeze_time("2018-01-01T00:00:00Z"):
        with pytest.raises(DomainError) as caught:
            append(
                session,
                type="person.added",
                entity_type="person",
                entity_id="p-1",
                payload={"id": "p-1", "name": "赵六", "gender": None},
                actor=actor,
                occurred_at=dt.datetime(2018, 1, 1, 8, 0, 1, tzinfo=BEIJING),
            )
    assert caught.value.code == "occurred_in_future"
    assert caught.value.field == "occurred_at"


def _person_added(person_id: str, **payload) -> NewEvent:
    return NewEvent(type="person.added", entity_type="person", entity_id=person_id, payload={"id": person_id, "gender": None, **payload})


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "舒\x00建国"}, "name"),
        ({"name": "舒建国", "extra": {"notes": ["ok", "\x00"]}}, "extra.notes"),
        ({"name": "舒建国", "extra": [{"key\x00": 1}]}, "extra.key\\u0000"),
    ],
)
def test_a_nul_character_anywhere_in_a_payload_is_refused_by_both_appenders_before_anything_is_written(session, actor, payload, field):
    event = _person_added("p-1", **payload)
    with pytest.raises(DomainError) as one:
        append(session, type=event.type, entity_type=event.entity_type, entity_id=event.entity_id, payload=event.payload, actor=actor)
    with pytest.raises(DomainError) as many:
        append_many(session, [_person_added("p-0", name="张三"), event], actor=actor)
    for caught in (one, many):
        assert (caught.value.code, caught.value.field) == ("nul_character", field)
        assert "NUL" in caught.value.en and "空字符" in caught.value.zh
    session.commit()
    assert _events(session) == [] and session.execute(select(Person)).first() is None


def test_a_literal_backslash_u0000_in_text_is_not_a_nul_and_is_kept(session, actor):
    literal = "路径 C:\\u0000 照抄"  # a backslash, then the five characters u0000
    append_many(session, [_person_added("p-0", name=literal)], actor=actor)
    org.add_person(session, actor=actor, name=literal, person_id="p-1")
    session.commit()
    assert [p.name for p in session.execute(select(Person).order_by(Person.id)).scalars()] == [literal, literal]
    assert all(json.loads(e.payload)["name"] == literal for e in _events(session))
    assert verify_chain(session).intact


def test_event_without_an_offset_is_refused(session, actor):
    with pytest.raises(DomainError) as caught:
        append(session, type="person.added", entity_type="person", entity_id="p", payload={"id": "p", "name": "x", "gender": None}, actor=actor, occurred_at=dt.datetime(2017, 1, 1))
    assert caught.value.code == "naive_datetime"


@pytest.mark.parametrize("statement", ["UPDATE event SET account = 'someone-else'", "DELETE FROM event", "TRUNCATE event"])
def test_database_refuses_to_edit_or_delete_events(engine, actor, statement):
    if statement.startswith("TRUNCATE") and engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE without WHERE is refused above")
    with transaction(engine) as session:
        org.add_person(session, actor=actor, name="钱七")
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement))
    with Session(engine) as session:
        assert len(_events(session)) == 1


def test_a_failed_write_leaves_neither_event_nor_projection(engine, actor):
    with pytest.raises(DomainError):
        with transaction(engine) as session:
            org.add_person(session, actor=actor, name="孙八", person_id="p-8")
            org.add_person(session, actor=actor, name="孙八", person_id="p-8")
    with Session(engine) as session:
        assert _events(session) == []
        assert session.get(Person, "p-8") is None


def test_concurrent_appends_never_fork_or_reorder_the_chain(engine):
    writers, per_writer = 4, 15
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(worker: int) -> None:
        try:
            start.wait()
            for n in range(per_writer):
                with transaction(engine) as session:
                    org.add_person(session, actor=Actor(account=f"writer-{worker}"), name=f"并发{worker}-{n}", person_id=f"w{worker}-{n}")
        except BaseException as exc:  # noqa: BLE001 — reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with Session(engine) as session:
        report = verify_chain(session)
        assert report.intact, report.first_break
        assert report.events == writers * per_writer
        assert [e.seq for e in _events(session)] == list(range(1, writers * per_writer + 1))
        assert len(session.execute(select(Person)).all()) == writers * per_writer


def test_the_logs_recorded_time_never_runs_backwards_even_when_a_servers_clock_does(session, actor):
    from freezegun import freeze_time

    from workflow.eventlog.verify import verify_chain
    from workflow.eventlog.versions import known_by
    from workflow.org import service as org

    with freeze_time("2018-07-01T10:00:00Z"):
        org.add_person(session, actor=actor, name="甲", person_id="p-a")
    with freeze_time("2018-07-01T09:00:00Z"):  # a second server whose clock runs an hour behind
        org.add_person(session, actor=actor, name="乙", person_id="p-b")
    events = session.execute(select(Event).order_by(Event.seq)).scalars().all()
    assert [e.recorded_at.isoformat() for e in events] == ["2018-07-01T10:00:00+00:00"] * 2
    assert known_by(session, dt.datetime(2018, 7, 1, 9, 30, tzinfo=dt.timezone.utc)) == 0
    assert known_by(session, dt.datetime(2018, 7, 1, 10, 0, tzinfo=dt.timezone.utc)) == 2
    assert verify_chain(session).intact
