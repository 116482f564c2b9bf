"""/api/v1/org-units: the org tree (组织机构) — read within scope, written by admins."""

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
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, Day, Id, View
from rules.schema import Level
from workflow import errors
from workflow.accounts import access, scope
from workflow.eventlog.versions import known_records, state_on
from workflow.org import service as org
from workflow.org.models import OrgUnit, RegistrySpell

router = resource_router("org units 组织机构")

UnitCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]


class OrgUnitView(View):
    code: str = Field(examples=["431224000000"])
    name: str = Field(examples=["溆浦县"])
    name_en: str | None = Field(None, examples=["Xupu"])
    level: Level
    parent_code: str | None = Field(None, examples=["431200000000"])
    path: str = Field(examples=["430000000000/431200000000/431224000000"])
    rural_population: int | None = Field(None, examples=[312000])


class RegistrySpellView(View):
    id: str
    kind: str = Field(examples=["poor_village"])
    subject_id: str = Field(examples=["431224100201"])
    registered_on: dt.date
    exited_on: dt.date | None = None


class OrgUnitDetail(OrgUnitView):
    registry: list[RegistrySpellView] = Field(description="Spells on a poverty registry (贫困村/贫困县/贫困人口集中乡镇).")
    on_registry: bool | None = Field(None, description="With as_of: whether it was on a poverty registry that day. 当日是否在贫困登记内。")


class OrgUnitCreate(Body):
    code: UnitCode = Field(examples=["431224100203"])
    name: str = Field(min_length=1, max_length=128, examples=["山背村"])
    level: Level = Field(examples=["village"])
    parent_code: UnitCode | None = Field(None, examples=["431224100000"])
    name_en: str | None = Field(None, max_length=128, examples=["Shanbei"])
    rural_population: int | None = Field(None, ge=0, le=100_000_000, examples=[1100])


class RuralPopulation(Body):
    rural_population: int = Field(ge=0, le=100_000_000, examples=[1260])


class Registration(Body):
    kind: str = Field(max_length=32, description="poor_village, poor_county or concentrated_township", examples=["poor_village"])
    registered_on: Day = Field(examples=["2014-10-01"])


class RegistrationEnd(Body):
    kind: str = Field(max_length=32, description="concentrated_township: villages and counties leave their registries through exit cases", examples=["concentrated_township"])
    exited_on: Day = Field(description="The last day on the registry (inclusive).", examples=["2018-06-15"])


@router.get("/org-units", response_model=Page[OrgUnitView], summary="List org units in scope / 组织机构列表")
def list_units(
    caller: CurrentCaller,
    session: ReadSession,
    parent: Annotated[str | None, Query(max_length=32, description="Only the direct children of this unit.")] = None,
    level: Level | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[OrgUnitView]:
    """Org units in the caller's scope in tree order: all of them, a unit's direct children (`parent`), or one level."""
    query = scope.units(caller)
    if parent is not None:
        query = query.where(OrgUnit.parent_code == scope.unit(session, caller, parent, field="parent").code)
    if level is not None:
        query = query.where(OrgUnit.level == level.value)
    rows, next_cursor = keyset(session, query, OrgUnit.code, cursor=cursor, limit=limit)
    return Page(items=[OrgUnitView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/org-units/{code}", response_model=OrgUnitDetail, summary="One org unit / 单个组织机构")
def get_unit(code: Id, caller: CurrentCaller, session: ReadSession, as_of: AsOf = None, known_at: KnownAt = None) -> OrgUnitDetail:
    """The unit (a village or county shows its poverty-registry spells); `as_of`: whether it was on a registry that day and
    its rural population then; `known_at`: as the log held it then."""
    with known_records(session, known_at) as records:
        unit = scope.unit(records, caller, code)
        spells = records.execute(select(RegistrySpell).where(RegistrySpell.subject_id == unit.code).order_by(RegistrySpell.registered_on)).scalars().all()
        detail = OrgUnitDetail(**OrgUnitView.model_validate(unit).model_dump(), registry=[RegistrySpellView.model_validate(s) for s in spells])
        if as_of is not None:
            then = state_on(records, OrgUnit, (unit.code,), end_of(as_of))
            if then is not None:
                detail.rural_population = then["rural_population"]
            detail.on_registry = org.on_registry(spells, as_of)
        return detail


@router.post("/org-units", status_code=201, response_model=OrgUnitView, responses=WRITE_PROBLEMS, summary="Add an org unit / 新增组织机构")
def add_unit(body: OrgUnitCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> OrgUnitView:
    """Add a unit under a parent in the caller's scope (admins)."""
    access.require(caller, access.REGISTRY)
    if body.parent_code is None:
        # A new root would sit outside every scope but the one it creates.
        raise errors.RootUnitRefused()
    scope.unit(session, caller, body.parent_code, field="parent_code")
    unit = org.add_org_unit(session, actor=caller.actor(), **body.model_dump())
    response.headers["Location"] = f"/api/v1/org-units/{unit.code}"
    return OrgUnitView.model_validate(unit)


@router.post("/org-units/{code}/rural-population", response_model=OrgUnitView, responses=WRITE_PROBLEMS, summary="Set the rural population / 设定农村人口")
def set_rural_population(code: Id, body: RuralPopulation, caller: CurrentCaller, session: WriteSession) -> OrgUnitView:
    """Record the unit's rural population, the denominator of poverty incidence (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, code)
    return OrgUnitView.model_validate(org.set_rural_population(session, actor=caller.actor(), code=code, rural_population=body.rural_population))


@router.post("/org-units/{code}/registrations", status_code=201, response_model=RegistrySpellView, responses=WRITE_PROBLEMS, summary="Put a unit on a poverty registry / 登记贫困村(县)")
def register(code: Id, body: Registration, caller: CurrentCaller, session: WriteSession) -> RegistrySpellView:
    """Register a village, county or township as poor from a date (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, code)
    spell = org.register_poor_unit(session, actor=caller.actor(), kind=body.kind, code=code, registered_on=body.registered_on)
    return RegistrySpellView.model_validate(spell)


@router.post("/org-units/{code}/registrations/end", response_model=RegistrySpellView, responses=WRITE_PROBLEMS, summary="End a township's concentrated-poverty designation / 结束贫困人口集中乡镇认定")
def end_registration(code: Id, body: RegistrationEnd, caller: CurrentCaller, session: WriteSession) -> RegistrySpellView:
    """End the township's open designation on `exited_on`, its last day on the registry (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, code)
    spell = org.end_unit_registration(session, actor=caller.actor(), kind=body.kind, code=code, exited_on=body.exited_on)
    return RegistrySpellView.model_validate(spell)
