"""Deep poverty (深度贫困): a mark the registry puts on a poor household, for a span of days; and the
pairing cover: the days each poor household was paired or not, which the pairing reports count."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned
from workflow.posts.models import DateSpan


@versioned
class DeepPoverty(DateSpan, SQLModel, table=True):
    """A household marked in deep poverty (贫困程度深、脱贫难度大) from `start_date` to `end_date`, inclusive."""

    __tablename__ = "deep_poverty"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    household_id: str = Field(sa_column=Column(String(64), ForeignKey("household.id"), nullable=False, index=True))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class PairingCover(SQLModel, table=True):
    """A run of days of one poor-household registry spell on which the household was paired
    (a pairing covered each day) or unpaired: the spells cut where their pairings begin and
    end. A read model derived from the households, spells and pairings (`pairings.cover`),
    not versioned: as known at an earlier moment the reports read those records instead."""

    __tablename__ = "pairing_cover"
    # A village's households' runs in order, with the days: a jurisdiction rule's poor targets
    # from the index alone (`obligations.jurisdiction`).
    __table_args__ = (Index("ix_pairing_cover_village", "village_code", "household_id", "start_date", "end_date"),)
    household_id: str = Field(sa_column=Column(String(64), primary_key=True))
    start_date: dt.date = Field(sa_column=Column(Date, primary_key=True))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    village_code: str = Field(sa_column=Column(String(32), nullable=False))
    members: int = Field(sa_column=Column(Integer, nullable=False))
    paired: bool = Field(sa_column=Column(Boolean, nullable=False))


class PairingCoverTally(SQLModel, table=True):
    """What a village's registered poor households, paired households and poor people change by
    on a day (the cover's runs begin and end): summed over the days up to one, its counts that
    day. Derived from `pairing_cover` with it."""

    __tablename__ = "pairing_cover_tally"

    village_code: str = Field(sa_column=Column(String(32), primary_key=True))
    day: dt.date = Field(sa_column=Column(Date, primary_key=True))
    households: int = Field(sa_column=Column(Integer, nullable=False))
    paired: int = Field(sa_column=Column(Integer, nullable=False))
    people: int = Field(sa_column=Column(Integer, nullable=False))
