"""The evaluation of rules owed per target (V1, V3, V4, V6, V7) over whole months, from the projections.

Paired and linked rules (V7, V3) are evaluated in SQL. They read the `Obligation` table
alone while the report's years are still in its copied masks (this year and last), and join
`VisitMask` by year otherwise. A status is decided in SQL from cheap tests of the latest
closed and the current period, so filtering by status, the totals and the scorecard never
leave the database.

Jurisdiction rules (V1, V4, V6) have no rows of their own: an instance is a post and a
target below its unit. The database reads what an index finds (the targets of the units
below the posts with the periods they were poor in, one query; the periods each holder
visited each target in, one query); Python pairs them, decides the statuses
(`evaluate.judged`), counts and orders them. One look at the instances serves both a
report's page and its totals (`rows_and_totals`).

Each returned row is built by the same Python function (`evaluate.row_from_bits`) the
general evaluation uses, from its owed and met bits.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from sqlalchemy import BigInteger, Integer, String, and_, case, cast, func, literal, literal_column, not_, null, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from rules.schema import Period, TargetCount, TargetSet
from workflow import rulebook
from workflow.chunking import chunks
from workflow.db import one_of
from workflow.obligations.evaluate import MET, NOT_OWED, OVERDUE, ObligationRow, PostRef, covers, judged, row_from_bits, status_while_open, unit_order
from workflow.visits.mask_rows import masks_of
from workflow.obligations.models import Obligation
from workflow.obligations.periods import Window, month_end, month_number
from workflow.obligations.sources import REGISTRY_OF_LEVEL, DaySource, Selection, Target, names, rule_posts, targets_by_unit
from workflow.org.places import in_subtree
from workflow.obligations.visitdays import MaskDays, Undecidable, VisitDays
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell
from workflow.visits.masks import DAY_BITS, DAY_FIELD, YearMask
from workflow.visits.models import VisitMask

_o = Obligation.__table__
_mask = VisitMask.__table__


def applies(selection: Selection) -> bool:
    """Whether the selection's rule can be evaluated here (the caller handles `known_at`)."""
    return selection.rule.count is TargetCount.each and selection.window.whole_months


# ---- SQL building blocks ------------------------------------------------------------


def n(value: int) -> ColumnElement:
    """An integer constant written into the SQL as a BIGINT, so shifts never overflow."""
    return literal_column(f"CAST({int(value)} AS BIGINT)", BigInteger)


def shl(value: ColumnElement, places: ColumnElement | int) -> ColumnElement:
    """`value` << `places`; PostgreSQL shifts a BIGINT by an INTEGER count only."""
    return value.bitwise_lshift(_count(places))


def shr(value: ColumnElement, places: ColumnElement | int) -> ColumnElement:
    return value.bitwise_rshift(_count(places))


def _count(places: ColumnElement | int) -> ColumnElement:
    return literal_column(str(int(places)), Integer) if isinstance(places, int) else cast(places, Integer)


class popcount(FunctionElement):  # noqa: N801  (used like a SQL function)
    """The number of set bits of a non-negative BIGINT: PostgreSQL's bit_count, a function
    `workflow.db` gives each SQLite connection."""

    type = BigInteger()
    inherit_cache = True


@compiles(popcount, "postgresql")
def _popcount_postgresql(element, compiler, **kw):
    return f"bit_count(CAST({compiler.process(element.clauses, **kw)} AS BIT(64)))"


@compiles(popcount, "sqlite")
def _popcount_sqlite(element, compiler, **kw):
    return f"popcount({compiler.process(element.clauses, **kw)})"


class greatest(FunctionElement):  # noqa: N801
    """The larger of two non-null values (SQLite spells it max, PostgreSQL GREATEST)."""

    type = BigInteger()
    inherit_cache = True


class least(FunctionElement):  # noqa: N801
    """The smaller of two non-null values (SQLite spells it min, PostgreSQL LEAST)."""

    type = BigInteger()
    inherit_cache = True


