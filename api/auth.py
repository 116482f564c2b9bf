"""Authentication: a bearer token (the API's clients) or a web session cookie (the web app); the dependency gives the Caller.

A session cookie authenticates the API too (the web app's offline queue posts visits to
/api/v1/visits), but a write by cookie must carry the session's CSRF token, in the
X-CSRF-Token header or (web forms) the `csrf_token` field; a bearer token needs none.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from workflow.accounts import service as accounts
from workflow import errors
from workflow.accounts import signin
from workflow.accounts.access import Caller
from workflow.db import read_only

SESSION_COOKIE = "et_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An account token from `exit-tracker accounts create`: `Authorization: Bearer et_…`",
)


def caller_from_request(request: Request, session: Session | None = None) -> Caller:
    """The Caller the request's bearer token or session cookie names; NotAuthenticated (401) otherwise.

    Cached on request.state: the idempotency layer and the route both ask. `session`: a
    read session to look the token up in (default: one of its own).
    """
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if not header and cookie:
        caller = _with_session(request, session, lambda s: _caller_of_session(request, s, cookie))
        request.state.caller = caller
        return caller
    if scheme.lower() != "bearer" or not token:
        raise errors.TokenRequired()
    caller = _with_session(request, session, lambda s: _caller_of_token(s, token))
    request.state.caller = caller
    return caller


def _with_session(request: Request, session: Session | None, read):
    if session is not None:
        return read(session)
    with Session(read_only(request.app.state.engine)) as own:
        return read(own)


def _caller_of_session(request: Request, session: Session, cookie: str) -> Caller:
    found = signin.session_holder(session, cookie)
    if found is None:
        raise errors.SessionEnded()
    account, scope_unit, web_session = found
    _refuse_revoked(account)
    request.state.web_session = web_session
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or getattr(request.state, "csrf_form", None)
        if not sent or not secrets.compare_digest(sent, web_session.csrf_token):
            raise errors.CsrfTokenInvalid()
    return Caller.of(account, scope_unit)


def _caller_of_token(session: Session, token: str) -> Caller:
    found = accounts.token_holder(session, token)
    if found is None:
        raise errors.InvalidToken()
    account, scope_unit = found
    _refuse_revoked(account)
    return Caller.of(account, scope_unit)


def _refuse_revoked(account) -> None:
    if account.revoked_at is not None:
        raise errors.TokenRevoked(revoked_at=account.revoked_at.isoformat())


def current_caller(request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The authenticated caller (the HTTPBearer parameter only puts the scheme in OpenAPI)."""
    return caller_from_request(request)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
