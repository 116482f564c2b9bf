"""Signing in to the web app: an account's password (argon2id), and its browser sessions.

A user name is the account's name. Setting or resetting a password is an event in the log
(`account.password_set`, who set it for whom); the hash itself is kept beside the log in
`account_password`, a row added per setting, never edited. A session is a random cookie
whose SHA-256 is kept with its CSRF token and expiry; every request reads the account with
it, so a revoked account's sessions stop working at once, and signing out deletes it.

Every sign-in, failed or not, is a row of `sign_in_attempt`, only ever added: all server
processes read the same rows, so repeated failures for one user name are slowed, and an
address that fails again and again is refused for a while, however many processes serve and
across restarts. An attempt is an operational record, not an event of the domain.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from sqlalchemy import delete, func, select
from sqlmodel import Session

from workflow import clock
from workflow.accounts.models import Account, AccountPassword, SignInAttempt, WebSession
from workflow.accounts.service import get_account, hash_token
from workflow import errors
from workflow.eventlog import Actor, append
from workflow.org.models import OrgUnit
from workflow.types import new_id

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = dt.timedelta(hours=12)  # a working day: sign in in the morning, not again before night

# Slowing a guesser: failures for one user name within the window, after its last success,
# beyond the free ones make each answer wait 1, 2, 4 … seconds, up to MAX_DELAY. A user who
# mistyped twice is not held up; guessing one account's password costs hours.
FAILURE_WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES = 3
MAX_DELAY = 30.0
# Refusing an address: one that failed this often within the window, over any user names
# (trying one password on many accounts), is refused until its failures age out. High
# enough that a township office's many users behind one address never meet it by mistyping.
ADDRESS_FAILURES_REFUSED = 50


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


def sign_in_delay(session: Session, *, name: str, address: str) -> float:
    """How many seconds the answer to a sign-in as `name` from `address` waits; SignInThrottled
    when the address has failed too often within the window."""
    since = clock.now() - FAILURE_WINDOW
    from_address = session.execute(
        select(func.count()).select_from(SignInAttempt).where(SignInAttempt.address == address[:64], SignInAttempt.succeeded.is_(False), SignInAttempt.attempted_at > since)
    ).scalar_one()
    if from_address >= ADDRESS_FAILURES_REFUSED:
        raise errors.SignInThrottled(minutes=int(FAILURE_WINDOW.total_seconds() // 60))
    extra = failures_in_a_row(session, name) - FREE_FAILURES
    return 0.0 if extra < 0 else min(MAX_DELAY, 2.0**extra)


def failures_in_a_row(session: Session, name: str) -> int:
    """Failed sign-ins as `name` within the window since its last successful one."""
    name = name.strip()[:128]
    since = clock.now() - FAILURE_WINDOW
    last_success = session.execute(
        select(func.max(SignInAttempt.attempted_at)).where(SignInAttempt.name == name, SignInAttempt.succeeded.is_(True), SignInAttempt.attempted_at > since)
    ).scalar_one()
    return session.execute(
        select(func.count())
        .select_from(SignInAttempt)
        .where(SignInAttempt.name == name, SignInAttempt.succeeded.is_(False), SignInAttempt.attempted_at > (last_success or since))
    ).scalar_one()


def record_sign_in(session: Session, *, name: str, address: str, succeeded: bool) -> SignInAttempt:
    """Add the attempt to `sign_in_attempt` (never edited): what every process's next answer reads."""
    attempt = SignInAttempt(id=new_id(), name=name.strip()[:128], address=address[:64], attempted_at=clock.now(), succeeded=succeeded)
    session.add(attempt)
    session.flush()
    return attempt