@compiles(greatest)
@compiles(least)
def _extreme(element, compiler, **kw):
    sqlite = compiler.dialect.name == "sqlite"
    name = ("max" if sqlite else "GREATEST") if isinstance(element, greatest) else ("min" if sqlite else "LEAST")
    return f"{name}({compiler.process(element.clauses, **kw)})"


def _bits(tests: Iterable[ColumnElement]) -> ColumnElement:
    """A mask with bit i set where the i-th test holds."""
    return sum((case((test, n(1 << i)), else_=n(0)) for i, test in enumerate(tests)), n(0))


@dataclasses.dataclass(frozen=True)
class _Masks:
    """SQL for the masks of the as_of year and the year before, and the FROM clause they need."""

    source: object
    this_year: tuple[ColumnElement, ColumnElement, ColumnElement]  # month_mask, first_days, last_days
    year_before: tuple[ColumnElement, ColumnElement, ColumnElement] | None


def _needs_year_before(window: Window) -> bool:
    return month_number(window.first) < window.as_of.year * 12


def _joined_masks(source, window: Window, person, level, target) -> _Masks:
    """`source` left-joined to the person's `VisitMask` rows for the target, this year and last."""
    year = window.as_of.year

    def join(alias, mask_year):
        return and_(alias.c.person_id == person, alias.c.target_level == level, alias.c.target_id == target, alias.c.year == mask_year)

    this, before = _mask.alias("this_year"), _mask.alias("year_before")
    source = source.outerjoin(this, join(this, year))
    if _needs_year_before(window):
        source = source.outerjoin(before, join(before, year - 1))
    columns = lambda alias: tuple(func.coalesce(alias.c[name], n(0)) for name in ("month_mask", "first_days", "last_days"))  # noqa: E731
    return _Masks(source, columns(this), columns(before) if _needs_year_before(window) else None)


def _copied_masks(window: Window) -> _Masks | None:
    """The masks copied into `Obligation` rows, when they hold the years the window needs."""
    year, this_year_now = window.as_of.year, rulebook.today().year
    # No visit lies in the future, so no row's newest mask year passes this year: the copies
    # hold `year` while year + 1 >= this year, and the year before while year >= this year.
    if year < this_year_now - 1 or (_needs_year_before(window) and year < this_year_now):
        return None
    pairs = ((_o.c.month_mask, _o.c.prev_month_mask), (_o.c.first_days, _o.c.prev_first_days), (_o.c.last_days, _o.c.prev_last_days))

    def pick(for_year):
        return tuple(case((_o.c.mask_year == for_year, newest), (_o.c.mask_year == for_year + 1, before), else_=n(0)) for newest, before in pairs)

    return _Masks(_o, pick(year), pick(year - 1) if _needs_year_before(window) else None)


def _met_months(window: Window, masks: _Masks) -> ColumnElement:
    """Months with a visit up to as_of, as bits from the window's first month; as_of's month up to its day."""
    as_of, year, low = window.as_of, window.as_of.year, month_number(window.first)
    month_mask, first_days, _ = masks.this_year
    # A window starting after January (a rule book in force from mid-year) shifts this year's
    # mask right: PostgreSQL does not read a negative left shift as one, SQLite does.
    met = shl(month_mask, year * 12 - low) if year * 12 >= low else shr(month_mask, low - year * 12)
    if masks.year_before is not None:
        met = met.bitwise_or(shr(masks.year_before[0], low - (year - 1) * 12))
    at = month_number(as_of) - low
    if as_of == month_end(as_of):
        return met.bitwise_and(n((1 << (at + 1)) - 1))
    return met.bitwise_and(n((1 << at) - 1)).bitwise_or(case((_visited_in_as_of_month(window, first_days), n(1 << at)), else_=n(0)))


