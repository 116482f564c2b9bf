"""/api/v1/plans and /api/v1/planned-exits: annual poverty-reduction plans (年度减贫计划), set by
the level above, and the year each poor village or household is planned to exit — admins write."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import Field

from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.pagination import Cursor, Limit, Page, keyset
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, View
from workflow.accounts import access, scope
from workflow.plans import service as plans
from workflow.plans.models import ReductionPlan

router = resource_router("plans 减贫计划")

Year = Annotated[int, Field(ge=2000, le=2100, examples=[2017])]


class PlanView(View):
    id: str = Field(examples=["431224100201:2017"])
    unit_code: str
    year: int
    households: int = Field(description="Households to exit that year.")
    people: int = Field(description="People to exit that year.")
    villages: int | None = Field(None, description="Villages to exit (counties and townships).")
    set_by: str = Field(description="The unit of the level above that set the plan.")
    revision: int = Field(description="1 when first set; each revision adds one (the earlier ones stay in the history).")


class PlanSet(Body):
    unit_code: str = Field(min_length=1, max_length=32, examples=["431224100201"])
    year: Year
    households: int = Field(ge=0, le=1_000_000)
    people: int = Field(ge=0, le=10_000_000)
    villages: int | None = Field(None, ge=0, le=100_000)
    set_by: str = Field(min_length=1, max_length=32, examples=["431224100000"], description="The unit above, setting the plan.")


class PlannedExitView(View):
    id: str
    kind: str
    subject_id: str
    village_code: str
    year: int


class PlannedExitSet(Body):
    kind: Literal["poor_household", "poor_village"]
    subject_id: str = Field(min_length=1, max_length=64, examples=["4312241002010001"])
    year: Year


@router.get("/plans", response_model=Page[PlanView], summary="List plans in scope / 减贫计划列表")
def list_plans(
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[PlanView]:
    """Plans of units in the caller's scope, as last set (their history: /history)."""
    query = scope.plans(caller)
    if unit is not None:
        query = query.where(ReductionPlan.unit_code == unit)
    if year is not None:
        query = query.where(ReductionPlan.year == year)
    rows, next_cursor = keyset(session, query, ReductionPlan.id, cursor=cursor, limit=limit)
    return Page(items=[PlanView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.post("/plans", response_model=PlanView, responses=WRITE_PROBLEMS, summary="Set or revise a plan / 下达减贫计划")
def set_plan(body: PlanSet, caller: CurrentCaller, session: WriteSession) -> PlanView:
    """Set a unit's plan for a year, by the unit above it (in the caller's scope); again to revise it (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, body.set_by, field="set_by")
    scope.unit(session, caller, body.unit_code, field="unit_code")
    return PlanView.model_validate(plans.set_plan(session, actor=caller.actor(), **body.model_dump()))


@router.post("/planned-exits", response_model=PlannedExitView, responses=WRITE_PROBLEMS, summary="Set a planned exit year / 确定计划脱贫年度")
def set_planned_exit(body: PlannedExitSet, caller: CurrentCaller, session: WriteSession) -> PlannedExitView:
    """The campaign year a poor household or village in scope is planned to exit (admins)."""
    access.require(caller, access.REGISTRY)
    if body.kind == "poor_household":
        scope.household(session, caller, body.subject_id, field="subject_id")
    else:
        scope.unit(session, caller, body.subject_id, field="subject_id")
    return PlannedExitView.model_validate(plans.set_planned_exit(session, actor=caller.actor(), **body.model_dump()))
