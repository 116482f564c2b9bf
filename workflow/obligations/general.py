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

from collections import Counter, defaultdict
from typing import NamedTuple

from sqlmodel import Session

from workflow.obligations.evaluate import ObligationRow, PostRef, VisitBits, row_from_bits, span_bits, unit_counts
from workflow.obligations.question import Engine, Need, Question, UnitCounts
from workflow.obligations.instances import PAIRED, derive
from workflow.eventlog.versions import changed_since, reading_now, reads_now
from workflow.obligations.sources import DaySource, KnownSource, MaskSource, poor_targets, posts_changed_since, registry_changed_since, relationship_obligations, rule_posts, targets_by_unit
from workflow.obligations.spec import Span
from workflow.obligations.visitdays import Undecidable
from workflow.posts.models import Pairing, UnitLink


def evaluate_rule(session: Session, question: Question) -> list[ObligationRow]:
    """Every instance of the question's rule that owes a period in the window, as a report row.

    The visits are read from the masks, and from the visits themselves only where the masks
    cannot tell. As known at a past moment (`session` reads the records as known then:
    `reports` opens it with `versions.known_records`), the masks, which hold current
    knowledge, are read for the (person, target) pairs none of whose visits in the window was
    recorded or voided since, and the visits as known then for the others (`KnownSource`).
    """
    if question.by_relationship:
        relationships = _relationships(session, question)
        return _with_visits(session, question, lambda source_for: _relationship_rows(question, source_for, relationships))
    posts = rule_posts(session, question)
    if not posts:
        return []
    poor = poor_targets(session, level=question.rule.target_level.value, scope=question.scope, window=question.window)
    return _with_visits(session, question, lambda source_for: _jurisdiction_rows(question, source_for, posts, poor))


def evaluate_pairs(session: Session, question: Question, changed: dict[tuple[str, str], int], posts: list[tuple[PostRef, Span]]) -> tuple[list[ObligationRow], list[ObligationRow]]:
    """The rows of the (official, target) pairs `changed` alone (each with the periods of the
    window its visits changed in since the point `session` reads as known at, as bits), of a rule owed
    per target: (as known now, as `session` reads them). The instances are those standing now,
    of the question's `posts` as they stand now (which the caller has found to be those known
    then: `instances_as_now`), read once for both; the visits as known now from the masks, and
    as known then from the same masks corrected by the pairs' visits since (`KnownSource`)."""
    if not question.each_target:
        raise ValueError("pairs are instances of a rule owed per target")
    pairs = frozenset(changed)
    if question.by_relationship:
        relationships = _as_relationships(relationship_obligations(session, question, pairs=pairs))
        evaluate = lambda source_for: _relationship_rows(question, source_for, relationships)  # noqa: E731
    else:
        persons = {person for person, _ in pairs}
        posts = [(post, span) for post, span in posts if post.person_id in persons]
        poor = poor_targets(session, level=question.rule.target_level.value, scope=question.scope, window=question.window, ids={target for _, target in pairs}, now=True)
        evaluate = lambda source_for: _jurisdiction_rows(question, source_for, posts, poor, pairs)  # noqa: E731
    if reads_now(session):
        rows = _with_visits(session, question, evaluate)
        return rows, rows
    known: list[KnownSource] = []

    def known_source(persons: set[str], level: str) -> KnownSource:
        known.append(KnownSource(session, persons=persons, level=level, window=question.window, changed=changed))
        return known[-1]

    try:
        then = evaluate(known_source)
        return evaluate(lambda persons, level: known[-1].now), then
    except Undecidable:
        pass  # a period or as_of cut inside a month the masks cannot split: read the visits, now and then
    with reading_now(session) as now:
        rows_now = evaluate(lambda persons, level: DaySource(now, persons=persons, level=level, window=question.window))
    return rows_now, evaluate(lambda persons, level: DaySource(session, persons=persons, level=level, window=question.window))


def _with_visits(session: Session, question: Question, evaluate) -> list[ObligationRow]:
    """`evaluate(source_for)`, the visits read as `session` reads them: from the masks (corrected
    by what changed since, as known then) and, where the masks cannot tell, from the visits."""
    if reads_now(session):
        source_for = lambda persons, level: MaskSource(session, persons=persons, level=level, window=question.window)  # noqa: E731
    else:
        source_for = lambda persons, level: KnownSource(session, persons=persons, level=level, window=question.window)  # noqa: E731
    try:
        return evaluate(source_for)
    except Undecidable:
        pass  # a period or as_of cut inside a month the masks cannot split: read the visits
    return evaluate(lambda persons, level: DaySource(session, persons=persons, level=level, window=question.window))


class _Relationship(NamedTuple):
    post: PostRef
    target_level: str
    target_id: str
    source_id: str


def _relationships(session: Session, question: Question) -> list[tuple[_Relationship, Span]]:
    """The question's pairings or links with the days each runs (its post's and its own, both)."""
    if reads_now(session) or instances_as_now(session, question) is not None:
        found = relationship_obligations(session, question)
    else:
        # The obligation rows hold what is known now: derive them again from the posts,
        # pairings and links as known then.
        posts = rule_posts(session, question)
        found = [row for row in derive(session.connection(), post_ids=sorted({post.post_id for post, _ in posts})) if row["kind"] == question.rule.targets.value]
    return _as_relationships(found)


def _as_relationships(found) -> list[tuple[_Relationship, Span]]:
    """Obligation rows (mappings, or rows with `_mapping`) as relationships with their spans."""
    mappings = [getattr(o, "_mapping", o) for o in found]
    return [
        (_Relationship(PostRef(o["post_id"], o["person_id"], o["role"], o["unit_code"], o["township_code"], o["county_code"]), o["target_level"], o["target_id"], o["source_id"]), (o["start_date"], o["end_date"]))
        for o in mappings
    ]


def instances_as_now(session: Session, question: Question) -> list[tuple[PostRef, Span]] | None:
    """The question's posts as they stand now, if its instances now are those known then: no
    post of its roles in the subtree, and no pairing of their holders (link of their units) —
    for a rule over a post's jurisdiction, no registry spell of a target in the subtree — was
    given a state since. None if one was. (A household's village and a unit's place never change.)"""
    if posts_changed_since(session, question):
        return None
    posts = rule_posts(session, question, now=True)
    if not question.by_relationship:
        changed = registry_changed_since(session, level=question.rule.target_level.value, scope=question.scope)
    elif question.rule.targets.value == PAIRED:
        changed = changed_since(session, Pairing, "cadre_id", {post.person_id for post, _ in posts})
    else:
        changed = changed_since(session, UnitLink, "unit_code", {post.unit_code for post, _ in posts})
    return None if changed else posts


def _relationship_rows(question: Question, source_for, relationships: list[tuple[_Relationship, Span]]) -> list[ObligationRow]:
    window, rule = question.window, question.rule
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


def _jurisdiction_rows(question: Question, source_for, posts: list[tuple[PostRef, Span]], poor: list, pairs: frozenset | None = None) -> list[ObligationRow]:
    """The rows of `posts` over the `poor` targets below their units (`pairs`: of those pairs alone)."""
    window, rule = question.window, question.rule
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
                if pairs is not None and (post.person_id, target.id) not in pairs:
                    continue
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
