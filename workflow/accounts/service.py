"""Creating and revoking accounts (events), issuing tokens, and resolving a bearer token."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow.accounts.models import Account, AccountToken
from workflow import errors
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
        raise errors.AccountNotFound(id=account_id)
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
        raise errors.InvalidRole.of_account(valid=ROLES, roles=roles)
    if "auditor" in wanted and WRITING_ROLES & set(wanted):
        # Discipline inspection (纪检监察) checks the records: it must not also write them.
        raise errors.AuditorCannotWrite()
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
        raise errors.InvalidName.account()
    wanted = _check_roles(roles)
    get_unit(session, scope_code, field="scope")
    if person_id is not None:
        get_person(session, person_id)
        if session.execute(select(Account.id).where(Account.person_id == person_id, Account.revoked_at.is_(None))).first():
            raise errors.PersonHasAccount(person=person_id)
    account_id = new_id()
    append(
        session,
        type="account.created",
        entity_type="account",
        entity_id=account_id,
        payload={"id": account_id, "name": name.strip(), "roles": wanted, "scope_code": scope_code, "person_id": person_id},
        actor=actor,
    )
    return session.get(Account, account_id), issue_token(session, actor=actor, account_id=account_id)


def issue_token(session: Session, *, actor: Actor, account_id: str) -> str:
    """A fresh random token for the account, returned here and never again.

    The issue is an event carrying the token's hash (never the token), so `audit verify`
    finds a token row no event issued: a forged sign-in.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    append(
        session,
        type="account.token_issued",
        entity_type="account",
        entity_id=account_id,
        payload={"account_id": account_id, "token_hash": hash_token(token)},
        actor=actor,
    )
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


@ACCOUNTS.on("account.token_issued")
def _token_issued(session: Session, event: Event, data: dict[str, Any]) -> AccountToken:
    token = AccountToken(token_hash=data["token_hash"], account_id=data["account_id"], issued_at=event.occurred_at)
    session.add(token)
    return token


def revoke_account(session: Session, *, actor: Actor, account_id: str, reason: str) -> Account:
    """Revoke an account: every token of it stops working at once."""
    account = get_account(session, account_id)
    if account.revoked_at is not None:
        raise errors.AlreadyRevoked(account=account_id, revoked_at=account.revoked_at.isoformat())
    if not reason.strip():
        raise errors.ReasonRequired.account_revoked()
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
