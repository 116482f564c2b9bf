"""The general evaluation: any rule, any window, from the visit masks or from the visits.

`fast` answers the rules owed per target over whole months from the projections; everything
else comes here: the "any poor village" rules (V2, V5) always, and every rule when a report is asked
as known at a moment (visits, voids, posts, pairings, links and registry spells as the log
told them then),
or when a rule book's periods are cut inside a month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlmodel import Session

from rules.schema import TargetCount, TargetSet
from workflow.obligations.evaluate import ObligationRow, PostRef, Span, evaluate_any, evaluate_each, intersect
from workflow.obligations.evaluate import covers
from workflow.obligations.periods import CalendarPeriod
from workflow.obligations.sources import (
    DaySource,
    MaskSource,
    Selection,
    Target,
    poor_targets,
    relationship_obligations,
    rule_posts,
    spans_as_known,
    targets_by_unit,
)
from workflow.eventlog.log import known_by
from workflow.obligations.visitdays import Undecidable


def evaluate_rule(session: Session, selection: Selection, *, known_at: dt.datetime | None = None) -> list[ObligationRow]:
    """Every instance of the selection's rule that owes a period in the window, as a report row.

    Without `known_at` the masks are read, and the visits only where the masks cannot tell;
    with it, the visits as known then.
    """
    if known_at is None:
        try:
            return _evaluate(session, selection, lambda persons, level: MaskSource(session, persons=persons, level=level, window=selection.window))
        except Undecidable:
            pass  # a period or as_of cut inside a month the masks cannot split: read the visits
    return _evaluate(session, selection, lambda persons, level: DaySource(session, persons=persons, level=level, window=selection.window, known_at=known_at), known_at)


def _evaluate(session: Session, selection: Selection, source_for, known_at: dt.datetime | None = None) -> list[ObligationRow]:
    rule = selection.rule
    if rule.targets in (TargetSet.paired, TargetSet.linked):
        return _relationship_rows(session, selection, source_for, known_at)
    return _jurisdiction_rows(session, selection, source_for, known_at)


def _relationship_spans(session: Session, selection: Selection, known_at: dt.datetime | None) -> list[tuple[object, Span]]:
    """The obligation rows with the days each runs: as now, or as the log told them at `known_at`."""
    if known_at is None:
        return [(o, (o.start_date, o.end_date)) for o in relationship_obligations(session, selection)]
    obligations = relationship_obligations(session, selection, any_time=True)
    posts = spans_as_known(session, "post", {o.post_id for o in obligations}, known_at)
    kind = "pairing" if selection.rule.targets is TargetSet.paired else "unit_link"
    sources = spans_as_known(session, kind, {o.source_id for o in obligations}, known_at)
    found = []
    for o in obligations:
        if o.post_id in posts and o.source_id in sources:
            span = intersect(posts[o.post_id], sources[o.source_id])
            if span is not None:
                found.append((o, span))
    return found


def _relationship_rows(session: Session, selection: Selection, source_for, known_at) -> list[ObligationRow]:
    window, rule = selection.window, selection.rule
    obligations = _relationship_spans(session, selection, known_at)
    source = source_for({o.person_id for o, _ in obligations}, rule.target_level.value)
    rows = []
    if rule.count is TargetCount.each:
        for o, span in obligations:
            post = PostRef(o.post_id, o.person_id, o.role, o.unit_code, o.township_code, o.county_code)
            row = evaluate_each(
                window, post, span,
                target_level=o.target_level, target_id=o.target_id, source_id=o.source_id,
                days=source.days(o.person_id, o.target_id), counts=_always,
            )
            if row is not None:
                rows.append(row)
        return rows
    # One visit to any paired household (or linked village) per period: a period is owed
    # when some pairing or link of the post covers it whole.
    by_post = defaultdict(list)
    for o, span in obligations:
        by_post[PostRef(o.post_id, o.person_id, o.role, o.unit_code, o.township_code, o.county_code)].append((o, span))
    for post, members in by_post.items():
        row = evaluate_any(window, post, (dt.date.min, None), [(source.days(post.person_id, o.target_id), _covered_by(span)) for o, span in members])
        if row is not None:
            rows.append(row)
    return rows


def _jurisdiction_rows(session: Session, selection: Selection, source_for, known_at) -> list[ObligationRow]:
    window, rule = selection.window, selection.rule
    posts = rule_posts(session, selection, any_time=known_at is not None)
    if known_at is not None:
        known = spans_as_known(session, "post", {post.post_id for post, _ in posts}, known_at)
        posts = [(post, known[post.post_id]) for post, _ in posts if post.post_id in known]
    if not posts:
        return []
    known_seq = None if known_at is None else known_by(session, known_at)
    poor = poor_targets(session, level=rule.target_level.value, scope=selection.scope, window=window, known_seq=known_seq)
    targets = targets_by_unit(poor, {post.unit_code for post, _ in posts})
    source = source_for({post.person_id for post, _ in posts}, rule.target_level.value)
    rows = []
    for post, span in posts:
        mine = targets.get(post.unit_code, [])
        if rule.count is TargetCount.each:
            for target in mine:
                row = evaluate_each(
                    window, post, span, target_level=rule.target_level.value, target_id=target.id,
                    days=source.days(post.person_id, target.id), counts=_poor(window, target),
                )
                if row is not None:
                    rows.append(row)
        else:
            row = evaluate_any(window, post, span, [(source.days(post.person_id, target.id), _poor(window, target)) for target in mine])
            if row is not None:
                rows.append(row)
    return rows


def _always(_period: CalendarPeriod) -> bool:
    return True


def _covered_by(span):
    def test(period: CalendarPeriod) -> bool:
        return covers(span, period)

    return test


def _poor(window, target: Target):
    def test(period: CalendarPeriod) -> bool:
        # Poor at any time in the part of the period seen by as_of.
        return target.poor_during(*window.seen(period))

    return test
