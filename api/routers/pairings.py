"""/api/v1/pairings: cadres paired with households (结对帮扶) — admins write."""

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
from workflow.posts.models import Pairing

router = resource_router("pairings 结对帮扶")


class PairingView(View):
    id: str
    cadre_id: str
    household_id: str = Field(examples=["4312241002010001"])
    start_date: dt.date
    end_date: dt.date | None = None


class PairingCreate(Body):
    cadre_id: str = Field(min_length=1, max_length=64)
    household_id: str = Field(min_length=1, max_length=64, examples=["4312241002010001"])
    start_date: Day = Field(examples=["2016-03-01"])
    end_date: Day | None = None


@router.get("/pairings", response_model=Page[PairingView], summary="List pairings in scope / 结对列表")
def list_pairings(
    caller: CurrentCaller,
    session: ReadSession,
    cadre: Annotated[str | None, Query(max_length=64)] = None,
    household: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[PairingView]:
    """Pairings (结对) of households in the caller's scope: of one cadre, or of one household."""
    query = scope.pairings(caller)
    if cadre is not None:
        query = query.where(Pairing.cadre_id == cadre)
    if household is not None:
        query = query.where(Pairing.household_id == household)
    rows, next_cursor = keyset(session, query, Pairing.id, cursor=cursor, limit=limit)
    return Page(items=[PairingView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/pairings/{pairing_id}", response_model=PairingView, summary="One pairing / 单个结对")
def get_pairing(pairing_id: Id, caller: CurrentCaller, session: ReadSession) -> PairingView:
    """One pairing of a cadre with a household (结对), with its first and last day."""
    return PairingView.model_validate(scope.pairing(session, caller, pairing_id))


@router.post("/pairings", status_code=201, response_model=PairingView, responses=WRITE_PROBLEMS, summary="Pair a cadre with a household / 结对")
def pair(body: PairingCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> PairingView:
    """Pair a township cadre with a household in scope, at most the rule book's cap at once (admins)."""
    access.require(caller, access.REGISTRY)
    household = scope.household(session, caller, body.household_id, field="household_id")
    scope.person_named(session, caller, body.cadre_id, unit_code=household.village_code, field="cadre_id")
    pairing = posts.pair(session, actor=caller.actor(), **body.model_dump())
    response.headers["Location"] = f"/api/v1/pairings/{pairing.id}"
    return PairingView.model_validate(pairing)


@router.post("/pairings/{pairing_id}/end", response_model=PairingView, responses=WRITE_PROBLEMS, summary="End a pairing / 结束结对")
def end_pairing(pairing_id: Id, body: SpanEnd, caller: CurrentCaller, session: WriteSession) -> PairingView:
    """End a pairing on its last day (inclusive) (admins)."""
    access.require(caller, access.REGISTRY)
    scope.pairing(session, caller, pairing_id)
    return PairingView.model_validate(posts.end_pairing(session, actor=caller.actor(), pairing_id=pairing_id, end_date=body.end_date))
