"""Which engine answers a report's question: the first, in order, that can.

    tallies       totals of the monthly rules per pairing or link, from counts kept per unit and month
    jurisdiction  V1, V4, V6 from the registry spells and masks, paired in Python
    relationship  V3, V7 in SQL over the obligation rows
    general       anything, in Python from posts, spells and visit days (also as known at a moment)

`explain` says why each engine before the chosen one could not answer.
"""

from __future__ import annotations

from workflow.obligations.general import GENERAL
from workflow.obligations.jurisdiction import JURISDICTION
from workflow.obligations.question import Engine, Need, Question
from workflow.obligations.relationship import RELATIONSHIP
from workflow.obligations.tallies import TALLIES

ENGINES: tuple[Engine, ...] = (TALLIES, JURISDICTION, RELATIONSHIP, GENERAL)


def plan(question: Question, need: Need) -> Engine:
    """The first engine that can answer `need` of `question`."""
    for engine in ENGINES:
        if engine.can_answer(question, need) is None:
            return engine
    raise LookupError(f"no engine answers {need} of rule {question.rule.id}")  # the general engine answers everything


def explain(question: Question, need: Need) -> list[tuple[str, str | None]]:
    """(engine, why it cannot answer) for each engine in order, up to the chosen one (whose reason is None)."""
    found = []
    for engine in ENGINES:
        reason = engine.can_answer(question, need)
        found.append((engine.name, reason))
        if reason is None:
            break
    return found
