"""/api/v1/history/{kind}/{id}: every event about one record, for auditors (纪检监察) and admins.

Who did what to the record, on whose behalf, when it happened and when it was recorded,
with each event's place in the hash chain. The record must lie in the caller's scope.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth import CurrentCaller
from api.deps import ReadSession
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Id, LocalMoment
from workflow.accounts import access, scope
from workflow.accounts.access import Caller
from workflow.audit.history import history

router = resource_router("history 审计")

Kind = Literal["org_unit", "household", "person", "post", "pairing", "unit_link", "visit", "exit_case"]

# How to check that a record of each kind is in the caller's scope (raises not found otherwise).
_IN_SCOPE: dict[str, Callable[[Session, Caller, str], Any]] = {
    "org_unit": scope.unit,
    "household": scope.household,
    "person": scope.person,
    "post": scope.post,
    "pairing": scope.pairing,
    "unit_link": scope.link,
    "visit": scope.visit,
    "exit_case": scope.case,
}


class EventView(BaseModel):
    seq: int
    type: str = Field(examples=["exit_case.signed"])
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    account: str = Field(description="The account that recorded it.")
    on_behalf_of: str | None = Field(None, description="The person it was recorded for (a paper signature).")
    occurred_at: LocalMoment
    recorded_at: LocalMoment
    prev_hash: str
    hash: str


@router.get("/history/{kind}/{record_id}", response_model=list[EventView], responses={403: WRITE_PROBLEMS[403]}, summary="A record's history / 记录变更历史")
def record_history(kind: Kind, record_id: Id, caller: CurrentCaller, session: ReadSession) -> list[EventView]:
    """Every event about the record, oldest first (auditors and admins)."""
    access.require(caller, access.AUDIT)
    _IN_SCOPE[kind](session, caller, record_id)
    return [
        EventView(**{k: getattr(e, k) for k in EventView.model_fields if k != "payload"}, payload=json.loads(e.payload))
        for e in history(session, kind, record_id)
    ]
