"""Commands that add org units, people and households, their projectors, and tree queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from rules.schema import Level
from workflow import errors, rulebook
from workflow.eventlog import Actor, Event, NewEvent, append, append_new
from workflow.eventlog.projection import EventProjection, Run
from workflow.eventlog.versions import insert_states
from workflow.labels import LEVELS
from workflow.lookups import Lookups
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell, UnitPopulation
from workflow.types import new_id

# The read model of org units, people, households and their registry spells: kept by the functions marked @ORG.on below.
ORG = EventProjection("org")

# Which level a unit of each level hangs under.
PARENT_LEVEL: dict[Level, Level | None] = {
    Level.province: None,
    Level.city: Level.province,
    Level.city_unit: Level.city,
    Level.county: Level.city,
    Level.township: Level.county,
    Level.village: Level.township,
}


def lies_within(level: Level | str, scope_level: Level | str) -> bool:
    """Whether a unit of `level` can lie in the subtree of a unit of `scope_level` (the unit itself included)."""
    current: Level | None = Level(level)
    while current is not None:
        if current == scope_level:
            return True
        current = PARENT_LEVEL[current]
    return False


LEVEL_ZH = {level: LEVELS[level.value].zh for level in Level}

# Registry kinds, and the level of unit each applies to (households are not units).
REGISTRY_KINDS: dict[str, Level | None] = {
    "poor_household": None,
    "poor_village": Level.village,
    "poor_county": Level.county,
    "concentrated_township": Level.township,
}


# ---- queries ----------------------------------------------------------------------


def get_unit(session: Session, code: str, *, field: str = "unit") -> OrgUnit:
    """The org unit `code`; NotFound otherwise."""
    return Lookups(session).unit(code, field=field)


def get_person(session: Session, person_id: str, *, field: str = "person") -> Person:
    return Lookups(session).person(person_id, field=field)


def get_household(session: Session, household_id: str, *, field: str = "household") -> Household:
    return Lookups(session).household(household_id, field=field)


def path_codes(unit: OrgUnit) -> list[str]:
    """The codes from the root down to `unit` itself."""
    return unit.path.split("/")


def ancestor_at(session: Session, unit: OrgUnit, level: Level | str) -> OrgUnit | None:
    """The unit at `level` on the way from the root to `unit` (`unit` itself included), or None."""
    return Lookups(session).ancestor_at(unit, level)




def registry_spells(session: Session, kind: str, subject_id: str) -> list[RegistrySpell]:
    query = select(RegistrySpell).where(RegistrySpell.kind == kind, RegistrySpell.subject_id == subject_id)
    return list(session.execute(query.order_by(RegistrySpell.registered_on)).scalars())


def on_registry(spells: Iterable[RegistrySpell], day: dt.date) -> bool:
    """Whether one of `spells` covers `day` (registered on or before it, not exited before it)."""
    return any(spell.registered_on <= day and (spell.exited_on is None or day <= spell.exited_on) for spell in spells)


def open_spell(session: Session, kind: str, subject_id: str) -> RegistrySpell | None:
    """The spell of `subject_id` on registry `kind` that has not ended, if any."""
    return first_open(registry_spells(session, kind, subject_id))


def first_open(spells: Iterable[RegistrySpell]) -> RegistrySpell | None:
    """The first of `spells` (in order of registration) that has not ended, if any."""
    return next((spell for spell in spells if spell.exited_on is None), None)


def was_registered_during(session: Session, kind: str, subject_id: str, first: dt.date, last: dt.date) -> bool:
    """Whether the subject was on registry `kind` on any day from `first` to `last` inclusive."""
    return any(
        spell.registered_on <= last and (spell.exited_on is None or spell.exited_on >= first)
        for spell in registry_spells(session, kind, subject_id)
    )


# ---- commands ---------------------------------------------------------------------


def add_org_unit(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    level: Level | str,
    parent_code: str | None = None,
    name_en: str | None = None,
    rural_population: int | None = None,
) -> OrgUnit:
    """Add a unit to the tree under `parent_code`, refusing a wrong level or a reused code."""
    level = _new_unit(session, code=code, name=name, level=level, rural_population=rural_population)
    expected = PARENT_LEVEL[level]
    if expected is None and parent_code is not None:
        raise errors.InvalidParent.province()
    if expected is not None:
        if parent_code is None:
            raise errors.InvalidParent.missing(level=level.value, level_zh=LEVEL_ZH[level], expected=expected.value, expected_zh=LEVEL_ZH[expected])
        parent = get_unit(session, parent_code, field="parent_code")
        if parent.level != expected:
            raise errors.InvalidParent.wrong_level(
                level=level.value,
                level_zh=LEVEL_ZH[level],
                expected=expected.value,
                expected_zh=LEVEL_ZH[expected],
                parent_code=parent_code,
                parent_level=parent.level,
                parent_level_zh=LEVEL_ZH[Level(parent.level)],
            )
    return _append_unit(session, actor=actor, code=code, name=name, name_en=name_en, level=level, parent_code=parent_code, rural_population=rural_population)


# The levels a tree can start from: a province, or a city set up on its own (a city's
# database then has no province above it to approve its counties' exits).
TOP_LEVELS = (Level.province, Level.city)


def add_top_unit(session: Session, *, actor: Actor, code: str, name: str, level: Level | str, name_en: str | None = None) -> OrgUnit:
    """Start the tree with its top unit, a province or a city; refused once the tree has a top."""
    level = _new_unit(session, code=code, name=name, level=level)
    if level not in TOP_LEVELS:
        raise errors.InvalidLevel.top(level=level.value, level_zh=LEVEL_ZH[level])
    top = session.execute(select(OrgUnit).where(OrgUnit.parent_code.is_(None)).limit(1)).scalar()
    if top is not None:
        raise errors.AlreadySetUp(name=top.name, code=top.code)
    return _append_unit(session, actor=actor, code=code, name=name, name_en=name_en, level=level, parent_code=None, rural_population=None)


def _new_unit(session: Session, *, code: str, name: str, level: Level | str, rural_population: int | None = None) -> Level:
    """The level of a unit about to be added, once its code, name and population pass."""
    try:
        level = Level(level)
    except ValueError:
        raise errors.InvalidLevel.unknown(level=level, valid=[l.value for l in Level]) from None
    if not code or not code.replace("-", "").isalnum():
        raise errors.InvalidCode(code=code)
    if not name.strip():
        raise errors.InvalidName.unit()
    if session.get(OrgUnit, code) is not None:
        raise errors.DuplicateCode(code=code)
    if rural_population is not None and rural_population < 0:
        raise errors.InvalidPopulation()
    return level


def _append_unit(session: Session, *, actor: Actor, code: str, name: str, name_en: str | None, level: Level, parent_code: str | None, rural_population: int | None) -> OrgUnit:
    append(
        session,
        type="org_unit.added",
        entity_type="org_unit",
        entity_id=code,
        payload={
            "code": code,
            "name": name.strip(),
            "name_en": name_en,
            "level": level.value,
            "parent_code": parent_code,
            "rural_population": rural_population,
        },
        actor=actor,
    )
    return session.get(OrgUnit, code)


@ORG.on("org_unit.added")
def _unit_added(session: Session, event: Event, data: dict[str, Any]) -> OrgUnit:
    parent_path = session.get(OrgUnit, data["parent_code"]).path + "/" if data["parent_code"] else ""
    unit = OrgUnit(**data, path=parent_path + data["code"])
    session.add(unit)
    return unit


def set_rural_population(session: Session, *, actor: Actor, code: str, rural_population: int) -> OrgUnit:
    """Record a unit's rural population (农村人口), the denominator of poverty incidence."""
    unit = get_unit(session, code)
    if rural_population < 0:
        raise errors.InvalidPopulation()
    append(
        session,
        type="org_unit.rural_population_set",
        entity_type="org_unit",
        entity_id=code,
        payload={"code": code, "rural_population": rural_population},
        actor=actor,
    )
    return unit


