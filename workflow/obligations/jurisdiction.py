"""The engine of the rules owed per target below a post's unit (V1, V4, V6), from the projections.

Jurisdiction rules have no rows of their own: an instance is a post and a target below its
unit. The database reads what an index finds — the targets of the units below the posts
with the periods they were poor in (one query), the periods each holder visited each target
in (one query) — and Python pairs them, judges each distinct (owed, met) pair once by the
specification (`spec.judged`), counts and orders them. One look at the instances serves
both a report's page and its totals (`rows_and_totals`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator

from sqlalchemy import BigInteger, case, cast, func, select
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import in_list_size, in_span, one_of
from workflow.obligations.evaluate import ObligationRow, PostRef, unit_order
from workflow.obligations.found import Found, built
from workflow.obligations.masksql import cannot_read_masks, Masks, bits_where, months_met, n, needs_year_before, period_months
from workflow.obligations.question import ROWS, Engine, Need, Question, UnitCounts
from workflow.obligations.sources import REGISTRY_OF_LEVEL, Target, names, rule_posts, targets_by_unit
from workflow.obligations.spec import covers, judged
from workflow.obligations.models import PoorSpellsTally, PoorVisitTally
from workflow.obligations.poor_counts import spells_of
from workflow.org.models import OrgUnit, RegistrySpell
from workflow.pairings.models import PairingCover
from workflow.org.places import Subtree
from workflow.visits.mask_rows import masks_of
from workflow.visits.models import VisitMask

_mask = VisitMask.__table__
_cover = PairingCover.__table__
_spells_tally, _visit_tally = PoorSpellsTally.__table__, PoorVisitTally.__table__


# An instance: (post, target id, owed, met, counts) — the periods the post covers whole in
# which the target was poor, those with a visit by the post's holder up to as_of, and those
# in which the target was poor. A plain tuple: a city has half a million of them.
_Instance = tuple[PostRef, str, int, int, int]


def _anchors(session: Session, question: Question, unit_codes: set[str]) -> dict[str, list[str]]:
    """The units of the rule's target level below each of `unit_codes` (for household targets, the villages)."""
    level = "village" if question.rule.target_level.value == "household" else question.rule.target_level.value
    query = select(OrgUnit.code, OrgUnit.path).where(OrgUnit.level == level, Subtree.of(question.scope).clause(OrgUnit.path))
    units = [Target(code, path, ()) for code, path in session.execute(query)]
    return {code: [unit.id for unit in below] for code, below in targets_by_unit(units, unit_codes).items()}


def _poor_targets(session: Session, question: Question, anchors: set[str]) -> dict[str, list[tuple[str, int]]]:
    """For each anchor unit, (target, periods it was poor in) of the targets there poor in some period of the window."""
    window, level = question.window, question.rule.target_level.value
    if level == "household":
        # The poor-household spells as the pairing cover holds them (each cut into runs where
        # pairings begin and end; their union is the spell), by its village index alone: one
        # pass over a city's households, where a look-up of each one's spells cost 4 µs apiece.
        subject, anchor = _cover.c.household_id, _cover.c.village_code
        first_day, last_day, where = _cover.c.start_date, _cover.c.end_date, ()
    else:
        spell = RegistrySpell.__table__
        subject = anchor = spell.c.subject_id
        first_day, last_day, where = spell.c.registered_on, spell.c.exited_on, (spell.c.kind == REGISTRY_OF_LEVEL[level],)
    overlaps = lambda first, last: in_span(first_day, last_day, first, last)  # noqa: E731
    poor_bits = sum((func.max(case((overlaps(first, last), n(1 << i)), else_=n(0))) for i, (first, last) in enumerate(window.seen_parts)), n(0))
    window_first, window_last = window.seen_parts[0][0], window.seen_parts[-1][1]
    connection, found = session.connection(), defaultdict(list)
    for part in chunks(sorted(anchors), in_list_size(connection)):
        query = (
            select(anchor, subject, poor_bits)
            .where(*where, one_of(connection, anchor, part), overlaps(window_first, window_last))
            .group_by(anchor, subject)
        )
        for anchor_code, target_id, bits in connection.execute(query).all():  # all at once: a city has 260,500
            if bits:
                found[anchor_code].append((target_id, int(bits)))
    return found


