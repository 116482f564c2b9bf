"""The specification of the visit rules' time semantics (SPEC §3): periods, windows, statuses.

Calendar periods (month, quarter, campaign year) are taken in the rule book's zone and
clipped to the validity of the book in force: under a book effective from 2017-06-01 the
2017 campaign year runs 1 June – 31 December and its first month is June; when a newer book
takes effect, the older one's periods end the day before.

A report as of a day evaluates each rule over a `Window`: the periods of the current
campaign year up to the one containing `as_of` (or from an earlier day the report asks
for), and the latest closed period when that lies before them. A period is closed once its
last day is before `as_of`; on its last day it is still the current one.

An instance's periods are bits of two masks: owed (the post — and the pairing or link —
covers the period whole, and a target chosen by jurisdiction was poor in it) and met (a
qualifying visit fell in it, up to `as_of`). `status_rules` decides the status from four
tests on them; every engine decides by it (the SQL engines build their CASE from it), and
`judged` is its reading in Python.

Nothing here reads the database.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import functools

from typing import Any

from rules.schema import Period, RuleBook, VisitRule
from workflow import rulebook
from workflow import errors

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


def period_on(day: dt.date, kind: Period) -> CalendarPeriod | None:
    """The period of `kind` containing `day`, clipped to the book in force then; None before any book."""
    book = rulebook.in_force(day, otherwise=None)
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

    # Period i of the window is bit i of the masks every engine computes.

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


MAX_PERIODS = 60  # a window's periods are bits of a 64-bit integer in SQL: five years of months


def window(as_of: dt.date, rule: VisitRule, *, start: dt.date | None = None) -> Window:
    """The window of `rule` (a rule of the book in force on `as_of`) as of the end of `as_of`.

    By default the periods of `as_of`'s campaign year up to the current one; from the period
    containing `start` when given (a year-end review asks for the whole year before). The
    latest closed period is always in it: a status is decided by it. Periods run back only
    while a book in force then had the same rule.
    """
    book = rulebook.in_force(as_of)
    current = period_on(as_of, rule.period)
    if start is not None and start > as_of:
        raise errors.FromAfterAsOf(start=start.isoformat(), as_of=as_of.isoformat())
    first = period_on(as_of, Period.campaign_year).first if start is None else start
    before = period_on(current.first - ONE_DAY, rule.period)
    # The period containing as_of is the current one, its last day included (SPEC §3: the
    # rest of that day is still to come), so the latest closed period is the one before it,
    # if a book then had the same rule.
    latest_closed = before if before is not None and rule_continues(before.book_id, rule) else None
    if latest_closed is not None:
        first = min(first, latest_closed.first)
    periods = [current]
    while periods[0].first > first:
        earlier = period_on(periods[0].first - ONE_DAY, rule.period)
        if earlier is None or not rule_continues(earlier.book_id, rule):
            break
        periods.insert(0, earlier)
        if len(periods) > MAX_PERIODS:
            raise errors.WindowTooLong(limit=MAX_PERIODS, rule=rule.id)
    assert book.id == current.book_id
    return Window(as_of=as_of, rule=rule, periods=tuple(periods), latest_closed=latest_closed)


# ---- statuses ------------------------------------------------------------------------

OVERDUE = "overdue"
DUE = "due"
PENDING = "pending"
MET = "met"
MISSED = "missed"  # a closed period owed and not met
NOT_OWED = "not_owed"  # e.g. a tenure that began on the period's 2nd day

Span = tuple[dt.date, dt.date | None]  # first day, last day (None: open), both inclusive


def covers(span: Span, period: CalendarPeriod) -> bool:
    """Whether `span` includes every day of `period` (a period counts only if covered whole)."""
    start, end = span
    return start <= period.first and (end is None or end >= period.last)


def intersect(*spans: Span) -> Span | None:
    """The days every span includes, or None."""
    start = max(span[0] for span in spans)
    ends = [span[1] for span in spans if span[1] is not None]
    end = min(ends) if ends else None
    return None if end is not None and end < start else (start, end)


def status_while_open(rule: VisitRule) -> str:
    """The status of an owed current period not yet met: pending for a coverage rule, else due."""
    return PENDING if rule.is_coverage else DUE


class Truth:
    """The logic `status_rules` is written in, here over Python's booleans; the SQL engines
    pass one over SQL expressions, so that the rules are stated once."""

    yes: Any = True

    @staticmethod
    def all(*tests):
        return all(tests)

    @staticmethod
    def no(test):
        return not test


PYTHON = Truth()


def current_period_rules(truth: Truth, *, owed_now, met_now, open_status: str) -> tuple[tuple[str, Any], ...]:
    """The current period's status: (status, test) pairs, the first whose test holds decides."""
    return ((NOT_OWED, truth.no(owed_now)), (MET, met_now), (open_status, truth.yes))


