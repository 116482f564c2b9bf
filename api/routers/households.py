"""/api/v1/households: poor households (贫困户) — read within scope, registered by admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query, Response
from pydantic import Field
from sqlalchemy import select

from api.asof import AsOf, KnownAt, end_of
from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.pagination import Cursor, Limit, Page, keyset
from api.routers.org_units import RegistrySpellView
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, Day, Id, View
from workflow.accounts import access, scope
from workflow.eventlog.versions import known_records
from workflow.exits.service import household_status_on
from workflow.org import service as org
from workflow.org.models import Household, OrgUnit, RegistrySpell
from workflow.org.places import Subtree
from workflow.pairings import service as pairings

router = resource_router("households 贫困户")


class HouseholdView(View):
    id: str = Field(examples=["4312241002010001"])
    village_code: str = Field(examples=["431224100201"])
    head_name: str = Field(examples=["舒春生"])
    members: int = Field(examples=[4])
    status: str = Field(examples=["registered"])


class DeepPovertyView(View):
    id: str
    household_id: str
    start_date: dt.date
    end_date: dt.date | None = None


class DeepPovertyMark(Body):
    start_date: Day = Field(description="First day the household counts as in deep poverty (深度贫困).", examples=["2017-06-01"])
    end_date: Day | None = Field(None, description="Last day (inclusive); null while it lasts.")


class HouseholdDetail(HouseholdView):
    registry: list[RegistrySpellView]
    deep_poverty: list[DeepPovertyView] = Field(default_factory=list, description="Spans in which the registry marks it in deep poverty (深度贫困).")
    on_registry: bool | None = Field(None, description="With as_of: whether it was on the poverty registry that day. 当日是否在建档立卡名单内。")


class HouseholdCreate(Body):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="Registry number (建档立卡编号).", examples=["4312241002010007"])
    village_code: str = Field(min_length=1, max_length=32, examples=["431224100201"])
    head_name: str = Field(min_length=1, max_length=128, examples=["向桂兰"])
    members: int = Field(ge=1, le=100, examples=[3])
    registered_on: Day = Field(examples=["2014-10-01"])


@router.get("/households", response_model=Page[HouseholdView], summary="List households in scope / 贫困户列表")
def list_households(
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32, description="Only households below this unit (e.g. a township).")] = None,
    status: Annotated[str | None, Query(max_length=32, examples=["registered"])] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[HouseholdView]:
    """Households in the caller's scope, by registry number: all, those below a unit, or those whose exit case has a status."""
    query = scope.households(caller)
    if unit is not None:
        within = scope.unit(session, caller, unit)
        query = query.where(Household.village_code.in_(select(OrgUnit.code).where(Subtree.of(within).clause(OrgUnit.path))))
    if status is not None:
        query = query.where(Household.status == status)
    rows, next_cursor = keyset(session, query, Household.id, cursor=cursor, limit=limit)
    return Page(items=[HouseholdView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/households/{household_id}", response_model=HouseholdDetail, summary="One household / 单个贫困户")
def get_household(household_id: Id, caller: CurrentCaller, session: ReadSession, as_of: AsOf = None, known_at: KnownAt = None) -> HouseholdDetail:
    """The household and its registry spells; `as_of`: its status on that day; `known_at`: as the log held it then."""
    with known_records(session, known_at) as records:
        household = scope.household(records, caller, household_id)
        spells = org.registry_spells(records, "poor_household", household.id)
        detail = HouseholdDetail(
            **HouseholdView.model_validate(household).model_dump(),
            registry=[RegistrySpellView.model_validate(s) for s in spells],
            deep_poverty=[DeepPovertyView.model_validate(m) for m in pairings.deep_poverty_of(records, household.id)],
        )
        if as_of is not None:
            detail.status = household_status_on(records, household.id, end_of(as_of))
            detail.on_registry = org.on_registry(spells, as_of)
        return detail


@router.post("/households", status_code=201, response_model=HouseholdView, responses=WRITE_PROBLEMS, summary="Register a household / 贫困户建档立卡")
def register_household(body: HouseholdCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> HouseholdView:
    """Put a household on the poverty registry in a village within scope (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, body.village_code, field="village_code")
    household = org.register_household(
        session,
        actor=caller.actor(),
        household_id=body.id,
        village_code=body.village_code,
        head_name=body.head_name,
        members=body.members,
        registered_on=body.registered_on,
    )
    response.headers["Location"] = f"/api/v1/households/{household.id}"
    return HouseholdView.model_validate(household)


@router.post("/households/{household_id}/deep-poverty", status_code=201, response_model=DeepPovertyView, responses=WRITE_PROBLEMS, summary="Mark deep poverty / 标记深度贫困户")
def mark_deep_poverty(household_id: Id, body: DeepPovertyMark, caller: CurrentCaller, session: WriteSession) -> DeepPovertyView:
    """Mark a household in scope as in deep poverty (贫困程度深、脱贫难度大) from `start_date` (admins)."""
    access.require(caller, access.REGISTRY)
    scope.household(session, caller, household_id)
    return DeepPovertyView.model_validate(pairings.mark_deep_poverty(session, actor=caller.actor(), household_id=household_id, **body.model_dump()))
