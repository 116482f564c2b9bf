"""Creating and revoking accounts (events), issuing tokens, and resolving a bearer token."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow import clock
from workflow.accounts.models import Account, AccountToken
from workflow.errors import Conflict, DomainError, not_found
from workflow.eventlog import Actor, Event, append
from workflow.eventlog.projection import EventProjection
from workflow.org.models import OrgUnit
from workflow.org.service import get_person, get_unit
from workflow.types import new_id

# The read model of API accounts: kept by the functions marked @ACCOUNTS.on below.
ACCOUNTS = EventProjection("accounts")

ROLES = ("admin", "recorder", "supervisor", "auditor")
ROLES_ZH = {"admin": "管理员", "recorder": "录入员", "supervisor": "督查员", "auditor": "审计员(纪检监察)"}
WRITING_ROLES = frozenset({"admin", "recorder"})
TOKEN_PREFIX = "et_"


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_account(session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise not_found("account", account_id, field="account", zh_kind="账号")
    return account


def list_accounts(session: Session) -> list[Account]:
    return list(session.execute(select(Account).order_by(Account.created_at, Account.id)).scalars())


def account_for_token(session: Session, token: str) -> Account | None:
    """The live (unrevoked) account a bearer token belongs to, or None."""
    found = token_holder(session, token)
    if found is None or found[0].revoked_at is not None:
        return None
    return found[0]


def token_holder(session: Session, token: str) -> tuple[Account, OrgUnit] | None:
    """The account a bearer token belongs to, revoked or not, with its scope unit; None for an unknown token.

    One statement: every authenticated request asks.
    """
    query = (
        select(Account, OrgUnit)
        .join(AccountToken, AccountToken.account_id == Account.id)
        .join(OrgUnit, OrgUnit.code == Account.scope_code)
        .where(AccountToken.token_hash == hash_token(token))
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def _check_roles(roles: list[str]) -> list[str]:
    wanted = sorted(set(roles))
    unknown = [role for role in wanted if role not in ROLES]
    if not wanted or unknown:
        raise DomainError(
            "invalid_role",
            f"roles must be one or more of {', '.join(ROLES)}; got {', '.join(roles) or 'none'}",
            f"角色应为 {', '.join(ROLES)} 中的一个或多个;收到:{', '.join(roles) or '无'}",
            field="roles",
        )
    if "auditor" in wanted and WRITING_ROLES & set(wanted):
        # Discipline inspection (纪检监察) checks the records: it must not also write them.
        raise DomainError(
            "auditor_cannot_write",
            "an auditor account cannot also be admin or recorder: auditors write nothing",
            "审计员账号不能同时是管理员或录入员:审计员只读不写",
            field="roles",
        )
    return wanted


def create_account(
    session: Session,
    *,
    actor: Actor,
    name: str,
    roles: list[str],
    scope_code: str,
    person_id: str | None = None,
) -> tuple[Account, str]:
    """Create an account and its first token; the token is returned here and never again."""
    if not name.strip():
        raise DomainError("invalid_name", "an account needs a name", "账号名称不能为空", field="name")
    wanted = _check_roles(roles)
    get_unit(session, scope_code, field="scope")
    if person_id is not None:
        get_person(session, person_id)
        if session.execute(select(Account.id).where(Account.person_id == person_id, Account.revoked_at.is_(None))).first():
            raise Conflict(
                "person_has_account",
                f"person '{person_id}' already has a live account; revoke it first",
                f"人员 '{person_id}' 已有有效账号,请先注销",
                field="person",
            )
    account_id = new_id()
    append(
        session,
        type="account.created",
        entity_type="account",
        entity_id=account_id,
        payload={"id": account_id, "name": name.strip(), "roles": wanted, "scope_code": scope_code, "person_id": person_id},
        actor=actor,
    )
    return session.get(Account, account_id), issue_token(session, account_id=account_id)


def issue_token(session: Session, *, account_id: str) -> str:
    """A fresh random token for the account; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(AccountToken(token_hash=hash_token(token), account_id=account_id, issued_at=clock.now()))
    session.flush()
    return token


@ACCOUNTS.on("account.created")
def _account_created(session: Session, event: Event, data: dict[str, Any]) -> Account:
    account = Account(
        id=data["id"],
        name=data["name"],
        roles=",".join(data["roles"]),
        scope_code=data["scope_code"],
        person_id=data["person_id"],
        created_at=event.recorded_at,
    )
    session.add(account)
    return account


def revoke_account(session: Session, *, actor: Actor, account_id: str, reason: str) -> Account:
    """Revoke an account: every token of it stops working at once."""
    account = get_account(session, account_id)
    if account.revoked_at is not None:
        raise Conflict("already_revoked", f"account '{account_id}' was revoked at {account.revoked_at.isoformat()}", f"账号 '{account_id}' 已于 {account.revoked_at.isoformat()} 注销", field="account")
    if not reason.strip():
        raise DomainError("reason_required", "say why the account is revoked", "请说明注销原因", field="reason")
    append(
        session,
        type="account.revoked",
        entity_type="account",
        entity_id=account_id,
        payload={"id": account_id, "reason": reason.strip()},
        actor=actor,
    )
    return account


@ACCOUNTS.on("account.revoked")
def _account_revoked(session: Session, event: Event, data: dict[str, Any]) -> Account:
    account = session.get(Account, data["id"])
    account.revoked_at = event.recorded_at
    account.revoked_reason = data["reason"]
    return account


@ACCOUNTS.on("account.password_set")
def _password_set(session: Session, event: Event, data: dict[str, Any]) -> None:
    """The account's row does not change: the log says who set whose sign-in password, and when
    (the hash is kept beside the log: workflow.accounts.signin)."""
    return None