@ORG.on("org_unit.rural_population_set")
def _rural_population_set(session: Session, event: Event, data: dict[str, Any]) -> OrgUnit:
    unit = session.get(OrgUnit, data["code"])
    unit.rural_population = data["rural_population"]
    return unit


# The years a figure can be recorded for (the campaign's registry starts in 2014).
YEARS = range(2000, 2101)


def record_population(session: Session, *, actor: Actor, code: str, year: int, rural_population: int) -> UnitPopulation:
    """Record a village's rural population for `year`; a later figure for the same year replaces it.

    Incidence on a day reads the figure of that day's year, or failing one the latest year
    before it, or failing that the village's undated figure (`set_rural_population`).
    """
    unit = get_unit(session, code, field="village")
    if unit.level != Level.village:
        raise errors.InvalidVillage(code=code, level=unit.level)
    if year not in YEARS:
        raise errors.InvalidYear(year=year)
    if rural_population < 0:
        raise errors.InvalidPopulation()
    append(
        session,
        type="org_unit.population_recorded",
        entity_type="org_unit",
        entity_id=code,
        payload={"code": code, "year": year, "rural_population": rural_population},
        actor=actor,
    )
    return session.get(UnitPopulation, (code, year))


@ORG.on("org_unit.population_recorded")
def _population_recorded(session: Session, event: Event, data: dict[str, Any]) -> UnitPopulation:
    figure = session.get(UnitPopulation, (data["code"], data["year"]))
    if figure is None:
        figure = UnitPopulation(unit_code=data["code"], year=data["year"], rural_population=data["rural_population"])
        session.add(figure)
    figure.rural_population = data["rural_population"]
    return figure


