"""Signing in to the web app: an account's password (argon2id), and its browser sessions.

A user name is the account's name. Setting or resetting a password is an event in the log
(`account.password_set`, who set it for whom); the hash itself is kept beside the log in
`account_password`, a row added per setting, never edited. A session is a random cookie
whose SHA-256 is kept with its CSRF token and expiry; every request reads the account with
it, so a revoked account's sessions stop working at once, and signing out deletes it.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from sqlalchemy import delete, select
from sqlmodel import Session

from workflow import clock
from workflow.accounts.models import Account, AccountPassword, WebSession
from workflow.accounts.service import get_account, hash_token
from workflow import errors
from workflow.eventlog import Actor, append
from workflow.org.models import OrgUnit

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = dt.timedelta(hours=12)  # a working day: sign in in the morning, not again before night


@functools.cache
def _hasher():
    """argon2id, loaded when a password is first set or checked: hashing is deliberately slow,
    and no other command (the CLI's, a server's start) should pay for it."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _unusable() -> str:
    """A hash no password matches: verified against when no account matches, so timing tells nothing."""
    return _hasher().hash(secrets.token_urlsafe(16))


def set_password(session: Session, *, actor: Actor, account_id: str, password: str) -> Account:
    """Give a live account a (new) sign-in password: an event in the log, the hash beside it."""
    account = get_account(session, account_id)
    if account.revoked_at is not None:
        raise errors.AccountRevoked(account=account_id)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise errors.PasswordTooShort(minimum=MIN_PASSWORD_LENGTH)
    if _signing_in_as(session, account.name, excluding=account_id):
        raise errors.UserNameTaken(name=account.name)
    reset = session.execute(select(AccountPassword.account_id).where(AccountPassword.account_id == account_id).limit(1)).first() is not None
    event = append(session, type="account.password_set", entity_type="account", entity_id=account_id, payload={"id": account_id, "reset": reset}, actor=actor)
    session.add(AccountPassword(account_id=account_id, set_at=event.recorded_at, password_hash=_hasher().hash(password)))
    session.flush()
    return account


def _signing_in_as(session: Session, name: str, *, excluding: str | None = None) -> list[Account]:
    """Live accounts called `name` that have a password."""
    query = (
        select(Account)
        .where(Account.name == name, Account.revoked_at.is_(None), Account.id.in_(select(AccountPassword.account_id)))
    )
    if excluding is not None:
        query = query.where(Account.id != excluding)
    return list(session.execute(query).scalars())


def check_password(session: Session, name: str, password: str) -> Account | None:
    """The live account whose user name and password these are; None otherwise (same work either way)."""
    found = _signing_in_as(session, name.strip())
    stored = _unusable()
    if len(found) == 1:
        stored = session.execute(
            select(AccountPassword.password_hash).where(AccountPassword.account_id == found[0].id).order_by(AccountPassword.set_at.desc()).limit(1)
        ).scalar_one()
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return found[0] if len(found) == 1 else None


def open_session(session: Session, *, account_id: str) -> tuple[str, str]:
    """A new session for the account: (the cookie's value, shown once; its CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = clock.now()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(token_hash=hash_token(token), account_id=account_id, csrf_token=csrf, created_at=now, expires_at=now + SESSION_LIFETIME))
    session.flush()
    return token, csrf


def session_holder(session: Session, token: str) -> tuple[Account, OrgUnit, WebSession] | None:
    """The account of an unexpired session cookie, revoked or not, with its scope unit and the session; None otherwise."""
    query = (
        select(Account, OrgUnit, WebSession)
        .join(WebSession, WebSession.account_id == Account.id)
        .join(OrgUnit, OrgUnit.code == Account.scope_code)
        .where(WebSession.token_hash == hash_token(token), WebSession.expires_at > clock.now())
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1], row[2])


def end_session(session: Session, token: str) -> None:
    """Sign out: the session is gone, so its cookie is refused from now on."""
    session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))
