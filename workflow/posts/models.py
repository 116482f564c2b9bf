"""Posts, pairings and links: who is responsible for what, from which day to which day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned


class DateSpan:
    """Rows in force from `start_date` to an optional `end_date`, both days inclusive."""

    start_date: dt.date
    end_date: dt.date | None

    def covers(self, first: dt.date, last: dt.date) -> bool:
        """Whether the span includes every day from `first` to `last`."""
        return self.start_date <= first and (self.end_date is None or self.end_date >= last)

    def held_on(self, day: dt.date) -> bool:
        return self.covers(day, day)

    def overlaps(self, first: dt.date, last: dt.date | None) -> bool:
        """Whether the span shares a day with `first`..`last` (None: open-ended)."""
        return (last is None or self.start_date <= last) and (self.end_date is None or self.end_date >= first)


@versioned
class Post(DateSpan, SQLModel, table=True):
    """A person holding a role at an org unit from `start_date` to `end_date`, both inclusive."""

    __tablename__ = "post"
    __table_args__ = (Index("ix_post_unit_role", "unit_code", "role"),)

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    person_id: str = Field(sa_column=Column(String(64), ForeignKey("person.id"), nullable=False, index=True))
    role: str = Field(sa_column=Column(String(64), nullable=False))
    unit_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


@versioned
class Pairing(DateSpan, SQLModel, table=True):
    """A cadre paired with a household (结对帮扶) from `start_date` to `end_date`, inclusive."""

    __tablename__ = "pairing"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    cadre_id: str = Field(sa_column=Column(String(64), ForeignKey("person.id"), nullable=False, index=True))
    household_id: str = Field(sa_column=Column(String(64), ForeignKey("household.id"), nullable=False, index=True))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


@versioned
class UnitLink(DateSpan, SQLModel, table=True):
    """A city-direct unit linked to a poor village (联系的贫困村), from `start_date` to `end_date`."""

    __tablename__ = "unit_link"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    unit_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    village_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
