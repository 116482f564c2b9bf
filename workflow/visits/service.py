"""Recording and voiding visits, their projectors, and visit queries."""

from __future__ import annotations

import datetime as dt
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlmodel import Session

from rules.schema import Level, TargetLevel
from workflow import clock, rulebook
from workflow import errors
from workflow import lookups as record_lookups
from workflow.db import insert_rows
from workflow.eventlog import Actor, Event, append, append_new
from workflow.eventlog.log import NewEvent, checked_occurrence
from workflow.eventlog.projection import EventProjection, Run
from workflow.org.service import LEVEL_ZH, get_unit
from workflow.org.places import Subtree
from workflow.posts.models import DateSpan, Post
from workflow.types import new_id
from workflow.visits.models import Visit

MAX_NOTES = 2000
TARGET_LEVEL_ZH = {"township": "乡镇", "village": "村", "household": "贫困户"}

# The read model of the visits themselves: kept by the functions marked @VISITS.on below.
# (The masks of the days they fell on are the obligations projection's.)
VISITS = EventProjection("visits")
_visits = Visit.__table__
_visit_values = itemgetter(*_visits.c.keys())


# ---- queries ----------------------------------------------------------------------


def get_visit(session: Session, visit_id: str) -> Visit:
    """The visit `visit_id`; NotFound otherwise."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise errors.VisitNotFound(id=visit_id, field="visit_id")
    return visit


def visits_query(
    session: Session,
    *,
    unit_code: str | None = None,
    visitor_id: str | None = None,
    target_level: str | None = None,
    target_id: str | None = None,
    occurred_from: dt.date | None = None,
    occurred_to: dt.date | None = None,
    include_voided: bool = False,
) -> Select:
    """A query for the visits matching every filter given (dates are local, inclusive).

    `unit_code` keeps visits to that unit or anything below it; `target_level` with
    `target_id` keeps visits that count for that target (visits below it included).
    The list as known at a past moment: read it from a session as known then
    (`eventlog.versions.reading`).
    """
    query = select(Visit)
    if unit_code is not None:
        unit = get_unit(session, unit_code, field="unit_code")
        query = query.where(Subtree.of(unit).clause(Visit.unit_path))
    if visitor_id is not None:
        query = query.where(Visit.visitor_id == visitor_id)
    if target_id is not None:
        query = query.where(_counts_for(target_level or "household", target_id))
    if occurred_from is not None:
        query = query.where(Visit.occurred_on >= occurred_from)
    if occurred_to is not None:
        query = query.where(Visit.occurred_on <= occurred_to)
    if not include_voided:
        query = query.where(Visit.voided_at.is_(None))
    return query


def list_visits(session: Session, *, limit: int = 100, **filters: Any) -> list[Visit]:
    """The visits matching `filters` (see `visits_query`), latest first, at most `limit`."""
    query = visits_query(session, **filters).order_by(Visit.occurred_at.desc(), Visit.id).limit(limit)
    return list(session.execute(query).scalars())


def _counts_for(target_level: str, target_id: str):
    """A WHERE clause keeping the visits that count as a visit to the target."""
    if target_level == "household":
        return and_(Visit.target_level == "household", Visit.target_id == target_id)
    if target_level == "village":
        return Visit.village_code == target_id
    return Visit.township_code == target_id


# ---- commands ---------------------------------------------------------------------


def record_visit(
    session: Session,
    *,
    actor: Actor,
    visitor_id: str,
    target_level: TargetLevel | str,
    target_id: str,
    occurred_at: dt.datetime,
    notes: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    visit_id: str | None = None,
) -> Visit:
    """Record that `visitor_id` visited a township, village or household at `occurred_at`.

    Refused: a moment without an offset or in the future, an unknown visitor or target, a
    target of another level than `target_level`, a visitor who held no post on that local
    date, coordinates out of range or given singly, notes longer than MAX_NOTES.
    """
    new = visit_recorded(
        session,
        visitor_id=visitor_id,
        target_level=target_level,
        target_id=target_id,
        occurred_at=occurred_at,
        notes=notes,
        latitude=latitude,
        longitude=longitude,
        visit_id=visit_id,
    )
    return session.get(Visit, append_new(session, new, actor=actor).entity_id)


class Lookups(record_lookups.Lookups):
    """Where the checks of a visit read the rows they need: here, the session, a row at a time.

    The import passes its own, answering from the rows it loaded for a whole chunk of lines
    and asking this one about anything it lacks, so that an unknown id fails with the same
    error either way.
    """

    def posts(self, person_id: str, day: dt.date) -> list[DateSpan]:
        """The person's posts (at least those begun by `day`)."""
        return list(self.session.execute(select(Post).where(Post.person_id == person_id, Post.start_date <= day)).scalars())

    def visit_id_taken(self, visit_id: str) -> bool:
        return self.session.get(Visit, visit_id) is not None


