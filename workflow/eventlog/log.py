"""The one place that appends events: canonical form, hash chain, projection in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import operator
from collections.abc import Iterable
from decimal import Decimal
from json.encoder import encode_basestring as _quote  # the C encoder json.dumps uses when ensure_ascii=False
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session

from workflow import clock
from workflow.chunking import chunks
from workflow.db import insert_rows
from workflow import errors
from workflow.eventlog.models import GENESIS_HASH, Event
from workflow.eventlog.projection import handling, project, runs

# Any constant will do: every appender in every process takes this same lock.
_PG_CHAIN_LOCK = 0x65786974  # "exit"
_HEAD_KEY = "exit_tracker.chain_head"


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is writing: the authenticated account, and the person they act for, if any."""

    account: str
    on_behalf_of: str | None = None


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_moment(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__} in an event")


# json.dumps builds an encoder like this one on every call; it keeps no state between calls.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def canonical_json(value: Any) -> str:
    """The canonical serialization: sorted keys, no spaces, UTF-8 text, UTC moments."""
    return _CANONICAL.encode(value)


# How canonical_json writes a NUL. The same six characters also end a user's literal
# backslash followed by "u0000" (written "\\u0000"), so a hit is only a reason to look.
_NUL_ESCAPE = "\\u0000"


def payload_text(payload: dict[str, Any]) -> str:
    """The canonical text of an event's payload; DomainError `nul_character` if it holds a NUL.

    PostgreSQL cannot store a NUL in text and SQLite can: refusing it here, where every
    write passes, gives both engines the same answer (SPEC §5).
    """
    text = canonical_json(payload)
    if _NUL_ESCAPE in text:
        refuse_nul(payload)
    return text


def refuse_nul(value: Any) -> None:
    """Raise `nul_character`, naming the key that holds it, if a NUL is in `value` (its keys too)."""
    path = _nul_path(value, None)
    if path is not None:
        raise errors.NulCharacter(field=path)


def _nul_path(value: Any, path: str | None) -> str | None:
    """The dotted keys down to the first NUL in `value`, or None; `path` names `value` itself."""
    if isinstance(value, str):
        return (path or "payload") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            key = str(key)
            here = key if path is None else f"{path}.{key}"
            if "\x00" in key:
                return here.replace("\x00", _NUL_ESCAPE)
            found = _nul_path(item, here)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for item in value:
            found = _nul_path(item, path)
            if found is not None:
                return found
    return None


def format_moment(moment: dt.datetime) -> str:
    """`moment` in UTC as 2018-06-30T16:30:00.000000Z; ValueError if it carries no offset."""
    if moment.tzinfo is not clock.UTC:
        moment = clock.require_aware(moment, "moment")
    if moment.year < 1000:
        # The canonical form was defined by strftime, whose %Y does not pad such years here.
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # What strftime("%Y-%m-%dT%H:%M:%S.%fZ") writes, in a third of the time.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, moment.microsecond)


# The canonical form of an event, written out: the keys are fixed, so they are sorted here once.
_EVENT_TEMPLATE = (
    '{"account":%s,"entity_id":%s,"entity_type":%s,"occurred_at":"%s","on_behalf_of":%s,'
    '"payload":%s,"prev_hash":%s,"recorded_at":"%s","seq":%d,"type":%s}'
)


def canonical_event(
    seq: int,
    type: str,
    entity_type: str,
    entity_id: str,
    payload: str,
    account: str,
    on_behalf_of: str | None,
    occurred_at: dt.datetime,
    recorded_at: dt.datetime,
    prev_hash: str,
) -> str:
    """The canonical serialization of an event's columns, which `chain_hash` hashes.

    Exactly `canonical_json` of the event as a dict, built without the dict: verifying the
    chain spends most of its time here.
    """
    if seq.__class__ is int:  # json writes a bool or a float otherwise: such a value is left to the general form
        try:
            return _EVENT_TEMPLATE % (
                _quote(account),
                _quote(entity_id),
                _quote(entity_type),
                format_moment(occurred_at),
                "null" if on_behalf_of is None else _quote(on_behalf_of),
                _quote(payload),
                _quote(prev_hash),
                format_moment(recorded_at),
                seq,
                _quote(type),
            )
        except TypeError:
            pass  # a value that is not text (None where text belongs): the general form decides
    return _canonical_event_dict(seq, type, entity_type, entity_id, payload, account, on_behalf_of, occurred_at, recorded_at, prev_hash)


