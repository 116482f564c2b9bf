"""Report totals of the monthly relationship rules from counts kept per unit and month.

The city-wide overdue report counts every obligation instance by status. Deciding each
instance's status from its row (the relationship engine's totals) reads all 260,500 rows of a Huaihua-sized
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

On its last day c is still the current month (SPEC §3). The relationship engine stays the reference
and the fallback (other rules, one official, other windows); tests compare both.

The counts are a pure function of the obligation rows and their visit masks, kept by the
obligations projection: before it changes the rows of some posts, pairings or links, or
some masks, `read` notes what the rows concerned add to the counts; after it, `settle`
adds what those rows add now, less that. A bulk write instead counts each unit it touched
once, at its end (`deferred`); a replay counts them all (`rebuild`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, select
from sqlmodel import Session

from rules.schema import Period
from workflow.chunking import chunks
from workflow.db import counted_at_end, insert_rows, one_of
from workflow.obligations.spec import DUE, MET, NOT_OWED, OVERDUE
from workflow.obligations.models import Obligation, ObligationDayTally, ObligationTally
from workflow.obligations.spec import month_number
from workflow.obligations.question import TOTALS, Engine, Need, Question, UnitCounts
from workflow.org.places import Subtree
from workflow.visits.mask_rows import masks_of

_obligation, _tally, _day_tally = Obligation.__table__, ObligationTally.__table__, ObligationDayTally.__table__
_PENDING = "exit_tracker.tallies_pending"
_UNITS_AT_ONCE = 40  # units recounted per read: bounds the rows and masks held in memory


# ---- keeping the counts -----------------------------------------------------------

_TALLY_COUNTS = ("starting", "ending", "visited", "visited_ending")
_ROW_COLUMNS = ("kind", "role", "unit_code", "unit_path", "person_id", "target_level", "target_id", "first_month", "last_month", "post_id", "source_id")


@dataclasses.dataclass
class Counts:
    """What some obligation rows add to the tallies: (kind, role, unit, month, count name) → n,
    (kind, role, unit, month, day) → n, and the path of each unit met."""

    tally: Counter = dataclasses.field(default_factory=Counter)
    days: Counter = dataclasses.field(default_factory=Counter)
    paths: dict[str, str] = dataclasses.field(default_factory=dict)


def _counted(connection: Connection, rows) -> Counts:
    """What `rows` (obligation rows, `_ROW_COLUMNS`) add to the tallies, with their targets' visit masks."""
    masks = masks_of(connection, {(row.person_id, row.target_level, row.target_id) for row in rows})
    counts = Counts()
    for kind, role, unit_code, unit_path, person_id, target_level, target_id, first, last, *_ in rows:
        if last is not None and last < first:
            continue  # no whole month owed
        counts.paths[unit_code] = unit_path
        group = (kind, role, unit_code)
        counts.tally[(*group, first, "starting")] += 1
        if last is not None:
            counts.tally[(*group, last, "ending")] += 1
        by_year = masks.get((person_id, target_level, target_id), {})
        visited = {year * 12 + month - 1: mask.first_day(month) for year, mask in by_year.items() for month in range(1, 13) if mask.month_mask >> (month - 1) & 1}
        for month, first_day in visited.items():
            if month < first or (last is not None and month > last):
                continue
            counts.tally[(*group, month, "visited")] += 1
            if month == last:
                counts.tally[(*group, month, "visited_ending")] += 1
            # Not overdue from the month before: that month was not owed, or was met.
            if month - 1 < first or month - 1 in visited:
                counts.days[(*group, month, first_day)] += 1
    return counts


def _tally_rows(counts: Counts) -> tuple[list[tuple], list[tuple]]:
    """`counts` as rows of the two tables, in column order."""
    tally: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(_TALLY_COUNTS))
    for (kind, role, unit, month, name), n in counts.tally.items():
        tally[(kind, role, unit, month)][_TALLY_COUNTS.index(name)] += n
    tally_rows = [(kind, role, unit, month, counts.paths[unit], *values) for (kind, role, unit, month), values in sorted(tally.items()) if any(values)]
    day_rows = [(kind, role, unit, month, day, counts.paths[unit], n) for (kind, role, unit, month, day), n in sorted(counts.days.items()) if n]
    return tally_rows, day_rows


