"""Report totals and scorecard scores of the monthly relationship rules from counts kept per unit and month.

The city-wide overdue report counts every obligation instance by status. Deciding each
instance's status from its row (the relationship engine's totals) reads all 260,500 rows of a Huaihua-sized
city on every call; the counts below answer the same totals from a few thousand rows.
The scorecard's closed months owed and met per official come from the same counts kept per
official (`ObligationPersonTally`; see `scores`), with no row's owed and met bits to work out.

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
and the fallback (other rules, one official's totals, other windows); tests compare both.

The counts are a pure function of the obligation rows and their visit masks, kept by the
obligations projection: before it changes the rows of some posts, pairings or links, or
some masks, `read` notes what the rows concerned add to the counts; after it, `settle`
adds what those rows add now, less that. A bulk write instead counts each unit it touched
once, at its end (`deferred`); a replay counts them all (`rebuild`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, Table, and_, case, delete, func, literal, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from rules.schema import Period
from workflow.chunking import chunks
from workflow.db import counted_at_end, insert_rows, one_of, without_parallel_workers
from workflow.obligations.spec import DUE, MET, NOT_OWED, OVERDUE
from workflow.obligations.models import Obligation, ObligationDayTally, ObligationPersonYearTally, ObligationTally
from workflow.obligations.spec import month_number
from workflow.obligations.question import SCORES, TOTALS, Engine, Need, Question, UnitCounts
from workflow.org.places import Subtree
from workflow.visits.mask_rows import masks_of

_obligation = Obligation.__table__
_tally, _day_tally, _person_tally = ObligationTally.__table__, ObligationDayTally.__table__, ObligationPersonYearTally.__table__
_PENDING = "exit_tracker.tallies_pending"
_UNITS_AT_ONCE = 40  # units recounted per read: bounds the rows and masks held in memory


# ---- keeping the counts -----------------------------------------------------------

_ROW_COLUMNS = ("kind", "role", "unit_code", "unit_path", "person_id", "target_level", "target_id", "first_month", "last_month", "post_id", "source_id")


@dataclasses.dataclass(frozen=True)
class _Kept:
    """One table of counts: the `Counts` field it is kept from, its key columns (the post unit
    third, then the month or the year: `period`) and its count columns; its rows are the key,
    the unit's path and the counts, in that order."""

    table: Table
    field: str
    key: tuple[str, ...]
    counts: tuple[str, ...]

    @property
    def period(self) -> str:
        return self.key[-1] if self.key[-1] == "year" else "month"


_KEPT = (
    _Kept(_tally, "tally", ("kind", "role", "unit_code", "month"), ("starting", "ending", "visited", "visited_ending")),
    _Kept(_day_tally, "days", ("kind", "role", "unit_code", "month", "day"), ("met",)),
    _Kept(_person_tally, "persons", ("kind", "role", "unit_code", "person_id", "year"), tuple(column.name for column in _person_tally.columns)[6:]),
)


@dataclasses.dataclass
class Counts:
    """What some obligation rows add to the tallies: per kept table, (its key, count name) → n —
    (kind, role, unit, month, name), (kind, role, unit, month, day, "met"), (kind, role, unit,
    person, year, name: "starting", "ending", or one of them or "visited" with the month's
    number in the year, "visited_3") — and the path of each unit met."""

    tally: Counter = dataclasses.field(default_factory=Counter)
    days: Counter = dataclasses.field(default_factory=Counter)
    persons: Counter = dataclasses.field(default_factory=Counter)
    paths: dict[str, str] = dataclasses.field(default_factory=dict)

    def of(self, kept: _Kept) -> Counter:
        return getattr(self, kept.field)


