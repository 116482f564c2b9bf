"""Signing in and out of the web app; `/` sends a signed-in account to its page.

The sign-in form carries a pre-session token (login CSRF): GET /signin sets a random
HttpOnly cookie and writes the same value in a hidden field; a POST whose field does not
match its cookie is refused before any password is checked, so another site cannot sign a
browser in to an account of its choosing.

Every attempt is recorded in the database (workflow.accounts.signin): failures for one user
name slow the next answers (up to half a minute), an address that keeps failing is refused
for a while, and both are logged, across all server processes and restarts.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE, CurrentCaller, caller_from_request
from api.deps import WriteSession
from api.errors import language
from api.web.pages import home_of, pages_router
from api.web.render import page
from workflow import errors
from workflow.accounts import signin
from workflow.accounts.access import Caller
from workflow.db import transaction
from workflow.org.service import get_unit

router = pages_router()
log = logging.getLogger("exit_tracker.signin")

SIGNIN_COOKIE = "et_signin"  # the sign-in form's own token: the double-submit half the browser holds
SIGNIN_FIELD = "signin_token"
SIGNIN_TOKEN_LIFETIME = 2 * 60 * 60  # seconds: a sign-in page left open a morning still works


async def pause(seconds: float) -> None:
    """Hold this answer back (the other requests go on): how a guesser is slowed."""
    await asyncio.sleep(seconds)


def _form_token(request: Request) -> str:
    """This browser's sign-in token: the one its cookie holds, or a new one."""
    held = request.cookies.get(SIGNIN_COOKIE, "")
    return held if 32 <= len(held) <= 64 and held.replace("-", "").replace("_", "").isalnum() else secrets.token_urlsafe(32)


def _signin_page(request: Request, *, status_code: int = 200, next: str = "/", name: str = "", problem: str | None = None, code: str | None = None) -> Response:
    """The sign-in form with its token, in the field and in the cookie."""
    token = _form_token(request)
    response = page(request, "signin.html", status_code=status_code, next=_local_path(next), name=name, problem=problem, code=code, signin_token=token)
    response.set_cookie(SIGNIN_COOKIE, token, max_age=SIGNIN_TOKEN_LIFETIME, httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/signin")
    return response


def _refused(request: Request, refusal: errors.DomainError, *, next: str, name: str) -> Response:
    return _signin_page(request, status_code=refusal.status, next=next, name=name, problem=refusal.message(language(request)), code=refusal.code)


@router.get("/")
def home(request: Request) -> Response:
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse(home_of(caller_from_request(request)), status_code=303)


@router.get("/signin")
def signin_form(request: Request, next: str = "/") -> Response:
    return _signin_page(request, next=next)


def _local_path(target: str) -> str:
    """`target` if it is a path on this site; `/` otherwise (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/signin")
async def signin_submit(
    request: Request, name: Annotated[str, Form(max_length=128)], password: Annotated[str, Form(max_length=1024)], next: Annotated[str, Form(max_length=512)] = "/"
) -> Response:
    sent, held = getattr(request.state, "form", {}).get(SIGNIN_FIELD), request.cookies.get(SIGNIN_COOKIE)
    if not isinstance(sent, str) or not held or not secrets.compare_digest(sent.encode(), held.encode()):
        return _refused(request, errors.CsrfTokenInvalid(), next=next, name=name)
    address = request.client.host if request.client else "?"
    try:
        wait = await run_in_threadpool(_delay, request, name, address)
    except errors.SignInThrottled as refusal:
        log.warning("sign-in refused for user name %r from %s: too many failures from this address", name, address)
        return _refused(request, refusal, next=next, name=name)
    if wait:
        await pause(wait)
    opened, failures = await run_in_threadpool(_sign_in, request, name, password, address)
    if opened is None:
        log.warning("failed sign-in for user name %r from %s (%d in a row)", name, address, failures)
        return _signin_page(request, status_code=401, next=next, name=name, problem=_wrong(request))
    token, target = opened
    response = RedirectResponse(target if next == "/" else _local_path(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(signin.SESSION_LIFETIME.total_seconds()), httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/"
    )
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


def _wrong(request: Request) -> str:
    return "The user name or password is wrong." if language(request) == "en" else "用户名或密码不正确。"


def _delay(request: Request, name: str, address: str) -> float:
    with transaction(request.app.state.engine) as session:
        return signin.sign_in_delay(session, name=name, address=address)


def _sign_in(request: Request, name: str, password: str, address: str) -> tuple[tuple[str, str] | None, int]:
    """The new session's cookie and the account's first page (None when name or password is
    wrong), and the user name's failures in a row; the attempt is recorded either way."""
    with transaction(request.app.state.engine) as session:
        account = signin.check_password(session, name, password)
        signin.record_sign_in(session, name=name, address=address, succeeded=account is not None)
        if account is None:
            return None, signin.failures_in_a_row(session, name)
        token, _csrf = signin.open_session(session, account_id=account.id)
        return (token, home_of(Caller.of(account, get_unit(session, account.scope_code)))), 0


@router.post("/signout")
def signout(request: Request, caller: CurrentCaller, session: WriteSession) -> Response:
    """End this browser's session at once (the form carries its CSRF token)."""
    signin.end_session(session, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/signin", status_code=303)
    response.headers["HX-Redirect"] = "/signin"
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
