"""Visits and the per-person visit masks the obligation reports read: projections of the log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import known_by_columns
from workflow.types import UTCDateTime


class Visit(SQLModel, table=True):
    """One visit (走访) by a person to a township, a village or a household.

    The places above the target are kept with it (a household's village and township),
    because a visit counts as a visit to every unit above its target.
    """

    __tablename__ = "visit"
    __table_args__ = (
        # With the seqs: "recorded or voided since" is read from the index (`sources.changed_visits`).
        Index("ix_visit_visitor_day", "visitor_id", "occurred_on", "recorded_seq", "voided_seq"),
        Index("ix_visit_unit_path_day", "unit_path", "occurred_on"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    visitor_id: str = Field(sa_column=Column(String(64), ForeignKey("person.id"), nullable=False))
    target_level: str = Field(sa_column=Column(String(16), nullable=False))
    target_id: str = Field(sa_column=Column(String(64), nullable=False))
    # The household's village or the visited village; None for a township visit.
    village_code: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    township_code: str = Field(sa_column=Column(String(32), nullable=False))
    # Path of the visited unit (for a household, its village), for subtree listings.
    unit_path: str = Field(sa_column=Column(String(512), nullable=False))
    occurred_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # The calendar date of occurred_at in the rule book's zone: what periods are counted in.
    occurred_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    recorded_by: str = Field(sa_column=Column(String(64), nullable=False))
    on_behalf_of: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    latitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    longitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # Set by the void event (the visit.recorded event itself is never changed).
    voided_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    voided_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    void_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The events that recorded and voided it: a visit is too many rows to keep versions of,
    # so what was known of it at any point of the log is read from these two (`as_known`).
    recorded_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    voided_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


known_by_columns(
    "visit",
    "SELECT id, visitor_id, target_level, target_id, village_code, township_code, unit_path, occurred_at, occurred_on, recorded_at, recorded_by, "
    "on_behalf_of, notes, latitude, longitude, recorded_seq, "
    "CASE WHEN voided_seq <= {seq} THEN voided_at END AS voided_at, CASE WHEN voided_seq <= {seq} THEN voided_by END AS voided_by, "
    "CASE WHEN voided_seq <= {seq} THEN void_reason END AS void_reason, CASE WHEN voided_seq <= {seq} THEN voided_seq END AS voided_seq "
    "FROM {main}.visit WHERE recorded_seq <= {seq}",
)


class VisitMask(SQLModel, table=True):
    """Which days of one year a person visited one target, directly or below it, packed for speed.

    `month_mask` has bit m (0 = January) set when any visit fell in month m+1.
    `first_days` and `last_days` hold, in five bits per month (bits 5m..5m+4), the first and
    the last day of that month with a visit (0: none). Together they answer "was there a
    visit between two dates" for whole months, and for a month cut at its start or its end
    (an `as_of` inside a month, a rule book taking effect mid-month), without the visits table.
    Voided visits are not in it.
    """

    __tablename__ = "visit_mask"
    # By target: who visited a household, when its poor days change (`obligations.poor_visits`).
    __table_args__ = (Index("ix_visit_mask_target", "target_level", "target_id"), {"sqlite_with_rowid": False})

    person_id: str = Field(sa_column=Column(String(64), primary_key=True))
    target_level: str = Field(sa_column=Column(String(16), primary_key=True))
    target_id: str = Field(sa_column=Column(String(64), primary_key=True))
    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    month_mask: int = Field(sa_column=Column(Integer, nullable=False))
    first_days: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_days: int = Field(sa_column=Column(BigInteger, nullable=False))