def _counted(connection: Connection, rows) -> Counts:
    """What `rows` (obligation rows, `_ROW_COLUMNS`) add to the tallies, with their targets' visit masks."""
    masks = masks_of(connection, {(row.person_id, row.target_level, row.target_id) for row in rows})
    counts = Counts()
    for kind, role, unit_code, unit_path, person_id, target_level, target_id, first, last, *_ in rows:
        if last is not None and last < first:
            continue  # no whole month owed
        counts.paths[unit_code] = unit_path
        group, person = (kind, role, unit_code), (kind, role, unit_code, person_id)

        def add(month: int, name: str) -> None:
            counts.tally[(*group, month, name)] += 1
            if name != "visited_ending":  # the scorecard needs no more per official
                year, in_year = divmod(month, 12)
                counts.persons[(*person, year, f"{name}_{in_year + 1}")] += 1
                if name != "visited":
                    counts.persons[(*person, year, name)] += 1

        add(first, "starting")
        if last is not None:
            add(last, "ending")
        by_year = masks.get((person_id, target_level, target_id), {})
        visited = {year * 12 + month - 1: mask.first_day(month) for year, mask in by_year.items() for month in range(1, 13) if mask.month_mask >> (month - 1) & 1}
        for month, first_day in visited.items():
            if month < first or (last is not None and month > last):
                continue
            add(month, "visited")
            if month == last:
                add(month, "visited_ending")
            # Not overdue from the month before: that month was not owed, or was met.
            if month - 1 < first or month - 1 in visited:
                counts.days[(*group, month, first_day, "met")] += 1
    return counts


def _rows_of(kept: _Kept, counts: Counts) -> list[tuple]:
    """`counts` as rows of one kept table, in column order; a row counting nothing is left out."""
    values: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(kept.counts))
    position = {name: n for n, name in enumerate(kept.counts)}
    for (*key, name), n in counts.of(kept).items():
        values[tuple(key)][position[name]] += n
    return [(*key, counts.paths[key[2]], *found) for key, found in sorted(values.items()) if any(found)]


def _write(connection: Connection, counts: Counts) -> None:
    for kept in _KEPT:
        insert_rows(connection, kept.table, _rows_of(kept, counts))


def recount(connection: Connection, units: Iterable[str]) -> None:
    """Derive again the counts of these post units from their obligation rows and visit masks."""
    o = _obligation.c
    for part in chunks(sorted(set(units)), _UNITS_AT_ONCE):
        for kept in _KEPT:
            connection.execute(delete(kept.table).where(one_of(connection, kept.table.c.unit_code, part)))
        rows = connection.execute(select(*(o[name] for name in _ROW_COLUMNS)).where(one_of(connection, o.unit_code, part))).all()
        _write(connection, _counted(connection, rows))


def rebuild(connection: Connection) -> None:
    """Count every unit again from scratch."""
    for kept in _KEPT:
        connection.execute(delete(kept.table))
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
    change = Counts(paths=before.counts.paths | after.paths)
    for kept in _KEPT:
        counted = after.of(kept)
        counted.subtract(before.counts.of(kept))
        change.of(kept).update({key: n for key, n in counted.items() if n})
    _add(connection, change)


def _add(connection: Connection, change: Counts) -> None:
    """Add `change` (counts that may be negative) to the stored tallies; a row counting nothing goes."""
    # The stored rows of the units and months (or years) changed, and of the officials changed
    # in the counts per official, are read, changed and written back whole.
    keys = [(kept, key) for kept in _KEPT for key in change.of(kept)]
    units = {key[2] for _, key in keys}
    periods = {kept.period: {key[kept.key.index(kept.period)] for found, key in keys if found.period == kept.period} for kept in _KEPT}
    persons = {key[3] for kept, key in keys if "person_id" in kept.key}
    if not units:
        return

    def slice_of(kept: _Kept) -> list[ColumnElement]:
        where = [one_of(connection, kept.table.c.unit_code, units), one_of(connection, kept.table.c[kept.period], periods[kept.period])]
        return [*where, one_of(connection, kept.table.c.person_id, persons)] if "person_id" in kept.key else where

    stored = Counts(paths=dict(change.paths))
    for kept in _KEPT:
        counted = stored.of(kept)
        for row in connection.execute(select(kept.table).where(*slice_of(kept))):
            stored.paths[row.unit_code] = row.unit_path
            key = tuple(row._mapping[column] for column in kept.key)
            for name in kept.counts:
                counted[(*key, name)] = row._mapping[name]
        counted.update(change.of(kept))  # Counter.update adds
        if any(n < 0 for n in counted.values()):
            raise AssertionError(f"obligation tallies of {sorted(units)} would count below zero: they no longer match the obligation rows")
    for kept in _KEPT:
        connection.execute(delete(kept.table).where(*slice_of(kept)))
    _write(connection, stored)


