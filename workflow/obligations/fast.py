"""The SQL evaluation of rules owed per target (V1, V3, V4, V6, V7) over whole months.

Paired and linked rules (V7, V3) read the `Obligation` table alone while the report's years
are still in its copied masks (this year and last), and join `VisitMask` by year otherwise.
Jurisdiction rules (V1, V4, V6) pair each post with the units below it (settled in Python
from the paths), reach the townships, villages or households there, their registry spells
and `VisitMask`. A status is decided in SQL from cheap tests of the latest closed and the
current period, so filtering by status, the totals and the scorecard never leave the
database; each returned row is then built by the same Python function
(`evaluate.row_from_bits`) the general evaluation uses, from its owed and met bits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from sqlalchemy import BigInteger, Integer, String, and_, case, cast, column, exists, func, literal, literal_column, not_, null, or_, select, values
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from rules.schema import Level, Period, TargetCount, TargetSet
from workflow import rulebook
from workflow.obligations.evaluate import DUE, MET, MISSED, NOT_OWED, OVERDUE, PENDING, ObligationRow, PostRef, row_from_bits
from workflow.obligations.models import Obligation
from workflow.obligations.periods import Window, month_end, month_number
from workflow.obligations.sources import REGISTRY_OF_LEVEL, DaySource, Selection, Target, in_subtree, rule_posts, targets_by_unit
from workflow.obligations.visitdays import MaskDays, Undecidable, VisitDays
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell
from workflow.posts.models import Post
from workflow.visits.masks import DAY_BITS, DAY_FIELD, YearMask
from workflow.visits.models import VisitMask

_o = Obligation.__table__
_mask = VisitMask.__table__
# Levels whose posts' township and county the SQL can name from the post's unit and its parent.
_POST_LEVELS = {Level.province, Level.city, Level.city_unit, Level.county, Level.township}


def applies(selection: Selection) -> bool:
    """Whether the selection's rule can be evaluated here (the caller handles `known_at`)."""
    rule = selection.rule
    if rule.count is not TargetCount.each or not selection.window.whole_months:
        return False
    if rule.targets in (TargetSet.paired, TargetSet.linked):
        return True
    return all(rulebook.books().role(role).level in _POST_LEVELS for role in selection.roles)


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
    """One kind of rule's instances as SQL: what to select from, and per-period tests.

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
    unit_order: ColumnElement  # groups the rows by post unit; for paired and linked rows, in the order of an index


def _relationship_rows(selection: Selection) -> _Rows:
    """Paired or linked rows: owed where post and relationship cover a period, met by the masks."""
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
        in_subtree(_o.c.unit_path, selection.scope),
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


def _post_anchors(session: Session, selection: Selection) -> list[tuple[str, str, str]]:
    """(post, person, unit): each post of the selection with each unit of the target level below
    it (for household targets, each village below it)."""
    posts = rule_posts(session, selection)
    anchor_level = "village" if selection.rule.target_level.value == "household" else selection.rule.target_level.value
    query = select(OrgUnit.code, OrgUnit.path).where(OrgUnit.level == anchor_level, in_subtree(OrgUnit.path, selection.scope))
    units = [Target(code, path, ()) for code, path in session.execute(query)]
    below = targets_by_unit(units, {post.unit_code for post, _ in posts})
    return [(post.post_id, post.person_id, unit.id) for post, _ in posts for unit in below.get(post.unit_code, [])]


def _jurisdiction_rows(session: Session, selection: Selection) -> _Rows | None:
    """Each post × each target below its unit: owed where the post covers a period and the target was poor in it."""
    window, rule = selection.window, selection.rule
    level = rule.target_level.value
    # Which units lie below which post is settled first, from the paths: handed the pairs, the
    # planner walks from each post to its targets instead of guessing what a path range holds.
    anchors = _post_anchors(session, selection)
    if not anchors:
        return None
    pairs = values(column("post_id", String), column("person_id", String), column("anchor", String), name="anchors").data(anchors).cte("anchors")
    post, unit, household, spell = Post.__table__, OrgUnit.__table__.alias("post_unit"), Household.__table__, RegistrySpell.__table__
    if level == "household":
        below, subject = pairs.join(household, household.c.village_code == pairs.c.anchor), household.c.id
    else:
        below, subject = pairs, pairs.c.anchor
    # Each target's poor periods from its registry spells, worked out once per row and kept
    # (MATERIALIZED): inlined, every test of a period would look the spells up again.
    poor_bits = select(
        func.coalesce(sum((func.max(case((and_(spell.c.registered_on <= seen_last, or_(spell.c.exited_on.is_(None), spell.c.exited_on >= first)), n(1 << i)), else_=n(0)))
                           for i, (first, seen_last) in enumerate(window.seen_parts)), n(0)), n(0))
    ).where(spell.c.kind == REGISTRY_OF_LEVEL[level], spell.c.subject_id == subject).scalar_subquery()
    targets = select(pairs.c.post_id, pairs.c.person_id, subject.label("target_id"), poor_bits.label("bits")).select_from(below).cte("targets").prefix_with("MATERIALIZED")
    source = targets.join(post, post.c.id == targets.c.post_id).join(unit, unit.c.code == post.c.unit_code)
    target = targets.c.target_id
    # The person and the target from the same row, so each mask is found by its whole key.
    masks = _joined_masks(source, window, targets.c.person_id, literal(level), target)

    def covered(i):
        period = window.periods[i]
        return and_(post.c.start_date <= period.first, or_(post.c.end_date.is_(None), post.c.end_date >= period.last))

    def owed(i):
        return and_(covered(i), targets.c.bits.bitwise_and(n(1 << i)) != n(0))

    periods = range(len(window.periods))
    owed_bits = _bits(covered(i) for i in periods).bitwise_and(targets.c.bits)
    met_months = _met_months(window, masks)
    where = []
    township = case((unit.c.level == "township", post.c.unit_code), else_=cast(null(), String))
    county = case((unit.c.level == "county", post.c.unit_code), (unit.c.level == "township", unit.c.parent_code), else_=cast(null(), String))
    keys = [post.c.id.label("post_id"), post.c.person_id, post.c.role, post.c.unit_code, township.label("township_code"), county.label("county_code"),
            literal(level).label("target_level"), target.label("target_id"), cast(null(), String).label("source_id")]
    return _Rows(
        masks.source, where, keys, owes_any=owed_bits != n(0), owed=owed, met=lambda i: _met_in(window, masks, window.periods[i]),
        owed_bits=owed_bits, met_bits=_bits(met_months.bitwise_and(n(bits)) != n(0) for bits in _period_months(window)),
        counts=targets.c.bits, masks=masks, unit_order=post.c.unit_code,
    )


def _overdue_and_open_status(selection: Selection, rows: _Rows) -> tuple[ColumnElement | None, str]:
    window, rule = selection.window, selection.rule
    overdue = None
    if window.latest_closed is not None:
        latest = window.periods.index(window.latest_closed)
        overdue = and_(rows.owed(latest), not_(rows.met(latest)))
    return overdue, MISSED if window.is_closed(window.current) else (PENDING if rule.is_coverage else DUE)


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


def _rows_of(session: Session, selection: Selection) -> _Rows | None:
    """The selection's instances as SQL; None when there are none to look at."""
    return _relationship_rows(selection) if selection.rule.targets in (TargetSet.paired, TargetSet.linked) else _jurisdiction_rows(session, selection)


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