def _visited_in_as_of_month(window: Window, first_days: ColumnElement) -> ColumnElement:
    """Whether the first visit of as_of's month fell on or before as_of."""
    first_day = shr(first_days, DAY_BITS * (window.as_of.month - 1)).bitwise_and(n(DAY_FIELD))
    return first_day.between(1, window.as_of.day)


def _met_in(window: Window, masks: _Masks, period) -> ColumnElement:
    """Whether a visit fell in the part of `period` up to as_of (cheaper than building every month's bit)."""
    as_of, year = window.as_of, window.as_of.year
    upto = min(month_number(period.last), month_number(as_of))
    whole = [m for m in period.months if m < upto or (m == upto and (as_of == month_end(as_of) or upto < month_number(as_of)))]
    tests = []
    for mask, mask_year in ((masks.this_year[0], year), (masks.year_before[0] if masks.year_before is not None else None, year - 1)):
        bits = sum(1 << (m - mask_year * 12) for m in whole if mask_year * 12 <= m < mask_year * 12 + 12)
        if bits and mask is not None:
            tests.append(mask.bitwise_and(n(bits)) != n(0))
    if upto == month_number(as_of) and as_of != month_end(as_of) and month_number(as_of) in period.months:
        tests.append(_visited_in_as_of_month(window, masks.this_year[1]))
    return or_(*tests) if tests else literal(False)


def _period_months(window: Window) -> list[int]:
    low = month_number(window.first)
    return [sum(1 << (m - low) for m in period.months) for period in window.periods]


def _mask_columns(masks: _Masks) -> list[ColumnElement]:
    return [
        *(expression.label(name) for expression, name in zip(masks.this_year, ("m0", "f0", "l0"))),
        *(expression.label(name) for expression, name in zip(masks.year_before or (n(0),) * 3, ("m1", "f1", "l1"))),
    ]


@dataclasses.dataclass(frozen=True)
class _Rows:
    """Paired or linked instances as SQL: what to select from, and per-period tests.

    `owed(i)` and `met(i)` decide a status cheaply for the few periods a status looks at;
    `owed_bits` and `met_bits` spell out every period, for the rows a report returns.
    """

    source: object
    where: list[ColumnElement]
    keys: list[ColumnElement]
    owes_any: ColumnElement
    owed: Callable[[int], ColumnElement]
    met: Callable[[int], ColumnElement]
    owed_bits: ColumnElement
    met_bits: ColumnElement
    counts: ColumnElement
    masks: _Masks
    unit_order: ColumnElement  # groups the rows by post unit, in the order of an index


def _relationship_rows(selection: Selection, units: ColumnElement | None = None) -> _Rows:
    """Paired or linked rows: owed where post and relationship cover a period, met by the masks.
    `units`, a test of `Obligation.unit_path` narrower than the scope, replaces the scope's."""
    window, rule = selection.window, selection.rule
    low, high = month_number(window.first), month_number(window.current.last)
    masks = _copied_masks(window) or _joined_masks(_o, window, _o.c.person_id, _o.c.target_level, _o.c.target_id)
    first = greatest(_o.c.first_month, n(low))
    last = least(func.coalesce(_o.c.last_month, n(high)), n(high))
    # Bits first - low .. last - low: none when last < first (every shift count kept >= 0).
    owed_months = greatest(n(0), shl(n(1), greatest(last - low + 1, n(0))) - shl(n(1), first - low))
    met_months = _met_months(window, masks)
    if rule.period is Period.month:
        owed_bits, met_bits = owed_months, met_months
    else:  # a period is owed when all its months are, met when any of its months is
        owed_bits = _bits(owed_months.bitwise_and(n(bits)) == n(bits) for bits in _period_months(window))
        met_bits = _bits(met_months.bitwise_and(n(bits)) != n(0) for bits in _period_months(window))

    def owed(i):
        period = window.periods[i]
        return and_(_o.c.first_month <= month_number(period.first), or_(_o.c.last_month.is_(None), _o.c.last_month >= month_number(period.last)))

    where = [
        _o.c.kind == rule.targets.value,
        _o.c.role.in_(sorted(selection.roles)),
        in_subtree(_o.c.unit_path, selection.scope) if units is None else units,
        _o.c.start_date <= window.current.last,
        or_(_o.c.end_date.is_(None), _o.c.end_date >= window.first),
    ]
    if selection.person_id is not None:
        where.append(_o.c.person_id == selection.person_id)
    keys = [_o.c.post_id, _o.c.person_id, _o.c.role, _o.c.unit_code, _o.c.township_code, _o.c.county_code, _o.c.target_level, _o.c.target_id, _o.c.source_id]
    # Some whole month owed is enough for a monthly rule; a longer period needs all of its months.
    owes_any = last >= first if rule.period is Period.month else or_(*(owed(i) for i in range(len(window.periods))))
    return _Rows(
        masks.source, where, keys, owes_any=owes_any, owed=owed, met=lambda i: _met_in(window, masks, window.periods[i]),
        owed_bits=owed_bits, met_bits=met_bits, counts=n((1 << len(window.periods)) - 1), masks=masks, unit_order=_o.c.unit_path,
    )