def deferred(connection: Connection) -> contextlib.AbstractContextManager[set[str]]:
    """For bulk writes on `connection`: count each touched unit once, at the end. Yields the
    units noted so far; a caller that will roll back empties it, to skip the counting."""
    return counted_at_end(connection, _PENDING, recount)


# ---- answering report totals and scores -------------------------------------------


class TallyEngine(Engine):
    """Answers the totals and the scores of the monthly rules owed per pairing or link from the kept counts."""

    name = "tallies"

    def can_answer(self, question: Question, need: Need) -> str | None:
        window, rule = question.window, question.rule
        if need not in (TOTALS, SCORES):
            return "the counts give totals and scores only"
        if question.known_at is not None:
            return "the counts hold current knowledge only"
        if question.person_id is not None and need == TOTALS:
            return "the counts of statuses are kept per unit, not per official"
        if not question.by_relationship or not question.each_target or rule.period is not Period.month:
            return "the counts are kept for the monthly rules owed per pairing or link"
        if not window.whole_months:
            return "a period of the window is cut inside a month"
        if window.latest_closed is None or len(window.periods) < 2 or window.latest_closed != window.periods[-2]:
            return "the window has no latest closed month right before the current one"
        return None

    def totals(self, session: Session, question: Question) -> list[UnitCounts]:
        return totals(session, question)

    def scores(self, session: Session, question: Question) -> list[tuple[str, int, int]]:
        return scores(session, question)


def _asked(table: Table, question: Question) -> list[ColumnElement]:
    """The counts of `table` that `question` asks about: its rule's kind, its roles, its subtree."""
    return [table.c.kind == question.rule.targets.value, table.c.role.in_(sorted(question.roles)), Subtree.of(question.scope).clause(table.c.unit_path)]


def totals(session: Session, question: Question) -> list[tuple[str, dict[str, int], int]]:
    """(post's unit, instances by status, missed months), as the other engines count them."""
    window = question.window
    low, current = month_number(window.first), month_number(window.current.first)
    latest = current - 1
    t = _tally.c
    query = (
        select(t.unit_code, t.month, func.sum(t.starting), func.sum(t.ending), func.sum(t.visited), func.sum(t.visited_ending))
        .where(*_asked(_tally, question), t.month <= current)
        .group_by(t.unit_code, t.month)
        .order_by(t.unit_code, t.month)
    )
    by_unit: dict[str, list[tuple[int, int, int, int, int]]] = defaultdict(list)
    for unit, month, starting, ending, visited, visited_ending in session.execute(query):
        by_unit[unit].append((month, int(starting), int(ending), int(visited), int(visited_ending)))
    d = _day_tally.c
    met_query = select(d.unit_code, func.sum(d.met)).where(*_asked(_day_tally, question), d.month == current, d.day.between(1, window.as_of.day)).group_by(d.unit_code)
    met_by_day = {unit: int(met) for unit, met in session.execute(met_query)}
    found = []
    for unit, months in by_unit.items():
        counted = _statuses(months, low=low, latest=latest, current=current, met_now=met_by_day.get(unit, 0))
        if counted is not None:
            found.append((unit, *counted))
    return found


