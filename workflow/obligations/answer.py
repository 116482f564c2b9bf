"""One rule's part of a report from a list of engines: each need to the first engine that can answer it.

The planner (`planner.py`) holds the engines in order; an engine that answers by asking
others (`corrected`) passes its own list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlmodel import Session

from workflow.obligations.evaluate import ObligationRow, unit_counts, unit_order
from workflow.obligations.question import ROWS, TOTALS, Engine, Need, Question, UnitCounts
from workflow.org.places import places


def first_able(engines: Sequence[Engine], question: Question, need: Need) -> Engine | None:
    """The first of `engines` that can answer `need` of `question` (None: none can)."""
    for engine in engines:
        if engine.can_answer(question, need) is None:
            return engine
    return None


def rows_and_totals(session: Session, question: Question, engines: Sequence[Engine]) -> tuple[list[ObligationRow], list[UnitCounts]]:
    """(rows kept by the question's statuses, at least its `first` in report order when given —
    of those before its `before` —; counts per post unit) of one rule, each from the first of
    `engines` that can answer it."""
    rows_engine = first_able(engines, question, ROWS)
    if question.statuses is None and question.first is None:  # every row is built: count them
        rows = rows_engine.rows(session, question)
        return rows, unit_counts(rows)
    totals_engine = first_able(engines, question, TOTALS)
    if totals_engine is rows_engine:
        return rows_engine.rows_and_totals(session, question)
    found = totals_engine.totals(session, question)
    if question.first is not None:
        # The counts tell which units hold the first rows: only their rows need be looked at.
        where = places(session.connection(), {unit for unit, _, _ in found})
        units = _units_holding_first(found, where, question)
        if not units:
            return [], found  # the rows of the page come from other units, or other rules
        question = dataclasses.replace(question, units=tuple(where[unit].path for unit in units))
    return rows_engine.rows(session, question), found


def _units_holding_first(found, where, question: Question) -> list[str]:
    """The first post units in the report's order (county, township, unit; a missing code first),
    before `question.before` if given, whose rows kept by the question's statuses, counted in
    `found`, add up to its `first` (all of them, if they fall short)."""
    chosen, count = [], 0
    for unit, by_status, _ in sorted(found, key=lambda item: unit_order(where[item[0]].county_code, where[item[0]].township_code, item[0])):
        place = where[unit]
        if count >= question.first or (question.before is not None and (*unit_order(place.county_code, place.township_code, unit), question.rule.id) >= question.before):
            break
        kept = sum(n for status, n in by_status.items() if question.statuses is None or status in question.statuses)
        if kept:
            chosen.append(unit)
            count += kept
    return chosen