def recount(connection: Connection, units: Iterable[str]) -> None:
    """Derive again the counts of these post units from their obligation rows and visit masks."""
    o = _obligation.c
    for part in chunks(sorted(set(units)), _UNITS_AT_ONCE):
        connection.execute(delete(_tally).where(one_of(connection, _tally.c.unit_code, part)))
        connection.execute(delete(_day_tally).where(one_of(connection, _day_tally.c.unit_code, part)))
        rows = connection.execute(select(*(o[name] for name in _ROW_COLUMNS)).where(one_of(connection, o.unit_code, part))).all()
        tally_rows, day_rows = _tally_rows(_counted(connection, rows))
        insert_rows(connection, _tally, tally_rows)
        insert_rows(connection, _day_tally, day_rows)


def rebuild(connection: Connection) -> None:
    """Count every unit again from scratch."""
    connection.execute(delete(_tally))
    connection.execute(delete(_day_tally))
    recount(connection, connection.execute(select(_obligation.c.unit_code).distinct()).scalars())


@dataclasses.dataclass(frozen=True)
class Reading:
    """The obligation rows a change may alter (by their targets' keys, posts and sources),
    and what they added to the tallies before it: `settle` reads them again after it."""

    keys: frozenset[tuple[str, str, str]]
    post_ids: frozenset[str]
    source_ids: frozenset[str]
    counts: Counts | None  # None while deferred: only the units are noted
    units: frozenset[str]


def _selected_rows(connection: Connection, reading_keys, post_ids, source_ids) -> list:
    o = _obligation.c
    columns = [o[name] for name in _ROW_COLUMNS]
    found = {}
    for part in chunks({person for person, _, _ in reading_keys}):
        for row in connection.execute(select(*columns).where(one_of(connection, o.person_id, part))):
            if (row.person_id, row.target_level, row.target_id) in reading_keys:
                found[(row.post_id, row.source_id)] = row
    for column, ids in ((o.post_id, post_ids), (o.source_id, source_ids)):
        for part in chunks(ids):
            found.update(((row.post_id, row.source_id), row) for row in connection.execute(select(*columns).where(one_of(connection, column, part))))
    return list(found.values())


def read(connection: Connection, *, keys=(), post_ids=(), source_ids=()) -> Reading:
    """Before a change to the visit masks of `keys` (person, target level, target) or to these
    posts and pairings or links: what their obligation rows add to the tallies now."""
    keys, post_ids, source_ids = frozenset(keys), frozenset(post_ids), frozenset(source_ids)
    rows = _selected_rows(connection, keys, post_ids, source_ids)
    counts = None if _PENDING in connection.info else _counted(connection, rows)
    return Reading(keys, post_ids, source_ids, counts, frozenset(row.unit_code for row in rows))


def settle(connection: Connection, before: Reading) -> None:
    """After the change `before` was read for: add to the tallies what its rows add now, less what they added then."""
    rows = _selected_rows(connection, before.keys, before.post_ids, before.source_ids)
    pending = connection.info.get(_PENDING)
    if pending is not None or before.counts is None:
        if pending is not None:
            pending.update(before.units, (row.unit_code for row in rows))
        else:  # deferral ended between the two readings: count the units afresh
            recount(connection, before.units | {row.unit_code for row in rows})
        return
    after = _counted(connection, rows)
    after.tally.subtract(before.counts.tally)
    after.days.subtract(before.counts.days)
    change = Counts(Counter({k: n for k, n in after.tally.items() if n}), Counter({k: n for k, n in after.days.items() if n}), before.counts.paths | after.paths)
    _add(connection, change)