# ---- jurisdiction rules (V1, V4, V6): instances put together in Python ----------------


# An instance: (post, target id, owed, met, counts) — the periods the post covers whole in
# which the target was poor, those with a visit by the post's holder up to as_of, and those
# in which the target was poor. A plain tuple: a city has half a million of them.
_Instance = tuple[PostRef, str, int, int, int]


def _anchors(session: Session, selection: Selection, unit_codes: set[str]) -> dict[str, list[str]]:
    """The units of the rule's target level below each of `unit_codes` (for household targets, the villages)."""
    level = "village" if selection.rule.target_level.value == "household" else selection.rule.target_level.value
    query = select(OrgUnit.code, OrgUnit.path).where(OrgUnit.level == level, in_subtree(OrgUnit.path, selection.scope))
    units = [Target(code, path, ()) for code, path in session.execute(query)]
    return {code: [unit.id for unit in below] for code, below in targets_by_unit(units, unit_codes).items()}


def _poor_targets(session: Session, selection: Selection, anchors: set[str]) -> dict[str, list[tuple[str, int]]]:
    """For each anchor unit, (target, periods it was poor in) of the targets there poor in some period of the window."""
    window, level = selection.window, selection.rule.target_level.value
    if level == "household":
        subject, anchor = Household.__table__.c.id, Household.__table__.c.village_code
    else:
        subject = anchor = OrgUnit.__table__.c.code
    spell = RegistrySpell.__table__
    overlaps = lambda first, last: and_(spell.c.registered_on <= last, or_(spell.c.exited_on.is_(None), spell.c.exited_on >= first))  # noqa: E731
    # A subquery per target rather than a join: each target's spells are then found by index,
    # where a join may be planned as a scan of every spell in the province.
    poor_bits = (
        select(func.coalesce(sum((func.max(case((overlaps(first, last), n(1 << i)), else_=n(0))) for i, (first, last) in enumerate(window.seen_parts)), n(0)), n(0)))
        .where(spell.c.kind == REGISTRY_OF_LEVEL[level], spell.c.subject_id == subject)
        .scalar_subquery()
    )
    connection, found = session.connection(), defaultdict(list)
    for part in chunks(sorted(anchors)):
        for anchor_code, target_id, bits in connection.execute(select(anchor, subject, poor_bits).where(one_of(connection, anchor, part))):
            if bits:
                found[anchor_code].append((target_id, int(bits)))
    return found


