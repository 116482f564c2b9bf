"""Files imported, by their content: projections of the `visits.imported` and `records.imported` events.

An import marked as a migration (`migration`) loads records of the time before the
product kept them (e.g. 2014–2017 registrations and visits). The events it appended are
the run `first_seq`..`last_seq` just before its own: the log's lock is held for the whole
import, so no other writer's event falls inside it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, false
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned
from workflow.types import UTCDateTime


@versioned
class VisitImport(SQLModel, table=True):
    """One accepted import of a file of visits: which file (its SHA-256), how many, when, by whom."""

    __tablename__ = "visit_import"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    # SHA-256 of the file's bytes as received: the same file again is found by it.
    content_sha256: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    visits: int = Field(sa_column=Column(Integer, nullable=False))
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    imported_by: str = Field(sa_column=Column(String(64), nullable=False))
    migration: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # The visits' events (None for imports recorded before the range was kept).
    first_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


@versioned
class RecordImport(SQLModel, table=True):
    """One onboarding file that changed something: its kind, its content, what it added and
    changed, and the run of events it appended."""

    __tablename__ = "record_import"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    content_sha256: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    added: int = Field(sa_column=Column(Integer, nullable=False))
    changed: int = Field(sa_column=Column(Integer, nullable=False))
    migration: bool = Field(sa_column=Column(Boolean, nullable=False))
    first_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    imported_by: str = Field(sa_column=Column(String(64), nullable=False))