def rural_populations(session: Session, villages: dict[str, int | None], days: Iterable[dt.date]) -> dict[dt.date, dict[str, int | None]]:
    """Each village's rural population on each of `days`, from `villages` (code: its undated
    figure) and the yearly figures on file: the figure of the day's year, or failing one the
    latest year before it, or failing that the undated figure."""
    days = sorted(set(days))
    figures: dict[str, list[tuple[int, int]]] = {}
    codes = list(villages)
    for start in range(0, len(codes), 500):
        query = select(UnitPopulation.unit_code, UnitPopulation.year, UnitPopulation.rural_population).where(UnitPopulation.unit_code.in_(codes[start:start + 500]))
        for code, year, population in session.execute(query.order_by(UnitPopulation.year)):
            figures.setdefault(code, []).append((year, population))
    on: dict[dt.date, dict[str, int | None]] = {}
    for day in days:
        found = dict(villages)
        for code, years in figures.items():
            for year, population in years:  # in order of year: the last one not after the day's stays
                if year > day.year:
                    break
                found[code] = population
        on[day] = found
    return on


def _correct_name(session: Session, *, actor: Actor, record_of: Callable[[Session, str], Any], key: str, event_type: str, field: str, name: str, blank: Callable[[], errors.DomainError]):
    """Append `event_type` giving record `key` (found by `record_of`) the corrected `name` in
    `field`; a blank name is refused (`blank`) before the record is looked up."""
    if not name.strip():
        raise blank()
    record = record_of(session, key)
    append(session, type=event_type, entity_type=type(record).__tablename__, entity_id=key, payload={"id": key, field: name.strip()}, actor=actor)
    return record


def rename_unit(session: Session, *, actor: Actor, code: str, name: str) -> OrgUnit:
    """Correct a unit's name; it keeps its code, and its former name stays in its history."""
    return _correct_name(session, actor=actor, record_of=get_unit, key=code, event_type="org_unit.renamed", field="name", name=name, blank=errors.InvalidName.unit)


