"""Commands that set a unit's annual reduction plan (by the level above) and a subject's planned
exit year; their projection. A revision is the same command again: the plan keeps its versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from rules.schema import Level, ReductionPlanRule
from workflow import errors, rulebook
from workflow.eventlog import Actor, Event, append
from workflow.eventlog.projection import EventProjection
from workflow.org.service import LEVEL_ZH, PARENT_LEVEL, get_household, get_unit
from workflow.plans.models import PlannedExit, ReductionPlan

# The read model of plans and planned exit years: kept by the functions marked @PLANS.on below.
PLANS = EventProjection("plans")


def plan_rule(year: int) -> ReductionPlanRule:
    """The plan rule of the book in force at the end of `year` (the first book's for earlier years)."""
    book = rulebook.in_force(dt.date(year, 12, 31), otherwise=rulebook.first())
    if book.reduction_plans is None:
        raise errors.RuleNotInBook.reduction_plans(book=book.id)
    return book.reduction_plans


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise errors.InvalidYear(year=year)


def set_plan(
    session: Session, *, actor: Actor, unit_code: str, year: int, households: int, people: int, villages: int | None = None, set_by: str
) -> ReductionPlan:
    """Set (or revise) `unit_code`'s plan for `year`: households and people to exit, and for a
    county or township the villages to exit; `set_by` is the unit of the level above that sets it."""
    _check_year(year)
    rule = plan_rule(year)
    unit = get_unit(session, unit_code)
    level = Level(unit.level)
    if level not in rule.plan_levels:
        raise errors.InvalidPlanUnit(level=level.value, levels=[l.value for l in rule.plan_levels], level_zh=LEVEL_ZH[level])
    setter = get_unit(session, set_by, field="set_by")
    if setter.code != unit.parent_code or PARENT_LEVEL[level] is None:
        raise errors.InvalidPlanSetter(unit=unit.name, setter=setter.name)
    if min(households, people) < 0 or (villages is not None and villages < 0) or people < households:
        raise errors.InvalidPlan.counts()
    if level is Level.village and villages is not None:
        raise errors.InvalidPlan.village_villages()
    plan_id = f"{unit_code}:{year}"
    before = session.get(ReductionPlan, plan_id)
    append(
        session,
        type="plan.set",
        entity_type="reduction_plan",
        entity_id=plan_id,
        payload={"id": plan_id, "unit_code": unit_code, "year": year, "households": households, "people": people, "villages": villages,
                 "set_by": set_by, "revision": before.revision + 1 if before else 1},
        actor=actor,
    )
    return session.get(ReductionPlan, plan_id)


def _set(session: Session, model: type, data: dict[str, Any]):
    """Projector helper: the row `data["id"]` of `model` with `data`, added if new."""
    row = session.get(model, data["id"])
    if row is None:
        row = model(**data)
        session.add(row)
    else:
        for key, value in data.items():
            setattr(row, key, value)
    return row


@PLANS.on("plan.set")
def _plan_set(session: Session, event: Event, data: dict[str, Any]) -> ReductionPlan:
    return _set(session, ReductionPlan, data)


def set_planned_exit(session: Session, *, actor: Actor, kind: str, subject_id: str, year: int) -> PlannedExit:
    """Set the year a poor household (`poor_household`) or village (`poor_village`) is planned to exit."""
    _check_year(year)
    if kind == "poor_household":
        village_code = get_household(session, subject_id).village_code
    elif kind == "poor_village":
        village = get_unit(session, subject_id, field="subject_id")
        if village.level != Level.village:
            raise errors.InvalidVillage(code=subject_id, level=village.level, field="subject_id")
        village_code = village.code
    else:
        raise errors.InvalidKind.planned_exit()
    planned_id = f"{kind}:{subject_id}"
    append(session, type="plan.exit_year_set", entity_type="planned_exit", entity_id=planned_id,
           payload={"id": planned_id, "kind": kind, "subject_id": subject_id, "village_code": village_code, "year": year}, actor=actor)
    return session.get(PlannedExit, planned_id)


@PLANS.on("plan.exit_year_set")
def _exit_year_set(session: Session, event: Event, data: dict[str, Any]) -> PlannedExit:
    return _set(session, PlannedExit, data)
