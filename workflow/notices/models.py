"""What the public notice page keeps beside the log: recent submissions per client address."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from workflow.types import UTCDateTime


class PublicAttempt(SQLModel, table=True):
    """One objection accepted from a client address on the public page, kept for the flood limit.

    Not a record and not a projection (the objection itself is an event): a row only says
    that `client` submitted at `at`, so every server process counts the same submissions.
    Rows older than the limit's window are deleted as the same address comes back.
    """

    __tablename__ = "public_attempt"
    __table_args__ = (Index("ix_public_attempt_client", "kind", "client", "at"),)

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    client: str = Field(sa_column=Column(String(64), nullable=False))
    at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
