"""/api/v1/unit-links: city-direct units linked to poor villages (联系村) — admins write."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query, Response
from pydantic import Field

from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.pagination import Cursor, Limit, Page, keyset
from api.routers.posts import SpanEnd
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, Day, Id, View
from workflow.accounts import access, scope
from workflow.posts import service as posts
from workflow.posts.models import UnitLink

router = resource_router("unit links 联系村")


class UnitLinkView(View):
    id: str
    unit_code: str = Field(examples=["431200900001"])
    village_code: str = Field(examples=["431224100201"])
    start_date: dt.date
    end_date: dt.date | None = None


class UnitLinkCreate(Body):
    unit_code: str = Field(min_length=1, max_length=32, description="The city-direct unit (市直单位).", examples=["431200900001"])
    village_code: str = Field(min_length=1, max_length=32, examples=["431224100202"])
    start_date: Day = Field(examples=["2017-06-01"])
    end_date: Day | None = None


@router.get("/unit-links", response_model=Page[UnitLinkView], summary="List unit links in scope / 联系村列表")
def list_links(
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32)] = None,
    village: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[UnitLinkView]:
    """Links of city-direct units to poor villages (联系村) with either end in the caller's scope."""
    query = scope.links(caller)
    if unit is not None:
        query = query.where(UnitLink.unit_code == unit)
    if village is not None:
        query = query.where(UnitLink.village_code == village)
    rows, next_cursor = keyset(session, query, UnitLink.id, cursor=cursor, limit=limit)
    return Page(items=[UnitLinkView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/unit-links/{link_id}", response_model=UnitLinkView, summary="One unit link / 单个联系村")
def get_link(link_id: Id, caller: CurrentCaller, session: ReadSession) -> UnitLinkView:
    """One link of a city-direct unit to a poor village (联系村)."""
    return UnitLinkView.model_validate(scope.link(session, caller, link_id))


@router.post("/unit-links", status_code=201, response_model=UnitLinkView, responses=WRITE_PROBLEMS, summary="Link a unit to a village / 新增联系村")
def link_unit(body: UnitLinkCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> UnitLinkView:
    """Link a city-direct unit to a poor village; both must be in scope (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, body.unit_code, field="unit_code")
    scope.unit(session, caller, body.village_code, field="village_code")
    link = posts.link_unit(session, actor=caller.actor(), **body.model_dump())
    response.headers["Location"] = f"/api/v1/unit-links/{link.id}"
    return UnitLinkView.model_validate(link)


@router.post("/unit-links/{link_id}/end", response_model=UnitLinkView, responses=WRITE_PROBLEMS, summary="End a unit link / 结束联系")
def end_link(link_id: Id, body: SpanEnd, caller: CurrentCaller, session: WriteSession) -> UnitLinkView:
    """End a link on its last day (inclusive) (admins)."""
    access.require(caller, access.REGISTRY)
    scope.link(session, caller, link_id)
    return UnitLinkView.model_validate(posts.end_link(session, actor=caller.actor(), link_id=link_id, end_date=body.end_date))
