"""The overdue-visit report and the officials' scorecard for an org-unit subtree.

Both are evaluated as of a date (`as_of`, a date in the rule book's zone read as the end of
that day; today by default) with the rule book in force on it, and optionally as known at
a past moment (`known_at`): visits recorded later, and voids recorded later, are ignored.
An obligation belongs to the subtree when its post's unit does. Each rule is evaluated over
its window (`periods.window`): the current campaign year up to the period containing `as_of`,
and the latest closed period when that lies in the year before.
"""

from __future__ import annotations

import dataclasses
import heapq
import datetime as dt
import itertools
import operator
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from sqlmodel import Session

from rules.schema import VisitRule
from workflow import clock, gcpause, rulebook
from workflow.db import plan_each_statement
from workflow.eventlog.versions import known_records, reads_now
from workflow import errors
from workflow.obligations import planner
from workflow.obligations.evaluate import ObligationRow, unit_order
from workflow.obligations.question import SCORES, Question, UnitCounts
from workflow.obligations.sources import names
from workflow.obligations.spec import DUE, MET, NOT_OWED, OVERDUE, PENDING, window
from workflow.org.places import places
from workflow.org.models import OrgUnit
from workflow.org.service import get_unit, lies_within

ROW_STATUSES = (OVERDUE, DUE, PENDING, MET, NOT_OWED)  # a row's status


@dataclasses.dataclass
class StatusCounts:
    """How many obligation instances have each status, and how many periods they missed in all."""

    instances: int = 0
    overdue: int = 0
    due: int = 0
    pending: int = 0
    met: int = 0
    not_owed: int = 0
    missed_periods: int = 0

    def add(self, other: StatusCounts) -> None:
        for name in _COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNT_FIELDS = tuple(field.name for field in dataclasses.fields(StatusCounts))


@dataclasses.dataclass(frozen=True)
class UnitTotals:
    unit_code: str
    unit_name: str
    counts: StatusCounts


@dataclasses.dataclass(frozen=True)
class OverdueReport:
    """Obligation instances of a subtree as of a date, with totals per township and county.

    Totals count every instance the rule and role filters keep, whatever `statuses` keeps
    in `rows`. Instances of posts above township level count in the county's totals (county
    posts) or only in `total` (city and city-direct posts).
    """

    unit_code: str
    as_of: dt.date
    known_at: dt.datetime | None
    rule_book: str
    rules: tuple[str, ...]
    rows: list[ObligationRow]
    townships: list[UnitTotals]
    counties: list[UnitTotals]
    total: StatusCounts


class Score(NamedTuple):
    """One official's record over the report window: closed periods owed, met and missed.
    (A named tuple: a city's scorecard has 52,705; a frozen dataclass took several times longer to build.)"""

    rank: int
    person_id: str
    person_name: str
    periods_owed: int
    periods_met: int
    periods_missed: int
    on_time_rate: float | None  # met ÷ owed; None when nothing was owed yet


@dataclasses.dataclass(frozen=True)
class Scorecard:
    unit_code: str
    as_of: dt.date
    known_at: dt.datetime | None
    rule_book: str
    rules: tuple[str, ...]
    scores: list[Score]


# ---- arguments --------------------------------------------------------------------


def _as_of(as_of: dt.date | None) -> dt.date:
    today = rulebook.today()
    if as_of is None:
        return today
    if as_of > today:
        raise errors.AsOfInFuture(as_of=as_of.isoformat(), today=today.isoformat())
    return as_of


def _known_at(known_at: dt.datetime | None) -> dt.datetime | None:
    if known_at is None:
        return None
    known_at = clock.with_offset(known_at, field="known_at").astimezone(clock.UTC)
    if known_at > clock.now():
        raise errors.KnownAtInFuture(known_at=known_at.isoformat())
    return known_at


def _rules(as_of: dt.date, rule_ids: Iterable[str] | None, roles: Iterable[str] | None) -> list[tuple[VisitRule, frozenset[str]]]:
    """The rules of the book in force to evaluate, each with the roles to evaluate it for."""
    book = rulebook.in_force(as_of)
    known = [rule.id for rule in book.visit_rules]
    if rule_ids is not None:
        unknown = sorted(set(rule_ids) - set(known))
        if unknown:
            raise errors.UnknownRule(book=book.id, unknown=unknown, known=known)
    if roles is not None:
        unknown = sorted(set(roles) - set(book.roles))
        if unknown:
            raise errors.UnknownRole(book=book.id, unknown=unknown)
    chosen = []
    for rule in book.visit_rules:
        if rule_ids is not None and rule.id not in rule_ids:
            continue
        wanted = frozenset(rule.roles) & (frozenset(roles) if roles is not None else frozenset(rule.roles))
        if wanted:
            chosen.append((rule, wanted))
    return chosen


def _may_hold(scope: OrgUnit, roles: frozenset[str]) -> bool:
    """Whether a post of one of `roles` can sit in `scope`'s subtree (a post sits at a unit of its
    role's level, in whichever rule book it was assigned under): a township's report need not
    look for county or city posts."""
    levels = {book.roles[role].level for book in rulebook.books().books for role in roles if role in book.roles}
    return any(lies_within(level, scope.level) for level in levels)