def _canonical_event_dict(seq, type, entity_type, entity_id, payload, account, on_behalf_of, occurred_at, recorded_at, prev_hash) -> str:
    return canonical_json(
        {
            "seq": seq,
            "type": type,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "payload": payload,
            "account": account,
            "on_behalf_of": on_behalf_of,
            "occurred_at": format_moment(occurred_at),
            "recorded_at": format_moment(recorded_at),
            "prev_hash": prev_hash,
        }
    )


def chain_hash(event: Event) -> str:
    """SHA-256 of the event's canonical serialization, which includes the previous hash."""
    return hashlib.sha256(_canonical_bytes(event)).hexdigest()


def seal(event: Any) -> str:
    """Give `event` (an `Event`, or any object with its columns) its canonical bytes and its hash; the hash.

    The one place a writer turns an event's columns, its prev_hash included, into what the
    chain stores: `canonical` (what `chain_hash` hashes) and `hash`.
    """
    event.canonical = _canonical_bytes(event)
    event.hash = hashlib.sha256(event.canonical).hexdigest()
    return event.hash


def _canonical_bytes(event: Any) -> bytes:
    return canonical_event(
        event.seq,
        event.type,
        event.entity_type,
        event.entity_id,
        event.payload,
        event.account,
        event.on_behalf_of,
        event.occurred_at,
        event.recorded_at,
        event.prev_hash,
    ).encode("utf-8")


def head(session: Session) -> tuple[int, str]:
    """The (seq, hash) of the last event, or (0, GENESIS_HASH) for an empty log."""
    row = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def _transaction(session: Session) -> object:
    """The innermost transaction under way: what a remembered head is valid for."""
    return session.get_nested_transaction() or session.get_transaction()


def _locked_head(session: Session) -> tuple[int, str, dt.datetime | None]:
    """The (seq, hash, recorded_at) of the last event, with the log locked for this transaction's appends."""
    # Appends in one transaction reuse the head they computed. The head is remembered with the
    # transaction it was read in, so a later transaction (or a savepoint rolled back) reads it afresh.
    cached = session.info.get(_HEAD_KEY)
    if cached is not None and cached[0] is _transaction(session):
        return cached[1]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    # SQLite: the write transaction began IMMEDIATE, so no other writer holds the log now.
    row = session.execute(select(Event.seq, Event.hash, Event.recorded_at).order_by(Event.seq.desc()).limit(1)).first()
    return (row[0], row[1], row[2]) if row else (0, GENESIS_HASH, None)


def lock(session: Session) -> int:
    """Lock the log for this transaction's appends now (as the first `append` would) and give
    the seq of its last event: the events the transaction appends from here run on from it,
    with no other writer's among them, until it ends."""
    return _locked_head(session)[0]


def _remember_head(session: Session, seq: int, hash: str, recorded_at: dt.datetime) -> None:
    session.info[_HEAD_KEY] = (_transaction(session), (seq, hash, recorded_at))


def recording_moment(previous: dt.datetime | None) -> dt.datetime:
    """When an event appended after one recorded at `previous` is recorded: the server's clock,
    but never earlier than `previous`. The log's recorded time never runs backwards, so the
    log as known at any moment is the events recorded by then (`versions.known_by`), found by
    index, even when two servers' clocks disagree a little."""
    now = clock.now()
    return now if previous is None or now >= previous else previous


