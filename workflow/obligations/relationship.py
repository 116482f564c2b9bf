"""The SQL engine of the rules owed per pairing (V7) or unit link (V3), over the `Obligation` rows.

Each instance is an obligation row: owed where its post and its pairing or link cover a
period whole, met by the holder's visit mask for the target (the copy of the newest two
years the row holds, or the `VisitMask` rows). A status is decided in SQL by the
specification's own rules (`spec.status_rules`, read in SQL's logic), from cheap tests of
the latest closed and the current period, so that filtering by status, the totals and the
scorecard never leave the database; only the returned rows are built in Python
(`found.built`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sqlalchemy import String, and_, case, cast, false, func, not_, null, or_, select, true
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import Label
from sqlmodel import Session

from rules.schema import Period
from workflow.db import one_of
from workflow.obligations.evaluate import ObligationRow, PostRef
from workflow.obligations.found import Found, built
from workflow.obligations.masksql import cannot_read_masks, Masks, bits_where, copied_masks, greatest, joined_masks, least, mask_columns, met_in, months_met, n, period_months, popcount, shl
from workflow.obligations.models import Obligation
from workflow.obligations.question import Engine, Need, Question, UnitCounts
from workflow.obligations.spec import MET, NOT_OWED, OVERDUE, Truth, month_number, status_rules, status_while_open
from workflow.org.models import Household, OrgUnit, Person
from workflow.org.places import Subtree
from workflow.visits.masks import YearMask

_o = Obligation.__table__


class _SqlTruth(Truth):
    """`spec`'s logic over SQL expressions."""

    yes = true()

    @staticmethod
    def all(*tests):
        return and_(*tests)

    @staticmethod
    def no(test):
        return not_(test)


SQL = _SqlTruth()


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
    masks: Masks
    unit_order: ColumnElement  # groups the rows by post unit, in the order of an index


def _sql_rows(question: Question, units: ColumnElement | None = None) -> _Rows:
    """Paired or linked rows: owed where post and relationship cover a period, met by the masks.
    `units`, a test of `Obligation.unit_path` narrower than the scope, replaces the scope's."""
    window, rule = question.window, question.rule
    low, high = month_number(window.first), month_number(window.current.last)
    masks = copied_masks(window) or joined_masks(_o, window, _o.c.person_id, _o.c.target_level, _o.c.target_id)
    first = greatest(_o.c.first_month, n(low))
    last = least(func.coalesce(_o.c.last_month, n(high)), n(high))
    # Bits first - low .. last - low: none when last < first (every shift count kept >= 0).
    owed_months = greatest(n(0), shl(n(1), greatest(last - low + 1, n(0))) - shl(n(1), first - low))
    met_months = months_met(window, masks)
    if rule.period is Period.month:
        owed_bits, met_bits = owed_months, met_months
    else:  # a period is owed when all its months are, met when any of its months is
        owed_bits = bits_where(owed_months.bitwise_and(n(bits)) == n(bits) for bits in period_months(window))
        met_bits = bits_where(met_months.bitwise_and(n(bits)) != n(0) for bits in period_months(window))

    def owed(i):
        period = window.periods[i]
        return and_(_o.c.first_month <= month_number(period.first), or_(_o.c.last_month.is_(None), _o.c.last_month >= month_number(period.last)))

    where = [
        _o.c.kind == rule.targets.value,
        _o.c.role.in_(sorted(question.roles)),
        Subtree.of(question.scope).clause(_o.c.unit_path) if units is None else units,
        _o.c.start_date <= window.current.last,
        or_(_o.c.end_date.is_(None), _o.c.end_date >= window.first),
    ]
    if question.person_id is not None:
        where.append(_o.c.person_id == question.person_id)
    keys = [_o.c.post_id, _o.c.person_id, _o.c.role, _o.c.unit_code, _o.c.township_code, _o.c.county_code, _o.c.target_level, _o.c.target_id, _o.c.source_id]
    # Some whole month owed is enough for a monthly rule; a longer period needs all of its months.
    owes_any = last >= first if rule.period is Period.month else or_(*(owed(i) for i in range(len(window.periods))))
    return _Rows(
        masks.source, where, keys, owes_any=owes_any, owed=owed, met=lambda i: met_in(window, masks, window.periods[i]),
        owed_bits=owed_bits, met_bits=met_bits, counts=n((1 << len(window.periods)) - 1), masks=masks, unit_order=_o.c.unit_path,
    )


def _report_order(keys: list[ColumnElement], person_name: ColumnElement, dialect: str) -> list[ColumnElement]:
    """The report's row order (`reports._sort`) in SQL: code point order, a missing value first."""

    def text(column):
        column = column.element if isinstance(column, Label) else column  # order by the expression, not its name
        return column.collate("C") if dialect == "postgresql" else column  # SQLite compares bytes already

    post_id, person_id, _, unit, township, county, _, target_id, _ = keys
    return [text(county).nulls_first(), text(township).nulls_first(), text(unit), text(person_name).nulls_first(), text(person_id), text(target_id), text(post_id)]