def _met_periods(session: Session, question: Question, persons: set[str]) -> dict[tuple[str, str], int]:
    """(person, target) → the periods of the window in which the person visited the target, up to as_of."""
    window, year = question.window, question.window.as_of.year
    m = _mask.c

    def of_year(mask_year):  # a mask row's columns when it is of `mask_year`, else 0
        return tuple(case((m.year == mask_year, m[name]), else_=n(0)) for name in ("month_mask", "first_days", "last_days"))

    before = needs_year_before(window)
    # Each row adds its own year's months, which no other row of the target has: a sum is their union.
    months = cast(func.sum(months_met(window, Masks(_mask, of_year(year), of_year(year - 1) if before else None))), BigInteger)
    met = bits_where(months.bitwise_and(n(bits)) != n(0) for bits in period_months(window))
    connection, found = session.connection(), {}
    for part in chunks(sorted(persons), in_list_size(connection)):
        query = (
            select(m.person_id, m.target_id, met)
            .where(one_of(connection, m.person_id, part), m.target_level == question.rule.target_level.value, m.year.in_([year - 1, year] if before else [year]))
            .group_by(m.person_id, m.target_id)
        )
        found.update(((person, target), int(bits)) for person, target, bits in connection.execute(query).all() if bits)
    return found


@dataclasses.dataclass(frozen=True)
class _Look:
    """One look at a rule's instances: what the database answers by index (the targets' poor
    periods, the holders' masks), from which the pairs are made here — which unit lies below
    which post is settled from the paths."""

    posts: list[tuple[PostRef, int]]  # each post that covers some period of the window whole, with those periods
    anchors: dict[str, list[str]]  # post unit → the units of its targets (for households, the villages)
    targets: dict[str, list[tuple[str, int]]]  # anchor → (target, periods it was poor in)
    met: dict[str, dict[str, int]]  # person → target → periods of the window the person visited it in

    @functools.cached_property
    def by_poor(self) -> dict[str, dict[int, list[str]]]:
        """anchor → periods poor in → the targets poor in those."""
        found: dict[str, dict[int, list[str]]] = {}
        for anchor, targets in self.targets.items():
            groups = found[anchor] = defaultdict(list)
            for target_id, poor in targets:
                groups[poor].append(target_id)
        return found


def _covering_posts(session: Session, question: Question) -> list[tuple[PostRef, int]]:
    """Each post that covers some period of the window whole, with those periods."""
    periods = question.window.periods
    return [(post, covered) for post, span in rule_posts(session, question) if (covered := sum(1 << i for i, period in enumerate(periods) if covers(span, period)))]


def _look(session: Session, question: Question) -> _Look:
    posts = _covering_posts(session, question)
    if not posts:
        return _Look([], {}, {}, {})
    anchors = _anchors(session, question, {post.unit_code for post, _ in posts})
    targets = _poor_targets(session, question, {code for below in anchors.values() for code in below})
    met: dict[str, dict[str, int]] = defaultdict(dict)
    for (person, target), bits in _met_periods(session, question, {post.person_id for post, _ in posts}).items():
        met[person][target] = bits
    return _Look(posts, anchors, targets, met)


def _instances(look: _Look, posts: list[tuple[PostRef, int]] | None = None) -> Iterator[_Instance]:
    """Each post (of `posts`, or all) × each target below its unit that owes some period: owed
    where the post covers a period whole and the target was poor in it (SPEC §3)."""
    for post, covered in look.posts if posts is None else posts:
        person_met = look.met.get(post.person_id, {})
        for anchor in look.anchors.get(post.unit_code, ()):
            for target_id, poor in look.targets.get(anchor, ()):
                if owed := covered & poor:
                    yield post, target_id, owed, person_met.get(target_id, 0), poor


def _pairs(look: _Look) -> Counter:
    """How many instances each post has with each (owed, met) pair, without making them: the
    targets of a unit poor in the same periods owe the same, so only their visits are looked up
    (a count in C over each group). A post's instances mostly share their pairs, so a judgement
    per key (`evaluate.judged`) serves them all."""
    pairs: Counter = Counter()
    for post, covered in look.posts:
        visited = look.met.get(post.person_id, {}).get
        for anchor in look.anchors.get(post.unit_code, ()):
            for poor, target_ids in look.by_poor.get(anchor, {}).items():
                if owed := covered & poor:
                    for met, count in Counter(map(visited, target_ids)).items():
                        pairs[(post, owed, met or 0)] += count  # None: not visited in the window
    return pairs


