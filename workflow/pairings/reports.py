"""Pairing coverage (结对帮扶全覆盖) on a day: unpaired poor households, coverage per unit, and
deep-poverty households paired with a cadre who is not a party leading cadre (an advisory).

Each reads the session it is given: the records as now, or as known at a moment
(`versions.known_records`). `on` is the day evaluated, in the rule book's zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlmodel import Session

from rules import RuleBook
from rules.schema import PairingCoverageRule, TargetSet
from workflow.chunking import chunks
from workflow.db import in_span, one_of, rows_in
from workflow import errors, rulebook
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell
from workflow.org.places import Subtree, places
from workflow.org.service import get_unit
from workflow.pairings import cover
from workflow.pairings.models import DeepPoverty
from workflow.posts.models import Pairing, Post


@dataclasses.dataclass(frozen=True)
class CadreRoom:
    """A township cadre in post on the day, and how many more households they may take (cap − paired)."""

    person_id: str
    name: str
    paired: int
    room: int


@dataclasses.dataclass(frozen=True)
class UnpairedHousehold:
    """A registered poor household no pairing covers on the day, since when, and who could take it."""

    household_id: str
    head_name: str
    members: int
    village_code: str
    township_code: str | None
    county_code: str | None
    unpaired_since: dt.date
    days_unpaired: int  # days from unpaired_since to the report's day, both counted
    deep_poverty: bool
    cadres_with_room: tuple[CadreRoom, ...]


@dataclasses.dataclass(frozen=True)
class Coverage:
    """Paired ÷ registered poor households in a unit on the day."""

    unit_code: str
    unit_name: str
    level: str
    registered: int
    paired: int
    unpaired: int
    rate: Decimal | None  # None when the unit has no registered poor household


class DeepPovertyAdvisory(NamedTuple):
    """A deep-poverty household paired with a cadre who holds no party leading post on the day (advisory).

    A named tuple, not a frozen dataclass: a city's list is tens of thousands of rows, and a
    frozen dataclass costs several times as much to build.
    """

    household_id: str
    head_name: str
    village_code: str
    township_code: str | None
    county_code: str | None
    pairing_id: str
    cadre_id: str
    cadre_name: str
    cadre_roles: tuple[str, ...]


def _rule(on: dt.date) -> tuple[RuleBook, PairingCoverageRule]:
    book = rulebook.in_force(on)
    if book.pairing_coverage is None:
        raise errors.RuleNotInBook.pairing_coverage(book=book.id)
    return book, book.pairing_coverage


def _registered(scope: OrgUnit, on: dt.date, *, only=None):
    """The select of the registered poor households under `scope` on `on`: household columns and
    their spell's `registered_on`, plus `paired` (a pairing covers the day) and `deep`; `only`:
    a further condition on the households (those of some villages, some ids)."""
    covering = select(Pairing.id).where(Pairing.household_id == Household.id, in_span(Pairing.start_date, Pairing.end_date, on)).exists()
    deep = select(DeepPoverty.id).where(DeepPoverty.household_id == Household.id, in_span(DeepPoverty.start_date, DeepPoverty.end_date, on)).exists()
    spell_now = and_(RegistrySpell.kind == "poor_household", RegistrySpell.subject_id == Household.id, in_span(RegistrySpell.registered_on, RegistrySpell.exited_on, on))
    query = (
        select(Household.id, Household.head_name, Household.members, Household.village_code, RegistrySpell.registered_on, covering.label("paired"), deep.label("deep"))
        .join(OrgUnit, OrgUnit.code == Household.village_code)
        .join(RegistrySpell, spell_now)
        .where(Subtree.of(scope).clause(OrgUnit.path))
    )
    return query if only is None else query.where(only)


def _by_village(session: Session, scope: OrgUnit, on: dt.date) -> list[tuple[str, int, int]]:
    """Per village under `scope` with registered poor households on `on`: (village, households, paired)."""
    return [(village, households, paired) for village, households, paired, _ in cover.by_village(session, scope, on)]


def _cadres_with_room(session: Session, townships: set[str], book: RuleBook, on: dt.date) -> dict[str, tuple[CadreRoom, ...]]:
    """Per township of `townships`: the cadres of the paired visit rule in post there on `on` with room under the cap, most room first."""
    roles = sorted({role for rule in book.visit_rules if rule.targets is TargetSet.paired for role in rule.roles})
    by_township: dict[str, list[CadreRoom]] = defaultdict(list)
    for part in chunks(sorted(townships)):
        in_post = select(Post.person_id).where(Post.unit_code.in_(part), Post.role.in_(roles), in_span(Post.start_date, Post.end_date, on))
        cadres = session.execute(in_post.add_columns(Post.unit_code, Person.name).join(Person, Person.id == Post.person_id)).all()
        counted = select(Pairing.cadre_id, func.count()).where(in_span(Pairing.start_date, Pairing.end_date, on), Pairing.cadre_id.in_(in_post)).group_by(Pairing.cadre_id)
        paired = dict(session.execute(counted).all())
        for person_id, unit_code, name in cadres:
            count = paired.get(person_id, 0)
            if count < book.pairing_cap:
                by_township[unit_code].append(CadreRoom(person_id, name, count, book.pairing_cap - count))
    return {code: tuple(sorted(found, key=lambda c: (-c.room, c.name, c.person_id))) for code, found in by_township.items()}


def unpaired_households(session: Session, *, scope_code: str, on: dt.date) -> list[UnpairedHousehold]:
    """The registered poor households under `scope_code` that no pairing covers on `on`, by
    county, township and village, longest unpaired first: since when, and the township's
    cadres who still have room under the rule book's cap."""
    book, _ = _rule(on)
    scope = get_unit(session, scope_code, field="unit")
    # Only the villages with an unpaired household are read household by household.
    villages = {village for village, households, paired in _by_village(session, scope, on) if paired < households}
    unpaired = []
    for part in chunks(sorted(villages)):
        registered = _registered(scope, on, only=one_of(session.connection(), Household.village_code, part)).subquery()
        # The day after the last pairing that ended before `on`: since when the household is unpaired (else its registration).
        last_ended = select(func.max(Pairing.end_date)).where(Pairing.household_id == registered.c.id, Pairing.end_date < on).scalar_subquery()
        unpaired += session.execute(select(registered, last_ended.label("last_ended")).where(~registered.c.paired)).all()
    if not unpaired:
        return []
    where = places(session.connection(), {row.village_code for row in unpaired})
    townships = {where[row.village_code].township_code for row in unpaired} - {None}
    room = _cadres_with_room(session, townships, book, on)
    rows = []
    for row in unpaired:
        since = max(row.registered_on, row.last_ended + dt.timedelta(days=1)) if row.last_ended is not None else row.registered_on
        place = where[row.village_code]
        rows.append(
            UnpairedHousehold(
                household_id=row.id,
                head_name=row.head_name,
                members=row.members,
                village_code=row.village_code,
                township_code=place.township_code,
                county_code=place.county_code,
                unpaired_since=since,
                days_unpaired=(on - since).days + 1,
                deep_poverty=bool(row.deep),
                cadres_with_room=room.get(place.township_code, ()),
            )
        )
    return sorted(rows, key=lambda r: (r.county_code or "", r.township_code or "", r.unpaired_since, r.village_code, r.household_id))