def scores(session: Session, question: Question) -> list[tuple[str, int, int]]:
    """(official, closed months owed, closed months met) summed over the rows owing a month of
    the window, as the relationship engine sums them; one who owes no closed month yet scores (0, 0).

    With a = the window's first month and b = the latest closed one, a row owing months s..e owes
    the months max(a, s)..min(b, e): the months from max(a, s) to b, less those from max(a, e + 1)
    to b. Summed over the rows, by the month m they start and the month they end in:

        owed = Σ starting(m) · months(max(a, m)..b) − Σ ending(m) · months(max(a, m + 1)..b)
             = Σ over m < a       (starting(m) − ending(m)) · (b − a + 1)
             + Σ over a <= m <= b starting(m) · (b − m + 1) − ending(m) · (b − m)
        met  = Σ visited(m) over a..b

    An official's counts are kept per year, a column per month: the years before the window's
    first count by their totals, each year of the window by its months' columns, each with its
    own factor (`by_year` below).
    """
    window = question.window
    low, current = month_number(window.first), month_number(window.current.first)
    latest, span = current - 1, current - month_number(window.first)  # the latest closed month; months a..b
    p = _person_tally.c

    def of(name: str, months: Iterable[int], factor) -> list[tuple[int, ColumnElement]]:
        return [(factor(month), p[f"{name}_{month % 12 + 1}"]) for month in months]

    def by_year(terms, before: ColumnElement | None = None) -> ColumnElement:
        """The sum over the rows of `before` for the years before the window's first, and of
        `terms(months of the year)` (factor, column) for each year of the window. A sum of
        starting and ending counts (`before` given) skips the years none start or end in: most
        rows count only an official's visits."""
        years = range(low // 12, current // 12 + 1)
        each = [(p.year == year, _linear(terms(range(year * 12, year * 12 + 12)))) for year in years]
        if before is None:
            return func.sum(case((p.year < years[0], 0), *each, else_=0))
        return func.sum(case((and_(p.starting == 0, p.ending == 0), 0), (p.year < years[0], before), *each, else_=0))

    owed = by_year(
        lambda months: of("starting", [m for m in months if m <= latest], lambda m: span if m < low else latest - m + 1)
        + of("ending", [m for m in months if m <= latest], lambda m: -span if m < low else m - latest),
        (p.starting - p.ending) * span,
    )
    met = by_year(lambda months: of("visited", [m for m in months if low <= m <= latest], lambda m: 1))
    # The rows starting by the current month less those ending before the window: those owing some month of it.
    owing = by_year(
        lambda months: of("starting", [m for m in months if m <= current], lambda m: 1) + of("ending", [m for m in months if m < low], lambda m: -1),
        p.starting - p.ending,
    )
    where = [*_asked(_person_tally, question), p.year <= current // 12]
    if question.person_id is not None:
        where.append(p.person_id == question.person_id)
    # Both engines stream the groups in the key's order, by post unit and official (an official's
    # posts at several units are summed below), where grouping by official alone sorted or hashed
    # the rows first (PostgreSQL's hash spilled to disk); PostgreSQL only without parallel workers.
    query = select(p.person_id, owed, met).where(*where).group_by(p.unit_path, p.person_id).having(owing > 0)
    with without_parallel_workers(session):
        rows = session.execute(query).all()  # at once: a city's officials one by one cost 0.1 s more
    if len({row[0] for row in rows}) == len(rows):  # each official's posts at one unit: nothing to sum
        return list(map(tuple, rows))
    found: dict[str, tuple[int, int]] = {}
    for person, person_owed, person_met in rows:
        if person in found:
            person_owed, person_met = found[person][0] + person_owed, found[person][1] + person_met
        found[person] = (int(person_owed), int(person_met))
    return [(person, owed, met) for person, (owed, met) in found.items()]


def _linear(terms: list[tuple[int, ColumnElement]]) -> ColumnElement:
    """Σ factor · column over `terms`, leaving out the factors of 0."""
    kept = [column if factor == 1 else column * factor for factor, column in terms if factor]
    return functools.reduce(operator.add, kept) if kept else literal(0)


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
