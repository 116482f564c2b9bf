"""What an account may see: every kind of record, filtered to the account's org subtree.

The one place that decides visibility, so "nothing leaks" is checked here and nowhere
else. A record outside the scope is reported exactly as a record that does not exist
(the same `*_not_found` error), so ids from elsewhere reveal nothing.

Where a record sits in the tree:
- an org unit, a post: its unit; a household: its village; a pairing: its household;
- a unit link: its city-direct unit or its village (either end in scope shows it);
- a team stationed in a village: that village; a deep-poverty mark: its household;
- a reduction plan: its unit; a planned exit year: its village;
- an exit case: its household's village, or its village or county;
- a visit: its target (a household's village, a village, a township);
- a person: the units of their posts (at any time), or — until they are given a post —
  the account that added them;
- an event of the log: the record it is about (a registry spell: its household or unit;
  an account: its scope unit). An account scoped to a top unit reads the whole log.

A write about a record in scope may also name a person outside it when that person is
answerable for the record (`person_named`): the officials who sign for it, pair with its
households and visit it hold posts above it or at a unit linked to its village. Anyone
else is refused as not found, before any check could name them. docs/SECURITY.md lists
which writes reach across the scope.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from workflow.accounts.access import Caller
from workflow.accounts.models import Account
from workflow import errors
from workflow.eventlog import Event
from workflow.exits.models import ExitCase
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell
from workflow.org.places import Subtree
from workflow.pairings.models import DeepPoverty
from workflow.plans.models import PlannedExit, ReductionPlan
from workflow.posts.models import Pairing, Post, UnitLink
from workflow.teams.models import Team
from workflow.visits.models import Visit


def covers(caller: Caller, unit: OrgUnit | None) -> bool:
    """Whether `unit` is the caller's scope unit or lies below it."""
    return unit is not None and Subtree(caller.scope_path).contains(unit.path)


def unit_clause(caller: Caller, column):
    """A WHERE clause: the unit code in `column` lies in the caller's subtree."""
    return column.in_(select(OrgUnit.code).where(_subtree(caller)))


def _subtree(caller: Caller):
    return Subtree(caller.scope_path).clause(OrgUnit.path)


# ---- one record, by id --------------------------------------------------------------


def unit(session: Session, caller: Caller, code: str, *, field: str = "unit") -> OrgUnit:
    found = session.get(OrgUnit, code)
    if not covers(caller, found):
        raise errors.OrgUnitNotFound(id=code, field=field)
    return found


def household(session: Session, caller: Caller, household_id: str, *, field: str = "household") -> Household:
    found = session.get(Household, household_id)
    if found is None or not covers(caller, session.get(OrgUnit, found.village_code)):
        raise errors.HouseholdNotFound(id=household_id, field=field)
    return found


def person(session: Session, caller: Caller, person_id: str, *, field: str = "person") -> Person:
    found = session.get(Person, person_id)
    if found is None or session.execute(select(people(caller).where(Person.id == person_id).exists())).scalar() is not True:
        raise errors.PersonNotFound(id=person_id, field=field)
    return found


def post(session: Session, caller: Caller, post_id: str, *, field: str = "post") -> Post:
    found = session.get(Post, post_id)
    if found is None or not covers(caller, session.get(OrgUnit, found.unit_code)):
        raise errors.PostNotFound.tenure(id=post_id, field=field)
    return found


def pairing(session: Session, caller: Caller, pairing_id: str, *, field: str = "pairing") -> Pairing:
    found = session.get(Pairing, pairing_id)
    if found is None:
        raise errors.PairingNotFound(id=pairing_id, field=field)
    household(session, caller, found.household_id, field=field)
    return found


def link(session: Session, caller: Caller, link_id: str, *, field: str = "link") -> UnitLink:
    found = session.get(UnitLink, link_id)
    if found is None or not (covers(caller, session.get(OrgUnit, found.unit_code)) or covers(caller, session.get(OrgUnit, found.village_code))):
        raise errors.UnitLinkNotFound(id=link_id, field=field)
    return found


def team(session: Session, caller: Caller, team_id: str, *, field: str = "team") -> Team:
    found = session.get(Team, team_id)
    if found is None or not covers(caller, session.get(OrgUnit, found.village_code)):
        raise errors.TeamNotFound(id=team_id, field=field)
    return found


