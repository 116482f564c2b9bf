"""SQL over the packed visit masks: which periods of a window a holder visited a target in.

The building blocks the SQL engines (`relationship`, `jurisdiction`) share: BIGINT constants
and shifts that behave alike on both engines, a popcount, and the month and period bits of a
window read from a `VisitMask` row (or from the copy of the newest two years an `Obligation`
row holds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import BigInteger, Integer, and_, case, cast, func, literal, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from workflow import rulebook
from workflow.obligations.models import Obligation
from workflow.obligations.question import Question
from workflow.obligations.spec import Window, month_end, month_number
from workflow.visits.masks import DAY_BITS, DAY_FIELD
from workflow.visits.models import VisitMask

_o = Obligation.__table__
_mask = VisitMask.__table__


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


def bits_where(tests: Iterable[ColumnElement]) -> ColumnElement:
    """A mask with bit i set where the i-th test holds."""
    return sum((case((test, n(1 << i)), else_=n(0)) for i, test in enumerate(tests)), n(0))


@dataclasses.dataclass(frozen=True)
class Masks:
    """SQL for the masks of the as_of year and the year before, and the FROM clause they need."""

    source: object
    this_year: tuple[ColumnElement, ColumnElement, ColumnElement]  # month_mask, first_days, last_days
    year_before: tuple[ColumnElement, ColumnElement, ColumnElement] | None


def needs_year_before(window: Window) -> bool:
    return month_number(window.first) < window.as_of.year * 12


def joined_masks(source, window: Window, person, level, target) -> Masks:
    """`source` left-joined to the person's `VisitMask` rows for the target, this year and last."""
    year = window.as_of.year

    def join(alias, mask_year):
        return and_(alias.c.person_id == person, alias.c.target_level == level, alias.c.target_id == target, alias.c.year == mask_year)

    this, before = _mask.alias("this_year"), _mask.alias("year_before")
    source = source.outerjoin(this, join(this, year))
    if needs_year_before(window):
        source = source.outerjoin(before, join(before, year - 1))
    columns = lambda alias: tuple(func.coalesce(alias.c[name], n(0)) for name in ("month_mask", "first_days", "last_days"))  # noqa: E731
    return Masks(source, columns(this), columns(before) if needs_year_before(window) else None)


def copied_masks(window: Window) -> Masks | None:
    """The masks copied into `Obligation` rows, when they hold the years the window needs."""
    year, this_year_now = window.as_of.year, rulebook.today().year
    # No visit lies in the future, so no row's newest mask year passes this year: the copies
    # hold `year` while year + 1 >= this year, and the year before while year >= this year.
    if year < this_year_now - 1 or (needs_year_before(window) and year < this_year_now):
        return None
    pairs = ((_o.c.month_mask, _o.c.prev_month_mask), (_o.c.first_days, _o.c.prev_first_days), (_o.c.last_days, _o.c.prev_last_days))

    def pick(for_year):
        return tuple(case((_o.c.mask_year == for_year, newest), (_o.c.mask_year == for_year + 1, before), else_=n(0)) for newest, before in pairs)

    return Masks(_o, pick(year), pick(year - 1) if needs_year_before(window) else None)


def months_met(window: Window, masks: Masks) -> ColumnElement:
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


def met_in(window: Window, masks: Masks, period) -> ColumnElement:
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


def period_months(window: Window) -> list[int]:
    low = month_number(window.first)
    return [sum(1 << (m - low) for m in period.months) for period in window.periods]


def mask_columns(masks: Masks) -> list[ColumnElement]:
    return [
        *(expression.label(name) for expression, name in zip(masks.this_year, ("m0", "f0", "l0"))),
        *(expression.label(name) for expression, name in zip(masks.year_before or (n(0),) * 3, ("m1", "f1", "l1"))),
    ]


def cannot_read_masks(question: Question) -> str | None:
    """Why the masks cannot answer the question, or None: what the SQL engines share."""
    if question.known_at is not None:
        return "the projections it reads hold current knowledge only"
    if not question.window.whole_months:
        return "a period of the window is cut inside a month (a rule book taking effect mid-month)"
    if question.window.first.year < question.window.as_of.year - 1:
        return "the window reaches back further than the year before as_of's"
    return None