def _totals(question: Question, pairs: Counter) -> list[tuple[str, dict[str, int], int]]:
    by_unit: dict[str, Counter] = defaultdict(Counter)
    missed_by_unit: Counter = Counter()
    for (post, owed, met), count in pairs.items():
        status, _, _, missed = judged(question.window, owed, met)
        by_unit[post.unit_code][status] += count
        missed_by_unit[post.unit_code] += missed.bit_count() * count
    return [(unit, dict(by_status), missed_by_unit[unit]) for unit, by_status in by_unit.items()]


def _scores(question: Question, pairs: Counter) -> list[tuple[str, int, int]]:
    owed_by: Counter = Counter()
    met_by: Counter = Counter()
    for (post, owed, met), count in pairs.items():
        _, _, owed_closed, _ = judged(question.window, owed, met)
        owed_by[post.person_id] += owed_closed.bit_count() * count
        met_by[post.person_id] += (owed_closed & met).bit_count() * count
    return [(person, owed_by[person], met_by[person]) for person in owed_by]


def _rows(session: Session, question: Question, look: _Look, pairs: Counter) -> list[ObligationRow]:
    window, level, statuses, first = question.window, question.rule.target_level.value, question.statuses, question.first
    kept = None if statuses is None else {(owed, met) for _, owed, met in pairs if judged(window, owed, met)[0] in statuses}
    keeps = lambda instance: kept is None or (instance[2], instance[3]) in kept  # noqa: E731
    posts = {post for post, _, _ in pairs}
    person_names = names(session, "person", {post.person_id for post in posts})
    if first is None:
        instances = [instance for instance in _instances(look) if keeps(instance)]
    else:
        # The report's order (`reports._sort` within one rule; a missing code or name first): by
        # the post's place and holder, then by target and post. There are few holders: only the
        # first ones' instances are made, and sorted.
        holder_of = {post: (*unit_order(post.county_code, post.township_code, post.unit_code), person_names.get(post.person_id) or "", post.person_id) for post in posts}
        by_holder: dict[tuple, set[PostRef]] = defaultdict(set)
        for post, owed, met in pairs:
            if kept is None or (owed, met) in kept:
                by_holder[holder_of[post]].add(post)
        posts_of: dict[PostRef, list[tuple[PostRef, int]]] = defaultdict(list)
        for post, covered in look.posts:
            posts_of[post].append((post, covered))
        instances = []
        for holder in sorted(by_holder):
            if len(instances) >= first:
                break
            found = [instance for instance in _instances(look, [entry for post in by_holder[holder] for entry in posts_of[post]]) if keeps(instance)]
            instances += sorted(found, key=lambda instance: (instance[1], instance[0].post_id))
        del instances[first:]
    masks = masks_of(session.connection(), {(post.person_id, level, target_id) for post, target_id, *_ in instances})
    return built(session, question, (
        Found(post, level, target_id, None, owed, met, counts, masks.get((post.person_id, level, target_id), {}), person_names.get(post.person_id), None)
        for post, target_id, owed, met, counts in instances
    ))


class JurisdictionEngine(Engine):
    name = "jurisdiction"

    def can_answer(self, question: Question, need: Need) -> str | None:
        if question.by_relationship or not question.each_target:
            return "the rule is not owed per target below the post's unit"
        return cannot_read_masks(question)

    def rows(self, session: Session, question: Question) -> list[ObligationRow]:
        look = _look(session, question)
        return _rows(session, question, look, _pairs(look))

    def totals(self, session: Session, question: Question) -> list[UnitCounts]:
        return _totals(question, _pairs(_look(session, question)))

    def scores(self, session: Session, question: Question) -> list[tuple[str, int, int]]:
        return _scores(question, _pairs(_look(session, question)))

    def rows_and_totals(self, session: Session, question: Question) -> tuple[list[ObligationRow], list[UnitCounts]]:
        """Both from one look at the instances."""
        look = _look(session, question)
        pairs = _pairs(look)
        return _rows(session, question, look, pairs), _totals(question, pairs)


JURISDICTION = JurisdictionEngine()


# ---- the rule owed per poor household, counted ---------------------------------------
#
# A city's V6 has half a million instances, but its totals and scores need only how many
# instances each post has with each (owed, met) pair. Households of a village with the same
# poor days owe a post alike (the spells tally counts them, a few rows per village); of those,
# the visit tally counts the ones the holder visited, by the first day in the year and whether
# in the year before (`poor_counts`); the others the holder did not visit.