# ---- lists: SELECTs already filtered to the scope ---------------------------------


def units(caller: Caller) -> Select:
    return select(OrgUnit).where(_subtree(caller))


def households(caller: Caller) -> Select:
    return select(Household).where(unit_clause(caller, Household.village_code))


def people(caller: Caller) -> Select:
    posted_here = exists().where(Post.person_id == Person.id, unit_clause(caller, Post.unit_code))
    posted_anywhere = exists().where(Post.person_id == Person.id)
    added_by_caller = exists().where(
        Event.entity_type == "person", Event.entity_id == Person.id, Event.type == "person.added", Event.account == caller.account_id
    )
    return select(Person).where(or_(posted_here, and_(~posted_anywhere, added_by_caller)))


def posts(caller: Caller) -> Select:
    return select(Post).where(unit_clause(caller, Post.unit_code))


def pairings(caller: Caller) -> Select:
    return select(Pairing).join(Household, Household.id == Pairing.household_id).where(unit_clause(caller, Household.village_code))


def teams(caller: Caller) -> Select:
    return select(Team).where(unit_clause(caller, Team.village_code))


def plans(caller: Caller) -> Select:
    return select(ReductionPlan).where(unit_clause(caller, ReductionPlan.unit_code))


def deep_poverty(caller: Caller) -> Select:
    return select(DeepPoverty).join(Household, Household.id == DeepPoverty.household_id).where(unit_clause(caller, Household.village_code))


def links(caller: Caller) -> Select:
    return select(UnitLink).where(or_(unit_clause(caller, UnitLink.unit_code), unit_clause(caller, UnitLink.village_code)))


# ---- exit cases: where their subject sits (the household's village, or the unit) ----


def case(session: Session, caller: Caller, case_id: str, *, field: str = "case") -> ExitCase:
    found = session.get(ExitCase, case_id)
    if found is None or not covers(caller, session.get(OrgUnit, found.unit_code)):
        raise errors.ExitCaseNotFound(id=case_id, field=field)
    return found


def cases(caller: Caller) -> Select:
    return select(ExitCase).where(unit_clause(caller, ExitCase.unit_code))


# ---- visits: where their target sits ------------------------------------------------


def _visit_clause(caller: Caller):
    return Subtree(caller.scope_path).clause(Visit.unit_path)


def visit(session: Session, caller: Caller, visit_id: str, *, field: str = "visit") -> Visit:
    found = session.get(Visit, visit_id)
    if found is None or not Subtree(caller.scope_path).contains(found.unit_path):
        raise errors.VisitNotFound(id=visit_id, field=field)
    return found


def visits(caller: Caller, query: Select) -> Select:
    """`query` over visits, narrowed to visits whose target lies in the caller's subtree."""
    return query.where(_visit_clause(caller))


def visit_target(session: Session, caller: Caller, target_level: str, target_id: str, *, field: str = "target_id") -> OrgUnit:
    """The unit where a visit target lies (a household: its village); not found outside the caller's scope."""
    if target_level == "household":
        return session.get(OrgUnit, household(session, caller, target_id, field=field).village_code)
    return unit(session, caller, target_id, field=field)


def visit_writes(session: Session, caller: Caller) -> Callable[[str, str, str], None]:
    """A check of (visitor, target level, target) for each visit the caller records.

    Refuses as not found a target outside the scope, and a visitor the caller may not
    name there (`person_named`). It remembers which visitors it has cleared for which
    unit, so that an import's many lines by the same people cost one look each.
    """
    cleared: set[tuple[str, str]] = set()

    def check(visitor_id: str, target_level: str, target_id: str) -> None:
        place = visit_target(session, caller, target_level, target_id)
        if (visitor_id, place.code) not in cleared:
            person_named(session, caller, visitor_id, unit_code=place.code, field="visitor_id")
            cleared.add((visitor_id, place.code))

    return check