def rename_person(session: Session, *, actor: Actor, person_id: str, name: str) -> Person:
    """Correct a person's name; they keep their number, and the former name stays in their history."""
    return _correct_name(session, actor=actor, record_of=get_person, key=person_id, event_type="person.renamed", field="name", name=name, blank=errors.InvalidName.person)


def rename_head(session: Session, *, actor: Actor, household_id: str, head_name: str) -> Household:
    """Correct the name of a household's head as the registry shows it (户主姓名)."""
    return _correct_name(
        session, actor=actor, record_of=get_household, key=household_id, event_type="household.head_renamed", field="head_name", name=head_name, blank=errors.InvalidName.household
    )


# Each name correction's event: the record it corrects and the field it sets.
_CORRECTED = {"org_unit.renamed": (OrgUnit, "name"), "person.renamed": (Person, "name"), "household.head_renamed": (Household, "head_name")}


@ORG.on("org_unit.renamed")
@ORG.on("person.renamed")
@ORG.on("household.head_renamed")
def _name_corrected(session: Session, event: Event, data: dict[str, Any]) -> OrgUnit | Person | Household:
    model, field = _CORRECTED[event.type]
    record = session.get(model, data["id"])
    setattr(record, field, data[field])
    return record


def add_person(session: Session, *, actor: Actor, name: str, person_id: str | None = None, gender: str | None = None) -> Person:
    """Add a person; `person_id` is kept when given (e.g. from a roster), generated otherwise."""
    return session.get(Person, append_new(session, person_added(Lookups(session), name=name, person_id=person_id, gender=gender), actor=actor).entity_id)


def person_added(lookups: Lookups, *, name: str, person_id: str | None = None, gender: str | None = None) -> NewEvent:
    """The person.added event for these arguments, after every check `add_person` makes."""
    if not name.strip():
        raise errors.InvalidName.person()
    given = person_id is not None
    person_id = person_id or new_id()
    if given and lookups.taken(Person, person_id):  # a generated id is new by construction
        raise errors.DuplicateId.person(id=person_id)
    if gender not in (None, "male", "female"):
        raise errors.InvalidGender()
    return NewEvent(type="person.added", entity_type="person", entity_id=person_id, payload={"id": person_id, "name": name.strip(), "gender": gender})


@ORG.on("person.added")
def _person_added(session: Session, event: Event, data: dict[str, Any]) -> Person:
    person = Person(**data)
    session.add(person)
    return person


@ORG.on_many("person.added")
def _people_added(session: Session, run: Run) -> list[dict[str, Any]]:
    # A city's sheet of people: rows, not an ORM object each.
    return insert_states(session, _person, ((event, {"id": data["id"], "name": data["name"], "gender": data["gender"]}) for event, data in run))


def _check_unit_registry(kind: str) -> None:
    """Refuse a `kind` that is not the registry of a unit (households register with their own command)."""
    if kind not in REGISTRY_KINDS or REGISTRY_KINDS[kind] is None:
        raise errors.InvalidRegistry.unknown(kind=kind, valid=[k for k, level in REGISTRY_KINDS.items() if level is not None])


def register_poor_unit(session: Session, *, actor: Actor, kind: str, code: str, registered_on: dt.date) -> RegistrySpell:
    """Put a village, county or township on its poverty registry from `registered_on`."""
    _check_unit_registry(kind)
    unit = get_unit(session, code)
    if unit.level != REGISTRY_KINDS[kind]:
        raise errors.InvalidRegistry.wrong_level(
            kind=kind,
            kind_level=REGISTRY_KINDS[kind].value,
            kind_level_zh=LEVEL_ZH[REGISTRY_KINDS[kind]],
            code=code,
            level=unit.level,
            level_zh=LEVEL_ZH[Level(unit.level)],
        )
    return _open_spell(session, actor=actor, kind=kind, subject_id=code, registered_on=registered_on)