def rows(session: Session, selection: Selection, statuses: Iterable[str] | None = None, *, first: int | None = None) -> list[ObligationRow]:
    """The report rows of the selection, only those with one of `statuses` when given, with names;
    with `first`, only the first rows in the report's order (the target names then left to the caller)."""
    of = _rows_of(session, selection)
    if of is None:
        return []
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
        if selection.rule.targets in (TargetSet.paired, TargetSet.linked):
            # The page's rows picked by their keys first: bits and masks are then worked out for them alone.
            page = select(_o.c.post_id, _o.c.source_id).select_from(source).where(*filters).order_by(*order).limit(first).subquery("page")
            source = page.join(source, and_(_o.c.post_id == page.c.post_id, _o.c.source_id == page.c.source_id))
            filters = []
    query = select(*of.keys, of.owed_bits, of.met_bits, of.counts, *_mask_columns(of.masks), person.c.name, name).select_from(source).where(*filters)
    if first is not None and filters:
        query = query.order_by(*order).limit(first)
    window = selection.window
    year, as_of, start, every_period = window.as_of.year, window.as_of, window.first, (1 << len(window.periods)) - 1
    result, unsure = [], []
    for post_id, person_id, role, unit, township, county, target_level, target_id, source_id, owed, met, counts, m0, f0, l0, m1, f1, l1, person_name, target_name in session.execute(query):
        masks = {}
        if m0:
            masks[year] = YearMask(m0, f0, l0)
        if m1:
            masks[year - 1] = YearMask(m1, f1, l1)
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
        post = PostRef(post_id, person_id, role, unit, township, county)
        row = row_from_bits(window, post, owed=owed, met=met, last_visit_on=last_visit, target_level=target_level, target_id=target_id, source_id=source_id)
        row.person_name, row.target_name = person_name, target_name
        result.append(row)
    if unsure:
        # Several visits in as_of's month on both sides of as_of: the latest one up to it comes from the visits.
        exact = DaySource(session, persons={result[i].person_id for i, _ in unsure}, level=level, window=window)
        for i, counts in unsure:
            result[i].last_visit_on = _last_visit(window, exact.days(result[i].person_id, result[i].target_id), counts)
    return result


_FIELD = 21  # bits per packed count in `totals`: up to 2,097,151 instances of one status per unit


def totals(session: Session, selection: Selection) -> list[tuple[str, dict[str, int], int]]:
    """(post's unit, instances by status, missed periods) for the selection; the caller places units in townships and counties.

    One pass in the order of `_Rows.unit_order`, so the database streams the units without
    sorting the instances. Each instance's status is decided once, by one CASE, whose value
    adds 1 to the overdue count, 1 << 21 to the met count or 1 << 42 to the open status's
    count of a single SUM; what remains of the unit's count is not owed.
    """
    of = _rows_of(session, selection)
    if of is None:
        return []
    current = len(selection.window.periods) - 1
    overdue, open_status = _overdue_and_open_status(selection, of)
    # With the current period closed it is also the latest closed one: owed and unmet, a row is
    # overdue, so none is left open (its count, always 0, is reported as due).
    statuses = (OVERDUE, MET, DUE if open_status == MISSED else open_status)
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
    of = _rows_of(session, selection)
    if of is None:
        return []
    closed, width = selection.window.closed_bits, len(selection.window.periods)
    evaluated = select(of.keys[1].label("person_id"), of.owed_bits.label("owed"), of.met_bits.label("met")).select_from(of.source).where(*of.where, of.owes_any).subquery()
    owed_closed = evaluated.c.owed.bitwise_and(n(closed))
    query = select(
        evaluated.c.person_id,
        func.sum(popcount(owed_closed)),
        func.sum(popcount(owed_closed.bitwise_and(evaluated.c.met))),
    ).group_by(evaluated.c.person_id)
    return [(person, int(owed), int(met)) for person, owed, met in session.execute(query)]