def status_rules(truth: Truth, *, owed_latest, met_latest, owed_now, met_now, open_status: str) -> tuple[tuple[str, Any], ...]:
    """An instance's status (SPEC §3): overdue if the latest closed period was owed and missed,
    else the current period's status. (status, test) pairs, the first whose test holds decides."""
    overdue = truth.all(owed_latest, truth.no(met_latest))
    return ((OVERDUE, overdue), *current_period_rules(truth, owed_now=owed_now, met_now=met_now, open_status=open_status))


def first_holding(rules: tuple[tuple[str, Any], ...]) -> str:
    return next(status for status, holds in rules if holds)


@dataclasses.dataclass(frozen=True)
class Judge:
    """What judging an instance needs of a window, worked out once per window."""

    rule_id: str
    closed: int
    current: int
    latest: int
    open_status: str
    current_label: str
    days_overdue: int | None


def judge_of(window: Window) -> Judge:
    known = window.__dict__.get("_judge")  # kept on the (frozen) window it belongs to
    if known is None:
        days = (window.as_of - window.latest_closed.last).days if window.latest_closed else None
        known = Judge(window.rule.id, window.closed_bits, window.current_bit, window.latest_closed_bit, status_while_open(window.rule), window.current.label, days)
        window.__dict__["_judge"] = known
    return known


def judged(window: Window, owed: int, met: int) -> tuple[str, str, int, int]:
    """(status, current period's status, owed closed periods, missed periods) of an instance
    whose owed and met periods are the bits of `owed` and `met`."""
    known = window.__dict__.setdefault("_judged", {})  # instances share a few (owed, met) pairs
    key = (owed, met)
    found = known.get(key)
    if found is None:
        judge = judge_of(window)
        owed_closed = owed & judge.closed
        now = {"owed_now": bool(owed & judge.current), "met_now": bool(met & judge.current), "open_status": judge.open_status}
        status = first_holding(status_rules(PYTHON, owed_latest=bool(owed & judge.latest), met_latest=bool(met & judge.latest), **now))
        found = known[key] = (status, first_holding(current_period_rules(PYTHON, **now)), owed_closed, owed_closed & ~met)
    return found


def period_statuses(window: Window, owed: int, met: int) -> tuple[tuple[str, str], ...]:
    """(label, status) of each period of the window: not_owed, met, missed (closed, owed and
    not met) or, for the current period owed and not yet met, due (pending for coverage)."""
    known = window.__dict__.setdefault("_period_statuses", {})
    key = (owed, met)
    if key not in known:
        judge = judge_of(window)
        statuses = []
        for i, period in enumerate(window.periods):
            bit = 1 << i
            if not owed & bit:
                status = NOT_OWED
            elif met & bit:
                status = MET
            else:
                status = MISSED if judge.closed & bit else judge.open_status
            statuses.append((period.label, status))
        known[key] = tuple(statuses)
    return known[key]