def _open_spell(session: Session, *, actor: Actor, kind: str, subject_id: str, registered_on: dt.date) -> RegistrySpell:
    if open_spell(session, kind, subject_id) is not None:
        raise errors.AlreadyRegistered(subject_id=subject_id, kind=kind)
    ended = [spell.exited_on for spell in registry_spells(session, kind, subject_id)]
    if ended and registered_on <= max(ended):
        # A spell is a run of days: a new one starts after the last one ended, not inside it.
        raise errors.OverlappingSpell(subject_id=subject_id, kind=kind, ended=max(ended))
    spell_id = new_id()
    append(
        session,
        type="registry.registered",
        entity_type="registry_spell",
        entity_id=spell_id,
        payload={"id": spell_id, "kind": kind, "subject_id": subject_id, "registered_on": registered_on},
        actor=actor,
    )
    return session.get(RegistrySpell, spell_id)


def end_unit_registration(session: Session, *, actor: Actor, kind: str, code: str, exited_on: dt.date) -> RegistrySpell:
    """End a township's open concentrated-poverty designation; `exited_on` is its last day on the registry.

    Only this registry ends by command: a village, county or household leaves its registry
    through its exit case (三签字), whose last signature closes the spell.
    """
    _check_unit_registry(kind)
    if kind != "concentrated_township":
        raise errors.ExitCaseRequired(kind=kind)
    unit = get_unit(session, code)
    if unit.level != Level.township:
        raise errors.NotATownship(code=code, level=unit.level, level_zh=LEVEL_ZH[Level(unit.level)])
    spell = open_spell(session, kind, code)
    if spell is None:
        raise errors.NotRegistered(code=code, kind=kind)
    if exited_on < spell.registered_on:
        raise errors.InvalidDates.exit_before_designation(exited_on=exited_on, registered_on=spell.registered_on)
    append(
        session,
        type="registry.ended",
        entity_type="registry_spell",
        entity_id=spell.id,
        payload={"id": spell.id, "kind": kind, "subject_id": code, "exited_on": exited_on},
        actor=actor,
    )
    return spell


@ORG.on("registry.ended")
def _registry_ended(session: Session, event: Event, data: dict[str, Any]) -> RegistrySpell | None:
    return close_spell(session, kind=data["kind"], subject_id=data["subject_id"], exited_on=dt.date.fromisoformat(data["exited_on"]))


@ORG.on("registry.registered")
def _registered(session: Session, event: Event, data: dict[str, Any]) -> RegistrySpell:
    spell = RegistrySpell(id=data["id"], kind=data["kind"], subject_id=data["subject_id"], registered_on=dt.date.fromisoformat(data["registered_on"]))
    session.add(spell)
    return spell


def register_household(session: Session, *, actor: Actor, **arguments: Any) -> Household:
    """Put a household on the poverty registry (建档立卡) in its village; the arguments and
    checks of `household_registered`."""
    return session.get(Household, append_new(session, household_registered(Lookups(session), **arguments), actor=actor).entity_id)


def household_registered(
    lookups: Lookups, *, household_id: str, village_code: str, head_name: str, members: int, registered_on: dt.date, spell_id: str | None = None
) -> NewEvent:
    """The household.registered event for these arguments, after every check `register_household`
    makes (`spell_id`: the registry spell's id, if the caller chose it)."""
    village = lookups.unit(village_code, field="village")
    if village.level != Level.village:
        raise errors.InvalidVillage(code=village_code, level=village.level)
    if not household_id.strip():
        raise errors.InvalidId()
    if lookups.taken(Household, household_id):
        raise errors.DuplicateId.household(id=household_id)
    if members < 1:
        raise errors.InvalidMembers()
    if not head_name.strip():
        raise errors.InvalidName.household()
    payload = {
        "id": household_id,
        "village_code": village_code,
        "head_name": head_name.strip(),
        "members": members,
        "registered_on": registered_on,
        "spell_id": spell_id or new_id(),
    }
    return NewEvent(type="household.registered", entity_type="household", entity_id=household_id, payload=payload)


