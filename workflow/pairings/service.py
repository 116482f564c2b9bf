"""Commands that mark a poor household in deep poverty (深度贫困) and end the mark, and their projection."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow import errors
from workflow.eventlog import Actor, Event, append
from workflow.eventlog.projection import EventProjection
from workflow.org.service import get_household
from workflow.pairings.models import DeepPoverty
from workflow.posts.service import check_span, span_ended
from workflow.types import new_id

# The read model of deep-poverty marks: kept by the functions marked @PAIRINGS.on below.
PAIRINGS = EventProjection("pairings")


def deep_poverty_of(session: Session, household_id: str) -> list[DeepPoverty]:
    """Every deep-poverty mark of the household, earliest first."""
    query = select(DeepPoverty).where(DeepPoverty.household_id == household_id).order_by(DeepPoverty.start_date, DeepPoverty.id)
    return list(session.execute(query).scalars())


def mark_deep_poverty(
    session: Session, *, actor: Actor, household_id: str, start_date: dt.date, end_date: dt.date | None = None, mark_id: str | None = None
) -> DeepPoverty:
    """Mark a registered household as in deep poverty (贫困程度深、脱贫难度大) from `start_date`."""
    household = get_household(session, household_id)
    check_span(start_date, end_date)
    if any(mark.overlaps(start_date, end_date) for mark in deep_poverty_of(session, household_id)):
        raise errors.AlreadyDeepPoverty(household=household_id, head_name=household.head_name)
    mark_id = mark_id or new_id()
    append(
        session,
        type="deep_poverty.marked",
        entity_type="deep_poverty",
        entity_id=mark_id,
        payload={"id": mark_id, "household_id": household_id, "start_date": start_date, "end_date": end_date},
        actor=actor,
    )
    return session.get(DeepPoverty, mark_id)


@PAIRINGS.on("deep_poverty.marked")
def _marked(session: Session, event: Event, data: dict[str, Any]) -> DeepPoverty:
    mark = DeepPoverty(
        id=data["id"],
        household_id=data["household_id"],
        start_date=dt.date.fromisoformat(data["start_date"]),
        end_date=dt.date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
    )
    session.add(mark)
    return mark


def end_deep_poverty(session: Session, *, actor: Actor, mark_id: str, end_date: dt.date) -> DeepPoverty:
    """Record the last day the household counts as in deep poverty."""
    mark = session.get(DeepPoverty, mark_id)
    if mark is None:
        raise errors.DeepPovertyNotFound(id=mark_id, field="mark")
    check_span(mark.start_date, end_date)
    append(session, type="deep_poverty.ended", entity_type="deep_poverty", entity_id=mark_id, payload={"id": mark_id, "end_date": end_date}, actor=actor)
    return mark


@PAIRINGS.on("deep_poverty.ended")
def _ended(session: Session, event: Event, data: dict[str, Any]) -> DeepPoverty:
    return span_ended(session.get(DeepPoverty, data["id"]), data)
