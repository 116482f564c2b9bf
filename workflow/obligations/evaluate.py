"""Obligation instances (post, person, rule, target) and their period statuses, as of a date.

For a frequency rule a closed period with no qualifying visit is *missed*; the instance is
*overdue* when the latest closed period was owed and missed; the current period is *due* until
a qualifying visit lands, then *met*. For a coverage rule the current campaign year is
*pending* for a target until it is visited, and *overdue* once the year has ended unvisited.

A period is owed only if the post (and, for paired and linked targets, the pairing or link)
covers it whole, and, for targets chosen by jurisdiction, if the target was poor at any time
in the part of the period up to `as_of`. Statuses are computed on bit masks, period i of the
window being bit i, exactly as `fast` computes them in SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple

from workflow.obligations.periods import CalendarPeriod, Window
from workflow.obligations.visitdays import VisitDays

OVERDUE = "overdue"
DUE = "due"
PENDING = "pending"
MET = "met"
MISSED = "missed"  # a closed period owed and not met
NOT_OWED = "not_owed"  # the current period is not owed (e.g. a tenure that began on its 2nd day)

Span = tuple[dt.date, dt.date | None]  # first day, last day (None: open), both inclusive


class PostRef(NamedTuple):
    """The post an obligation follows, and where it sits in the tree (a tuple: reports make one per row)."""

    post_id: str
    person_id: str
    role: str
    unit_code: str
    township_code: str | None
    county_code: str | None


@dataclasses.dataclass(slots=True)
class ObligationRow:
    """One obligation instance as of a date: a row of the overdue report."""

    rule_id: str
    post_id: str
    person_id: str
    role: str
    unit_code: str
    township_code: str | None
    county_code: str | None
    target_level: str | None  # None for "any poor village" rules (V2, V5)
    target_id: str | None
    source_id: str | None  # the pairing or unit link, for paired and linked targets
    status: str  # overdue, or else the current period's status
    current_period: str
    current_status: str  # met, due, pending, missed or not_owed
    missed_periods: tuple[str, ...]  # owed closed periods of the window with no qualifying visit
    periods_owed: int  # owed closed periods of the window
    periods_met: int
    last_visit_on: dt.date | None  # latest qualifying visit day in the window, up to as_of
    days_overdue: int | None  # days from the end of the missed latest closed period to as_of
    periods: tuple[tuple[str, str], ...]  # (label, status) of each period of the window, oldest first
    person_name: str | None = None  # filled in by the report
    target_name: str | None = None


def covers(span: Span, period: CalendarPeriod) -> bool:
    """Whether `span` includes every day of `period`."""
    start, end = span
    return start <= period.first and (end is None or end >= period.last)


def intersect(*spans: Span) -> Span | None:
    """The days every span includes, or None."""
    start = max(span[0] for span in spans)
    ends = [span[1] for span in spans if span[1] is not None]
    end = min(ends) if ends else None
    return None if end is not None and end < start else (start, end)


@dataclasses.dataclass(frozen=True)
class _Judge:
    """What `row_from_bits` needs of a window, worked out once per window: reports call it per row."""

    rule_id: str
    closed: int
    current: int
    latest: int
    open_status: str
    current_label: str
    days_overdue: int | None


def status_while_open(rule) -> str:
    """The status of an owed current period not yet met: pending for a coverage rule, else due."""
    return PENDING if rule.is_coverage else DUE


def _judge(window: Window) -> _Judge:
    known = window.__dict__.get("_judge")  # kept on the (frozen) window it belongs to
    if known is not None:
        return known
    open_status = status_while_open(window.rule)
    days = (window.as_of - window.latest_closed.last).days if window.latest_closed else None
    judge = _Judge(window.rule.id, window.closed_bits, window.current_bit, window.latest_closed_bit, open_status, window.current.label, days)
    window.__dict__["_judge"] = judge
    return judge


def unit_order(county_code: str | None, township_code: str | None, unit_code: str) -> tuple[str, str, str]:
    """Where a post's unit comes in the report's order (county, township, unit; a missing code first)."""
    return county_code or "", township_code or "", unit_code


def row_from_bits(
    window: Window,
    post: PostRef,
    *,
    owed: int,
    met: int,
    last_visit_on: dt.date | None,
    target_level: str | None = None,
    target_id: str | None = None,
    source_id: str | None = None,
) -> ObligationRow:
    """The report row of an instance whose owed and met periods are the bits of `owed`, `met`."""
    judge = _judge(window)
    status, current_status, owed_closed, missed = judged(window, owed, met)
    return ObligationRow(
        judge.rule_id, *post, target_level, target_id, source_id,
        status, judge.current_label, current_status, window.labels(missed),
        owed_closed.bit_count(), (owed_closed & met).bit_count(), last_visit_on, judge.days_overdue if status == OVERDUE else None,
        period_statuses(window, owed, met),
    )


def period_statuses(window: Window, owed: int, met: int) -> tuple[tuple[str, str], ...]:
    """(label, status) of each period of the window: not_owed, met, missed (closed, owed and
    not met) or, for the current period owed and not yet met, due (pending for coverage)."""
    known = window.__dict__.setdefault("_period_statuses", {})  # rows share a few (owed, met) pairs
    key = (owed, met)
    if key not in known:
        judge = _judge(window)
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


def judged(window: Window, owed: int, met: int) -> tuple[str, str, int, int]:
    """(status, current period's status, owed closed periods, missed periods) of an instance
    whose owed and met periods are the bits of `owed` and `met`."""
    judge = _judge(window)
    owed_closed = owed & judge.closed
    missed = owed_closed & ~met
    if not owed & judge.current:
        current_status = NOT_OWED
    elif met & judge.current:
        current_status = MET
    else:
        current_status = judge.open_status
    return OVERDUE if missed & judge.latest else current_status, current_status, owed_closed, missed


PeriodTest = Callable[[CalendarPeriod], bool]


def _latest(window: Window, members: Sequence[tuple[VisitDays, PeriodTest]]) -> dt.date | None:
    # Periods run back to back, so the latest period with a visit holds the latest visit.
    for period, seen in zip(reversed(window.periods), reversed(window.seen_parts)):
        days = [d.last_in(*seen) for d, counts in members if counts(period)]
        days = [day for day in days if day is not None]
        if days:
            return max(days)
    return None


def evaluate_each(
    window: Window,
    post: PostRef,
    span: Span,
    *,
    target_level: str,
    target_id: str,
    days: VisitDays,
    counts: PeriodTest,
    source_id: str | None = None,
) -> ObligationRow | None:
    """The row of one target of a post, or None if it owes nothing in the window.

    `span` is when the obligation runs (the post, cut to the pairing or link); `counts`
    says whether the target counts in a period (poor then, for jurisdiction targets).
    """
    owed = met = 0
    for i, (period, seen) in enumerate(zip(window.periods, window.seen_parts)):
        if counts(period) and covers(span, period):
            owed |= 1 << i
            if days.visited(*seen):
                met |= 1 << i
    if not owed:
        return None
    return row_from_bits(
        window, post, owed=owed, met=met, last_visit_on=_latest(window, [(days, counts)]),
        target_level=target_level, target_id=target_id, source_id=source_id,
    )


def evaluate_any(window: Window, post: PostRef, span: Span, members: Sequence[tuple[VisitDays, PeriodTest]]) -> ObligationRow | None:
    """The row of a post owing one visit per period to any of `members` (days, counts-in-period).

    A period in which no member counts (no poor village in the jurisdiction) owes nothing.
    """
    owed = met = 0
    for i, (period, seen) in enumerate(zip(window.periods, window.seen_parts)):
        counting = [days for days, counts in members if counts(period)]
        if counting and covers(span, period):
            owed |= 1 << i
            if any(days.visited(*seen) for days in counting):
                met |= 1 << i
    if not owed:
        return None
    return row_from_bits(window, post, owed=owed, met=met, last_visit_on=_latest(window, members))
