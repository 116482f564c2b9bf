"""The one event table every write goes through."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from workflow.types import UTCDateTime

GENESIS_HASH = "0" * 64


class Event(SQLModel, table=True):
    """One recorded change: what, to which entity, by whom, when it happened and was recorded."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_entity", "entity_type", "entity_id", "seq"),
        Index("ix_event_recorded_at", "recorded_at"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    type: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    entity_type: str = Field(sa_column=Column(String(32), nullable=False))
    entity_id: str = Field(sa_column=Column(String(64), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    account: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    on_behalf_of: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    occurred_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    # The UTF-8 bytes `hash` is the SHA-256 of: the canonical form of the columns above
    # (log.canonical_event). Kept so that verifying the chain hashes stored bytes instead of
    # rebuilding them; verification also checks that they agree with the columns.
    canonical: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
