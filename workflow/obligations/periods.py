"""Calendar periods in the rule book's zone, clipped to the validity of the book in force.

Under a book effective from 2017-06-01 the 2017 campaign year runs 1 June – 31 December and
its first month is June; when a newer book takes effect, the older one's periods end the day
before. A report evaluates a `Window`: the periods of the current campaign year up to the one
containing `as_of`, plus the latest closed period when that lies in the year before.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import functools

from rules.registry import NoRuleBookInForce
from rules.schema import Period, RuleBook, VisitRule
from workflow import rulebook

ONE_DAY = dt.timedelta(days=1)


def month_number(day: dt.date) -> int:
    """Months since year 0: consecutive months have consecutive numbers."""
    return day.year * 12 + day.month - 1


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def calendar_bounds(kind: Period, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the unclipped month, quarter or year containing `day`."""
    if kind is Period.month:
        return day.replace(day=1), month_end(day)
    if kind is Period.quarter:
        first_month = 3 * ((day.month - 1) // 3) + 1
        return dt.date(day.year, first_month, 1), month_end(dt.date(day.year, first_month + 2, 1))
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


@dataclasses.dataclass(frozen=True, order=True)
class CalendarPeriod:
    """A month, quarter or campaign year of one rule book, both days inclusive."""

    first: dt.date
    last: dt.date
    kind: Period
    book_id: str

    @functools.cached_property
    def label(self) -> str:
        """'2018-07', '2018-Q3' or '2018'; a clipped period adds its days: '2019-03[03-15..03-31]'."""
        if self.kind is Period.month:
            label = f"{self.first.year}-{self.first.month:02d}"
        elif self.kind is Period.quarter:
            label = f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        else:
            label = str(self.first.year)
        if (self.first, self.last) != calendar_bounds(self.kind, self.first):
            label += f"[{self.first.strftime('%m-%d')}..{self.last.strftime('%m-%d')}]"
        return label

    @property
    def whole_months(self) -> bool:
        """Whether the period starts on a 1st and ends on a month's last day."""
        return self.first.day == 1 and self.last == month_end(self.last)

    @property
    def months(self) -> range:
        """The month numbers the period touches."""
        return range(month_number(self.first), month_number(self.last) + 1)


def validity(book: RuleBook) -> tuple[dt.date, dt.date | None]:
    """The first and last day `book` is in force (None: until further notice)."""
    return book.effective_from, rulebook.books().valid_until(book)


def book_in_force(day: dt.date) -> RuleBook | None:
    try:
        return rulebook.books().in_force(day)
    except NoRuleBookInForce:
        return None


def period_on(day: dt.date, kind: Period) -> CalendarPeriod | None:
    """The period of `kind` containing `day`, clipped to the book in force then; None before any book."""
    book = book_in_force(day)
    if book is None:
        return None
    first, last = calendar_bounds(kind, day)
    valid_from, valid_until = validity(book)
    return CalendarPeriod(max(first, valid_from), min(last, valid_until) if valid_until else last, kind, book.id)


def rule_continues(book_id: str, rule: VisitRule) -> bool:
    """Whether book `book_id` has a rule with `rule`'s id and period, so its periods carry over."""
    for book in rulebook.books().books:
        if book.id == book_id:
            return any(other.id == rule.id and other.period is rule.period for other in book.visit_rules)
    return False


@dataclasses.dataclass(frozen=True)
class Window:
    """The periods a report evaluates for one rule as of one day, oldest first, current last."""

    as_of: dt.date
    rule: VisitRule
    periods: tuple[CalendarPeriod, ...]
    latest_closed: CalendarPeriod | None

    @property
    def current(self) -> CalendarPeriod:
        return self.periods[-1]

    @property
    def first(self) -> dt.date:
        return self.periods[0].first

    def is_closed(self, period: CalendarPeriod) -> bool:
        """A period whose last day is before `as_of` is closed; on its own last day it is still running."""
        return period.last < self.as_of

    def seen(self, period: CalendarPeriod) -> tuple[dt.date, dt.date]:
        """The days of `period` up to `as_of`: what can have happened in it by then."""
        return period.first, min(period.last, self.as_of)

    @functools.cached_property
    def seen_parts(self) -> tuple[tuple[dt.date, dt.date], ...]:
        """`seen` of each period, in order."""
        return tuple(self.seen(period) for period in self.periods)

    @property
    def whole_months(self) -> bool:
        return all(period.whole_months for period in self.periods)

    @property
    def years(self) -> range:
        return range(self.first.year, self.as_of.year + 1)

    # Period i of the window is bit i of the masks `evaluate` and `fast` compute.

    @functools.cached_property
    def closed_bits(self) -> int:
        return sum(1 << i for i, period in enumerate(self.periods) if self.is_closed(period))

    @functools.cached_property
    def current_bit(self) -> int:
        return 1 << (len(self.periods) - 1)

    @functools.cached_property
    def latest_closed_bit(self) -> int:
        return 1 << self.periods.index(self.latest_closed) if self.latest_closed else 0

    def labels(self, bits: int) -> tuple[str, ...]:
        """The labels of the periods whose bits are set in `bits`, oldest first."""
        known = self.__dict__.setdefault("_labels", {})  # reports ask for the same few masks again and again
        if bits not in known:
            known[bits] = tuple(period.label for i, period in enumerate(self.periods) if bits >> i & 1)
        return known[bits]


def window(as_of: dt.date, rule: VisitRule) -> Window:
    """The window of `rule` (a rule of the book in force on `as_of`) as of the end of `as_of`."""
    book = rulebook.in_force(as_of)
    current = period_on(as_of, rule.period)
    campaign = period_on(as_of, Period.campaign_year)
    periods = []
    day = campaign.first
    while day <= current.first:
        period = period_on(day, rule.period)
        periods.append(period)
        day = period.last + ONE_DAY
    # The period containing as_of is the current one, its last day included (SPEC §3: the
    # rest of that day is still to come), so the latest closed period is the one before it.
    if len(periods) > 1:
        latest_closed = periods[-2]
    else:
        # The first period of a campaign year: the latest closed one is the last of the year
        # before, if a book then had the same rule.
        before = period_on(current.first - ONE_DAY, rule.period)
        latest_closed = before if before is not None and rule_continues(before.book_id, rule) else None
        if latest_closed is not None:
            periods.insert(0, latest_closed)
    assert periods[-1] == current and book.id == current.book_id
    return Window(as_of=as_of, rule=rule, periods=tuple(periods), latest_closed=latest_closed)
