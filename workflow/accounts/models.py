"""Accounts, their token hashes, and remembered responses of idempotent requests.

`account` is a projection of the `account.*` events, so the audit trail shows who gave
whom access. The two other tables are deliberately *not* in the log (see NOT_PROJECTIONS):
a token hash is a credential, and a credential written into an append-only, hash-chained
log could never be removed from it; a remembered response is a cache of an HTTP answer,
not a record of anything that happened.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned
from workflow.types import UTCDateTime


@versioned
class Account(SQLModel, table=True):
    """An API account: roles, the org unit whose subtree it works in, and maybe its person."""

    __tablename__ = "account"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    name: str = Field(sa_column=Column(String(128), nullable=False))
    # Sorted role codes joined by ',' (admin, auditor, recorder, supervisor).
    roles: str = Field(sa_column=Column(String(128), nullable=False))
    scope_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    person_id: str | None = Field(default=None, sa_column=Column(String(64), ForeignKey("person.id"), nullable=True, index=True))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    revoked_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split(",")) if self.roles else frozenset()


class AccountToken(SQLModel, table=True):
    """The SHA-256 of a bearer token: the token itself is shown once and never stored."""

    __tablename__ = "account_token"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    # No foreign key: replay empties and refills `account`, and must not trip over tokens.
    account_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    issued_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class IdempotentRequest(SQLModel, table=True):
    """The first successful response to a POST carrying an Idempotency-Key, per account."""

    __tablename__ = "idempotent_request"
    __table_args__ = (PrimaryKeyConstraint("account_id", "key", name="pk_idempotent_request"),)

    account_id: str = Field(sa_column=Column(String(64), nullable=False))
    key: str = Field(sa_column=Column(String(255), nullable=False))
    # SHA-256 over method, path, query and body: a reused key with another request is refused.
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    status_code: int = Field(sa_column=Column(Integer, nullable=False))
    media_type: str = Field(sa_column=Column(String(128), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    location: str | None = Field(default=None, sa_column=Column(String(512), nullable=True))
    # Responses older than the retention period are purged by it (workflow.accounts.idempotency).
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class AccountPassword(SQLModel, table=True):
    """An argon2 hash of a sign-in password; the newest row of an account is its password.

    Not in the log, like a token hash (a credential in an append-only log could never be
    removed); the log keeps the `account.password_set` event saying who set it and when.
    Rows are only added: a reset is a newer row.
    """

    __tablename__ = "account_password"
    __table_args__ = (PrimaryKeyConstraint("account_id", "set_at", name="pk_account_password"),)

    account_id: str = Field(sa_column=Column(String(64), nullable=False))
    set_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))


class WebSession(SQLModel, table=True):
    """A signed-in browser: the SHA-256 of its session cookie, its CSRF token, its expiry.

    Session state, not a record: signing out deletes the row. A revoked account's sessions
    are refused at once because every request reads the account with its session.
    """

    __tablename__ = "web_session"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    account_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class SignInAttempt(SQLModel, table=True):
    """One sign-in to the web app, failed or not: the user name typed, the address, when.

    An operational record, not a domain one, so it is kept beside the log rather than in it
    (see NOT_PROJECTIONS): rows are only ever added, never edited or deleted by the product.
    Every server process reads the same rows, so a guesser is slowed however many processes
    (`serve --workers N`) share the database, and across restarts.
    """

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        Index("ix_sign_in_attempt_name", "name", "attempted_at"),
        Index("ix_sign_in_attempt_address", "address", "attempted_at"),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    name: str = Field(sa_column=Column(String(128), nullable=False))
    address: str = Field(sa_column=Column(String(64), nullable=False))
    attempted_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    succeeded: bool = Field(sa_column=Column(Boolean, nullable=False))
