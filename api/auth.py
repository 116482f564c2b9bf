"""Bearer-token authentication: every request names its account; the dependency gives the Caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from workflow.accounts import service as accounts
from workflow.accounts.access import Caller, NotAuthenticated
from workflow.accounts.models import Account, AccountToken
from workflow.db import read_only
from workflow.org.models import OrgUnit

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An account token from `exit-tracker accounts create`: `Authorization: Bearer et_…`",
)


def caller_from_request(request: Request) -> Caller:
    """The Caller the request's bearer token names; NotAuthenticated (401) otherwise.

    Cached on request.state: the idempotency layer and the route both ask.
    """
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated(
            "not_authenticated",
            "send an account token: Authorization: Bearer <token> (create one with `exit-tracker accounts create`)",
            "请提供账号令牌:Authorization: Bearer <令牌>(用 `exit-tracker accounts create` 创建)",
            field="authorization",
        )
    with Session(read_only(request.app.state.engine)) as session:
        row = session.get(AccountToken, accounts.hash_token(token))
        account = session.get(Account, row.account_id) if row else None
        if account is None:
            raise NotAuthenticated("invalid_token", "the token is not valid", "令牌无效", field="authorization")
        if account.revoked_at is not None:
            raise NotAuthenticated(
                "token_revoked",
                f"the account of this token was revoked at {account.revoked_at.isoformat()}",
                f"该令牌所属账号已于 {account.revoked_at.isoformat()} 注销",
                field="authorization",
            )
        caller = Caller.of(account, session.get(OrgUnit, account.scope_code))
    request.state.caller = caller
    return caller


def current_caller(request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The authenticated caller (the HTTPBearer parameter only puts the scheme in OpenAPI)."""
    return caller_from_request(request)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