def record_writes(session: Session, caller: Caller) -> Callable[[str, dict], None]:
    """A check of each row the caller onboards from a file (imports.onboarding): every unit
    and household it names lies in the scope (not found otherwise, as for a single write),
    a person on file is one the caller sees, and a pairing's cadre is one the caller may name there."""

    def check(kind: str, row: dict) -> None:
        for field in ("parent_code", "unit_code", "village_code"):
            if row.get(field):
                unit(session, caller, row[field], field=field)
        if kind == "units" and session.get(OrgUnit, row["code"]) is not None:
            unit(session, caller, row["code"], field="code")
        if kind == "households" and session.get(Household, row["id"]) is not None:
            household(session, caller, row["id"], field="id")
        if kind == "people" and session.get(Person, row["id"]) is not None:
            person(session, caller, row["id"], field="id")  # a row on file may correct the name: one the caller sees
        if row.get("household_id"):
            place = household(session, caller, row["household_id"], field="household_id").village_code
            person_named(session, caller, row["cadre_id"], unit_code=place, field="cadre_id")

    return check


# ---- people a write may name --------------------------------------------------------


def person_named(session: Session, caller: Caller, person_id: str, *, unit_code: str, field: str) -> Person:
    """The person a write about a record at `unit_code` (inside the scope) names, if it may.

    It may name the caller's own person, anyone the caller sees (`person`), and anyone
    answerable for the record, holding or having held a post at `unit_code`, above it, or
    at a city-direct unit linked to its village (联系村): whom a signature, a pairing or a
    visit lawfully names. Anyone else, like an unknown id, is not found, so no check
    further on can name them or confirm they exist.
    """
    found = session.get(Person, person_id)
    place = session.get(OrgUnit, unit_code)
    if found is None or place is None:
        raise errors.PersonNotFound(id=person_id, field=field)
    if person_id == caller.person_id or _answerable(session, person_id, place):
        return found
    return person(session, caller, person_id, field=field)


def _answerable(session: Session, person_id: str, place: OrgUnit) -> bool:
    codes = place.path.split("/")
    linked = select(UnitLink.unit_code).where(UnitLink.village_code.in_(codes))
    posted = exists().where(Post.person_id == person_id, or_(Post.unit_code.in_(codes), Post.unit_code.in_(linked)))
    return session.execute(select(posted)).scalar() is True


# ---- accounts: where their scope unit sits ------------------------------------------


def account(session: Session, caller: Caller, account_id: str, *, field: str = "account") -> Account:
    found = session.get(Account, account_id)
    if found is None or not covers(caller, session.get(OrgUnit, found.scope_code)):
        raise errors.AccountNotFound(id=account_id, field=field)
    return found


def accounts(caller: Caller) -> Select:
    return select(Account).where(unit_clause(caller, Account.scope_code))


# ---- the event log: the events about records in the subtree ---------------------


def whole_log(caller: Caller) -> bool:
    """Whether the caller is scoped to a top unit, and so reads every event of the log."""
    return "/" not in caller.scope_path


def events(caller: Caller) -> Select:
    """Events about records in the caller's subtree (every event for a top unit's account).

    An event type whose record has no place in the tree is shown only with the whole log.
    """
    if whole_log(caller):
        return select(Event)
    unit_codes = select(OrgUnit.code).where(_subtree(caller))
    household_ids = households(caller).with_only_columns(Household.id)
    about = {
        "org_unit": unit_codes,
        "household": household_ids,
        "registry_spell": select(RegistrySpell.id).where(or_(RegistrySpell.subject_id.in_(household_ids), RegistrySpell.subject_id.in_(unit_codes))),
        "person": people(caller).with_only_columns(Person.id),
        "post": posts(caller).with_only_columns(Post.id),
        "pairing": pairings(caller).with_only_columns(Pairing.id),
        "unit_link": links(caller).with_only_columns(UnitLink.id),
        "team": teams(caller).with_only_columns(Team.id),
        "deep_poverty": deep_poverty(caller).with_only_columns(DeepPoverty.id),
        "reduction_plan": plans(caller).with_only_columns(ReductionPlan.id),
        "planned_exit": select(PlannedExit.id).where(unit_clause(caller, PlannedExit.village_code)),
        "visit": select(Visit.id).where(_visit_clause(caller)),
        "exit_case": cases(caller).with_only_columns(ExitCase.id),
        "account": select(Account.id).where(unit_clause(caller, Account.scope_code)),
    }
    return select(Event).where(or_(*(and_(Event.entity_type == kind, Event.entity_id.in_(ids)) for kind, ids in about.items())))


def event_seen(session: Session, caller: Caller, seq: int) -> bool:
    """Whether event `seq` is about a record in the caller's subtree."""
    return session.execute(select(events(caller).where(Event.seq == seq).exists())).scalar() is True