def _met_periods(session: Session, selection: Selection, persons: set[str]) -> dict[tuple[str, str], int]:
    """(person, target) → the periods of the window in which the person visited the target, up to as_of."""
    window, year = selection.window, selection.window.as_of.year
    m = _mask.c

    def of_year(mask_year):  # a mask row's columns when it is of `mask_year`, else 0
        return tuple(case((m.year == mask_year, m[name]), else_=n(0)) for name in ("month_mask", "first_days", "last_days"))

    before = _needs_year_before(window)
    # Each row adds its own year's months, which no other row of the target has: a sum is their union.
    months = cast(func.sum(_met_months(window, _Masks(_mask, of_year(year), of_year(year - 1) if before else None))), BigInteger)
    met = _bits(months.bitwise_and(n(bits)) != n(0) for bits in _period_months(window))
    connection, found = session.connection(), {}
    for part in chunks(sorted(persons)):
        query = (
            select(m.person_id, m.target_id, met)
            .where(one_of(connection, m.person_id, part), m.target_level == selection.rule.target_level.value, m.year.in_([year - 1, year] if before else [year]))
            .group_by(m.person_id, m.target_id)
        )
        found.update(((person, target), int(bits)) for person, target, bits in connection.execute(query) if bits)
    return found


def _jurisdiction_instances(session: Session, selection: Selection) -> Iterator[_Instance]:
    """Each post × each target below its unit that owes some period: owed where the post covers
    a period whole and the target was poor in it (SPEC §3).

    The database answers what is read by index (the targets' poor periods, the holders' masks);
    which unit lies below which post is settled from the paths, and the pairs made here.
    """
    window = selection.window
    posts = rule_posts(session, selection)
    if not posts:
        return
    anchors = _anchors(session, selection, {post.unit_code for post, _ in posts})
    targets = _poor_targets(session, selection, {code for below in anchors.values() for code in below})
    met = _met_periods(session, selection, {post.person_id for post, _ in posts})
    for post, span in posts:
        covered = sum(1 << i for i, period in enumerate(window.periods) if covers(span, period))
        if not covered:
            continue
        for anchor in anchors.get(post.unit_code, ()):
            for target_id, poor in targets.get(anchor, ()):
                if owed := covered & poor:
                    yield post, target_id, owed, met.get((post.person_id, target_id), 0), poor


def _by_jurisdiction(selection: Selection) -> bool:
    return selection.rule.targets not in (TargetSet.paired, TargetSet.linked)


def _overdue_and_open_status(selection: Selection, rows: _Rows) -> tuple[ColumnElement | None, str]:
    window = selection.window
    overdue = None
    if window.latest_closed is not None:
        latest = window.periods.index(window.latest_closed)
        overdue = and_(rows.owed(latest), not_(rows.met(latest)))
    return overdue, status_while_open(selection.rule)


def _status_tests(selection: Selection, rows: _Rows) -> dict[str, ColumnElement]:
    """For each status, a test for it standing alone, deciding as `evaluate.judged` does."""
    current = len(selection.window.periods) - 1
    overdue, open_status = _overdue_and_open_status(selection, rows)
    not_overdue = not_(overdue) if overdue is not None else literal(True)
    owed_now, met_now = rows.owed(current), rows.met(current)
    return {
        OVERDUE: overdue if overdue is not None else literal(False),
        NOT_OWED: and_(not_overdue, not_(owed_now)),
        MET: and_(not_overdue, owed_now, met_now),
        open_status: and_(not_overdue, owed_now, not_(met_now)),
    }


def _status_filter(selection: Selection, rows: _Rows, statuses: Iterable[str]) -> ColumnElement:
    """A WHERE clause keeping rows with one of `statuses`: just the tests asked for, not the whole CASE."""
    tests = _status_tests(selection, rows)
    return or_(*(tests[status] for status in sorted(statuses) if status in tests), literal(False))


# ---- what reports ask -------------------------------------------------------------


def _last_visit(window: Window, days: VisitDays, counts: int):
    # The latest visit in a period in which the target counted; periods run back to back.
    for i in reversed(range(len(window.periods))):
        if counts >> i & 1:
            day = days.last_in(*window.seen_parts[i])
            if day is not None:
                return day
    return None


