"""The packed visit masks: which months, and which first and last day in each, had a visit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

DAY_BITS = 5
DAY_FIELD = (1 << DAY_BITS) - 1


@dataclasses.dataclass(frozen=True)
class YearMask:
    """One year of visits by one person to one target (see `VisitMask`)."""

    month_mask: int = 0
    first_days: int = 0
    last_days: int = 0

    def first_day(self, month: int) -> int:
        """The first day of `month` (1–12) with a visit, 0 if none."""
        return (self.first_days >> (DAY_BITS * (month - 1))) & DAY_FIELD

    def last_day(self, month: int) -> int:
        """The last day of `month` (1–12) with a visit, 0 if none."""
        return (self.last_days >> (DAY_BITS * (month - 1))) & DAY_FIELD

    def with_day(self, day: dt.date) -> YearMask:
        """This mask with a visit on `day` added."""
        return self.with_days((day,))

    def with_days(self, days: Iterable[dt.date]) -> YearMask:
        """This mask with a visit on each of `days` added (all in its year)."""
        month_mask, first_days, last_days = self.month_mask, self.first_days, self.last_days
        for day in days:
            shift = DAY_BITS * (day.month - 1)
            first, last = (first_days >> shift) & DAY_FIELD, (last_days >> shift) & DAY_FIELD
            new_first = day.day if first == 0 else min(first, day.day)
            new_last = max(last, day.day)
            month_mask |= 1 << (day.month - 1)
            first_days = (first_days & ~(DAY_FIELD << shift)) | (new_first << shift)
            last_days = (last_days & ~(DAY_FIELD << shift)) | (new_last << shift)
        return YearMask(month_mask, first_days, last_days)


def year_masks(days: Iterable[dt.date]) -> dict[int, YearMask]:
    """The masks, year by year, of visits on `days`."""
    masks: dict[int, YearMask] = {}
    for day in days:
        masks[day.year] = masks.get(day.year, YearMask()).with_day(day)
    return masks


def counted_targets(target_level: str, target_id: str, village_code: str | None, township_code: str) -> list[tuple[str, str]]:
    """Every (level, id) a visit counts for: its target and each unit above it, up to the township."""
    targets = [(target_level, target_id)]
    if target_level == "household":
        targets.append(("village", village_code))
    if target_level in ("household", "village"):
        targets.append(("township", township_code))
    return targets