def visit_recorded(
    session: Session,
    *,
    visitor_id: str,
    target_level: TargetLevel | str,
    target_id: str,
    occurred_at: dt.datetime,
    notes: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    visit_id: str | None = None,
    lookups: Lookups | None = None,
) -> NewEvent:
    """The visit.recorded event for these arguments, after every check `record_visit` makes.

    The import passes `lookups` that answer from the rows it has already loaded (and
    count the ids of its own earlier lines as taken), so a file checks exactly as single
    visits do.
    """
    lookups = lookups or Lookups(session)
    # The moment first, so a visit in the future is refused as such, not as "not in post"
    # for a date no post covers yet.
    occurred_at = checked_occurrence(occurred_at)
    visitor = lookups.person(visitor_id, field="visitor_id")
    place = _resolve_target(lookups, target_level, target_id)
    occurred_on = rulebook.local_date_of(occurred_at)
    _require_post_on(lookups.posts(visitor_id, occurred_on), visitor.name, occurred_on)
    _check_coordinates(latitude, longitude)
    if notes is not None and len(notes) > MAX_NOTES:
        raise errors.NotesTooLong(limit=MAX_NOTES)
    visit_id = visit_id or new_id()
    if lookups.visit_id_taken(visit_id):
        raise errors.DuplicateId.visit(id=visit_id)
    payload = {
        "id": visit_id,
        "visitor_id": visitor_id,
        **place,
        "occurred_on": occurred_on,
        "notes": notes,
        "latitude": latitude,
        "longitude": longitude,
    }
    return NewEvent(type="visit.recorded", entity_type="visit", entity_id=visit_id, payload=payload, occurred_at=occurred_at)


def void_visit(session: Session, *, actor: Actor, visit_id: str, reason: str) -> Visit:
    """Void a wrongly recorded visit with a reason: it stops counting; the record stays."""
    visit = get_visit(session, visit_id)
    if not reason or not reason.strip():
        raise errors.ReasonRequired.visit_voided()
    if visit.voided_at is not None:
        raise errors.VisitAlreadyVoided(id=visit_id, voided_at=visit.voided_at.isoformat())
    append(
        session,
        type="visit.voided",
        entity_type="visit",
        entity_id=visit_id,
        payload={"id": visit_id, "reason": reason.strip()},
        actor=actor,
    )
    return visit


def _resolve_target(lookups: Lookups, target_level: TargetLevel | str, target_id: str) -> dict[str, Any]:
    """The payload fields naming the target and the units above it; errors for a bad target."""
    try:
        level = TargetLevel(target_level)
    except ValueError:
        raise errors.InvalidTargetLevel(target_level=target_level, valid=[level.value for level in TargetLevel]) from None
    if level is TargetLevel.household:
        household = lookups.household(target_id, field="target_id")
        unit = lookups.unit(household.village_code)
    else:
        unit = lookups.unit(target_id, field="target_id")
        if unit.level != level.value:
            raise errors.TargetLevelMismatch(
                target_id=target_id, level=unit.level, level_zh=LEVEL_ZH[Level(unit.level)], expected=level.value, expected_zh=TARGET_LEVEL_ZH[level.value]
            )
    township_code = unit.code if unit.level == Level.township else unit.parent_code
    return {
        "target_level": level.value,
        "target_id": target_id,
        "village_code": unit.code if unit.level == Level.village else None,
        "township_code": township_code,
        "unit_path": unit.path,
    }


def _require_post_on(posts: list[DateSpan], name: str, day: dt.date) -> None:
    if not any(post.held_on(day) for post in posts):
        raise errors.VisitorNotInPost(name=name, date=day.isoformat())


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise errors.InvalidCoordinates.half(field="latitude" if latitude is None else "longitude")
    if latitude is not None and not -90 <= latitude <= 90:
        raise errors.InvalidCoordinates.latitude(latitude=latitude)
    if longitude is not None and not -180 <= longitude <= 180:
        raise errors.InvalidCoordinates.longitude(longitude=longitude)


# ---- projectors -------------------------------------------------------------------


def visit_row(event: Event, data: dict[str, Any]) -> dict[str, Any]:
    """The `Visit` columns a visit.recorded event sets (also used by bulk loaders, so both agree)."""
    return {
        **{key: data[key] for key in ("id", "visitor_id", "target_level", "target_id", "village_code", "township_code", "unit_path", "notes", "latitude", "longitude")},
        "occurred_at": event.occurred_at,
        "occurred_on": dt.date.fromisoformat(data["occurred_on"]),
        "recorded_at": event.recorded_at,
        "recorded_by": event.account,
        "on_behalf_of": event.on_behalf_of,
        "voided_at": None,
        "voided_by": None,
        "void_reason": None,
        "recorded_seq": event.seq,
        "voided_seq": None,
    }


@VISITS.on("visit.recorded")
def _visit_recorded(session: Session, event: Event, data: dict[str, Any]) -> None:
    session.add(Visit(**visit_row(event, data)))


@VISITS.on_many("visit.recorded")
def _visits_recorded(session: Session, run: Run) -> None:
    # Imports bring tens of thousands at a time: one bulk INSERT, no ORM object each.
    insert_rows(session.connection(), _visits, [_visit_values(visit_row(event, data)) for event, data in run])


@VISITS.on("visit.voided")
def _visit_voided(session: Session, event: Event, data: dict[str, Any]) -> None:
    visit = session.get(Visit, data["id"])
    visit.voided_at, visit.voided_seq = event.recorded_at, event.seq
    visit.voided_by = event.account
    visit.void_reason = data["reason"]
