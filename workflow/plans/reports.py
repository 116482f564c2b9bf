"""Annual reduction plans against the product's own exits, and the lists after a year closes:
the villages whose committee (村"两委") earns or forfeits its bonus, and the accountability
list (不摘贫帽摘官帽). Lists are reports, evaluated as of a day and as known at a moment — the
session given — never rows edited by hand.

Exits come from the registry spells the exit cases close (a spell's `exited_on` is the exit's
day); a household's people are its members as recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from rules.schema import ReductionPlanRule
from workflow.chunking import chunks
from workflow.db import in_span, one_of
from workflow import errors
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell
from workflow.org.places import Subtree, places
from workflow.org.service import get_unit
from workflow.plans.models import PlannedExit, ReductionPlan
from workflow.plans.service import plan_rule
from workflow.posts.models import Post


@dataclasses.dataclass(frozen=True)
class PlanResult:
    """A unit's plan for a year and what was done by the report's day; `completed` once the year has closed."""

    unit_code: str
    level: str
    year: int
    set_by: str
    revision: int
    planned_households: int
    planned_people: int
    planned_villages: int | None
    exited_households: int
    exited_people: int
    exited_villages: int
    closed: bool
    completed: bool | None


@dataclasses.dataclass(frozen=True)
class Official:
    person_id: str
    name: str
    role: str
    unit_code: str
    start_date: dt.date
    end_date: dt.date | None


@dataclasses.dataclass(frozen=True)
class BonusRow:
    """A village's plan outcome for a closed year and the committee members it concerns."""

    village_code: str
    township_code: str | None
    county_code: str | None
    year: int
    outcome: str  # "bonus" (completed) or "forfeited"
    planned_households: int
    exited_households: int
    planned_people: int
    exited_people: int
    members: tuple[Official, ...]


class AccountabilityRow(NamedTuple):
    """A poor village or household not exited by the end of its planned year, and who held the responsible posts that year.

    A named tuple, not a frozen dataclass: a city's list is tens of thousands of rows, and a
    frozen dataclass costs several times as much to build.
    """

    kind: str  # poor_village or poor_household
    subject_id: str
    village_code: str
    township_code: str | None
    county_code: str | None
    planned_year: int
    exited_on: dt.date | None  # its exit, if it came later (as of the report's day)
    officials: tuple[Official, ...]


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _closed_year(on: dt.date, year: int | None) -> int:
    """`year`, or the latest year closed by the end of `on`; refused when `year` has not closed."""
    latest = on.year if on == dt.date(on.year, 12, 31) else on.year - 1
    if year is None:
        return latest
    if year > latest:
        raise errors.YearNotClosed(year=year, on=on, next_year=year + 1)
    return year


def _exits(session: Session, scope: OrgUnit, first: dt.date, last: dt.date) -> dict[str, list[int]]:
    """Per unit of the subtree (each village and every unit above it): [households, people,
    villages] that exited from `first` to `last`."""
    in_scope = Subtree.of(scope).clause(OrgUnit.path)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    query = (
        select(OrgUnit.path, func.count(), func.coalesce(func.sum(Household.members), 0))
        .select_from(Household)
        .join(RegistrySpell, and_(RegistrySpell.kind == "poor_household", RegistrySpell.subject_id == Household.id))
        .join(OrgUnit, OrgUnit.code == Household.village_code)
        .where(in_scope, RegistrySpell.exited_on >= first, RegistrySpell.exited_on <= last)
        .group_by(OrgUnit.path)
    )
    for path, households, people in session.execute(query).all():
        for code in path.split("/"):
            totals[code][0] += households
            totals[code][1] += int(people)
    villages = select(OrgUnit.path).join(RegistrySpell, and_(RegistrySpell.kind == "poor_village", RegistrySpell.subject_id == OrgUnit.code))
    for path in session.execute(villages.where(in_scope, RegistrySpell.exited_on >= first, RegistrySpell.exited_on <= last)).scalars():
        for code in path.split("/"):
            totals[code][2] += 1
    return totals


def plan_results(session: Session, *, scope_code: str, on: dt.date, year: int | None = None) -> list[PlanResult]:
    """Each plan of `year` (the year of `on` by default) for units under `scope_code`, against
    the households, people and villages exited from 1 January to `on` (or the year's end)."""
    year = year or on.year
    plan_rule(year)
    scope = get_unit(session, scope_code, field="unit")
    first, last = _year_span(year)
    until = min(last, on)
    plans = session.execute(
        select(ReductionPlan, OrgUnit.path, OrgUnit.level).join(OrgUnit, OrgUnit.code == ReductionPlan.unit_code)
        .where(Subtree.of(scope).clause(OrgUnit.path), ReductionPlan.year == year)
    ).all()
    plans.sort(key=lambda found: found[1])  # top down by path (in Python: a database's collation may order '/' otherwise)
    exited = _exits(session, scope, first, until)
    closed = on >= last
    rows = []
    for plan, _path, level in plans:
        households, people, villages = exited.get(plan.unit_code, (0, 0, 0))
        done = households >= plan.households and people >= plan.people and (plan.villages is None or villages >= plan.villages)
        rows.append(PlanResult(plan.unit_code, level, year, plan.set_by, plan.revision, plan.households, plan.people, plan.villages,
                               households, people, villages, closed, done if closed else None))
    return rows


