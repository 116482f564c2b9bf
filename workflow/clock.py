"""The one clock and the one time-zone conversion the domain uses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


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
