"""The one place that appends events: canonical form, hash chain, projection in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlmodel import Session

from workflow import clock
from workflow.errors import DomainError
from workflow.eventlog.models import GENESIS_HASH, Event
from workflow.eventlog.projectors import projector_for

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


def canonical_json(value: Any) -> str:
    """The canonical serialization: sorted keys, no spaces, UTF-8 text, UTC moments."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def format_moment(moment: dt.datetime) -> str:
    return clock.require_aware(moment, "moment").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(event: Event) -> str:
    """SHA-256 of the event's canonical serialization, which includes the previous hash."""
    body = {
        "seq": event.seq,
        "type": event.type,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "payload": event.payload,
        "account": event.account,
        "on_behalf_of": event.on_behalf_of,
        "occurred_at": format_moment(event.occurred_at),
        "recorded_at": format_moment(event.recorded_at),
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def head(session: Session) -> tuple[int, str]:
    """The (seq, hash) of the last event, or (0, GENESIS_HASH) for an empty log."""
    row = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def _locked_head(session: Session) -> tuple[int, str]:
    # Appends in one transaction reuse the head they computed; the cache dies with the transaction.
    cached = session.info.get(_HEAD_KEY)
    if cached is not None:
        return cached
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    # SQLite: the write transaction began IMMEDIATE, so no other writer holds the log now.
    return head(session)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, _transaction) -> None:
    session.info.pop(_HEAD_KEY, None)


def checked_occurrence(occurred_at: dt.datetime | None, *, now: dt.datetime | None = None) -> dt.datetime:
    """When a recorded act happened, in UTC: `now` if not given; refused without an offset or in the future.

    Commands call this before their own checks too, so a bad moment is reported as such
    rather than as, say, a post nobody held on a date still to come.
    """
    now = now or clock.now()
    if occurred_at is None:
        return now
    try:
        occurred_at = clock.require_aware(occurred_at)
    except ValueError as exc:
        raise DomainError("naive_datetime", str(exc), "occurred_at 必须带时区偏移,例如 2018-07-01T00:30:00+08:00", field="occurred_at") from None
    if occurred_at > now:
        raise DomainError(
            "occurred_in_future",
            f"occurred_at {occurred_at.isoformat()} is in the future (server time {now.isoformat()})",
            f"发生时间 {occurred_at.isoformat()} 晚于服务器当前时间 {now.isoformat()}",
            field="occurred_at",
        )
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
    recorded_at = clock.now()
    occurred_at = checked_occurrence(occurred_at, now=recorded_at)
    projector = projector_for(type)
    seq, prev_hash = _locked_head(session)
    event = Event(
        seq=seq + 1,
        type=type,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=canonical_json(payload),
        account=actor.account,
        on_behalf_of=actor.on_behalf_of,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        prev_hash=prev_hash,
    )
    event.hash = chain_hash(event)
    session.add(event)
    projector(session, event, json.loads(event.payload))
    session.flush()
    session.info[_HEAD_KEY] = (event.seq, event.hash)
    return event
