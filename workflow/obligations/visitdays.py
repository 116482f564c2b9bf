"""The days one person visited one target, read from the packed masks."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from workflow.visits.masks import DAY_BITS, DAY_FIELD, YearMask


class Undecidable(Exception):
    """The masks cannot answer (a range cut inside a month on both sides); read the visits."""


class VisitDays(Protocol):
    def visited(self, first: dt.date, last: dt.date) -> bool:
        """Whether any visit fell on a day from `first` to `last`, inclusive."""

    def last_in(self, first: dt.date, last: dt.date) -> dt.date | None:
        """The latest day from `first` to `last` with a visit, or None."""


def _visited_months(masks: dict[int, YearMask], first: dt.date, last: dt.date):
    """(year, month, first visit day, last visit day, low, high) of each month of `first`..`last`
    with a visit, latest first; `low`..`high` is the part of the month in the span.

    A month the span covers to its end runs to "day 31": the masks hold no later day, so
    comparisons need not know the month's length. Months without a visit are skipped by bit
    arithmetic: reports call this for every row they return.
    """
    for year in range(last.year, first.year - 1, -1):
        mask = masks.get(year)
        if mask is None:
            continue
        low_month = first.month if year == first.year else 1
        high_month = last.month if year == last.year else 12
        months = mask.month_mask & ((1 << high_month) - 1) & ~((1 << (low_month - 1)) - 1)
        while months:
            month = months.bit_length()
            months &= ~(1 << (month - 1))
            shift = DAY_BITS * (month - 1)
            low = first.day if year == first.year and month == first.month else 1
            high = last.day if year == last.year and month == last.month else 31
            yield year, month, (mask.first_days >> shift) & DAY_FIELD, (mask.last_days >> shift) & DAY_FIELD, low, high


class MaskDays:
    """Visit days read from `VisitMask` rows: exact for whole months and for months cut at one end."""

    def __init__(self, masks: dict[int, YearMask]):
        self._masks = masks

    def visited(self, first: dt.date, last: dt.date) -> bool:
        for year, month, first_day, last_day, low, high in _visited_months(self._masks, first, last):
            if low <= first_day <= high or low <= last_day <= high:
                return True
            if first_day < low and last_day > high:
                raise Undecidable(f"visits on days {first_day} and {last_day} of {year}-{month:02d} straddle {low}..{high}")
        return False

    def last_in(self, first: dt.date, last: dt.date) -> dt.date | None:
        for year, month, first_day, last_day, low, high in _visited_months(self._masks, first, last):
            if low <= last_day <= high:
                return dt.date(year, month, last_day)
            if last_day < low or first_day > high:
                continue
            if first_day == high:
                return dt.date(year, month, high)
            # Visits on both sides of `high` (or around the range): the latest within is unknown.
            raise Undecidable(f"the latest visit of {year}-{month:02d} up to day {high} is not in the mask")
        return None
