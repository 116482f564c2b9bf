"""Report rows of obligation instances (post, person, rule, target), built from their period bits.

`row_from_bits` builds every engine's rows from an instance's owed and met periods, judged
by the specification (`spec`). `VisitBits` and `span_bits` are what the general engine
works those bits out from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from workflow.obligations.spec import OVERDUE, Span, Window, covers, judge_of, judged, period_statuses


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
    judge = judge_of(window)
    status, current_status, owed_closed, missed = judged(window, owed, met)
    return ObligationRow(
        judge.rule_id, *post, target_level, target_id, source_id,
        status, judge.current_label, current_status, window.labels(missed),
        owed_closed.bit_count(), (owed_closed & met).bit_count(), last_visit_on, judge.days_overdue if status == OVERDUE else None,
        period_statuses(window, owed, met),
    )


class VisitBits(NamedTuple):
    """The periods of a window in which one person visited one target (bit i: period i, up to
    as_of), and the last visit day in each of them."""

    bits: int
    last: dict[int, dt.date]

    def latest(self, counts: int) -> dt.date | None:
        """The last visit in a period among `counts` (bits): periods run back to back, so the
        latest such period holds it."""
        hit = self.bits & counts
        return self.last[hit.bit_length() - 1] if hit else None


NO_VISITS = VisitBits(0, {})


def span_bits(window: Window, span: Span) -> int:
    """The periods of the window `span` covers whole."""
    known = window.__dict__.setdefault("_span_bits", {})  # posts and pairings share a few spans
    found = known.get(span)
    if found is None:
        found = known[span] = sum(1 << i for i, period in enumerate(window.periods) if covers(span, period))
    return found


def unit_counts(rows: Iterable[ObligationRow]) -> list[tuple[str, dict[str, int], int]]:
    """Per post unit, the rows counted by status, and the periods they missed (an engine's totals, from its rows)."""
    by_status: dict[str, Counter] = defaultdict(Counter)
    missed: Counter = Counter()
    for row in rows:
        by_status[row.unit_code][row.status] += 1
        missed[row.unit_code] += len(row.missed_periods)
    return [(unit, dict(counts), missed[unit]) for unit, counts in by_status.items()]