def _report_order(keys: list[ColumnElement], person_name: ColumnElement, dialect: str) -> list[ColumnElement]:
    """The report's row order (`reports._sort`) in SQL: code point order, a missing value first."""

    def text(column):
        column = column.element if isinstance(column, Label) else column  # order by the expression, not its name
        return column.collate("C") if dialect == "postgresql" else column  # SQLite compares bytes already

    post_id, person_id, _, unit, township, county, _, target_id, _ = keys
    return [text(county).nulls_first(), text(township).nulls_first(), text(unit), text(person_name).nulls_first(), text(person_id), text(target_id), text(post_id)]


class _Found(NamedTuple):
    """An instance as read for its report row: bits, and the masks its last visit comes from."""

    post: PostRef
    target_level: str
    target_id: str
    source_id: str | None
    owed: int
    met: int
    counts: int
    masks: dict[int, YearMask]
    person_name: str | None
    target_name: str | None


def _built(session: Session, selection: Selection, found: Iterable[_Found]) -> list[ObligationRow]:
    """The report rows of `found`, each built by `evaluate.row_from_bits`, with its last visit."""
    window = selection.window
    start, as_of, every_period = window.first, window.as_of, (1 << len(window.periods)) - 1
    result, unsure = [], []
    for post, target_level, target_id, source_id, owed, met, counts, masks, person_name, target_name in found:
        try:
            if not masks:
                last_visit = None
            elif counts == every_period:  # the target counted throughout: one look back from as_of
                last_visit = MaskDays(masks).last_in(start, as_of)
            else:
                last_visit = _last_visit(window, MaskDays(masks), counts)
        except Undecidable:
            last_visit = None
            unsure.append((len(result), counts))
        row = row_from_bits(window, post, owed=owed, met=met, last_visit_on=last_visit, target_level=target_level, target_id=target_id, source_id=source_id)
        row.person_name, row.target_name = person_name, target_name
        result.append(row)
    if unsure:
        # Several visits in as_of's month on both sides of as_of: the latest one up to it comes from the visits.
        exact = DaySource(session, persons={result[i].person_id for i, _ in unsure}, level=selection.rule.target_level.value, window=window)
        for i, counts in unsure:
            result[i].last_visit_on = _last_visit(window, exact.days(result[i].person_id, result[i].target_id), counts)
    return result


def _pairs(instances: Iterable[_Instance]) -> Counter:
    """How many instances each post has with each (owed, met) pair. A post's instances mostly
    share their pairs, so a judgement per key (`evaluate.judged`) serves them all."""
    return Counter((post, owed, met) for post, _, owed, met, _ in instances)


def _jurisdiction_totals(selection: Selection, pairs: Counter) -> list[tuple[str, dict[str, int], int]]:
    by_unit: dict[str, Counter] = defaultdict(Counter)
    missed_by_unit: Counter = Counter()
    for (post, owed, met), count in pairs.items():
        status, _, _, missed = judged(selection.window, owed, met)
        by_unit[post.unit_code][status] += count
        missed_by_unit[post.unit_code] += missed.bit_count() * count
    return [(unit, dict(by_status), missed_by_unit[unit]) for unit, by_status in by_unit.items()]


def _jurisdiction_scores(selection: Selection, pairs: Counter) -> list[tuple[str, int, int]]:
    owed_by: Counter = Counter()
    met_by: Counter = Counter()
    for (post, owed, met), count in pairs.items():
        _, _, owed_closed, _ = judged(selection.window, owed, met)
        owed_by[post.person_id] += owed_closed.bit_count() * count
        met_by[post.person_id] += (owed_closed & met).bit_count() * count
    return [(person, owed_by[person], met_by[person]) for person in owed_by]


