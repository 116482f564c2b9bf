"""As known at a moment: the faster engines' answer as known now, corrected by what changed since.

Between a moment and now the log mostly records visits — entered days after they were made —
and voids; the instances themselves (posts, pairings, links, poor targets) rarely change.
Where they are the same then and now, the answer as known then is the answer as known now
with the instances whose visits changed since — the (official, target) pairs with a visit in
the window recorded or voided after that moment (`sources.changed_visits`) — taken out and
put back as the general engine evaluates them as known then. Where the instances differ, the
general engine answers the whole question.

    as known then = fast engine as known now
                    − the changed pairs' rows as known now   (general engine, current knowledge)
                    + the changed pairs' rows as known then  (general engine, as known then)

The changed pairs' rows now and then share their instances and masks, read once
(`general.evaluate_pairs`): only their visits since differ.

Rows, totals per post unit and scores are corrected alike. For a page (`first`), the engine
as known now is asked for as many more rows as there are changed pairs whose rows as known now
the question's statuses keep: each such row can push at most one row of the page out of it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlmodel import Session

from workflow.eventlog.versions import reading_now
from workflow.obligations.answer import first_able, rows_and_totals
from workflow.obligations.evaluate import ObligationRow, PostRef, unit_counts
from workflow.obligations.general import GENERAL, evaluate_pairs, instances_as_now
from workflow.obligations.question import SCORES, TOTALS, Engine, Need, Question, UnitCounts
from workflow.obligations.sources import changed_visits
from workflow.obligations.spec import Span

Pairs = frozenset[tuple[str, str]]


class CorrectedEngine(Engine):
    """Answers a question asked as known at a moment with `faster` engines' answer as known now,
    corrected for the pairs whose visits changed since (the general engine where the instances differ)."""

    name = "corrected"

    def __init__(self, faster: Sequence[Engine]):
        self.faster = tuple(faster)

    def can_answer(self, question: Question, need: Need) -> str | None:
        if question.known_at is None:
            return "asked as known now: the faster engines answer it themselves"
        if first_able(self.faster, _now(question), need) is None:
            return "no faster engine answers it as known now"
        return None

    def rows_and_totals(self, session: Session, question: Question) -> tuple[list[ObligationRow], list[UnitCounts]]:
        changes = changed_pairs(session, question)
        if changes is None:
            return GENERAL.rows_and_totals(session, question)
        before, after = changes.rows(session, question)
        # Only a changed pair's row as known now that the statuses keep takes a place in the page.
        asked = _now(question, more=sum(1 for row in before if question.statuses is None or row.status in question.statuses))
        with reading_now(session) as now:
            rows, totals = rows_and_totals(now, asked, self.faster)
        return _rows(question, rows, changes.pairs, after), _totals(totals, before, after)

    def rows(self, session: Session, question: Question) -> list[ObligationRow]:
        return self.rows_and_totals(session, question)[0]

    def totals(self, session: Session, question: Question) -> list[UnitCounts]:
        found = self._as_now(session, question, TOTALS)
        if found is None:
            return GENERAL.totals(session, question)
        totals, before, after = found
        return _totals(totals, before, after)

    def scores(self, session: Session, question: Question) -> list[tuple[str, int, int]]:
        found = self._as_now(session, question, SCORES)
        if found is None:
            return GENERAL.scores(session, question)
        scores, before, after = found
        # The same instances then and now (`changed_pairs`): the same rows, whose periods met differ.
        owed, met = Counter(), Counter()
        for person, person_owed, person_met in scores:
            owed[person] += person_owed
            met[person] += person_met
        for sign, rows in ((-1, before), (1, after)):
            for row in rows:
                owed[row.person_id] += sign * row.periods_owed
                met[row.person_id] += sign * row.periods_met
        return [(person, owed[person], met[person]) for person in owed]

    def _as_now(self, session: Session, question: Question, need: Need):
        """(the first faster engine's `need` — totals or scores — as known now, the changed
        pairs' rows as known now, and as known then); None when the instances changed."""
        changes = changed_pairs(session, question)
        if changes is None:
            return None
        asked = _now(question)
        with reading_now(session) as now:
            answer = getattr(first_able(self.faster, asked, need), need)(now, asked)
        return answer, *changes.rows(session, question)


@dataclasses.dataclass(frozen=True)
class Changes:
    """What changed for a question since a point of the log, its instances being the same:
    the (official, target) pairs whose visits changed, each with the periods of the window it
    changed in (bits), and the question's posts (as they stand now, and as known then)."""

    periods: dict[tuple[str, str], int]
    posts: list[tuple[PostRef, Span]]

    @property
    def pairs(self) -> Pairs:
        return frozenset(self.periods)

    def rows(self, session: Session, question: Question) -> tuple[list[ObligationRow], list[ObligationRow]]:
        """The general engine's rows of the pairs alone: (as known now, as `session` reads them)."""
        return evaluate_pairs(session, question, self.periods, self.posts) if self.periods else ([], [])


def changed_pairs(session: Session, question: Question) -> Changes | None:
    """What changed for the question after the point `session` reads as known at; None when the
    instances themselves differ then and now (`general.instances_as_now`)."""
    posts = instances_as_now(session, question)
    if posts is None:
        return None
    persons = {post.person_id for post, _ in posts}
    return Changes(changed_visits(session, persons=persons, level=question.rule.target_level.value, window=question.window), posts)


def _now(question: Question, more: int = 0) -> Question:
    """The question as known now (a page `more` rows longer)."""
    first = None if question.first is None else question.first + more
    return dataclasses.replace(question, known_at=None, first=first)


def _rows(question: Question, rows: list[ObligationRow], pairs: Pairs, after: list[ObligationRow]) -> list[ObligationRow]:
    kept = [row for row in rows if (row.person_id, row.target_id) not in pairs]
    return kept + [row for row in after if question.statuses is None or row.status in question.statuses]


def _totals(totals: list[UnitCounts], before: list[ObligationRow], after: list[ObligationRow]) -> list[UnitCounts]:
    """`totals` less the counts of `before`, plus those of `after` (units left with no instance dropped)."""
    by_status: dict[str, Counter] = defaultdict(Counter)
    missed: Counter = Counter()
    for sign, found in ((1, totals), (-1, unit_counts(before)), (1, unit_counts(after))):
        for unit, counts, unit_missed in found:
            for status, n in counts.items():
                by_status[unit][status] += sign * n
            missed[unit] += sign * unit_missed
    corrected = []
    for unit, counts in by_status.items():
        kept = {status: n for status, n in counts.items() if n}
        if kept:
            corrected.append((unit, kept, missed[unit]))
    return corrected
