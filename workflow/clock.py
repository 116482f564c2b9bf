"""The one clock and the one time-zone conversion the domain uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from workflow.errors import DomainError

UTC = dt.timezone.utc
T = TypeVar("T")

# The dates and moments the product takes in, from any client: wide enough for any record
# or query, and far enough from Python's limits (years 1–9999) that a day either side, in
# any time zone, is still a date Python and both databases hold.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
_RANGE_EN = f"from {EARLIEST_DATE} to {LATEST_DATE}"
_RANGE_ZH = f"{EARLIEST_DATE} 至 {LATEST_DATE}"


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
        raise DomainError(
            "naive_datetime",
            f"{field} must carry its UTC offset, e.g. 2017-07-01T10:00:00+08:00",
            f"{field} 必须带时区偏移,如 2017-07-01T10:00:00+08:00",
            field=field,
        )
    return moment


def parse_moment(value: object, *, field: str) -> dt.datetime:
    """The moment `value` names: ISO 8601 text with a UTC offset, within the accepted years.

    The one reading of a moment from outside (request bodies, query parameters, import
    lines, the command line). Anything else is a DomainError naming `field`: not text
    (a number is not read as a Unix time), not ISO 8601, without an offset, or out of range.
    """
    moment = _from_iso(value, dt.datetime.fromisoformat)
    if moment is None:
        raise DomainError(
            "invalid_datetime",
            f"{field} must be ISO 8601 text with its offset, e.g. 2017-07-01T10:00:00+08:00",
            f"{field} 应为带时区偏移的 ISO 8601 时间文本,如 2017-07-01T10:00:00+08:00",
            field=field,
        )
    with_offset(moment, field=field)
    try:
        in_range = EARLIEST_DATE <= moment.astimezone(UTC).date() <= LATEST_DATE
    except OverflowError:  # before year 1 or after 9999 once in UTC
        in_range = False
    if not in_range:
        raise DomainError(
            "moment_out_of_range", f"{field} must fall {_RANGE_EN} (UTC)", f"{field} 须在 {_RANGE_ZH}(UTC)之间", field=field
        )
    return moment


def parse_date(value: object, *, field: str) -> dt.date:
    """The calendar date `value` names: ISO 8601 text (2017-07-01), within the accepted years.

    The one reading of a date from outside; DomainError naming `field` otherwise.
    """
    day = _from_iso(value, dt.date.fromisoformat)
    if day is None:
        raise DomainError("invalid_date", f"{field} must be an ISO 8601 date, e.g. 2017-07-01", f"{field} 应为 ISO 8601 日期,如 2017-07-01", field=field)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DomainError("date_out_of_range", f"{field} must fall {_RANGE_EN}", f"{field} 须在 {_RANGE_ZH} 之间", field=field)
    return day


def _from_iso(value: object, read: Callable[[str], T]) -> T | None:
    """`read(value)` when `value` is text `read` takes, else None (a number is never read as a time)."""
    if not isinstance(value, str):
        return None
    try:
        return read(value)
    except ValueError:
        return None
