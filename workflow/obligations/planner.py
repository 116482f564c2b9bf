"""Which engine answers a report's question: the first, in order, that can.

    tallies       totals of the monthly rules per pairing or link, from counts kept per unit and month
    jurisdiction_counted  totals and scores of V6 from the villages' poor households counted by
                  their poor days, less those each holder visited
    jurisdiction  V1, V4, V6 from the registry spells and masks, paired in Python
    relationship  V3, V7 in SQL over the obligation rows
    corrected     as known at a moment: the three above as known now, corrected by the visits changed since
    general       anything, in Python from posts, spells and visit days (also as known at a moment)

`explain` says why each engine before the chosen one could not answer.
"""

from __future__ import annotations

from sqlmodel import Session

from workflow.obligations import answer
from workflow.obligations.corrected import CorrectedEngine
from workflow.obligations.evaluate import ObligationRow
from workflow.obligations.general import GENERAL
from workflow.obligations.jurisdiction import COUNTED, JURISDICTION
from workflow.obligations.question import Engine, Need, Question, UnitCounts
from workflow.obligations.relationship import RELATIONSHIP
from workflow.obligations.tallies import TALLIES

FASTER: tuple[Engine, ...] = (TALLIES, COUNTED, JURISDICTION, RELATIONSHIP)
ENGINES: tuple[Engine, ...] = (*FASTER, CorrectedEngine(FASTER), GENERAL)


def plan(question: Question, need: Need) -> Engine:
    """The first engine that can answer `need` of `question`."""
    engine = answer.first_able(ENGINES, question, need)
    if engine is None:  # the general engine answers everything
        raise LookupError(f"no engine answers {need} of rule {question.rule.id}")
    return engine


def rows_and_totals(session: Session, question: Question) -> tuple[list[ObligationRow], list[UnitCounts]]:
    """One rule's part of a report (`answer.rows_and_totals`) from the engines in order."""
    return answer.rows_and_totals(session, question, ENGINES)


def explain(question: Question, need: Need) -> list[tuple[str, str | None]]:
    """(engine, why it cannot answer) for each engine in order, up to the chosen one (whose reason is None)."""
    found = []
    for engine in ENGINES:
        reason = engine.can_answer(question, need)
        found.append((engine.name, reason))
        if reason is None:
            break
    return found
