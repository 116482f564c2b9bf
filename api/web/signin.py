"""Signing in and out of the web app; `/` sends a signed-in account to its page.

Failed sign-ins are logged (user name and address) and slowed: after a few failures for
one user name, each further answer waits longer (up to half a minute), so guessing a
password from outside costs hours, while a user who mistyped twice is not held up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE, CurrentCaller, caller_from_request
from api.deps import WriteSession
from api.web.pages import home_of, pages_router
from api.web.render import page
from workflow.accounts import signin
from workflow.accounts.access import Caller
from workflow.db import transaction
from workflow.org.service import get_unit

router = pages_router()
log = logging.getLogger("exit_tracker.signin")

FREE_FAILURES = 3
MAX_DELAY = 30.0


class FailedSignIns:
    """Recent failures per user name, in this process: how long the next answer waits."""

    def __init__(self, window: float = 900.0):
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def delay(self, name: str) -> float:
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if t > time.monotonic() - self.window]
            self._failures[name] = recent
        extra = len(recent) - FREE_FAILURES
        return 0.0 if extra < 0 else min(MAX_DELAY, 2.0**extra)

    def failed(self, name: str) -> int:
        with self._lock:
            self._failures.setdefault(name, []).append(time.monotonic())
            return len(self._failures[name])

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


FAILURES = FailedSignIns()


@router.get("/")
def home(request: Request) -> Response:
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse(home_of(caller_from_request(request)), status_code=303)


@router.get("/signin")
def signin_form(request: Request, next: str = "/") -> Response:
    return page(request, "signin.html", next=_local_path(next), failed=False, name="")


def _local_path(target: str) -> str:
    """`target` if it is a path on this site; `/` otherwise (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/signin")
async def signin_submit(
    request: Request, name: Annotated[str, Form(max_length=128)], password: Annotated[str, Form(max_length=1024)], next: Annotated[str, Form(max_length=512)] = "/"
) -> Response:
    wait = FAILURES.delay(name)
    if wait:
        await asyncio.sleep(wait)
    opened = await run_in_threadpool(_sign_in, request, name, password)
    if opened is None:
        count = FAILURES.failed(name)
        log.warning("failed sign-in for user name %r from %s (%d in a row)", name, request.client.host if request.client else "?", count)
        return page(request, "signin.html", status_code=401, next=_local_path(next), failed=True, name=name)
    FAILURES.succeeded(name)
    token, target = opened
    response = RedirectResponse(target if next == "/" else _local_path(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(signin.SESSION_LIFETIME.total_seconds()), httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/"
    )
    return response


def _sign_in(request: Request, name: str, password: str) -> tuple[str, str] | None:
    """The new session's cookie and the account's first page, or None when name or password is wrong."""
    with transaction(request.app.state.engine) as session:
        account = signin.check_password(session, name, password)
        if account is None:
            return None
        token, _csrf = signin.open_session(session, account_id=account.id)
        return token, home_of(Caller.of(account, get_unit(session, account.scope_code)))


@router.post("/signout")
def signout(request: Request, caller: CurrentCaller, session: WriteSession) -> Response:
    """End this browser's session at once (the form carries its CSRF token)."""
    signin.end_session(session, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/signin", status_code=303)
    response.headers["HX-Redirect"] = "/signin"
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
