"""Report totals of the monthly relationship rules from counts kept per unit and month.

The city-wide overdue report counts every obligation instance by status. Deciding each
instance's status from its row (`fast.totals`) reads all 260,500 rows of a Huaihua-sized
city on every call; the counts below answer the same totals from a few thousand rows.

For a monthly rule, as of day d of month c with the month before, L, closed:

    owed(m)   = rows with first_month <= m <= last_month = P(m) - Q(m - 1), where P and Q
                count the rows starting and ending (`ObligationTally.starting`, `.ending`)
                up to a month
    overdue   = owed(L) - visited(L)
    met       = rows owing c, first visited in c by day d, not overdue from L (`ObligationDayTally`)
    due       = owed(c) - (owed(L) - ending(L)) + (visited(L) - visited_ending(L)) - met
                (rows owing c, less those owing L and c that missed L, less the met ones)
    instances = P(c) - Q(first month of the window - 1)
    missed    = the sum of owed(m) - visited(m) over the window's closed months

and as of the last day of c, c itself is the latest closed month: overdue = owed(c) -
visited(c), met = visited(c). `fast.totals` stays the reference and the fallback (other
rules, one official, other windows); tests compare both.

The counts of a unit are derived again, from its obligation rows and their visit masks,
whenever those change (`touched`), so they are a pure function of the tables, as
`instances` keeps the rows. A bulk write defers that to its end (`deferred`).
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, func, select
from sqlmodel import Session

from rules.schema import Period, TargetCount, TargetSet
from workflow.chunking import chunks
from workflow.db import insert_rows, one_of
from workflow.obligations.evaluate import DUE, MET, NOT_OWED, OVERDUE
from workflow.obligations.models import Obligation, ObligationDayTally, ObligationTally
from workflow.obligations.periods import month_number

if TYPE_CHECKING:
    from workflow.obligations.sources import Selection

_obligation, _tally, _day_tally = Obligation.__table__, ObligationTally.__table__, ObligationDayTally.__table__
_PENDING = "exit_tracker.tallies_pending"
_UNITS_AT_ONCE = 40  # units recounted per read: bounds the rows and masks held in memory


# ---- keeping the counts -----------------------------------------------------------


def _unit_counts(rows, masks) -> tuple[list[tuple], list[tuple]]:
    """The tally and day-tally rows (in column order) of one chunk of units' obligation rows."""
    tally: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    day_tally: Counter = Counter()
    paths = {}
    for kind, role, unit_code, unit_path, person_id, target_level, target_id, first, last in rows:
        if last is not None and last < first:
            continue  # no whole month owed
        paths[unit_code] = unit_path
        group = (kind, role, unit_code)
        tally[(*group, first)][0] += 1
        if last is not None:
            tally[(*group, last)][1] += 1
        by_year = masks.get((person_id, target_level, target_id))
        if not by_year:
            continue

        def visited(month: int) -> bool:
            mask = by_year.get(month // 12)
            return mask is not None and bool(mask.month_mask >> (month % 12) & 1)

        for year, mask in by_year.items():
            bits = mask.month_mask
            while bits:
                low_bit = bits & -bits
                bits ^= low_bit
                index = low_bit.bit_length() - 1
                month = year * 12 + index
                if month < first or (last is not None and month > last):
                    continue
                counts = tally[(*group, month)]
                counts[2] += 1
                if month == last:
                    counts[3] += 1
                # Not overdue from the month before: that month was not owed, or was met.
                if month - 1 < first or visited(month - 1):
                    day_tally[(*group, month, mask.first_day(index + 1))] += 1
    tally_rows = [(kind, role, unit, month, paths[unit], *counts) for (kind, role, unit, month), counts in sorted(tally.items())]
    day_rows = [(kind, role, unit, month, day, paths[unit], met) for (kind, role, unit, month, day), met in sorted(day_tally.items())]
    return tally_rows, day_rows


def recount(connection: Connection, units: Iterable[str]) -> None:
    """Derive again the counts of these post units from their obligation rows and visit masks."""
    from workflow.obligations.instances import masks_of  # instances imports this module, to call it when its rows change

    for part in chunks(sorted(set(units)), _UNITS_AT_ONCE):
        connection.execute(delete(_tally).where(one_of(connection, _tally.c.unit_code, part)))
        connection.execute(delete(_day_tally).where(one_of(connection, _day_tally.c.unit_code, part)))
        o = _obligation.c
        rows = connection.execute(
            select(o.kind, o.role, o.unit_code, o.unit_path, o.person_id, o.target_level, o.target_id, o.first_month, o.last_month).where(
                one_of(connection, o.unit_code, part)
            )
        ).all()
        masks = masks_of(connection, {(row.person_id, row.target_level, row.target_id) for row in rows})
        tally_rows, day_rows = _unit_counts(rows, masks)
        insert_rows(connection, _tally, tally_rows)
        insert_rows(connection, _day_tally, day_rows)


def rebuild(connection: Connection) -> None:
    """Count every unit again from scratch."""
    connection.execute(delete(_tally))
    connection.execute(delete(_day_tally))
    recount(connection, connection.execute(select(_obligation.c.unit_code).distinct()).scalars())


def touched(connection: Connection, units: Iterable[str]) -> None:
    """The obligation rows, or the visit masks of the rows, of these units have changed."""
    units = set(units)
    if not units:
        return
    pending = connection.info.get(_PENDING)
    if pending is not None:
        pending.update(units)
    else:
        recount(connection, units)


@contextlib.contextmanager
def deferred(connection: Connection) -> Iterator[None]:
    """For bulk writes on `connection`: count each touched unit once, at the end."""
    if _PENDING in connection.info:  # already deferred by an enclosing bulk write
        yield
        return
    connection.info[_PENDING] = set()
    try:
        yield
        pending = connection.info.pop(_PENDING)
        recount(connection, pending)
    finally:
        connection.info.pop(_PENDING, None)


# ---- answering report totals ------------------------------------------------------


def applies(selection: Selection) -> bool:
    """Whether the counts answer this selection's totals: a monthly rule over paired or linked
    targets, a window of whole months whose latest closed month is the one before the current
    month or the current month itself, and no single official."""
    window, rule = selection.window, selection.rule
    if selection.person_id is not None or rule.is_coverage or rule.count is not TargetCount.each:
        return False
    if rule.targets not in (TargetSet.paired, TargetSet.linked) or rule.period is not Period.month or not window.whole_months:
        return False
    if window.latest_closed is None:
        return False
    closed_current = window.latest_closed == window.current
    return closed_current or (len(window.periods) >= 2 and window.latest_closed == window.periods[-2])


def totals(session: Session, selection: Selection) -> list[tuple[str, dict[str, int], int]]:
    """(post's unit, instances by status, missed months), as `fast.totals` answers them."""
    from workflow.obligations.sources import in_subtree  # sources imports instances, which imports this module

    window, rule = selection.window, selection.rule
    low, current = month_number(window.first), month_number(window.current.first)
    closed_current = window.latest_closed == window.current
    latest = current if closed_current else current - 1
    t = _tally.c
    where = [t.kind == rule.targets.value, t.role.in_(sorted(selection.roles)), in_subtree(t.unit_path, selection.scope), t.month <= current]
    query = (
        select(t.unit_code, t.month, func.sum(t.starting), func.sum(t.ending), func.sum(t.visited), func.sum(t.visited_ending))
        .where(*where)
        .group_by(t.unit_code, t.month)
        .order_by(t.unit_code, t.month)
    )
    by_unit: dict[str, list[tuple[int, int, int, int, int]]] = defaultdict(list)
    for unit, month, starting, ending, visited, visited_ending in session.execute(query):
        by_unit[unit].append((month, int(starting), int(ending), int(visited), int(visited_ending)))
    met_by_day: dict[str, int] = {}
    if not closed_current:
        d = _day_tally.c
        met_query = (
            select(d.unit_code, func.sum(d.met))
            .where(d.kind == rule.targets.value, d.month == current, d.day.between(1, window.as_of.day), d.role.in_(sorted(selection.roles)), in_subtree(d.unit_path, selection.scope))
            .group_by(d.unit_code)
        )
        met_by_day = {unit: int(met) for unit, met in session.execute(met_query)}
    found = []
    for unit, months in by_unit.items():
        counted = _statuses(months, low=low, latest=latest, current=current, met_now=met_by_day.get(unit, 0), closed_current=closed_current)
        if counted is not None:
            found.append((unit, *counted))
    return found


def _statuses(months, *, low: int, latest: int, current: int, met_now: int, closed_current: bool) -> tuple[dict[str, int], int] | None:
    """One unit's instances by status and missed months, from its counts by month (ascending, up to `current`)."""
    started = ended = ended_before_low = 0  # rows starting, and ending, in the months summed so far
    owed, visited, visited_ending, ending = {}, {}, {}, {}
    counts = {month: rest for month, *rest in months}
    for month in sorted(set(counts) | set(range(low, current + 1))):
        if month == low:
            ended_before_low = ended
        starting, ending_here, visited_here, visited_ending_here = counts.get(month, (0, 0, 0, 0))
        if month >= low:
            owed[month] = started + starting - ended  # began by this month, not ended before it
            visited[month], visited_ending[month], ending[month] = visited_here, visited_ending_here, ending_here
        started += starting
        ended += ending_here
    instances = started - ended_before_low
    if instances == 0:
        return None
    missed = sum(owed[m] - visited[m] for m in range(low, latest + 1))
    if closed_current:
        overdue, met, due = owed[current] - visited[current], visited[current], 0
    else:
        overdue, met = owed[latest] - visited[latest], met_now
        # Rows owing the current month that are overdue: owing the latest month too, unvisited in it.
        overdue_owing_current = (owed[latest] - ending[latest]) - (visited[latest] - visited_ending[latest])
        due = owed[current] - overdue_owing_current - met
    return {OVERDUE: overdue, MET: met, DUE: due, NOT_OWED: instances - overdue - met - due}, missed
