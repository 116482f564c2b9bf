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

from sqlalchemy import and_, func, select
from sqlmodel import Session

from rules import RuleBook
from rules.schema import PairingCoverageRule, TargetSet
from workflow.chunking import chunks
from workflow.db import in_span, one_of
from workflow import errors, rulebook
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell
from workflow.org.places import Place, Subtree, places
from workflow.org.service import get_unit
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


@dataclasses.dataclass(frozen=True)
class DeepPovertyAdvisory:
    """A deep-poverty household paired with a cadre who holds no party leading post on the day (advisory)."""

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


@dataclasses.dataclass
class _Registered:
    """The registered poor households of a subtree on a day, where they are, and their pairings."""

    households: dict[str, tuple[Household, RegistrySpell]]
    where: dict[str, Place]  # village code -> where it sits
    pairings: dict[str, list[Pairing]]  # household id -> every pairing it has had

    def paired_on(self, household_id: str, on: dt.date) -> list[Pairing]:
        return [p for p in self.pairings.get(household_id, ()) if p.held_on(on)]


def _registered(session: Session, scope: OrgUnit, on: dt.date) -> _Registered:
    in_scope = Subtree.of(scope).clause(OrgUnit.path)
    spell_now = and_(RegistrySpell.kind == "poor_household", RegistrySpell.subject_id == Household.id, in_span(RegistrySpell.registered_on, RegistrySpell.exited_on, on))
    rows = session.execute(
        select(Household, RegistrySpell).join(OrgUnit, OrgUnit.code == Household.village_code).join(RegistrySpell, spell_now).where(in_scope)
    ).all()
    households = {household.id: (household, spell) for household, spell in rows}
    pairings: dict[str, list[Pairing]] = defaultdict(list)
    query = select(Pairing).join(Household, Household.id == Pairing.household_id).join(OrgUnit, OrgUnit.code == Household.village_code)
    for pairing in session.execute(query.where(in_scope, Pairing.start_date <= on)).scalars():
        if pairing.household_id in households:
            pairings[pairing.household_id].append(pairing)
    where = places(session.connection(), {household.village_code for household, _ in households.values()})
    return _Registered(households, where, pairings)


def _deep_on(session: Session, scope: OrgUnit, on: dt.date) -> set[str]:
    query = (
        select(DeepPoverty.household_id)
        .join(Household, Household.id == DeepPoverty.household_id)
        .join(OrgUnit, OrgUnit.code == Household.village_code)
        .where(Subtree.of(scope).clause(OrgUnit.path), in_span(DeepPoverty.start_date, DeepPoverty.end_date, on))
    )
    return set(session.execute(query).scalars())


def _cadres_with_room(session: Session, area: OrgUnit, book: RuleBook, on: dt.date) -> dict[str, tuple[CadreRoom, ...]]:
    """Per township of `area`: the cadres of the paired visit rule in post there on `on` with room under the cap, most room first."""
    roles = sorted({role for rule in book.visit_rules if rule.targets is TargetSet.paired for role in rule.roles})
    in_post = (
        select(Post.person_id)
        .join(OrgUnit, OrgUnit.code == Post.unit_code)
        .where(Subtree.of(area).clause(OrgUnit.path), Post.role.in_(roles), in_span(Post.start_date, Post.end_date, on))
    )
    cadres = session.execute(in_post.add_columns(Post.unit_code, Person.name).join(Person, Person.id == Post.person_id)).all()
    counted = select(Pairing.cadre_id, func.count()).where(in_span(Pairing.start_date, Pairing.end_date, on), Pairing.cadre_id.in_(in_post)).group_by(Pairing.cadre_id)
    paired = dict(session.execute(counted).all())
    by_township: dict[str, list[CadreRoom]] = defaultdict(list)
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
    registered = _registered(session, scope, on)
    deep = _deep_on(session, scope, on)
    area = get_unit(session, scope.parent_code) if scope.level == "village" and scope.parent_code else scope
    room = _cadres_with_room(session, area, book, on)
    rows = []
    for household_id, (household, spell) in registered.households.items():
        if registered.paired_on(household_id, on):
            continue
        ended = [p.end_date + dt.timedelta(days=1) for p in registered.pairings.get(household_id, ()) if p.end_date is not None and p.end_date < on]
        since = max([spell.registered_on, *ended])
        place = registered.where[household.village_code]
        rows.append(
            UnpairedHousehold(
                household_id=household_id,
                head_name=household.head_name,
                members=household.members,
                village_code=household.village_code,
                township_code=place.township_code,
                county_code=place.county_code,
                unpaired_since=since,
                days_unpaired=(on - since).days + 1,
                deep_poverty=household_id in deep,
                cadres_with_room=room.get(place.township_code, ()),
            )
        )
    return sorted(rows, key=lambda r: (r.county_code or "", r.township_code or "", r.unpaired_since, r.village_code, r.household_id))


