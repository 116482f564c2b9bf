"""The one clock and the one time-zone conversion the domain uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from workflow import errors

UTC = dt.timezone.utc
T = TypeVar("T")

# The dates and moments the product takes in, from any client: wide enough for any record
# or query, and far enough from Python's limits (years 1–9999) that a day either side, in
# any time zone, is still a date Python and both databases hold.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


def now() -> dt.datetime:
    """The server's current moment, timezone-aware in UTC."""
    return dt.datetime.now(UTC)


def require_aware(moment: dt.datetime, field: str = "occurred_at") -> dt.datetime:
    """`moment` in UTC; ValueError if it carries no offset."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field} must carry a UTC offset, e.g. 2018-07-01T00:30:00+08:00")
    return moment.astimezone(UTC)


def local_date(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The calendar date of `moment` in `zone` (a visit at 00:30 Beijing on 1 July is 1 July)."""
    return require_aware(moment, "moment").astimezone(zone).date()


def end_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The first instant after `day` ends in `zone`, in UTC: `as_of` reads a date as its end."""
    following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return following.astimezone(UTC)


def start_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The first instant of `day` in `zone`, in UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)


def with_offset(moment: dt.datetime, *, field: str) -> dt.datetime:
    """`moment`, refused (naive_datetime, naming `field`) when it carries no offset: the one
    place that refuses a moment without one."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise errors.NaiveDatetime(field=field)
    return moment


def parse_moment(value: object, *, field: str) -> dt.datetime:
    """The moment `value` names: ISO 8601 text with a UTC offset, within the accepted years.

    The one reading of a moment from outside (request bodies, query parameters, import
    lines, the command line). Anything else is a DomainError naming `field`: not text
    (a number is not read as a Unix time), not ISO 8601, without an offset, or out of range.
    """
    moment = _from_iso(value, dt.datetime.fromisoformat)
    if moment is None:
        raise errors.InvalidDatetime(field=field)
    with_offset(moment, field=field)
    try:
        in_range = EARLIEST_DATE <= moment.astimezone(UTC).date() <= LATEST_DATE
    except OverflowError:  # before year 1 or after 9999 once in UTC
        in_range = False
    if not in_range:
        raise errors.MomentOutOfRange(field=field, earliest=EARLIEST_DATE, latest=LATEST_DATE)
    return moment


def parse_date(value: object, *, field: str) -> dt.date:
    """The calendar date `value` names: ISO 8601 text (2017-07-01), within the accepted years.

    The one reading of a date from outside; DomainError naming `field` otherwise.
    """
    day = _from_iso(value, dt.date.fromisoformat)
    if day is None:
        raise errors.InvalidDate(field=field)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise errors.DateOutOfRange(field=field, earliest=EARLIEST_DATE, latest=LATEST_DATE)
    return day


def _from_iso(value: object, read: Callable[[str], T]) -> T | None:
    """`read(value)` when `value` is text `read` takes, else None (a number is never read as a time)."""
    if not isinstance(value, str):
        return None
    try:
        return read(value)
    except ValueError:
        return None
