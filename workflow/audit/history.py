"""The log read back: the events about a record, and the log filtered for an auditor."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.sql import Select
from sqlmodel import Session

from workflow.eventlog.models import Event


@dataclasses.dataclass(frozen=True)
class EventFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    account: str | None = None
    on_behalf_of: str | None = None
    type: str | None = None
    recorded_from: dt.datetime | None = None
    recorded_to: dt.datetime | None = None


def events(session: Session, where: EventFilter, *, after_seq: int = 0, limit: int = 100, within: Select | None = None) -> list[Event]:
    """Events matching `where`, in log order, after `after_seq` (the cursor), at most `limit`;
    only those `within` selects (a SELECT of events, e.g. an account's scope), if given."""
    query = (within if within is not None else select(Event)).where(Event.seq > after_seq)
    for column in ("entity_type", "entity_id", "account", "on_behalf_of", "type"):
        value = getattr(where, column)
        if value is not None:
            query = query.where(getattr(Event, column) == value)
    if where.recorded_from is not None:
        query = query.where(Event.recorded_at >= where.recorded_from)
    if where.recorded_to is not None:
        query = query.where(Event.recorded_at <= where.recorded_to)
    return list(session.execute(query.order_by(Event.seq).limit(limit)).scalars())


def history(session: Session, entity_type: str, entity_id: str) -> list[Event]:
    """Every event about one record, oldest first."""
    query = select(Event).where(Event.entity_type == entity_type, Event.entity_id == entity_id).order_by(Event.seq)
    return list(session.execute(query).scalars())