def _statuses(statuses: Iterable[str] | None) -> frozenset[str] | None:
    if statuses is None:
        return None
    statuses = frozenset(statuses)
    unknown = sorted(statuses - set(ROW_STATUSES))
    if unknown:
        raise errors.UnknownStatus(unknown=unknown, valid=ROW_STATUSES)
    return statuses


# ---- the report -------------------------------------------------------------------


def overdue_report(
    session: Session,
    *,
    unit_code: str,
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
    rules: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    person_id: str | None = None,
    first: int | None = None,
    from_: dt.date | None = None,
) -> OverdueReport:
    """Every obligation instance of the posts in `unit_code`'s subtree as of `as_of`, with totals.

    Each rule is evaluated over its window: by default `as_of`'s campaign year up to the
    current period, and the latest closed period; from the period containing `from_` when
    given (on 15 January 2019, from 1 January 2018 gives every month of 2018).
    `rules` (ids such as "V7") and `roles` (role codes) narrow what is evaluated and totalled;
    `statuses` (overdue, due, pending, met, not_owed) narrows the rows only; `person_id` keeps
    one official's posts. Rows are ordered by county, township, unit, rule, official, target;
    `first` keeps only the first rows of that order (a page), the totals still count them all.
    """
    scope = get_unit(session, unit_code, field="unit_code")
    as_of, known_at, statuses = _as_of(as_of), _known_at(known_at), _statuses(statuses)
    plan_each_statement(session)
    chosen = _rules(as_of, rules, roles)
    rows: list[ObligationRow] = []
    counted: list[UnitCounts] = []
    with known_records(session, known_at) as records, gcpause.paused():  # the records as known now, or as known then
        # Known at a moment after which the log recorded nothing: the question is the one as known now.
        asked_at = None if reads_now(records) else known_at
        for rule, rule_roles in chosen:
            if not _may_hold(scope, rule_roles):
                continue
            question = Question(window(as_of, rule, start=from_), scope, rule_roles, person_id=person_id, known_at=asked_at, statuses=statuses, first=first, before=_page_end(rows, first))
            part_rows, part_counts = planner.rows_and_totals(records, question)
            rows += part_rows
            counted += part_counts
        _sort(_named(records, rows, targets=False))  # the order reads the officials' names
        rows = _named(records, rows[:first])
        townships, counties, total = _totals(records, counted)
    return OverdueReport(
        unit_code=scope.code, as_of=as_of, known_at=known_at, rule_book=rulebook.in_force(as_of).id,
        rules=tuple(rule.id for rule, _ in chosen), rows=rows, townships=townships, counties=counties, total=total,
    )


def _page_end(rows: list[ObligationRow], first: int | None) -> tuple[str, str, str, str] | None:
    """Where the page of the `first` rows ends, in the report's order by unit and rule, if `rows`
    (of the rules answered so far) fill it: a later rule's rows from there on are not needed."""
    if first is None or len(rows) < first:
        return None
    return heapq.nsmallest(first, ((*unit_order(row.county_code, row.township_code, row.unit_code), row.rule_id) for row in rows))[-1]


_ORDER = ("county_code", "township_code", "unit_code", "rule_id", "person_name", "person_id", "target_id", "post_id")
_order = operator.attrgetter(*_ORDER)


def _sort(rows: list[ObligationRow]) -> None:
    """Rows by county, township, unit, rule, official, target; a missing code or name first."""
    try:
        # A sort that never had to compare a None with a text (which raises) gives the order
        # below: it is what the city-wide report's tens of thousands of rows usually need.
        rows.sort(key=_order)
    except TypeError:
        rows.sort(key=lambda row: tuple(value or "" for value in _order(row)))


def _totals(session: Session, counted: list[UnitCounts]) -> tuple[list[UnitTotals], list[UnitTotals], StatusCounts]:
    """Totals per township and county and overall, from counts per post unit."""
    where = places(session.connection(), {unit for unit, _, _ in counted})
    townships: dict[str, StatusCounts] = defaultdict(StatusCounts)
    counties: dict[str, StatusCounts] = defaultdict(StatusCounts)
    total = StatusCounts()
    for unit, by_status, missed in counted:
        counts = StatusCounts(instances=sum(by_status.values()), missed_periods=missed, **by_status)
        total.add(counts)
        if where[unit].township_code is not None:
            townships[where[unit].township_code].add(counts)
        if where[unit].county_code is not None:
            counties[where[unit].county_code].add(counts)
    unit_names = names(session, "unit", set(townships) | set(counties))
    as_list = lambda found: [UnitTotals(code, unit_names.get(code, code), found[code]) for code in sorted(found)]  # noqa: E731
    return as_list(townships), as_list(counties), total