def pairing_coverage(session: Session, *, scope_code: str, on: dt.date) -> list[Coverage]:
    """Paired ÷ registered poor households on `on`: the scope first, then each unit below it
    (county, township, village) that has registered poor households, top down."""
    _rule(on)
    scope = get_unit(session, scope_code, field="unit")
    by_village = _by_village(session, scope, on)
    where = places(session.connection(), {village for village, _, _ in by_village})
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for village, total, covered in by_village:
        codes = where[village].path.split("/")
        for code in codes[codes.index(scope.code):]:
            counts[code][0] += total
            counts[code][1] += covered
    units = {}
    for part in chunks(list(counts)):
        units.update({unit.code: unit for unit in session.execute(select(OrgUnit).where(OrgUnit.code.in_(part))).scalars()})
    units.setdefault(scope.code, scope)
    rows = []
    for code, unit in units.items():
        total, covered = counts.get(code, [0, 0])
        rows.append(Coverage(code, unit.name, unit.level, total, covered, total - covered, (Decimal(covered) / Decimal(total)).quantize(Decimal("0.0001")) if total else None))
    return sorted(rows, key=lambda c: units[c.unit_code].path)


def _advised(session: Session, scope: OrgUnit, on: dt.date, leading) -> list:
    """The pairings covering `on` of the households under `scope` marked in deep poverty that
    day and on the registry, whose cadre is not `leading`: one row each, from the marks, with
    the cadre's roles that day (one string, comma-separated, in no order; None: no post)."""
    spell_now = and_(RegistrySpell.kind == "poor_household", RegistrySpell.subject_id == Household.id, in_span(RegistrySpell.registered_on, RegistrySpell.exited_on, on))
    roles = select(func.aggregate_strings(Post.role, ",")).where(Post.person_id == Pairing.cadre_id, in_span(Post.start_date, Post.end_date, on)).scalar_subquery()
    query = (
        select(Household.id, Household.head_name, Household.village_code, Pairing.id, Pairing.cadre_id, Person.name, roles)
        .select_from(DeepPoverty)
        .join(Household, Household.id == DeepPoverty.household_id)
        .join(OrgUnit, OrgUnit.code == Household.village_code)
        .join(RegistrySpell, spell_now)
        .join(Pairing, and_(Pairing.household_id == Household.id, in_span(Pairing.start_date, Pairing.end_date, on)))
        .join(Person, Person.id == Pairing.cadre_id)
        .where(Subtree.of(scope).clause(OrgUnit.path), in_span(DeepPoverty.start_date, DeepPoverty.end_date, on), ~leading)
    )
    connection = session.connection()  # columns, not ORM rows: tens of thousands over a city
    if connection.dialect.name != "sqlite":
        return list(connection.execute(query).all())
    # SQLite keeps no statistics and drives this join from every household spell (a pass over
    # 260,000 at full scale): it is given the marked households a part at a time instead,
    # each part read by the spells' and pairings' indexes.
    marked = select(DeepPoverty.household_id).where(in_span(DeepPoverty.start_date, DeepPoverty.end_date, on))
    return rows_in(connection, query, Household.id, sorted(connection.execute(marked).scalars()))


