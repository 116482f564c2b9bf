"""Exit cases, their signatures and objections: projections of the event log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned
from workflow.types import UTCDateTime


@versioned
class ExitCase(SQLModel, table=True):
    """One exit procedure of a household, village or county, from registered to exited.

    A rejection or an upheld objection sends the case back to registered and starts its next
    attempt: signatures and objections belong to an attempt, so earlier ones stay on record
    without counting again. A household that relapses (返贫) keeps this case as `relapsed`
    and gets a new one.
    """

    __tablename__ = "exit_case"
    __table_args__ = (Index("ix_exit_case_subject", "level", "subject_id"),)

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    level: str = Field(sa_column=Column(String(16), nullable=False))
    # The household's registry number, or the village's or county's unit code.
    subject_id: str = Field(sa_column=Column(String(64), nullable=False))
    # Where the case sits in the tree (the household's village, or the unit itself): reports filter on it.
    unit_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    status: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    opened_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # When the case entered its status: a step's signatures cannot be dated before it.
    status_since: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    notice_ends_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The latest proposal's evidence (assessment or poverty incidence), canonical JSON.
    proposal: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Why the case last went back to registered, or why the household relapsed.
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    exited_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


@versioned
class Signature(SQLModel, table=True):
    """A signer's decision at one step of a case: `signed`, or `rejected` with a reason.

    `account` recorded it; `on_behalf_of` is set when staff recorded it for the signer
    (from a paper form, named by `document_ref`).
    """

    __tablename__ = "exit_signature"
    # One decision per role per step per attempt: the database refuses a second one even if
    # two writers slipped past the checks.
    __table_args__ = (UniqueConstraint("case_id", "attempt", "step", "role", name="uq_exit_signature_role"),)

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), ForeignKey("exit_case.id"), nullable=False))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    step: str = Field(sa_column=Column(String(64), nullable=False))
    role: str = Field(sa_column=Column(String(64), nullable=False))
    unit_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False))
    signer_id: str = Field(sa_column=Column(String(64), ForeignKey("person.id"), nullable=False, index=True))
    decision: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    document_ref: str | None = Field(default=None, sa_column=Column(String(256), nullable=True))
    account: str = Field(sa_column=Column(String(64), nullable=False))
    on_behalf_of: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    occurred_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    event_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


@versioned
class Objection(SQLModel, table=True):
    """An objection (异议) lodged during a case's public notice, and how it was resolved.

    Outcomes: upheld (the case goes back to registered), dismissed (it goes on), or moot
    (the case went back for another reason while the objection was open).

    `channel`: how it reached the office — `staff` (entered by signed-in staff) or
    `public_web` (lodged by a villager on the public notice page, with no account). A public
    one keeps the objector's optional phone for staff to call back, and the SHA-256 of the
    receipt number the objector was given (the number itself is kept nowhere).
    """

    __tablename__ = "exit_objection"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    case_id: str = Field(sa_column=Column(String(64), ForeignKey("exit_case.id"), nullable=False, index=True))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    lodged_by: str = Field(sa_column=Column(String(128), nullable=False))
    grounds: str = Field(sa_column=Column(Text, nullable=False))
    lodged_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    account: str = Field(sa_column=Column(String(64), nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    resolved_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    channel: str = Field(default="staff", sa_column=Column(String(32), nullable=False, server_default="staff"))
    contact_phone: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    receipt_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True, unique=True, index=True))
