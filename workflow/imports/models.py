"""Files of visits imported, by their content: a projection of the `visits.imported` events."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Integer, String
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
