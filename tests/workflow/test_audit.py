"""Auditor tools: verification finds and locates tampering; checkpoints prove the log only grew."""

import datetime as dt
import json
import random

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text
from sqlmodel import Session

from tests.factories import build_tree, household, person_in_post
from workflow.audit.checkpoint import generate_key, load_public_key, make_checkpoint, verify_checkpoint
from workflow.audit.history import history
from workflow.eventlog.versions import as_known_at, known_by
from workflow.audit.rebuild import replay_database
from workflow.audit.verify import audit
from workflow.db import make_engine, transaction
from workflow.eventlog import Actor, chain_hash, seal
from workflow.eventlog.models import Event
from workflow.org import service as org
from workflow.org.models import Household, Person
from workflow.posts import service as posts

CLERK = Actor(account="clerk")


def _populate(engine) -> None:
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒建国", role="township_cadre", unit=tree.township)
        for n in range(3):
            posts.pair(session, actor=CLERK, cadre_id=cadre, household_id=household(session, tree, f"H{n}"), start_date=dt.date(2017, 1, 1))


def _allow_tampering(engine) -> None:
    """Drop the append-only triggers, as someone with database-admin rights could."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER IF EXISTS event_append_only ON event"))
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS event_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS event_no_delete")


def test_untouched_database_verifies(engine):
    _populate(engine)
    with Session(engine) as session:
        report = audit(session)
    assert report.intact, (report.chain.first_break, report.projection)


TAMPERINGS = [
    "edit_payload",
    "edit_account",
    "edit_canonical",  # the stored bytes alone
    "edit_canonical_and_hash",  # the bytes and a hash made for them; the columns left as they were
    "edit_account_and_hash",  # a column and a hash made for the edited columns; the bytes left as they were
    "rewrite_one_event",  # its column, bytes and hash made consistent: only the link from the next event breaks
    "delete",
    "swap",
    "insert",
    "projection_edit",
    "projection_delete",
]


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_every_kind_of_tampering_is_caught_and_located(engine, tampering):
    _populate(engine)
    _allow_tampering(engine)
    with Session(engine) as session:
        total = session.execute(select(Event.seq).order_by(Event.seq.desc()).limit(1)).scalar_one()
    target = random.Random(tampering).randint(2, total - 1)
    with engine.begin() as c:
        if tampering == "edit_payload":
            c.execute(text("UPDATE event SET payload = replace(payload, :a, :b) WHERE seq = (SELECT min(seq) FROM event WHERE type = 'household.registered')"), {"a": '"members":', "b": '"members":1'})
            target = c.execute(text("SELECT min(seq) FROM event WHERE type = 'household.registered'")).scalar_one()
        elif tampering == "edit_account":
            c.execute(text("UPDATE event SET account = 'someone-else' WHERE seq = :s"), {"s": target})
        elif tampering == "edit_canonical":
            c.execute(text("UPDATE event SET canonical = :b WHERE seq = :s"), {"b": b"{}", "s": target})
        elif tampering in ("edit_canonical_and_hash", "edit_account_and_hash", "rewrite_one_event"):
            forged = _forged(c, target, account=None if tampering == "edit_canonical_and_hash" else "someone-else")
            if tampering == "edit_canonical_and_hash":
                c.execute(text("UPDATE event SET canonical = :canonical, hash = :hash WHERE seq = :seq"), forged)
            elif tampering == "edit_account_and_hash":
                c.execute(text("UPDATE event SET account = :account, hash = :hash_of_columns WHERE seq = :seq"), forged)
            else:
                c.execute(text("UPDATE event SET account = :account, canonical = :canonical, hash = :hash WHERE seq = :seq"), forged)
                target += 1  # the next event's prev_hash no longer names it
        elif tampering == "delete":
            c.execute(text("DELETE FROM event WHERE seq = :s"), {"s": target})
        elif tampering == "swap":
            c.execute(text("UPDATE event SET seq = -1 WHERE seq = :s"), {"s": target})
            c.execute(text("UPDATE event SET seq = :s WHERE seq = :n"), {"s": target, "n": target + 1})
            c.execute(text("UPDATE event SET seq = :n WHERE seq = -1"), {"n": target + 1})
        elif tampering == "insert":
            row = c.execute(text("SELECT * FROM event WHERE seq = :s"), {"s": target}).mappings().one()
            c.execute(text("UPDATE event SET seq = seq + 1000 WHERE seq > :s"), {"s": target})
            c.execute(text("UPDATE event SET seq = seq - 999 WHERE seq > :s"), {"s": target + 999})
            forged = dict(row, seq=target + 1, hash="f" * 64, prev_hash=row["hash"])
            c.execute(text("INSERT INTO event (seq, type, entity_type, entity_id, payload, account, on_behalf_of, occurred_at, recorded_at, prev_hash, hash, canonical) VALUES (:seq, :type, :entity_type, :entity_id, :payload, :account, :on_behalf_of, :occurred_at, :recorded_at, :prev_hash, :hash, :canonical)"), forged)
            target += 1
        elif tampering == "projection_edit":
            c.execute(text("UPDATE person SET name = '李鬼' WHERE name = '舒建国'"))
        elif tampering == "projection_delete":
            c.execute(text("DELETE FROM pairing WHERE household_id = 'H1'"))
    with Session(engine) as session:
        report = audit(session)
    assert not report.intact
    if tampering.startswith("projection"):
        assert report.chain.intact
        assert report.projection.table == ("person" if tampering == "projection_edit" else "pairing")
        assert report.projection.last_event_seq is not None
        if tampering == "projection_edit":
            assert report.projection.columns == {"name": ("李鬼", "舒建国")}
    else:
        assert report.chain.first_break.seq == target, report.chain.first_break


def _forged(connection, seq: int, *, account: str | None) -> dict:
    """Event `seq` as a forger would rewrite it: `account` changed (if given), a payload
    changed otherwise, with the canonical bytes and hash those columns give."""
    event = Event.model_validate(dict(connection.execute(select(Event.__table__).where(Event.seq == seq)).mappings().one()))
    if account is None:
        event.payload = event.payload.replace("}", ',"forged":true}', 1)
    else:
        event.account = account
    seal(event)
    return {"seq": seq, "account": event.account, "canonical": event.canonical, "hash": event.hash, "hash_of_columns": chain_hash(event)}


def test_checkpoint_verifies_while_the_log_only_grows_and_fails_after_a_rewrite(engine, tmp_path):
    key = tmp_path / "checkpoint.key"
    public = load_public_key(generate_key(key))
    _populate(engine)
    with Session(engine) as session:
        checkpoint = make_checkpoint(session, key)
    with transaction(engine) as session:
        org.add_person(session, actor=CLERK, name="后来者")
    with Session(engine) as session:
        check = verify_checkpoint(session, checkpoint, public)
    assert check.ok and check.grown_by == 1
    forged = dict(checkpoint, seq=checkpoint["seq"] - 1)
    with Session(engine) as session:
        assert not verify_checkpoint(session, forged, public).ok
    _allow_tampering(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE event SET account = 'rewritten' WHERE seq = 2"))
    with Session(engine) as session:
        check = verify_checkpoint(session, checkpoint, public)
    assert not check.ok and "event 2" in check.problem


def test_state_as_of_a_moment_ignores_what_was_recorded_later(engine):
    with freeze_time("2017-06-01T00:00:00Z"):
        with transaction(engine) as session:
            tree = build_tree(session)
            household(session, tree, "H-early")
    with freeze_time("2017-08-01T00:00:00Z"):
        with transaction(engine) as session:
            household(session, tree, "H-late", registered_on=dt.date(2014, 10, 1))
    moment = dt.datetime(2017, 7, 1, tzinfo=dt.timezone.utc)
    with Session(engine) as session:
        with as_known_at(session, moment) as then:
            assert sorted(then.execute(select(Household.id)).scalars()) == ["H-early"]
        assert [e.type for e in history(session, "household", "H-late")] == ["household.registered"]


def test_replay_until_a_seq_builds_a_database_that_verifies_on_its_own(engine, tmp_path):
    _populate(engine)
    target = make_engine(f"sqlite:///{tmp_path / 'then.db'}")
    with Session(engine) as session:
        copied = replay_database(session, target, until_seq=12)
    assert copied == 12
    with Session(target) as session:
        report = audit(session)
        assert report.intact
        assert report.chain.head_seq == 12
    target.dispose()


def test_state_as_of_stops_at_the_first_event_recorded_later_even_if_clocks_disagree(engine):
    # Event 1 stamped 10:00, event 2 stamped 09:00 by a server whose clock ran behind.
    with freeze_time("2017-07-01T10:00:00Z"):
        with transaction(engine) as session:
            org.add_person(session, actor=CLERK, name="甲", person_id="p-a")
    with freeze_time("2017-07-01T09:00:00Z"):
        with transaction(engine) as session:
            org.add_person(session, actor=CLERK, name="乙", person_id="p-b")
    with Session(engine) as session:
        nine_thirty = dt.datetime(2017, 7, 1, 9, 30, tzinfo=dt.timezone.utc)
        # The log at 09:30 held nothing: event 2 came after event 1, which was not yet there.
        assert known_by(session, nine_thirty) == 0
        with as_known_at(session, nine_thirty) as then:
            assert then.execute(select(Person.id)).scalars().all() == []
        assert known_by(session, dt.datetime(2017, 7, 1, 10, 0, tzinfo=dt.timezone.utc)) == 2