@ORG.on("household.registered")
def _household_registered(session: Session, event: Event, data: dict[str, Any]) -> tuple[Household, RegistrySpell]:
    household = Household(**_household_row(data))
    session.add(household)
    spell = RegistrySpell(**_household_spell_row(data))
    session.add(spell)
    return household, spell


@ORG.on_many("household.registered")
def _households_registered(session: Session, run: Run) -> list[dict[str, Any]]:
    # A city's sheet of households: rows, not two ORM objects each.
    households = insert_states(session, _household, ((event, _household_row(data)) for event, data in run))
    return households + insert_states(session, _spell, ((event, _household_spell_row(data)) for event, data in run))


def _household_row(data: dict[str, Any]) -> dict[str, Any]:
    """The household a household.registered event adds."""
    return {"id": data["id"], "village_code": data["village_code"], "head_name": data["head_name"], "members": data["members"], "status": "registered"}


def _household_spell_row(data: dict[str, Any]) -> dict[str, Any]:
    """The registry spell a household.registered event opens."""
    return {"id": data["spell_id"], "kind": "poor_household", "subject_id": data["id"], "registered_on": dt.date.fromisoformat(data["registered_on"]), "exited_on": None}


def record_exit_before_product(session: Session, *, actor: Actor, household_id: str, exited_on: dt.date) -> Household:
    """Record that a household left the registry on `exited_on`, by an exit signed on paper
    before the product kept the county's records (loaded by a migration, never otherwise:
    an exit now goes through its exit case). Its open spell ends that day."""
    household = get_household(session, household_id)
    spell = open_spell(session, "poor_household", household_id)
    if spell is None:
        raise errors.NotOnRegistry(id=household_id)
    append_new(session, exit_before_product(household_id=household_id, registered_on=spell.registered_on, exited_on=exited_on), actor=actor)
    return household


def exit_before_product(*, household_id: str, registered_on: dt.date, exited_on: dt.date) -> NewEvent:
    """The household.exit_before_product event ending the open spell registered on
    `registered_on`, after the checks of its dates `record_exit_before_product` makes."""
    if exited_on < registered_on:
        raise errors.InvalidDates.exit_before_registration(exited_on=exited_on, registered_on=registered_on)
    today = rulebook.today()
    if exited_on > today:
        raise errors.InvalidDates.exit_in_future(exited_on=exited_on, today=today)
    payload = {"id": household_id, "exited_on": exited_on}
    return NewEvent(type="household.exit_before_product", entity_type="household", entity_id=household_id, payload=payload)


@ORG.on("household.exit_before_product")
def _exit_before_product(session: Session, event: Event, data: dict[str, Any]) -> list[Household | RegistrySpell]:
    household = session.get(Household, data["id"])
    household.status = "exited"
    spell = close_spell(session, kind="poor_household", subject_id=data["id"], exited_on=dt.date.fromisoformat(data["exited_on"]))
    return [household, spell] if spell is not None else [household]


def close_spell(session: Session, *, kind: str, subject_id: str, exited_on: dt.date) -> RegistrySpell | None:
    """Projector helper: end the subject's open spell on `exited_on` (its last day on the registry); the spell ended."""
    spell = open_spell(session, kind, subject_id)
    if spell is not None:
        spell.exited_on = exited_on
    return spell


def reopen_spell(session: Session, *, spell_id: str, kind: str, subject_id: str, registered_on: dt.date) -> RegistrySpell:
    """Projector helper: put the subject back on registry `kind` (返贫) in a new spell."""
    spell = RegistrySpell(id=spell_id, kind=kind, subject_id=subject_id, registered_on=registered_on)
    session.add(spell)
    return spell


_person, _household, _spell = Person.__table__, Household.__table__, RegistrySpell.__table__