def _calendar_years(window) -> bool:
    """Whether the window's periods are whole calendar years, as_of's and perhaps the one before:
    what the visit tally, kept by year, can say."""
    year = window.as_of.year
    years = [period.first.year for period in window.periods]
    return years in ([year], [year - 1, year]) and all(
        (period.first, period.last) == (dt.date(period.first.year, 1, 1), dt.date(period.first.year, 12, 31)) for period in window.periods
    )


def _poor_bits(window) -> Callable[[str], int]:
    """Poor days as `poor_counts.spells_text` writes them → the periods of the window poor in,
    as a target with those spells counts them (`Target.poor_bits`); once per text."""

    @functools.cache
    def bits(spells: str) -> int:
        return Target("", "", tuple(spells_of(spells))).poor_bits(window)

    return bits


def _village_poor(session: Session, villages: set[str], poor_bits: Callable[[str], int]) -> dict[str, Counter]:
    """village → periods of the window poor in → households, from the spells tally."""
    connection, found = session.connection(), defaultdict(Counter)
    t = _spells_tally.c
    for part in chunks(sorted(villages), in_list_size(connection)):
        for village_code, spells, households in connection.execute(select(t.village_code, t.spells, t.households).where(one_of(connection, t.village_code, part))).all():
            if bits := poor_bits(spells):
                found[village_code][bits] += households
    return found


def _visited(session: Session, question: Question, persons: set[str], poor_bits: Callable[[str], int]) -> dict[str, dict[str, Counter]]:
    """person → village → (periods poor in, periods visited in) → households the person visited
    in the window's years, from the visit tally."""
    window = question.window
    current, before = window.current_bit, window.latest_closed_bit
    v = _visit_tally.c
    by_now = func.sum(case((v.first_visit <= window.as_of, v.households), else_=0))
    connection, found = session.connection(), defaultdict(lambda: defaultdict(Counter))
    for part in chunks(sorted(persons), in_list_size(connection)):
        # Grouped in the key's order (the rows stream through; no sort), the households visited
        # by as_of summed beside all of them.
        query = (
            select(v.person_id, v.village_code, v.spells, v.visited_before, by_now, func.sum(v.households))
            .where(v.year == window.as_of.year, one_of(connection, v.person_id, part))
            .group_by(v.person_id, v.village_code, v.spells, v.visited_before)
        )
        for person, village_code, spells, visited_before, now, households in connection.execute(query).all():
            if poor := poor_bits(spells):
                counts, earlier = found[person][village_code], before if visited_before else 0
                if now := int(now):
                    counts[poor, earlier | current] += now
                if later := int(households) - now:
                    counts[poor, earlier] += later
    return found


def _counted_pairs(session: Session, question: Question) -> Counter:
    """`_pairs` of a rule owed per poor household, from counts: no household is read alone."""
    posts = _covering_posts(session, question)
    if not posts:
        return Counter()
    poor_bits = _poor_bits(question.window)
    anchors = _anchors(session, question, {post.unit_code for post, _ in posts})
    poor_in = _village_poor(session, {code for below in anchors.values() for code in below}, poor_bits)
    visited = _visited(session, question, {post.person_id for post, _ in posts}, poor_bits)
    pairs: Counter = Counter()
    for post, covered in posts:
        visited_in = visited.get(post.person_id, {})
        for village in anchors.get(post.unit_code, ()):
            seen: Counter = Counter()
            for (poor, met), count in visited_in.get(village, {}).items():
                seen[poor] += count
                if owed := covered & poor:
                    pairs[(post, owed, met)] += count
            for poor, count in poor_in.get(village, {}).items():
                if (owed := covered & poor) and count > seen[poor]:
                    pairs[(post, owed, 0)] += count - seen[poor]
    return pairs


class CountedEngine(Engine):
    """Totals and scores of the rule owed per poor household below a post (V6), from counts."""

    name = "jurisdiction_counted"

    def can_answer(self, question: Question, need: Need) -> str | None:
        if need == ROWS:
            return "the counts give totals and scores, not rows"
        if question.by_relationship or not question.each_target or question.rule.target_level.value != "household":
            return "the counts are kept for the rules owed per poor household below a post"
        if question.known_at is not None:
            return "the counts hold current knowledge only"
        if not _calendar_years(question.window):
            return "the visits are counted by calendar year: the window is not as_of's year and the one before"
        return None

    def totals(self, session: Session, question: Question) -> list[UnitCounts]:
        return _totals(question, _counted_pairs(session, question))

    def scores(self, session: Session, question: Question) -> list[tuple[str, int, int]]:
        return _scores(question, _counted_pairs(session, question))


COUNTED = CountedEngine()