def _jurisdiction_rows(session: Session, selection: Selection, instances: list[_Instance], pairs: Counter, statuses, first: int | None) -> list[ObligationRow]:
    window, level = selection.window, selection.rule.target_level.value
    if statuses is not None:
        kept_pairs = {(owed, met) for _, owed, met in pairs if judged(window, owed, met)[0] in statuses}
        instances = [instance for instance in instances if (instance[2], instance[3]) in kept_pairs]
    posts = {post for post, _, _ in pairs}
    person_names = names(session, "person", {post.person_id for post in posts})
    if first is not None:
        # The report's order (`reports._sort` within one rule; a missing code or name first): by
        # the post's place and holder, then by target and post. There are few holders, and only
        # the first ones' instances are sorted.
        holder_of = {post: (*unit_order(post.county_code, post.township_code, post.unit_code), person_names.get(post.person_id) or "", post.person_id) for post in posts}
        by_holder: dict[tuple, list[_Instance]] = defaultdict(list)
        for instance in instances:
            by_holder[holder_of[instance[0]]].append(instance)
        instances = []
        for holder in sorted(by_holder):
            if len(instances) >= first:
                break
            instances += sorted(by_holder[holder], key=lambda instance: (instance[1], instance[0].post_id))
        del instances[first:]
    masks = masks_of(session.connection(), {(post.person_id, level, target_id) for post, target_id, *_ in instances})
    return _built(session, selection, (
        _Found(post, level, target_id, None, owed, met, counts, masks.get((post.person_id, level, target_id), {}), person_names.get(post.person_id), None)
        for post, target_id, owed, met, counts in instances
    ))


def rows_and_totals(session: Session, selection: Selection, statuses: Iterable[str] | None, first: int | None):
    """`rows` and `totals` of the selection; a jurisdiction rule's instances are looked at once for both."""
    if _by_jurisdiction(selection):
        instances = list(_jurisdiction_instances(session, selection))
        pairs = _pairs(instances)
        return _jurisdiction_rows(session, selection, instances, pairs, statuses, first), _jurisdiction_totals(selection, pairs)
    return rows(session, selection, statuses, first=first), totals(session, selection)


def rows(
    session: Session, selection: Selection, statuses: Iterable[str] | None = None, *, first: int | None = None, unit_paths: Iterable[str] | None = None,
) -> list[ObligationRow]:
    """The report rows of the selection, only those with one of `statuses` when given, with the
    officials' names; with `first`, only the first rows in the report's order. Target names are
    left to the caller, except for paired and linked rows built whole. `unit_paths` (units of the
    scope) keeps the rows of posts at those units alone; jurisdiction rules, whose instances are
    all looked at anyway, take no notice of it."""
    if _by_jurisdiction(selection):
        instances = list(_jurisdiction_instances(session, selection))
        return _jurisdiction_rows(session, selection, instances, _pairs(instances), statuses, first)
    if unit_paths is not None:
        unit_paths = sorted(set(unit_paths))
        if not unit_paths:
            return []
    of = _relationship_rows(selection, None if unit_paths is None else one_of(session.connection(), _o.c.unit_path, unit_paths))
    level = selection.rule.target_level.value
    person = Person.__table__
    if level == "household":
        named = Household.__table__.alias("named")
        named_key, name = named.c.id, named.c.head_name
    else:
        named = OrgUnit.__table__.alias("named")
        named_key, name = named.c.code, named.c.name
    filters = list(of.where)
    if statuses is not None:
        filters.append(_status_filter(selection, of, statuses))
    if statuses is None or NOT_OWED in statuses:
        # Every other status owes the latest closed or the current period, so owes something.
        filters.append(of.owes_any)
    # Joined after the filters: only the returned rows look their names up. The person's name
    # orders the rows; a page's few target names are looked up after it is cut.
    source = of.source.outerjoin(person, person.c.id == of.keys[1])
    if first is None:
        source = source.outerjoin(named, named_key == of.keys[7])
    else:
        name = cast(null(), String)
        order = _report_order(of.keys, person.c.name, session.get_bind().dialect.name)
        # The page's rows picked by their keys first: bits and masks are then worked out for them alone.
        page = select(_o.c.post_id, _o.c.source_id).select_from(source).where(*filters).order_by(*order).limit(first).subquery("page")
        source = page.join(source, and_(_o.c.post_id == page.c.post_id, _o.c.source_id == page.c.source_id))
        filters = []
    query = select(*of.keys, of.owed_bits, of.met_bits, of.counts, *_mask_columns(of.masks), person.c.name, name).select_from(source).where(*filters)
    year = selection.window.as_of.year

    def found(row):
        post_id, person_id, role, unit, township, county, target_level, target_id, source_id, owed, met, counts, m0, f0, l0, m1, f1, l1, person_name, target_name = row
        masks = {}
        if m0:
            masks[year] = YearMask(m0, f0, l0)
        if m1:
            masks[year - 1] = YearMask(m1, f1, l1)
        return _Found(PostRef(post_id, person_id, role, unit, township, county), target_level, target_id, source_id, owed, met, counts, masks, person_name, target_name)

    return _built(session, selection, map(found, session.execute(query)))