def _named(session: Session, rows: list[ObligationRow], *, targets: bool = True) -> list[ObligationRow]:
    """The rows, with the names of their officials (and targets) filled in where still missing."""
    people = names(session, "person", {row.person_id for row in rows if row.person_name is None})
    unnamed = [row for row in rows if row.target_name is None and row.target_id is not None] if targets else []
    households = names(session, "household", {row.target_id for row in unnamed if row.target_level == "household"})
    units = names(session, "unit", {row.target_id for row in unnamed if row.target_level in ("village", "township")})
    for row in rows:
        if row.person_name is None:
            row.person_name = people.get(row.person_id)
    for row in unnamed:
        row.target_name = (households if row.target_level == "household" else units).get(row.target_id)
    return rows


# ---- the scorecard ----------------------------------------------------------------


def scorecard(
    session: Session,
    *,
    unit_code: str,
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
    rules: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
    from_: dt.date | None = None,
) -> Scorecard:
    """Each official of the subtree with closed periods owed, met and missed, best on-time rate first.

    A period counts once per obligation instance (a cadre with five paired households owes
    five visits a month). Officials who owed nothing yet come last, by name.
    """
    scope = get_unit(session, unit_code, field="unit_code")
    as_of, known_at = _as_of(as_of), _known_at(known_at)
    plan_each_statement(session)
    chosen = _rules(as_of, rules, roles)
    answers = []
    with known_records(session, known_at) as records, gcpause.paused():  # the records as known now, or as known then
        asked_at = None if reads_now(records) else known_at
        for rule, rule_roles in chosen:
            if not _may_hold(scope, rule_roles):
                continue
            question = Question(window(as_of, rule, start=from_), scope, rule_roles, known_at=asked_at)
            answers.append(planner.plan(question, SCORES).scores(records, question))
        owed, met = _summed(answers)
        person_names = names(records, "person", owed)
        scores = _ranked(owed, met, person_names)
    return Scorecard(unit_code=scope.code, as_of=as_of, known_at=known_at, rule_book=rulebook.in_force(as_of).id, rules=tuple(rule.id for rule, _ in chosen), scores=scores)


def _summed(answers: list[list[tuple[str, int, int]]]) -> tuple[dict[str, int], dict[str, int]]:
    """Each official's periods owed and met, summed over the rules' (official, owed, met) answers."""
    # The largest answer (V7's in a city: 52,143 officials) becomes the sums in C; the others are added.
    answers = sorted(answers, key=len, reverse=True)
    owed: dict[str, int] = {}
    met: dict[str, int] = {}
    rest = answers
    if answers:
        people = list(map(operator.itemgetter(0), answers[0]))
        if len(set(people)) == len(people):  # else an official twice in it: added like the rest
            owed = dict(zip(people, map(operator.itemgetter(1), answers[0])))
            met = dict(zip(people, map(operator.itemgetter(2), answers[0])))
            rest = answers[1:]
    for answer in rest:
        for person, person_owed, person_met in answer:
            owed[person] = owed.get(person, 0) + person_owed
            met[person] = met.get(person, 0) + person_met
    return owed, met


def _ranked(owed: dict[str, int], met: dict[str, int], person_names: dict[str, str]) -> list[Score]:
    """The officials' scores, best on-time rate first, then most periods owed, then by name and id;
    those who owed nothing last. Officials with the same rate share a rank (competition ranking)."""
    # A city's 52,705 officials have a few hundred (owed, met) records and a few hundred names:
    # each official's place in that order is one int (the record's place, then the name's),
    # sorted stably from the order of the ids, and every step over the officials runs in C
    # (map, zip, groupby). One sort of tuples compared name by name took several times longer.
    people = sorted(owed)
    records = list(zip(map(owed.__getitem__, people), map(met.__getitem__, people)))
    sort_names = list(map(person_names.get, people, itertools.repeat("")))
    name_place = {name: n for n, name in enumerate(sorted(set(sort_names)))}
    record_order = {record: _record_order(record) for record in set(records)}
    order_place = {key: n for n, key in enumerate(sorted(set(record_order.values())))}
    record_place = {record: order_place[key] for record, key in record_order.items()}
    places = list(map(operator.add, map(operator.mul, map(record_place.__getitem__, records), itertools.repeat(len(name_place))), map(name_place.__getitem__, sort_names)))
    order = sorted(range(len(people)), key=places.__getitem__)
    people, records = list(map(people.__getitem__, order)), list(map(records.__getitem__, order))
    rate_of = {(owed_, met_): met_ / owed_ if owed_ else None for owed_, met_ in record_place}
    rates = list(map(rate_of.__getitem__, records))
    ranks: list[int] = []
    for _, same_rate in itertools.groupby(rates):
        ranks.extend(itertools.repeat(len(ranks) + 1, len(list(same_rate))))
    owed_of, met_of = [owed_ for owed_, _ in records], [met_ for _, met_ in records]
    columns = zip(ranks, people, map(person_names.get, people, people), owed_of, met_of, map(operator.sub, owed_of, met_of), rates)
    return list(map(tuple.__new__, itertools.repeat(Score), columns))  # Score._make without a Python call each


def _record_order(record: tuple[int, int]) -> tuple[bool, float, int]:
    """Where an (owed, met) record ranks: best on-time rate first, then most owed; owing nothing last."""
    owed, met = record
    return (owed == 0, -(met / owed) if owed else 0, -owed)
