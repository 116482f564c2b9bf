"""The general engine: any rule, any window, as known now or at any moment, in Python.

The faster engines (`relationship`, `jurisdiction`, `tallies`) answer what they can from
the projections; everything else comes here: the "any poor village" rules (V2, V5) always,
and every rule when a report is asked as known at a moment (visits, voids, posts, pairings,
links and registry spells as the log told them then), when a rule book's periods are cut
inside a month, or when the window reaches back beyond the year before. Each instance's owed
periods come from its spans and (for jurisdiction targets) the periods the target was
poor in, its met periods from the periods its holder visited it in, as bits judged by the
specification like every engine's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import NamedTuple

from sqlmodel import Session

from workflow.obligations.evaluate import ObligationRow, PostRef, VisitBits, row_from_bits, span_bits, unit_counts
from workflow.obligations.question import Engine, Need, Question, UnitCounts
from workflow.obligations.instances import derive
from workflow.eventlog.versions import recorded_after
from workflow.obligations.projection import SPAN_EVENTS, VISIT_EVENTS
from workflow.obligations.sources import DaySource, KnownSource, MaskSource, poor_targets, relationship_obligations, rule_posts, targets_by_unit
from workflow.obligations.spec import Span
from workflow.obligations.visitdays import Undecidable


def evaluate_rule(session: Session, question: Question) -> list[ObligationRow]:
    """Every instance of the question's rule that owes a period in the window, as a report row.

    As known now, the masks are read, and the visits only where the masks cannot tell. As
    known at a past moment, `session` reads the records as known then (`reports` opens it
    with `versions.known_at`), and the visits themselves are read.
    """
    since = _Since.read(session)
    if since is not None:
        try:
            if not since.visits:
                return _evaluate(session, question, since, lambda persons, level: MaskSource(session, persons=persons, level=level, window=question.window))
            return _evaluate(session, question, since, lambda persons, level: KnownSource(session, persons=persons, level=level, window=question.window, changed=since.visits))
        except Undecidable:
            pass  # a period or as_of cut inside a month the masks cannot split: read the visits
    return _evaluate(session, question, since, lambda persons, level: DaySource(session, persons=persons, level=level, window=question.window))


# Events after `known_at` read before the report, at most: beyond, the visits and the
# obligation rows are read as known then (a few hundred milliseconds for a township).
SINCE_LIMIT = 2_000


class _Since(NamedTuple):
    """What the log recorded after the point a session reads as known at, as far as the
    obligations projection (the masks and the obligation rows, read as they stand now) cares."""

    visits: set[str]  # the visits recorded or voided since
    spans: bool  # whether a post, pairing or link changed since: the obligation rows did

    @classmethod
    def read(cls, session: Session) -> _Since | None:
        """None when the log holds too much since to correct the projection by it."""
        found = recorded_after(session, limit=SINCE_LIMIT)
        if found is None:
            return None
        return cls({entity for event_type, entity in found if event_type in VISIT_EVENTS}, any(event_type in SPAN_EVENTS for event_type, _ in found))


def _evaluate(session: Session, question: Question, since: _Since | None, source_for) -> list[ObligationRow]:
    if question.by_relationship:
        return _relationship_rows(session, question, since, source_for)
    return _jurisdiction_rows(session, question, source_for)


class _Relationship(NamedTuple):
    post: PostRef
    target_level: str
    target_id: str
    source_id: str


def _relationships(session: Session, question: Question, since: _Since | None) -> list[tuple[_Relationship, Span]]:
    """The question's pairings or links with the days each runs (its post's and its own, both)."""
    if since is not None and not since.spans:
        # No post, pairing or link changed since the moment asked: the obligation rows as they stand hold.
        found = [row._mapping for row in relationship_obligations(session, question)]
    else:
        # The obligation rows hold what is known now: derive them again from the posts,
        # pairings and links as known then.
        posts = {post.post_id for post, _ in rule_posts(session, question)}
        found = [row for row in derive(session.connection(), post_ids=sorted(posts)) if row["kind"] == question.rule.targets.value]
    return [
        (_Relationship(PostRef(o["post_id"], o["person_id"], o["role"], o["unit_code"], o["township_code"], o["county_code"]), o["target_level"], o["target_id"], o["source_id"]), (o["start_date"], o["end_date"]))
        for o in found
    ]


def _relationship_rows(session: Session, question: Question, since: _Since | None, source_for) -> list[ObligationRow]:
    window, rule = question.window, question.rule
    relationships = _relationships(session, question, since)
    source = source_for({o.post.person_id for o, _ in relationships}, rule.target_level.value)
    rows = []
    if question.each_target:
        # Owed where post and pairing (or link) cover a period whole; met by a visit in it.
        for o, span in relationships:
            owed = span_bits(window, span)
            if owed:
                visits = source.visits(o.post.person_id, o.target_id)
                rows.append(row_from_bits(
                    window, o.post, owed=owed, met=visits.bits & owed, last_visit_on=visits.latest(ALL),
                    target_level=o.target_level, target_id=o.target_id, source_id=o.source_id,
                ))
        return rows
    # One visit to any paired household (or linked village) per period: a period is owed
    # when some pairing or link of the post covers it whole, met by a visit to one covering it.
    by_post = defaultdict(list)
    for o, span in relationships:
        by_post[o.post].append((source.visits(o.post.person_id, o.target_id), span_bits(window, span)))
    for post, members in by_post.items():
        rows += _any_row(window, post, ALL, members)
    return rows


def _jurisdiction_rows(session: Session, question: Question, source_for) -> list[ObligationRow]:
    window, rule = question.window, question.rule
    posts = rule_posts(session, question)
    if not posts:
        return []
    poor = poor_targets(session, level=rule.target_level.value, scope=question.scope, window=window)
    targets = targets_by_unit(poor, {post.unit_code for post, _ in posts})
    source = source_for({post.person_id for post, _ in posts}, rule.target_level.value)
    poor_in = {target.id: target.poor_bits(window) for target in poor}
    rows = []
    for post, span in posts:
        covered = span_bits(window, span)
        if not covered:
            continue
        mine = targets.get(post.unit_code, [])
        if question.each_target:
            # Owed where the post covers a period whole and the target was poor in it.
            for target in mine:
                owed = covered & poor_in[target.id]
                if owed:
                    visits = source.visits(post.person_id, target.id)
                    rows.append(row_from_bits(
                        window, post, owed=owed, met=visits.bits & owed, last_visit_on=visits.latest(poor_in[target.id]),
                        target_level=rule.target_level.value, target_id=target.id,
                    ))
        else:
            rows += _any_row(window, post, covered, [(source.visits(post.person_id, target.id), poor_in[target.id]) for target in mine])
    return rows


ALL = -1  # every period of a window


def _any_row(window, post: PostRef, covered: int, members: list[tuple[VisitBits, int]]) -> list[ObligationRow]:
    """The row (if it owes anything) of a post owing one visit per period to any member:
    (its visits, the periods it counts in). A period in which no member counts owes nothing."""
    counting = 0
    for _, counts in members:
        counting |= counts
    owed = covered & counting
    if not owed:
        return []
    met = 0
    for visits, counts in members:
        met |= visits.bits & counts
    latest = [day for visits, counts in members if (day := visits.latest(counts)) is not None]
    return [row_from_bits(window, post, owed=owed, met=met & owed, last_visit_on=max(latest) if latest else None)]


class GeneralEngine(Engine):
    """Answers every question, from posts, pairings, links, registry spells and visit days in Python."""

    name = "general"

    def can_answer(self, question: Question, need: Need) -> str | None:
        return None

    def rows(self, session: Session, question: Question) -> list[ObligationRow]:
        return self.rows_and_totals(session, question)[0]

    def totals(self, session: Session, question: Question) -> list[UnitCounts]:
        return unit_counts(evaluate_rule(session, question))

    def scores(self, session: Session, question: Question) -> list[tuple[str, int, int]]:
        owed, met = Counter(), Counter()
        for row in evaluate_rule(session, question):
            owed[row.person_id] += row.periods_owed
            met[row.person_id] += row.periods_met
        return [(person, owed[person], met[person]) for person in owed]

    def rows_and_totals(self, session: Session, question: Question) -> tuple[list[ObligationRow], list[UnitCounts]]:
        rows = evaluate_rule(session, question)
        kept = rows if question.statuses is None else [row for row in rows if row.status in question.statuses]
        return kept, unit_counts(rows)


GENERAL = GeneralEngine()
