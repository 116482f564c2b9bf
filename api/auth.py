"""Bearer-token authentication: every request names its account; the dependency gives the Caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from workflow.accounts import service as accounts
from workflow import errors
from workflow.accounts.access import Caller
from workflow.db import read_only

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An account token from `exit-tracker accounts create`: `Authorization: Bearer et_…`",
)


def caller_from_request(request: Request, session: Session | None = None) -> Caller:
    """The Caller the request's bearer token names; NotAuthenticated (401) otherwise.

    Cached on request.state: the idempotency layer and the route both ask. `session`: a
    read session to look the token up in (default: one of its own).
    """
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.TokenRequired()
    if session is None:
        with Session(read_only(request.app.state.engine)) as session:
            caller = _caller_of_token(session, token)
    else:
        caller = _caller_of_token(session, token)
    request.state.caller = caller
    return caller


def _caller_of_token(session: Session, token: str) -> Caller:
    found = accounts.token_holder(session, token)
    if found is None:
        raise errors.InvalidToken()
    account, scope_unit = found
    if account.revoked_at is not None:
        raise errors.TokenRevoked(revoked_at=account.revoked_at.isoformat())
    return Caller.of(account, scope_unit)


def current_caller(request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The authenticated caller (the HTTPBearer parameter only puts the scheme in OpenAPI)."""
    return caller_from_request(request)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