def _status_rules(question: Question, of: _Rows) -> tuple[tuple[str, ColumnElement], ...]:
    """`spec.status_rules` over this question's rows, in SQL."""
    window = question.window
    current = len(window.periods) - 1
    if window.latest_closed is not None:
        latest = window.periods.index(window.latest_closed)
        owed_latest, met_latest = of.owed(latest), of.met(latest)
    else:
        owed_latest, met_latest = false(), false()
    return status_rules(SQL, owed_latest=owed_latest, met_latest=met_latest, owed_now=of.owed(current), met_now=of.met(current), open_status=status_while_open(question.rule))


def _status_filter(question: Question, of: _Rows, statuses) -> ColumnElement:
    """A WHERE clause keeping rows with one of `statuses`: a rule's test holds, and no earlier rule's."""
    kept, earlier = [], []
    for status, test in _status_rules(question, of):
        if status in statuses:
            kept.append(and_(*(not_(before) for before in earlier), test))
        earlier.append(test)
    return or_(*kept, false())


_FIELD = 21  # bits per packed count in `totals`: up to 2,097,151 instances of one status per unit


class RelationshipEngine(Engine):
    name = "relationship"

    def can_answer(self, question: Question, need: Need) -> str | None:
        if not question.by_relationship or not question.each_target:
            return "the rule's targets are not the post's pairings or links"
        return cannot_read_masks(question)

    def rows(self, session: Session, question: Question) -> list[ObligationRow]:
        """The rows kept by `question.statuses`, with the officials' names; with `question.first`,
        only the first rows in the report's order (target names are then left to the caller).
        `question.units` (unit paths) keeps the rows of posts at those units alone."""
        units, statuses, first = question.units, question.statuses, question.first
        if units is not None and not units:
            return []
        of = _sql_rows(question, None if units is None else one_of(session.connection(), _o.c.unit_path, sorted(set(units))))
        level = question.rule.target_level.value
        person = Person.__table__
        if level == "household":
            named = Household.__table__.alias("named")
            named_key, name = named.c.id, named.c.head_name
        else:
            named = OrgUnit.__table__.alias("named")
            named_key, name = named.c.code, named.c.name
        filters = list(of.where)
        if statuses is not None:
            filters.append(_status_filter(question, of, statuses))
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
        query = select(*of.keys, of.owed_bits, of.met_bits, of.counts, *mask_columns(of.masks), person.c.name, name).select_from(source).where(*filters)
        year = question.window.as_of.year

        def found(row):
            post_id, person_id, role, unit, township, county, target_level, target_id, source_id, owed, met, counts, m0, f0, l0, m1, f1, l1, person_name, target_name = row
            masks = {}
            if m0:
                masks[year] = YearMask(m0, f0, l0)
            if m1:
                masks[year - 1] = YearMask(m1, f1, l1)
            return Found(PostRef(post_id, person_id, role, unit, township, county), target_level, target_id, source_id, owed, met, counts, masks, person_name, target_name)

        return built(session, question, map(found, session.execute(query)))

    def totals(self, session: Session, question: Question) -> list[UnitCounts]:
        """One pass in the order of `_Rows.unit_order`, so the database streams the units without
        sorting the instances. Each instance's status is decided once, by one CASE built from
        `spec.status_rules`, whose value adds 1 to the overdue count, 1 << 21 to the met count or
        1 << 42 to the open status's count of a single SUM; not owed adds nothing: it is what
        remains of the unit's count."""
        of = _sql_rows(question)
        rules = _status_rules(question, of)
        open_status = rules[-1][0]
        weights = {OVERDUE: n(1), NOT_OWED: n(0), MET: n(1 << _FIELD), open_status: n(1 << (2 * _FIELD))}
        weight = case(*((test, weights[status]) for status, test in rules[:-1]), else_=weights[open_status])
        owed_closed = of.owed_bits.bitwise_and(n(question.window.closed_bits))
        missed = popcount(owed_closed.bitwise_and(of.met_bits.bitwise_not()))
        query = (
            select(func.max(of.keys[3]), func.count(), func.sum(weight), func.sum(missed))
            .select_from(of.source)
            .where(*of.where, of.owes_any)
            .group_by(of.unit_order)
        )
        counted = (OVERDUE, MET, open_status)
        found = []
        for unit_code, count, packed, missed_ in session.execute(query):
            if count >> _FIELD:
                raise OverflowError(f"{count:,} obligation instances of one unit do not fit the report's packed counts")
            by_status = {status: int(packed) >> (_FIELD * i) & ((1 << _FIELD) - 1) for i, status in enumerate(counted)}
            by_status[NOT_OWED] = count - sum(by_status.values())
            found.append((unit_code, by_status, int(missed_ or 0)))
        return found

    def scores(self, session: Session, question: Question) -> list[tuple[str, int, int]]:
        of = _sql_rows(question)
        closed = question.window.closed_bits
        evaluated = select(of.keys[1].label("person_id"), of.owed_bits.label("owed"), of.met_bits.label("met")).select_from(of.source).where(*of.where, of.owes_any).subquery()
        owed_closed = evaluated.c.owed.bitwise_and(n(closed))
        query = select(
            evaluated.c.person_id,
            func.sum(popcount(owed_closed)),
            func.sum(popcount(owed_closed.bitwise_and(evaluated.c.met))),
        ).group_by(evaluated.c.person_id)
        return [(person, int(owed), int(met)) for person, owed, met in session.execute(query).all()]


RELATIONSHIP = RelationshipEngine()
