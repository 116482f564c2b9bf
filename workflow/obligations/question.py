"""What a report asks of one visit rule, which every engine answers alike."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from rules.schema import TargetCount, TargetSet, VisitRule
from workflow.obligations.spec import Window
from workflow.org.models import OrgUnit

Need = Literal["rows", "totals", "scores"]
ROWS: Need = "rows"
TOTALS: Need = "totals"
SCORES: Need = "scores"

UnitCounts = tuple[str, dict[str, int], int]  # a post unit, its instances by status, the periods they missed


@dataclasses.dataclass(frozen=True)
class Question:
    """Which instances of one rule a report asks about, as known when, and which of their rows.

    The instances: the rule's window, the posts of the roles in the subtree (optionally one
    official's). `known_at`: as the log told them at that moment (None: as known now).
    `statuses` keeps rows of those statuses (totals count every row regardless); with
    `first`, only the first rows in the report's order are needed. `units` (unit paths), a
    hint an engine may use, says only posts at those units hold the rows needed. `before`
    (county, township, unit, rule id: a place in the report's order) says the rows needed
    come before it: other rules' rows already fill the page from there on.
    """

    window: Window
    scope: OrgUnit
    roles: frozenset[str]
    person_id: str | None = None
    known_at: dt.datetime | None = None
    statuses: frozenset[str] | None = None
    first: int | None = None
    units: tuple[str, ...] | None = None
    before: tuple[str, str, str, str] | None = None

    @property
    def rule(self) -> VisitRule:
        return self.window.rule

    @property
    def by_relationship(self) -> bool:
        """Whether the rule's targets are the post's pairings (V7) or links (V3), not its jurisdiction."""
        return self.rule.targets in (TargetSet.paired, TargetSet.linked)

    @property
    def each_target(self) -> bool:
        """Whether each target is owed its own visits (every rule but "any poor village", V2 and V5)."""
        return self.rule.count is TargetCount.each


class Engine:
    """A way of answering questions: the general evaluation answers any; faster ones answer some.

    `can_answer` gives the reason an engine cannot answer a question's need, or None when it
    can; the planner (`planner.plan`) asks the engines in order and takes the first that can.
    Every engine's answers equal the general evaluation's, which reads the specification
    (`spec`) most directly (the brute-force tests compare them on random worlds).
    """

    name: str

    def can_answer(self, question: Question, need: Need) -> str | None:
        raise NotImplementedError

    def rows(self, session, question: Question) -> list:
        """The report rows kept by `question.statuses`, with the officials' names; with
        `question.first`, at least the first that many of them in the report's order."""
        raise NotImplementedError

    def totals(self, session, question: Question) -> list[UnitCounts]:
        """Per post unit, every instance counted by status, and the periods they missed."""
        raise NotImplementedError

    def scores(self, session, question: Question) -> list[tuple[str, int, int]]:
        """(person, closed periods owed, closed periods met) summed over the instances."""
        raise NotImplementedError

    def rows_and_totals(self, session, question: Question) -> tuple[list, list[UnitCounts]]:
        return self.rows(session, question), self.totals(session, question)

    def __repr__(self) -> str:
        return f"<engine {self.name}>"
