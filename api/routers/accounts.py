"""/api/v1/accounts/me: who the token belongs to, its roles and scope."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.auth import CurrentCaller
from api.routing import resource_router

router = resource_router("accounts 账号")


class Me(BaseModel):
    id: str
    name: str = Field(examples=["溆浦县扶贫办督查"])
    roles: list[str] = Field(examples=[["supervisor"]])
    scope: str = Field(description="Code of the org unit whose subtree this account works in.", examples=["431224000000"])
    person_id: str | None = Field(None, description="The person this account signs as, if any.")


@router.get("/accounts/me", response_model=Me, summary="The calling account / 当前账号")
def me(caller: CurrentCaller) -> Me:
    """The account the token belongs to: its name, roles, scope and the person it signs as."""
    return Me(id=caller.account_id, name=caller.name, roles=sorted(caller.roles), scope=caller.scope_code, person_id=caller.person_id)
