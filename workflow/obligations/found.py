"""Instances read by the SQL engines, built into report rows by the same function as everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlmodel import Session

from workflow.obligations.evaluate import ObligationRow, PostRef, row_from_bits
from workflow.obligations.question import Question
from workflow.obligations.sources import DaySource
from workflow.obligations.spec import Window
from workflow.obligations.visitdays import MaskDays, Undecidable, VisitDays
from workflow.visits.masks import YearMask


def latest_visit_day(window: Window, days: VisitDays, counts: int):
    """The latest visit day in a period of the window in which the target counted (the bits of `counts`)."""
    # The latest visit in a period in which the target counted; periods run back to back.
    for i in reversed(range(len(window.periods))):
        if counts >> i & 1:
            day = days.last_in(*window.seen_parts[i])
            if day is not None:
                return day
    return None


class Found(NamedTuple):
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


def built(session: Session, question: Question, found: Iterable[Found]) -> list[ObligationRow]:
    """The report rows of `found`, each built by `evaluate.row_from_bits`, with its last visit."""
    window = question.window
    start, as_of, every_period = window.first, window.as_of, (1 << len(window.periods)) - 1
    result, unsure = [], []
    for post, target_level, target_id, source_id, owed, met, counts, masks, person_name, target_name in found:
        try:
            if not masks:
                last_visit = None
            elif counts == every_period:  # the target counted throughout: one look back from as_of
                last_visit = MaskDays(masks).last_in(start, as_of)
            else:
                last_visit = latest_visit_day(window, MaskDays(masks), counts)
        except Undecidable:
            last_visit = None
            unsure.append((len(result), counts))
        row = row_from_bits(window, post, owed=owed, met=met, last_visit_on=last_visit, target_level=target_level, target_id=target_id, source_id=source_id)
        row.person_name, row.target_name = person_name, target_name
        result.append(row)
    if unsure:
        # Several visits in as_of's month on both sides of as_of: the latest one up to it comes from the visits.
        exact = DaySource(session, persons={result[i].person_id for i, _ in unsure}, level=question.rule.target_level.value, window=window)
        for i, counts in unsure:
            result[i].last_visit_on = exact.visits(result[i].person_id, result[i].target_id).latest(counts)
    return result