def checked_occurrence(occurred_at: dt.datetime | None, *, now: dt.datetime | None = None) -> dt.datetime:
    """When a recorded act happened, in UTC: `now` if not given; refused without an offset or in the future.

    Commands call this before their own checks too, so a bad moment is reported as such
    rather than as, say, a post nobody held on a date still to come.
    """
    now = now or clock.now()
    if occurred_at is None:
        return now
    occurred_at = clock.with_offset(occurred_at, field="occurred_at").astimezone(clock.UTC)
    if occurred_at > now:
        raise errors.OccurredInFuture(occurred_at=occurred_at.isoformat(), now=now.isoformat())
    return occurred_at


def append(
    session: Session,
    *,
    type: str,
    entity_type: str,
    entity_id: str,
    payload: dict[str, Any],
    actor: Actor,
    occurred_at: dt.datetime | None = None,
) -> Event:
    """Append one event to the log and apply it to the projections, in the caller's transaction."""
    checked_occurrence(occurred_at)  # a bad moment is refused before the log is locked
    handling(type)  # an event no projection keeps is refused before anything is written
    text = payload_text(payload)
    seq, prev_hash, previous = _locked_head(session)
    recorded_at = recording_moment(previous)
    occurred_at = checked_occurrence(occurred_at, now=recorded_at)
    event = Event(
        seq=seq + 1,
        type=type,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=text,
        account=actor.account,
        on_behalf_of=actor.on_behalf_of,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        prev_hash=prev_hash,
    )
    seal(event)
    session.add(event)
    project(session, [(event, json.loads(event.payload))])
    session.flush()
    _remember_head(session, event.seq, event.hash, recorded_at)
    return event


@dataclasses.dataclass(frozen=True)
class NewEvent:
    """One event for `append_many`: what `append` takes; the actor if not the batch's (a
    signature recorded by staff on the signer's behalf, among events of the staff's own)."""

    type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    occurred_at: dt.datetime | None = None
    actor: Actor | None = None


def append_new(session: Session, new: NewEvent, *, actor: Actor) -> Event:
    """`append` the event a command's checks built (the single command; an import appends many),
    by its own actor if it names one, as `append_many` does."""
    return append(session, type=new.type, entity_type=new.entity_type, entity_id=new.entity_id, payload=new.payload, actor=new.actor or actor, occurred_at=new.occurred_at)


_COLUMNS = [column.name for column in Event.__table__.columns]


class _Appended:
    """An appended event as the projections and `chain_hash` read it, without an ORM object's cost."""

    __slots__ = _COLUMNS


_values = operator.attrgetter(*_COLUMNS)  # an event's column values, in the table's order
BATCH = 10_000  # events appended per round trip by append_many


def append_many(session: Session, events: Iterable[NewEvent], *, actor: Actor) -> int:
    """Append events in order, as `append` would one by one (each by its own `actor`, or by
    the batch's), with one INSERT and one flush per batch; the clock is read once per event.

    The log, the hashes and the projections come out exactly as from `append` called for
    each event in turn (the same clock reading per event, the same projections, in order);
    only the round trips differ. The number appended.
    """
    count = 0
    for batch in chunks(events, BATCH):
        texts = [payload_text(new.payload) for new in batch]  # a NUL is refused before the batch writes anything
        seq, prev_hash, recorded_at = _locked_head(session)
        session.flush()  # earlier pending changes land before this batch's events
        appended = []
        for new, text in zip(batch, texts, strict=True):
            recorded_at = recording_moment(recorded_at)
            event = _Appended()
            seq += 1
            event.seq, event.type, event.entity_type, event.entity_id = seq, new.type, new.entity_type, new.entity_id
            who = new.actor or actor
            event.payload, event.account, event.on_behalf_of = text, who.account, who.on_behalf_of
            event.occurred_at, event.recorded_at, event.prev_hash = checked_occurrence(new.occurred_at, now=recorded_at), recorded_at, prev_hash
            prev_hash = seal(event)
            appended.append(event)
        insert_rows(session.connection(), Event.__table__, [_values(event) for event in appended])
        for run in runs(session, appended):
            # As in a replay: the unit of work does not order tables by foreign key.
            session.flush()
            project(session, [(event, json.loads(event.payload)) for event in run])
        session.flush()
        _remember_head(session, seq, prev_hash, recorded_at)
        count += len(appended)
    return count