def _holders(session: Session, codes: set[str], roles: list[str], first: dt.date, last: dt.date) -> dict[str, list[Official]]:
    """Per unit: who held one of `roles` there at any time from `first` to `last`."""
    found: dict[str, list[Official]] = defaultdict(list)
    connection = session.connection()
    for part in chunks(sorted(codes)):  # each unit's rows come whole from one part: units never straddle two
        query = (
            select(Post.person_id, Person.name, Post.role, Post.unit_code, Post.start_date, Post.end_date).join(Person, Person.id == Post.person_id)
            .where(one_of(connection, Post.unit_code, part), Post.role.in_(roles), in_span(Post.start_date, Post.end_date, first, last))
            .order_by(Post.unit_code, Post.role, Post.start_date, Post.id)
        )
        for row in session.execute(query).all():  # columns, not Post objects: thousands of posts over a city
            found[row.unit_code].append(Official(*row))
    return found


def bonus_list(session: Session, *, scope_code: str, on: dt.date, year: int | None = None) -> list[BonusRow]:
    """For a closed year: each village under `scope_code` with a plan, whether it completed it
    (bonus) or not (forfeited), and the committee members (村"两委") who held their posts that year."""
    year = _closed_year(on, year)
    rule: ReductionPlanRule = plan_rule(year)
    results = [r for r in plan_results(session, scope_code=scope_code, on=on, year=year) if r.level == "village"]
    first, last = _year_span(year)
    holders = _holders(session, {r.unit_code for r in results}, rule.committee_roles, first, last)
    where = places(session.connection(), {r.unit_code for r in results})
    rows = [
        BonusRow(r.unit_code, where[r.unit_code].township_code, where[r.unit_code].county_code, year, "bonus" if r.completed else "forfeited",
                 r.planned_households, r.exited_households, r.planned_people, r.exited_people, tuple(holders.get(r.unit_code, ())))
        for r in results
    ]
    return sorted(rows, key=lambda r: (r.outcome != "forfeited", r.county_code or "", r.township_code or "", r.village_code))


def accountability_list(session: Session, *, scope_code: str, on: dt.date, year: int | None = None) -> list[AccountabilityRow]:
    """For a closed planned year: the poor villages and households under `scope_code` planned to
    exit that year and still on the registry at its end, with the officials who held the
    accountable posts (the rule book's: township and village leaders) during that year."""
    year = _closed_year(on, year)
    rule = plan_rule(year)
    scope = get_unit(session, scope_code, field="unit")
    first, last = _year_span(year)
    # The planned subjects of the year with a spell begun by the year's end and not ended by
    # then, each spell a row, earliest first: the subject is late, and its exit (if it came
    # later) is the end of the first such spell. One query, and only the late come back.
    query = (
        select(PlannedExit.kind, PlannedExit.subject_id, PlannedExit.village_code, RegistrySpell.exited_on)
        .join(OrgUnit, OrgUnit.code == PlannedExit.village_code)
        .join(RegistrySpell, and_(RegistrySpell.kind == PlannedExit.kind, RegistrySpell.subject_id == PlannedExit.subject_id))
        .where(Subtree.of(scope).clause(OrgUnit.path), PlannedExit.year == year,
               RegistrySpell.registered_on <= last, or_(RegistrySpell.exited_on.is_(None), RegistrySpell.exited_on > last))
        .order_by(RegistrySpell.registered_on)
    )
    late: dict[tuple[str, str], tuple[str, dt.date | None]] = {}  # (kind, subject) → (village, its later exit)
    for kind, subject_id, village_code, exited_on in session.connection().execute(query):  # columns, not ORM rows: tens of thousands
        if (kind, subject_id) not in late:
            late[kind, subject_id] = (village_code, exited_on if exited_on is not None and exited_on <= on else None)
    villages = {village for village, _ in late.values()}
    where = places(session.connection(), villages)
    holders = _holders(session, villages | {where[code].township_code for code in villages if where[code].township_code}, rule.accountable_roles, first, last)
    officials: dict[str, tuple[Official, ...]] = {}  # per village: its township's officials, then its own (one tuple shared by its rows)
    for code in villages:
        officials[code] = tuple(holders.get(where[code].township_code, ())) + tuple(holders.get(code, ()))
    rows = []
    for (kind, subject_id), (village_code, exited) in late.items():
        place = where[village_code]
        rows.append(AccountabilityRow(kind, subject_id, village_code, place.township_code, place.county_code, year, exited, officials[village_code]))
    return sorted(rows, key=lambda r: (r.county_code or "", r.township_code or "", r.village_code, r.kind != "poor_village", r.subject_id))
