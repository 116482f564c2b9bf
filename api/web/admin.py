"""The admin's page: the accounts within the admin's scope — create one with a role and a
scope, reset its password, revoke it. Every change is an event in the log; a new or reset
password is made here at random and shown once, for the admin to hand over.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.web.pages import pages_router
from api.web.render import page
from workflow.accounts import access, scope, signin
from workflow.accounts import service as accounts
from workflow.accounts.models import AccountPassword
from workflow.org.models import OrgUnit

router = pages_router()


def _listing(request: Request, caller, session, **shown) -> Response:
    rows = session.execute(scope.accounts(caller).add_columns(OrgUnit.name).join(OrgUnit, OrgUnit.code == accounts.Account.scope_code).order_by(accounts.Account.created_at)).all()
    with_password = set(session.execute(select(AccountPassword.account_id).distinct()).scalars())
    return page(request, "admin.html", rows=rows, with_password=with_password, roles=accounts.ROLES, **shown)


@router.get("/admin")
def admin_home(request: Request, caller: CurrentCaller, session: ReadSession) -> Response:
    access.require(caller, access.ACCOUNTS)
    return _listing(request, caller, session)


@router.post("/admin/accounts")
def create(
    request: Request,
    caller: CurrentCaller,
    session: WriteSession,
    name: Annotated[str, Form(max_length=128)],
    role: Annotated[str, Form(max_length=16)],
    scope_code: Annotated[str, Form(max_length=32)],
) -> Response:
    """A new account over a unit within the admin's scope, with a one-time password."""
    access.require(caller, access.ACCOUNTS)
    scope.unit(session, caller, scope_code.strip(), field="scope")
    account, _token = accounts.create_account(session, actor=caller.actor(), name=name, roles=[role], scope_code=scope_code.strip())
    password = secrets.token_urlsafe(9)
    signin.set_password(session, actor=caller.actor(), account_id=account.id, password=password)
    return _listing(request, caller, session, issued=(account.name, password))


@router.post("/admin/accounts/{account_id}/password")
def reset_password(request: Request, caller: CurrentCaller, session: WriteSession, account_id: str) -> Response:
    """A new one-time password for an account within the admin's scope."""
    access.require(caller, access.ACCOUNTS)
    account = scope.account(session, caller, account_id)
    password = secrets.token_urlsafe(9)
    signin.set_password(session, actor=caller.actor(), account_id=account.id, password=password)
    return _listing(request, caller, session, issued=(account.name, password))


@router.post("/admin/accounts/{account_id}/revoke")
def revoke(request: Request, caller: CurrentCaller, session: WriteSession, account_id: str, reason: Annotated[str, Form(max_length=2000)]) -> Response:
    """Revoke an account within the admin's scope: its tokens and sessions stop working at once."""
    access.require(caller, access.ACCOUNTS)
    scope.account(session, caller, account_id)
    accounts.revoke_account(session, actor=caller.actor(), account_id=account_id, reason=reason)
    return _listing(request, caller, session)