def pairing_coverage(session: Session, *, scope_code: str, on: dt.date) -> list[Coverage]:
    """Paired ÷ registered poor households on `on`: the scope first, then each unit below it
    (county, township, village) that has registered poor households, top down."""
    _rule(on)
    scope = get_unit(session, scope_code, field="unit")
    registered = _registered(session, scope, on)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for household_id, (household, _) in registered.households.items():
        place = registered.where[household.village_code]
        paired = 1 if registered.paired_on(household_id, on) else 0
        codes = place.path.split("/")
        for code in codes[codes.index(scope.code):]:
            counts[code][0] += 1
            counts[code][1] += paired
    connection = session.connection()
    units = {unit.code: unit for part in chunks(counts) for unit in session.execute(select(OrgUnit).where(one_of(connection, OrgUnit.code, part))).scalars()}
    units.setdefault(scope.code, scope)
    rows = []
    for code, unit in units.items():
        total, paired = counts.get(code, [0, 0])
        rows.append(Coverage(code, unit.name, unit.level, total, paired, total - paired, (Decimal(paired) / Decimal(total)).quantize(Decimal("0.0001")) if total else None))
    return sorted(rows, key=lambda c: units[c.unit_code].path)


def deep_poverty_advisories(session: Session, *, scope_code: str, on: dt.date) -> list[DeepPovertyAdvisory]:
    """Deep-poverty households under `scope_code` paired on `on` with a cadre who holds none of
    the rule book's party leading posts that day: advisories (优先考虑), never refusals."""
    _, rule = _rule(on)
    scope = get_unit(session, scope_code, field="unit")
    registered = _registered(session, scope, on)
    deep = _deep_on(session, scope, on)
    pairs = [(registered.households[h][0], p) for h in deep if h in registered.households for p in registered.paired_on(h, on)]
    cadre_ids = {pairing.cadre_id for _, pairing in pairs}
    roles: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    connection = session.connection()
    for part in chunks(sorted(cadre_ids)):
        for person_id, role in session.execute(select(Post.person_id, Post.role).where(one_of(connection, Post.person_id, part), in_span(Post.start_date, Post.end_date, on))).all():
            roles[person_id].add(role)
        names.update(session.execute(select(Person.id, Person.name).where(one_of(connection, Person.id, part))).all())
    leading = set(rule.leading_cadre_roles)
    rows = []
    for household, pairing in pairs:
        if roles[pairing.cadre_id] & leading:
            continue
        place = registered.where[household.village_code]
        rows.append(
            DeepPovertyAdvisory(
                household_id=household.id,
                head_name=household.head_name,
                village_code=household.village_code,
                township_code=place.township_code,
                county_code=place.county_code,
                pairing_id=pairing.id,
                cadre_id=pairing.cadre_id,
                cadre_name=names.get(pairing.cadre_id, pairing.cadre_id),
                cadre_roles=tuple(sorted(roles[pairing.cadre_id])),
            )
        )
    return sorted(rows, key=lambda r: (r.county_code or "", r.township_code or "", r.village_code, r.household_id, r.pairing_id))