_FIELD = 21  # bits per packed count in `totals`: up to 2,097,151 instances of one status per unit


def totals(session: Session, selection: Selection) -> list[tuple[str, dict[str, int], int]]:
    """(post's unit, instances by status, missed periods) for the selection; the caller places units in townships and counties.

    One pass in the order of `_Rows.unit_order`, so the database streams the units without
    sorting the instances. Each instance's status is decided once, by one CASE, whose value
    adds 1 to the overdue count, 1 << 21 to the met count or 1 << 42 to the open status's
    count of a single SUM; what remains of the unit's count is not owed.
    """
    if _by_jurisdiction(selection):
        return _jurisdiction_totals(selection, _pairs(_jurisdiction_instances(session, selection)))
    of = _relationship_rows(selection)
    current = len(selection.window.periods) - 1
    overdue, open_status = _overdue_and_open_status(selection, of)
    statuses = (OVERDUE, MET, open_status)
    # In the order `evaluate.judged` decides: overdue first, then the current period.
    whens = [(overdue, n(1))] if overdue is not None else []
    whens += [(not_(of.owed(current)), n(0)), (of.met(current), n(1 << _FIELD))]
    weight = case(*whens, else_=n(1 << (2 * _FIELD)))
    owed_closed = of.owed_bits.bitwise_and(n(selection.window.closed_bits))
    missed = popcount(owed_closed.bitwise_and(of.met_bits.bitwise_not()))
    query = (
        select(func.max(of.keys[3]), func.count(), func.sum(weight), func.sum(missed))
        .select_from(of.source)
        .where(*of.where, of.owes_any)
        .group_by(of.unit_order)
    )
    found = []
    for unit_code, count, packed, missed_ in session.execute(query):
        if count >> _FIELD:
            raise OverflowError(f"{count:,} obligation instances of one unit do not fit the report's packed counts")
        by_status = {status: int(packed) >> (_FIELD * i) & ((1 << _FIELD) - 1) for i, status in enumerate(statuses)}
        by_status[NOT_OWED] = count - sum(by_status.values())
        found.append((unit_code, by_status, int(missed_ or 0)))
    return found


def person_scores(session: Session, selection: Selection) -> list[tuple[str, int, int]]:
    """(person, closed periods owed, closed periods met) summed over the selection's rows."""
    if _by_jurisdiction(selection):
        return _jurisdiction_scores(selection, _pairs(_jurisdiction_instances(session, selection)))
    of = _relationship_rows(selection)
    closed = selection.window.closed_bits
    evaluated = select(of.keys[1].label("person_id"), of.owed_bits.label("owed"), of.met_bits.label("met")).select_from(of.source).where(*of.where, of.owes_any).subquery()
    owed_closed = evaluated.c.owed.bitwise_and(n(closed))
    query = select(
        evaluated.c.person_id,
        func.sum(popcount(owed_closed)),
        func.sum(popcount(owed_closed.bitwise_and(evaluated.c.met))),
    ).group_by(evaluated.c.person_id)
    return [(person, int(owed), int(met)) for person, owed, met in session.execute(query)]