def deep_poverty_advisories(session: Session, *, scope_code: str, on: dt.date) -> list[DeepPovertyAdvisory]:
    """Deep-poverty households under `scope_code` paired on `on` with a cadre who holds none of
    the rule book's party leading posts that day: advisories (优先考虑), never refusals."""
    _, rule = _rule(on)
    scope = get_unit(session, scope_code, field="unit")
    leading = select(Post.id).where(Post.person_id == Pairing.cadre_id, Post.role.in_(rule.leading_cadre_roles), in_span(Post.start_date, Post.end_date, on)).exists()
    found = _advised(session, scope, on, leading)
    if not found:
        return []
    roles: dict[str | None, tuple[str, ...]] = {None: ()}  # one sorted tuple per set of roles, shared by its rows
    for held in {row[6] for row in found} - {None}:
        roles[held] = tuple(sorted(set(held.split(","))))
    where = places(session.connection(), {row[2] for row in found})
    above = {village: (place.county_code or "", place.township_code or "") for village, place in where.items()}
    found.sort(key=lambda row: (above[row[2]], row[2], row[0], row[3]))  # county, township, village, household, pairing
    return [
        DeepPovertyAdvisory(household_id, head_name, village, where[village].township_code, where[village].county_code, pairing_id, cadre_id, cadre_name, roles[held])
        for household_id, head_name, village, pairing_id, cadre_id, cadre_name, held in found
    ]
