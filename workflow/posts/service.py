"""Commands that assign and end posts, pair cadres with households and link units to villages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from rules.schema import Level, TargetSet
from workflow import rulebook
from workflow import errors
from workflow.eventlog import Actor, Event, NewEvent, append, append_new
from workflow.eventlog.projection import EventProjection, Run
from workflow.eventlog.versions import insert_states
from workflow.lookups import Lookups
from workflow.org.places import Subtree
from workflow.org.service import LEVEL_ZH, get_unit
from workflow.posts.models import DateSpan, Pairing, Post, UnitLink
from workflow.teams.withdrawal import check_member_may_leave
from workflow.types import new_id

# The read model of posts (任职), pairings (结对) and unit links (联系村): kept by the functions marked @POSTS.on below.
POSTS = EventProjection("posts")


def check_span(start_date: dt.date, end_date: dt.date | None) -> None:
    """Refuse a span whose last day comes before its first (posts, pairings, links, teams, marks)."""
    if end_date is not None and end_date < start_date:
        raise errors.InvalidDates.end_before_start(end_date=end_date, start_date=start_date)


def span_ended(span: DateSpan, data: dict[str, Any]) -> DateSpan:
    """Projector helper: the span with the `end_date` of an *.ended event."""
    span.end_date = dt.date.fromisoformat(data["end_date"])
    return span


def _span_ending_event(session: Session, *, actor: Actor, span: DateSpan, kind: str, end_date: dt.date, reason: str | None = None) -> None:
    check_span(span.start_date, end_date)
    append(
        session,
        type=f"{kind}.ended",
        entity_type=kind,
        entity_id=span.id,
        payload={"id": span.id, "end_date": end_date} | ({"reason": reason} if reason is not None else {}),
        actor=actor,
    )


# ---- posts ------------------------------------------------------------------------


def holders(session: Session, *, unit_code: str, role: str, on: dt.date) -> list[Post]:
    """The posts of `role` at `unit_code` held on `on`."""
    query = select(Post).where(Post.unit_code == unit_code, Post.role == role, Post.start_date <= on)
    return [post for post in session.execute(query).scalars() if post.held_on(on)]


def posts_of(session: Session, person_id: str) -> list[Post]:
    """Every post `person_id` has held, earliest first."""
    query = select(Post).where(Post.person_id == person_id).order_by(Post.start_date, Post.id)
    return list(session.execute(query).scalars())


def get_post(session: Session, post_id: str) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise errors.PostNotFound(id=post_id, field="post")
    return post


def assign_post(session: Session, *, actor: Actor, **arguments: Any) -> Post:
    """Put `person_id` in `role` at `unit_code` from `start_date` (the first day in post);
    the arguments and checks of `post_assigned`."""
    return session.get(Post, append_new(session, post_assigned(Lookups(session), **arguments), actor=actor).entity_id)


def post_assigned(
    lookups: Lookups,
    *,
    person_id: str,
    role: str,
    unit_code: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    post_id: str | None = None,
) -> NewEvent:
    """The post.assigned event for these arguments, after every check `assign_post` makes."""
    person = lookups.person(person_id)
    unit = lookups.unit(unit_code)
    definition = rulebook.books().role(role)
    if definition is None:
        raise errors.InvalidRole.unknown(role=role, known=sorted(rulebook.books().role_codes()))
    if unit.level != definition.level:
        raise errors.RoleUnitMismatch(
            role=definition.en,
            role_zh=definition.zh,
            role_level=definition.level.value,
            role_level_zh=LEVEL_ZH[definition.level],
            unit=unit_code,
            level=unit.level,
            level_zh=LEVEL_ZH[Level(unit.level)],
        )
    check_span(start_date, end_date)
    given = post_id is not None
    post_id = post_id or new_id()
    if given and lookups.taken(Post, post_id):  # a generated id is new by construction
        raise errors.DuplicateId.post(id=post_id)
    for other in lookups.posts_at(unit_code, role):
        if not other.overlaps(start_date, end_date):
            continue
        if other.person_id == person_id:
            raise errors.DuplicatePost(person=person.name, role=definition.en, role_zh=definition.zh, unit=unit.name, start_date=other.start_date, post=other.id)
        if definition.single_holder:
            holder = lookups.person(other.person_id)
            raise errors.PostTaken(
                role=definition.en,
                role_zh=definition.zh,
                unit=unit.name,
                holder=holder.name,
                start_date=other.start_date,
                end_date=other.end_date,
                post=other.id,
            )
    payload = {"id": post_id, "person_id": person_id, "role": role, "unit_code": unit_code, "start_date": start_date, "end_date": end_date}
    return NewEvent(type="post.assigned", entity_type="post", entity_id=post_id, payload=payload)


@POSTS.on("post.assigned")
def _post_assigned(session: Session, event: Event, data: dict[str, Any]) -> Post:
    return _added(session, Post(**_with_dates(data)))


@POSTS.on_many("post.assigned")
def _posts_assigned(session: Session, run: Run) -> list[dict[str, Any]]:
    # A city's sheet of posts: rows, not an ORM object each.
    return insert_states(session, Post.__table__, ((event, _with_dates(data)) for event, data in run))


def end_post(session: Session, *, actor: Actor, post_id: str, end_date: dt.date, reason: str | None = None) -> Post:
    """Record `end_date` as the last day in post (a later call supersedes an earlier end).

    A resident work-team member's post may not end while that leaves a poor village's team
    below strength (不脱贫出列不撤队), unless the rule book allows `reason`.
    """
    post = get_post(session, post_id)
    check_span(post.start_date, end_date)
    check_member_may_leave(session, post=post, end_date=end_date, reason=reason)
    _span_ending_event(session, actor=actor, span=post, kind="post", end_date=end_date, reason=reason)
    return post


@POSTS.on("post.ended")
def _post_ended(session: Session, event: Event, data: dict[str, Any]) -> Post:
    return span_ended(session.get(Post, data["id"]), data)


def _added(session: Session, span: DateSpan) -> DateSpan:
    session.add(span)
    return span


def _with_dates(data: dict[str, Any]) -> dict[str, Any]:
    converted = dict(data)
    for key in ("start_date", "end_date"):
        if converted.get(key) is not None:
            converted[key] = dt.date.fromisoformat(converted[key])
    return converted


# ---- pairings ---------------------------------------------------------------------


def pairings_of(session: Session, cadre_id: str) -> list[Pairing]:
    return Lookups(session).pairings_of(cadre_id)


def _most_concurrent(spans: list[DateSpan], first: dt.date, last: dt.date | None) -> int:
    """The largest number of `spans` in force on any one day from `first` to `last`."""
    days = {first} | {s.start_date for s in spans if s.start_date >= first and (last is None or s.start_date <= last)}
    return max(sum(1 for s in spans if s.held_on(day)) for day in days)


def pair(session: Session, *, actor: Actor, **arguments: Any) -> Pairing:
    """Pair a cadre with a household (结对帮扶), refusing more than the rule book's cap at once;
    the arguments and checks of `pairing_started`."""
    return session.get(Pairing, append_new(session, pairing_started(Lookups(session), **arguments), actor=actor).entity_id)


def pairing_started(
    lookups: Lookups,
    *,
    cadre_id: str,
    household_id: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    pairing_id: str | None = None,
) -> NewEvent:
    """The pairing.started event for these arguments, after every check `pair` makes."""
    cadre = lookups.person(cadre_id, field="cadre")
    household = lookups.household(household_id)
    check_span(start_date, end_date)
    book = rulebook.in_force(start_date, otherwise=rulebook.first())
    township = lookups.ancestor_at(lookups.unit(household.village_code), Level.township)
    cadre_roles = {role for rule in book.visit_rules if rule.targets is TargetSet.paired for role in rule.roles}
    if not any(post.role in cadre_roles and post.unit_code == township.code and post.held_on(start_date) for post in lookups.posts_of(cadre_id)):
        raise errors.NotACadreHere(cadre=cadre.name, roles=sorted(cadre_roles), township=township.name, start_date=start_date)
    existing = [p for p in lookups.pairings_of(cadre_id) if p.overlaps(start_date, end_date)]
    if any(p.household_id == household_id for p in existing):
        raise errors.DuplicatePairing(cadre=cadre.name, household=household_id)
    if existing and _most_concurrent(existing, start_date, end_date) >= book.pairing_cap:
        raise errors.PairingCapReached(cadre=cadre.name, cap=book.pairing_cap, book=book.id)
    pairing_id = pairing_id or new_id()
    payload = {"id": pairing_id, "cadre_id": cadre_id, "household_id": household_id, "start_date": start_date, "end_date": end_date}
    return NewEvent(type="pairing.started", entity_type="pairing", entity_id=pairing_id, payload=payload)


@POSTS.on("pairing.started")
def _pairing_started(session: Session, event: Event, data: dict[str, Any]) -> Pairing:
    return _added(session, Pairing(**_with_dates(data)))


@POSTS.on_many("pairing.started")
def _pairings_started(session: Session, run: Run) -> list[dict[str, Any]]:
    # A city's sheet of pairings: rows, not an ORM object each.
    return insert_states(session, Pairing.__table__, ((event, _with_dates(data)) for event, data in run))


def end_pairing(session: Session, *, actor: Actor, pairing_id: str, end_date: dt.date) -> Pairing:
    """Record the last day of a pairing."""
    pairing = session.get(Pairing, pairing_id)
    if pairing is None:
        raise errors.PairingNotFound(id=pairing_id, field="pairing")
    _span_ending_event(session, actor=actor, span=pairing, kind="pairing", end_date=end_date)
    return pairing


@POSTS.on("pairing.ended")
def _pairing_ended(session: Session, event: Event, data: dict[str, Any]) -> Pairing:
    return span_ended(session.get(Pairing, data["id"]), data)


# ---- links of city-direct units to poor villages ---------------------------------


def link_unit(
    session: Session,
    *,
    actor: Actor,
    unit_code: str,
    village_code: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    link_id: str | None = None,
) -> UnitLink:
    """Link a city-direct unit to a poor village it is responsible for (联系村)."""
    unit = get_unit(session, unit_code)
    village = get_unit(session, village_code, field="village")
    if unit.level != Level.city_unit:
        raise errors.InvalidUnit(code=unit_code, level=unit.level)
    if village.level != Level.village:
        raise errors.InvalidVillage(code=village_code, level=village.level)
    if not Subtree(unit.path.rsplit("/", 1)[0]).contains(village.path):  # the city above the city-direct unit
        raise errors.OutsideCity(village=village.name, unit=unit.name)
    check_span(start_date, end_date)
    query = select(UnitLink).where(UnitLink.unit_code == unit_code, UnitLink.village_code == village_code)
    if any(link.overlaps(start_date, end_date) for link in session.execute(query).scalars()):
        raise errors.DuplicateLink(unit=unit.name, village=village.name)
    link_id = link_id or new_id()
    append(
        session,
        type="unit_link.started",
        entity_type="unit_link",
        entity_id=link_id,
        payload={"id": link_id, "unit_code": unit_code, "village_code": village_code, "start_date": start_date, "end_date": end_date},
        actor=actor,
    )
    return session.get(UnitLink, link_id)


@POSTS.on("unit_link.started")
def _link_started(session: Session, event: Event, data: dict[str, Any]) -> UnitLink:
    return _added(session, UnitLink(**_with_dates(data)))


def end_link(session: Session, *, actor: Actor, link_id: str, end_date: dt.date) -> UnitLink:
    link = session.get(UnitLink, link_id)
    if link is None:
        raise errors.UnitLinkNotFound(id=link_id, field="link")
    _span_ending_event(session, actor=actor, span=link, kind="unit_link", end_date=end_date)
    return link


@POSTS.on("unit_link.ended")
def _link_ended(session: Session, event: Event, data: dict[str, Any]) -> UnitLink:
    return span_ended(session.get(UnitLink, data["id"]), data)
