"""Obligation rows of the relationship rules (paired households, linked villages), kept for speed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlmodel import Field, SQLModel


class Obligation(SQLModel, table=True):
    """A post's standing duty towards one paired household or one linked village.

    One row per post and pairing (结对) or unit link (联系村) whose spans overlap, for every
    post of the person at or above the target, whatever the role: which rules apply is decided
    when a report reads it, with the rule book in force then. `start_date`..`end_date` is
    where post and relationship both run; `first_month`..`last_month` (month numbers, see
    `periods.month_number`) are the whole months inside it.

    The visit columns copy the newest year of the person's `VisitMask` for the target
    (`mask_year`) and the year before it (`prev_*`), so the city-wide report reads one table.
    Rows are kept in step with posts, pairings, links and visit masks by `instances`.
    """

    __tablename__ = "obligation"
    __table_args__ = (
        Index("ix_obligation_scope", "kind", "unit_path"),
        Index("ix_obligation_target", "person_id", "target_level", "target_id"),
        Index("ix_obligation_source", "source_id"),
    )

    post_id: str = Field(sa_column=Column(String(64), primary_key=True))
    source_id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    person_id: str = Field(sa_column=Column(String(64), nullable=False))
    role: str = Field(sa_column=Column(String(64), nullable=False))
    unit_code: str = Field(sa_column=Column(String(32), nullable=False))
    unit_path: str = Field(sa_column=Column(String(512), nullable=False))
    township_code: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    county_code: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    target_level: str = Field(sa_column=Column(String(16), nullable=False))
    target_id: str = Field(sa_column=Column(String(64), nullable=False))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    first_month: int = Field(sa_column=Column(Integer, nullable=False))
    last_month: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    mask_year: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    month_mask: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    first_days: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    last_days: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    prev_month_mask: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    prev_first_days: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    prev_last_days: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class ObligationTally(SQLModel, table=True):
    """Counts of relationship obligation rows per post unit, role and month, for report totals.

    Per (kind, role, post unit, month number) over the `Obligation` rows owing at least one
    whole month: how many begin owing in the month (`starting`: first_month), how many owe
    it last (`ending`: last_month), and how many owe the month and had a visit in it
    (`visited`), of which how many owe it last (`visited_ending`). Months owed, met and
    missed for any span of months follow by sums (`tallies`). Kept by `tallies` whenever a
    unit's obligation rows or their visit masks change; a pure function of those tables.
    """

    __tablename__ = "obligation_tally"
    __table_args__ = (Index("ix_obligation_tally_scope", "kind", "unit_path", "month"),)

    kind: str = Field(sa_column=Column(String(16), primary_key=True))
    role: str = Field(sa_column=Column(String(64), primary_key=True))
    unit_code: str = Field(sa_column=Column(String(32), primary_key=True))
    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    unit_path: str = Field(sa_column=Column(String(512), nullable=False))
    starting: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    ending: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    visited: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    visited_ending: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class ObligationDayTally(SQLModel, table=True):
    """Of the rows owing a month and not overdue from the month before, how many first visited
    on each day of it: a report as of day d of its current month counts those met by then."""

    __tablename__ = "obligation_day_tally"
    __table_args__ = (Index("ix_obligation_day_tally_scope", "kind", "month", "unit_path"),)

    kind: str = Field(sa_column=Column(String(16), primary_key=True))
    role: str = Field(sa_column=Column(String(64), primary_key=True))
    unit_code: str = Field(sa_column=Column(String(32), primary_key=True))
    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    day: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    unit_path: str = Field(sa_column=Column(String(512), nullable=False))
    met: int = Field(sa_column=Column(Integer, nullable=False))


MONTHS = range(1, 13)  # a month's column in `ObligationPersonYearTally`: its number in the year


class ObligationPersonYearTally(SQLModel, table=True):
    """`ObligationTally`'s counts per official and year too, for the scorecard: per (kind, role,
    post unit, person, year), the rows starting and ending in the year (`starting`, `ending`) and
    in each of its months (`starting_1` … `ending_12`), and those visited in each month (`visited_1` …).

    Closed months owed and met over any span of months follow by sums (`tallies.scores`): one row
    per official and year, where counts per month took twelve. Kept with `ObligationTally`, by
    `tallies`; a pure function of the obligation rows and masks.
    """

    __tablename__ = "obligation_person_year_tally"
    # Read by kind and subtree, an official's rows side by side (SQLite streams the groups in this
    # order); changed by post unit.
    __table_args__ = (
        PrimaryKeyConstraint("kind", "unit_path", "person_id", "year", "role", "unit_code"),
        Index("ix_obligation_person_year_tally_unit", "unit_code", "year"),
        {"sqlite_with_rowid": False},
    )

    kind: str = Field(sa_column=Column(String(16), nullable=False))
    role: str = Field(sa_column=Column(String(64), nullable=False))
    unit_code: str = Field(sa_column=Column(String(32), nullable=False))
    person_id: str = Field(sa_column=Column(String(64), nullable=False))
    year: int = Field(sa_column=Column(Integer, nullable=False, autoincrement=False))
    unit_path: str = Field(sa_column=Column(String(512), nullable=False))
    starting: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    ending: int = Field(default=0, sa_column=Column(Integer, nullable=False))


for _name in ("starting", "ending", "visited"):  # the counts of each month, twelve columns each
    for _month in MONTHS:
        ObligationPersonYearTally.__table__.append_column(Column(f"{_name}_{_month}", Integer, nullable=False, default=0))


class PoorHousehold(SQLModel, table=True):
    """A household ever on the registry as poor, with its village and its poor days as one text
    (`poor_counts.spells_text`: the union of its poor-household spells). Derived from the
    pairing cover (`obligations.poor_counts`), for the counts below."""

    __tablename__ = "poor_household"

    household_id: str = Field(sa_column=Column(String(64), primary_key=True))
    village_code: str = Field(sa_column=Column(String(32), nullable=False))
    spells: str = Field(sa_column=Column(Text, nullable=False))


class PoorSpellsTally(SQLModel, table=True):
    """Per village, how many households were poor on the same days (`spells`, as `PoorHousehold`
    writes them): a few rows per village, from which a rule owed per poor household below a
    post (V6) counts a city's households without reading each one."""

    __tablename__ = "poor_spells_tally"

    village_code: str = Field(sa_column=Column(String(32), primary_key=True))
    spells: str = Field(sa_column=Column(Text, primary_key=True))
    households: int = Field(sa_column=Column(Integer, nullable=False))


class PoorVisitTally(SQLModel, table=True):
    """How many poor households each person visited, per year and per village, grouped by what a
    rule owed per poor household (V6) needs of them: the household's poor days (`spells`, as
    `PoorHousehold` writes them), whether the person visited it in the year before
    (`visited_before`), and the first day the person visited it in the year (`first_visit`;
    `NOT_VISITED` when not in this year). A household the person visited in a year or the one
    before has a row in that year. Derived from the visit masks and the pairing cover
    (`obligations.poor_counts`): the counts a city's V6 totals and scores read instead of its
    half a million instances."""

    __tablename__ = "poor_visit_tally"
    __table_args__ = {"sqlite_with_rowid": False}  # read by its key's order: a leader's rows side by side

    person_id: str = Field(sa_column=Column(String(64), primary_key=True))
    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    village_code: str = Field(sa_column=Column(String(32), primary_key=True))
    spells: str = Field(sa_column=Column(Text, primary_key=True))
    visited_before: bool = Field(sa_column=Column(Boolean, primary_key=True))
    first_visit: dt.date = Field(sa_column=Column(Date, primary_key=True))
    households: int = Field(sa_column=Column(Integer, nullable=False))