def _add(connection: Connection, change: Counts) -> None:
    """Add `change` (counts that may be negative) to the stored tallies; a row counting nothing goes."""
    # The stored rows of the units and months changed are read, changed and written back whole.
    units = {key[2] for key in change.tally} | {key[2] for key in change.days}
    months = {key[3] for key in change.tally} | {key[3] for key in change.days}
    if not units:
        return
    slice_of = lambda table: (one_of(connection, table.c.unit_code, units), one_of(connection, table.c.month, months))  # noqa: E731
    stored = Counts(paths=dict(change.paths))
    for row in connection.execute(select(_tally).where(*slice_of(_tally))):
        stored.paths[row.unit_code] = row.unit_path
        for name in _TALLY_COUNTS:
            stored.tally[(row.kind, row.role, row.unit_code, row.month, name)] = row._mapping[name]
    for row in connection.execute(select(_day_tally).where(*slice_of(_day_tally))):
        stored.days[(row.kind, row.role, row.unit_code, row.month, row.day)] = row.met
    stored.tally.update(change.tally)  # Counter.update adds
    stored.days.update(change.days)
    if any(n < 0 for n in stored.tally.values()) or any(n < 0 for n in stored.days.values()):
        raise AssertionError(f"obligation tallies of {sorted(units)} would count below zero: they no longer match the obligation rows")
    connection.execute(delete(_tally).where(*slice_of(_tally)))
    connection.execute(delete(_day_tally).where(*slice_of(_day_tally)))
    tally_rows, day_rows = _tally_rows(stored)
    insert_rows(connection, _tally, tally_rows)
    insert_rows(connection, _day_tally, day_rows)


def deferred(connection: Connection) -> contextlib.AbstractContextManager[set[str]]:
    """For bulk writes on `connection`: count each touched unit once, at the end. Yields the
    units noted so far; a caller that will roll back empties it, to skip the counting."""
    return counted_at_end(connection, _PENDING, recount)


# ---- answering report totals ------------------------------------------------------


class TallyEngine(Engine):
    """Answers the totals of the monthly rules owed per pairing or link from the kept counts."""

    name = "tallies"

    def can_answer(self, question: Question, need: Need) -> str | None:
        window, rule = question.window, question.rule
        if need != TOTALS:
            return "the counts give totals only"
        if question.known_at is not None:
            return "the counts hold current knowledge only"
        if question.person_id is not None:
            return "the counts are kept per unit, not per official"
        if not question.by_relationship or not question.each_target or rule.period is not Period.month:
            return "the counts are kept for the monthly rules owed per pairing or link"
        if not window.whole_months:
            return "a period of the window is cut inside a month"
        if window.latest_closed is None or len(window.periods) < 2 or window.latest_closed != window.periods[-2]:
            return "the window has no latest closed month right before the current one"
        return None

    def totals(self, session: Session, question: Question) -> list[UnitCounts]:
        return totals(session, question)


def totals(session: Session, question: Question) -> list[tuple[str, dict[str, int], int]]:
    """(post's unit, instances by status, missed months), as the other engines count them."""
    window, rule = question.window, question.rule
    low, current = month_number(window.first), month_number(window.current.first)
    latest = current - 1
    t = _tally.c
    where = [t.kind == rule.targets.value, t.role.in_(sorted(question.roles)), Subtree.of(question.scope).clause(t.unit_path), t.month <= current]
    query = (
        select(t.unit_code, t.month, func.sum(t.starting), func.sum(t.ending), func.sum(t.visited), func.sum(t.visited_ending))
        .where(*where)
        .group_by(t.unit_code, t.month)
        .order_by(t.unit_code, t.month)
    )
    by_unit: dict[str, list[tuple[int, int, int, int, int]]] = defaultdict(list)
    for unit, month, starting, ending, visited, visited_ending in session.execute(query):
        by_unit[unit].append((month, int(starting), int(ending), int(visited), int(visited_ending)))
    d = _day_tally.c
    met_query = (
        select(d.unit_code, func.sum(d.met))
        .where(d.kind == rule.targets.value, d.month == current, d.day.between(1, window.as_of.day), d.role.in_(sorted(question.roles)), Subtree.of(question.scope).clause(d.unit_path))
        .group_by(d.unit_code)
    )
    met_by_day = {unit: int(met) for unit, met in session.execute(met_query)}
    found = []
    for unit, months in by_unit.items():
        counted = _statuses(months, low=low, latest=latest, current=current, met_now=met_by_day.get(unit, 0))
        if counted is not None:
            found.append((unit, *counted))
    return found


def _statuses(months, *, low: int, latest: int, current: int, met_now: int) -> tuple[dict[str, int], int] | None:
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
    overdue, met = owed[latest] - visited[latest], met_now
    # Rows owing the current month that are overdue: owing the latest month too, unvisited in it.
    overdue_owing_current = (owed[latest] - ending[latest]) - (visited[latest] - visited_ending[latest])
    due = owed[current] - overdue_owing_current - met
    return {OVERDUE: overdue, MET: met, DUE: due, NOT_OWED: instances - overdue - met - due}, missed


TALLIES = TallyEngine()
