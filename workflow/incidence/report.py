"""The incidence report: for a unit's subtree, each unit's poverty incidence on a series of dates.

With `every="year"` and a start, one row per year end for the unit and each child unit: the
year-by-year table an inspection compares with the published figures (SPEC §6). Each row also
counts the registered poor villages (贫困村) and the townships with a concentrated poor
population (贫困人口集中的乡镇) on its date.

Poor population on a day: the members of households on the poverty registry that day
(a spell from `registered_on` to `exited_on`, both inclusive). Rural population: the sum
of the villages' rural populations for the date's year (`org.rural_populations`: the
year's figure, or the latest year's before it, or the village's undated figure); a unit
with a village whose rural population is unknown has no incidence
(`rural_population_complete` is false) rather than a wrong one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlmodel import Session

from rules.schema import Level
from workflow.db import in_span
from workflow import rulebook
from workflow import errors
from workflow.org.models import OrgUnit, RegistrySpell
from workflow.org.service import get_unit, rural_populations
from workflow.org.places import Subtree
from workflow.pairings import cover

MAX_DATES = 120
STEPS = ("month", "quarter", "year")
# Units incidence is reported for (city-direct units hold no households).
REPORTED_LEVELS = (Level.province, Level.city, Level.county, Level.township, Level.village)


@dataclasses.dataclass(frozen=True)
class IncidenceRow:
    unit_code: str
    unit_name: str
    level: str
    date: dt.date
    poor_households: int
    poor_population: int
    poor_villages: int  # registered poor villages (贫困村) in the unit that day
    poor_townships: int  # townships with a concentrated poor population (贫困人口集中的乡镇) that day
    rural_population: int | None
    rural_population_complete: bool
    incidence: Decimal | None  # a share, 4 decimal places: 0.0620 is 6.20 %
    threshold: Decimal
    below_threshold: bool | None


def series(*, as_of: dt.date, start: dt.date | None, every: str) -> list[dt.date]:
    """The last day of each `every` period from `start`'s to `as_of`'s, `as_of` itself last."""
    if every not in STEPS:
        raise errors.InvalidStep(steps=STEPS)
    if start is None:
        return [as_of]
    if start > as_of:
        raise errors.InvalidDates.from_after_as_of(start=start, as_of=as_of)
    dates, day = [], start
    while day < as_of:
        end = _period_end(day, every)
        if end >= as_of:
            break
        dates.append(end)
        day = end + dt.timedelta(days=1)
        if len(dates) >= MAX_DATES:
            raise errors.TooManyDates(limit=MAX_DATES)
    return [*dates, as_of]


def _period_end(day: dt.date, every: str) -> dt.date:
    if every == "year":
        return dt.date(day.year, 12, 31)
    months = 1 if every == "month" else 3
    last_month = day.month if months == 1 else ((day.month - 1) // 3 + 1) * 3
    following = dt.date(day.year + (last_month == 12), last_month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def incidence_report(session: Session, *, unit_code: str, dates: list[dt.date], level: Level | str | None = None) -> list[IncidenceRow]:
    """Rows per unit and date: the unit and its direct children, or every unit of `level` below it."""
    root = get_unit(session, unit_code)
    units_query = select(OrgUnit).where(Subtree.of(root).clause(OrgUnit.path), OrgUnit.level.in_([lv.value for lv in REPORTED_LEVELS]))
    if level is not None:
        units_query = units_query.where(OrgUnit.level == Level(level).value)
    else:
        units_query = units_query.where(or_(OrgUnit.code == root.code, OrgUnit.parent_code == root.code))
    units = list(session.execute(units_query.order_by(OrgUnit.path)).scalars())
    villages = list(session.execute(select(OrgUnit.code, OrgUnit.path, OrgUnit.rural_population).where(Subtree.of(root).clause(OrgUnit.path), OrgUnit.level == Level.village.value)))
    # Which reported units each village counts towards (itself and its ancestors among `units`).
    reported = {unit.code for unit in units}
    counts_for = {code: [c for c in path.split("/") if c in reported] for code, path, _ in villages}

    undated = {code: population for code, _path, population in villages}
    has_villages = {unit for code in undated for unit in counts_for[code]}
    population_on = rural_populations(session, undated, dates)

    townships = session.execute(select(OrgUnit.code, OrgUnit.path).where(Subtree.of(root).clause(OrgUnit.path), OrgUnit.level == Level.township.value))
    counts_for.update({code: [c for c in path.split("/") if c in reported] for code, path in townships})

    rows = []
    for day in dates:
        poor_households: dict[str, int] = defaultdict(int)
        poor_population: dict[str, int] = defaultdict(int)
        poor_units: dict[tuple[str, str], int] = defaultdict(int)
        for village, households, members in _poor_by_village(session, root, day):
            for unit in counts_for.get(village, ()):
                poor_households[unit] += households
                poor_population[unit] += members
        for kind, code in _poor_units(session, root, day):
            for unit in counts_for.get(code, ()):
                poor_units[(kind, unit)] += 1
        rural: dict[str, int] = defaultdict(int)
        incomplete: set[str] = set()
        for village, population in population_on[day].items():
            for unit in counts_for[village]:
                if population is None:
                    incomplete.add(unit)
                else:
                    rural[unit] += population
        threshold = rulebook.in_force(day, otherwise=rulebook.first()).exit_incidence_below
        for unit in units:
            complete = unit.code in has_villages and unit.code not in incomplete
            denominator = rural[unit.code] if unit.code in has_villages else None
            incidence = None
            if complete and denominator:
                incidence = (Decimal(poor_population[unit.code]) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            rows.append(
                IncidenceRow(
                    unit_code=unit.code,
                    unit_name=unit.name,
                    level=unit.level,
                    date=day,
                    poor_households=poor_households[unit.code],
                    poor_population=poor_population[unit.code],
                    poor_villages=poor_units[("poor_village", unit.code)],
                    poor_townships=poor_units[("concentrated_township", unit.code)],
                    rural_population=denominator,
                    rural_population_complete=complete,
                    incidence=incidence,
                    threshold=threshold,
                    below_threshold=None if incidence is None else incidence < threshold,
                )
            )
    return rows


def _poor_by_village(session: Session, root: OrgUnit, day: dt.date):
    """(village code, households, members) on the poverty registry on `day`, below `root`,
    counted by the pairing cover (`cover.by_village`)."""
    return [(village, households, people) for village, households, _, people in cover.by_village(session, root, day)]


def _poor_units(session: Session, root: OrgUnit, day: dt.date):
    """(registry kind, code) of every village and township below `root` on its poverty registry on `day`."""
    query = select(RegistrySpell.kind, RegistrySpell.subject_id).join(OrgUnit, OrgUnit.code == RegistrySpell.subject_id).where(
        Subtree.of(root).clause(OrgUnit.path),
        RegistrySpell.kind.in_(("poor_village", "concentrated_township")),
        in_span(RegistrySpell.registered_on, RegistrySpell.exited_on, day),
    )
    return session.execute(query).all()
