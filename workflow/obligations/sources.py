"""What an evaluation reads: posts, obligation rows, poor targets and the days visits fell on."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import String, and_, cast, or_, select
from sqlmodel import Session

from workflow.db import in_list_size, one_of, rows_in
from workflow.eventlog.versions import known_seq, read_now, table_changed, versioned_tables
from workflow.obligations.evaluate import NO_VISITS, PostRef, VisitBits
from workflow.chunking import chunks
from workflow.org.places import Subtree, places
from workflow.obligations.models import Obligation
from workflow.obligations.question import Question
from workflow.obligations.spec import Span, Window
from workflow.obligations.visitdays import Undecidable
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell
from workflow.posts.models import Post
from workflow.visits.masks import DAY_BITS, DAY_FIELD, YearMask, counted_targets
from workflow.visits.models import Visit, VisitMask

# The registry that makes a target of each level "poor" (SPEC §3).
REGISTRY_OF_LEVEL = {"township": "concentrated_township", "village": "poor_village", "household": "poor_household"}


# What each kind of name is read from: people's, households' (the head's) and units'.
NAMES = {"person": (Person.id, Person.name), "household": (Household.id, Household.head_name), "unit": (OrgUnit.code, OrgUnit.name)}


# More ids than this are named from one pass over their table, not a look-up each by index:
# a city's scorecard names 52,705 officials (59 statements, 0.2 s on SQLite, before).
WHOLE_TABLE = 20_000


def names(session: Session, kind: str, ids: Iterable[str]) -> dict[str, str]:
    """The name of each of `ids`, of a `kind` of `NAMES`."""
    key, name = NAMES[kind]
    connection, found, ids = session.connection(), {}, set(ids)
    if len(ids) > WHOLE_TABLE:
        return {found_id: found_name for found_id, found_name in connection.execute(select(key, name)).all() if found_id in ids}
    for part in chunks(ids, in_list_size(connection)):
        found.update(connection.execute(select(key, name).where(one_of(connection, key, part))).all())
    return found


def _overlaps_window(start_column, end_column, window: Window):
    return and_(start_column <= window.current.last, or_(end_column.is_(None), end_column >= window.first))


def rule_posts(session: Session, question: Question, *, now: bool = False, persons: set[str] | None = None) -> list[tuple[PostRef, Span]]:
    """The posts in the subtree holding one of the roles at some time in the window (`now`: as
    they stand now, even in a session reading as known then; `persons`: theirs alone)."""
    query = select(Post.id, Post.person_id, Post.role, Post.unit_code, Post.start_date, Post.end_date).join(OrgUnit, OrgUnit.code == Post.unit_code)
    query = query.where(Post.role.in_(question.roles), Subtree.of(question.scope).clause(OrgUnit.path), _overlaps_window(Post.start_date, Post.end_date, question.window))
    if question.person_id is not None:
        query = query.where(Post.person_id == question.person_id)
    if question.units is not None:  # only the rows of posts at these units are asked for
        query = query.where(OrgUnit.path.in_(question.units))
    options = read_now(session) if now else {}
    posts = rows_in(session, query, Post.person_id, persons, options)
    where = places(session.connection(), {post.unit_code for post in posts}, options=options)  # units added since are placed too
    return [
        (PostRef(post.id, post.person_id, post.role, post.unit_code, where[post.unit_code].township_code, where[post.unit_code].county_code), (post.start_date, post.end_date))
        for post in posts
    ]


def posts_changed_since(session: Session, question: Question) -> bool:
    """Whether a post of the question's roles in the subtree was given a state after the point
    `session` reads as known at: whether `rule_posts` may read differently now. False when
    `session` reads current knowledge. By the posts' versions' index on their unit."""
    seq = known_seq(session)
    if seq is None or not table_changed(session, Post):
        return False
    versions = versioned_tables()[Post.__tablename__]
    query = select(versions.c.id).join(OrgUnit, OrgUnit.code == versions.c.unit_code).where(
        versions.c.role.in_(question.roles), versions.c.known_from > seq, Subtree.of(question.scope).clause(OrgUnit.path),
    )
    return session.execute(query.limit(1), execution_options=read_now(session)).first() is not None


def relationship_obligations(session: Session, question: Question, *, pairs: frozenset[tuple[str, str]] | None = None) -> list:
    """The obligation rows (plain rows) of a paired or linked rule in the subtree, running in the
    window (`pairs`: of those (person, target) pairs alone, found by the index on both)."""
    table = Obligation.__table__
    query = select(table).where(table.c.kind == question.rule.targets.value, table.c.role.in_(question.roles), Subtree.of(question.scope).clause(table.c.unit_path))
    query = query.where(_overlaps_window(table.c.start_date, table.c.end_date, question.window))
    if question.person_id is not None:
        query = query.where(table.c.person_id == question.person_id)
    # As they stand now, even in a session reading as known then: the general engine reads
    # them there only when no post, pairing or link changed since.
    if pairs is None:
        return list(session.execute(query, execution_options=read_now(session)))
    connection, found = session.connection(), []
    for part in chunks(sorted(pairs)):
        of_part = query.where(
            one_of(connection, table.c.person_id, {person for person, _ in part}),
            table.c.target_level == question.rule.target_level.value,
            one_of(connection, table.c.target_id, {target for _, target in part}),
        )
        found += [row for row in session.execute(of_part, execution_options=read_now(session)) if (row.person_id, row.target_id) in pairs]
    return found


@dataclasses.dataclass(frozen=True)
class Target:
    """A township, village or household, with the spans it was on its poverty registry."""

    id: str
    path: str  # the unit's path; a household's village's path
    spells: tuple[Span, ...]

    def poor_bits(self, window: Window) -> int:
        """The periods of `window` the target counts in: poor at any time in the part seen by as_of."""
        known = window.__dict__.setdefault("_poor_bits", {})  # a city's poor villages share a few spells
        bits = known.get(self.spells)
        if bits is None:
            bits = known[self.spells] = sum(1 << i for i, (first, last) in enumerate(window.seen_parts) if self.poor_during(first, last))
        return bits

    def poor_during(self, first: dt.date, last: dt.date) -> bool:
        """Registered poor on any day from `first` to `last` (SPEC §3: poor at any time in it)."""
        return any(start <= last and (end is None or end >= first) for start, end in self.spells)


def _targets_of(level: str):
    """(a SELECT of the ids of the targets of `level`, joined to the unit whose path places them —
    a household's village —, the id column) for a subtree's clause on `OrgUnit.path`."""
    if level == "household":
        return select(Household.id).join(OrgUnit, OrgUnit.code == Household.village_code), Household.id
    return select(OrgUnit.code).where(OrgUnit.level == level), OrgUnit.code


def poor_targets(session: Session, *, level: str, scope: OrgUnit, window: Window, ids: set[str] | None = None, now: bool = False) -> list[Target]:
    """The targets of `level` in the subtree that were registered poor at some time in the window
    (`ids`: of those alone; `now`: as they stand now, even in a session reading as known then)."""
    query, subject = _targets_of(level)
    query = query.add_columns(OrgUnit.path)
    # An outer join, the spells' tests in its ON clause: SQLite then walks from the subtree's
    # units to their spells, where an inner join may drive from every spell of the registry.
    query = query.add_columns(RegistrySpell.registered_on, RegistrySpell.exited_on).outerjoin(
        RegistrySpell,
        and_(RegistrySpell.kind == REGISTRY_OF_LEVEL[level], RegistrySpell.subject_id == subject, _overlaps_window(RegistrySpell.registered_on, RegistrySpell.exited_on, window)),
    ).where(Subtree.of(scope).clause(OrgUnit.path))
    paths, spells = {}, defaultdict(list)
    for code, path, start, end in rows_in(session, query, subject, ids, read_now(session) if now else {}):
        if start is not None:  # a spell overlapping the window
            paths[code] = path
            spells[code].append((start, end))
    return [Target(code, paths[code], tuple(sorted(spells[code]))) for code in sorted(paths)]


def registry_changed_since(session: Session, *, level: str, scope: OrgUnit) -> bool:
    """Whether a target of `level` in the subtree had a registry spell given a state after the
    point `session` reads as known at: whether `poor_targets` reads differently now. False
    when `session` reads current knowledge. By the spells' versions' index on the subject."""
    seq = known_seq(session)
    if seq is None or not table_changed(session, RegistrySpell):
        return False
    versions = versioned_tables()[RegistrySpell.__tablename__]
    query, subject = _targets_of(level)
    # From the subtree's targets to their spells' versions (a correlated EXISTS): the versions
    # of a registry are the whole province's.
    given = select(versions.c.subject_id).where(versions.c.kind == REGISTRY_OF_LEVEL[level], versions.c.subject_id == subject, versions.c.known_from > seq)
    query = query.where(Subtree.of(scope).clause(OrgUnit.path), given.exists()).limit(1)
    return session.execute(query, execution_options=read_now(session)).first() is not None


def targets_by_unit(targets: Iterable[Target], unit_codes: set[str]) -> dict[str, list[Target]]:
    """The targets under each of `unit_codes` (a post's jurisdiction is its unit's subtree)."""
    found = defaultdict(list)
    for target in targets:
        for code in target.path.split("/"):
            if code in unit_codes:
                found[code].append(target)
    return found


# ---- visit days -------------------------------------------------------------------


class MaskSource:
    """Visits from the `VisitMask` projection: current knowledge only. Raises `Undecidable`
    (from `MaskDays`) where a period or as_of cuts a month the masks cannot split."""

    def __init__(self, session: Session, *, persons: set[str], level: str, window: Window):
        self._window = window
        self._masks: dict[tuple[str, str], dict[int, YearMask]] = defaultdict(dict)
        table = VisitMask.__table__
        columns = (table.c.person_id, table.c.target_id, table.c.year, table.c.month_mask, table.c.first_days, table.c.last_days)
        for part in chunks(persons):
            query = select(*columns).where(table.c.person_id.in_(part), table.c.target_level == level, table.c.year.in_(list(window.years)))
            # As known now, even in a session reading as known then: `KnownSource` corrects it.
            for person, target, year, months, first_days, last_days in session.execute(query, execution_options=read_now(session)):
                self._masks[(person, target)][year] = YearMask(months, first_days, last_days)

        # Which periods each month of the window falls in, and on which of its days (`_pieces`).
        self._pieces: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
        for i, (first, last) in enumerate(window.seen_parts):
            for month in range(first.year * 12 + first.month - 1, last.year * 12 + last.month):
                year, number = divmod(month, 12)
                low = first.day if (year, number + 1) == (first.year, first.month) else 1
                high = last.day if (year, number + 1) == (last.year, last.month) else 31
                self._pieces[(year, number + 1)].append((i, low, high))

    def visits(self, person_id: str, target_id: str, skip: int = 0) -> VisitBits:
        """The periods visited, and the last day in each: what `MaskDays.last_in` answers for
        each period, in one walk over the months visited, latest first (`skip`: bits of
        periods not asked for, read as unvisited)."""
        masks = self._masks.get((person_id, target_id))
        if not masks:
            return NO_VISITS
        bits, last, pieces = 0, {}, self._pieces
        for year in sorted(masks, reverse=True):
            mask = masks[year]
            months = mask.month_mask
            while months:
                month = months.bit_length()
                months &= ~(1 << (month - 1))
                found = pieces.get((year, month))
                if found is None:
                    continue
                shift = DAY_BITS * (month - 1)
                first_day, last_day = (mask.first_days >> shift) & DAY_FIELD, (mask.last_days >> shift) & DAY_FIELD
                for i, low, high in found:
                    if (bits | skip) >> i & 1:
                        continue  # a later month of the period had its last visit, or a period not asked for
                    if low <= last_day <= high:
                        day = last_day
                    elif last_day < low or first_day > high:
                        continue
                    elif first_day == high:
                        day = high
                    else:
                        # Visits on both sides of `high` (or around the piece): the latest within is unknown.
                        raise Undecidable(f"the latest visit of {year}-{month:02d} in days {low}..{high} is not in the mask")
                    bits, last[i] = bits | 1 << i, dt.date(year, month, day)
        return VisitBits(bits, last)


class DaySource:
    """Visits from the visits themselves (as the session reads them: as known now, or then),
    read once into each (person, target)'s periods with a visit."""

    def __init__(self, session: Session, *, persons: set[str], level: str, window: Window, periods: dict[str, int] | None = None):
        """`periods`: each person's visits in those periods of the window only (bits; the others then read as unvisited)."""
        starts = [period.first for period in window.periods]
        # Days read as text and each distinct one converted once: a city's township has
        # tens of thousands of visits on a few hundred days.
        period_of: dict[str, tuple[int, dt.date]] = {}
        bits: dict[tuple[str, str], int] = defaultdict(int)
        last: dict[tuple[str, str], dict[int, dt.date]] = defaultdict(dict)
        connection = session.connection()
        for part in chunks(persons):
            # One statement per chunk (each further one costs more than the visits it would leave
            # out): the persons with the same periods together, an OR of the sets of periods.
            of_periods: dict[int, list[str]] = defaultdict(list)
            for person in part:
                of_periods[ALL_PERIODS if periods is None else periods[person]].append(person)
            whose = or_(*(and_(one_of(connection, Visit.visitor_id, members), _days_of(window, bits)) for bits, members in sorted(of_periods.items())))
            query = select(Visit.visitor_id, Visit.target_level, Visit.target_id, Visit.village_code, Visit.township_code, cast(Visit.occurred_on, String)).where(
                whose, Visit.voided_at.is_(None)
            )
            for visitor, target_level, target_id, village, township, text in connection.execute(query):
                found = period_of.get(text)
                if found is None:
                    day = dt.date.fromisoformat(text)
                    found = period_of[text] = (bisect.bisect_right(starts, day) - 1, day)
                i, day = found
                for counted_level, counted_id in counted_targets(target_level, target_id, village, township):
                    if counted_level == level:
                        key = (visitor, counted_id)
                        bits[key] |= 1 << i
                        seen = last[key]
                        if i not in seen or seen[i] < day:
                            seen[i] = day
        self._visits = {key: VisitBits(found, last[key]) for key, found in bits.items()}

    def visits(self, person_id: str, target_id: str) -> VisitBits:
        return self._visits.get((person_id, target_id), NO_VISITS)


ALL_PERIODS = -1  # every period of a window, as bits


def _days_of(window: Window, periods: int):
    """The test on `Visit.occurred_on` of the days of the window's `periods` (bits) up to as_of:
    one range from the first, and the runs of periods in it where they are not all."""
    runs, start = [], None
    for i, period in enumerate(window.periods):
        if periods >> i & 1:
            start = period.first if start is None else start
            last = period.last
        elif start is not None:
            runs.append((start, last))
            start = None
    if start is not None:
        runs.append((start, last))
    first, until = max(window.first, runs[0][0]), min(window.as_of, runs[-1][1])
    within = and_(Visit.occurred_on >= first, Visit.occurred_on <= until)
    return within if len(runs) == 1 else and_(within, or_(*(Visit.occurred_on.between(low, high) for low, high in runs)))


def changed_visits(session: Session, *, persons: set[str], level: str, window: Window) -> dict[tuple[str, str], int]:
    """The (person, target of `level`) pairs with a visit in the window recorded or voided after
    the point `session` reads as known at, each with the periods such visits fall in (bits)."""
    seq = known_seq(session)
    starts = [period.first for period in window.periods]
    changed: dict[tuple[str, str], int] = {}
    connection = session.connection()
    # The visits as they stand now (one recorded later is not in the session's view), found by
    # the index on (visitor, day, recorded_seq, voided_seq) and tested there: on PostgreSQL one
    # test per statement, as an OR of the two is tested only after each row is fetched; SQLite
    # tests the OR on the index entry before it reads the row, so one statement scans it once.
    if connection.dialect.name == "postgresql":
        tests = (Visit.recorded_seq > seq, Visit.voided_seq > seq)
    else:
        tests = (or_(Visit.recorded_seq > seq, Visit.voided_seq > seq),)
    found = []
    for part in chunks(persons):
        for since in tests:
            query = select(Visit.visitor_id, Visit.target_level, Visit.target_id, Visit.village_code, Visit.township_code, Visit.occurred_on).where(
                one_of(connection, Visit.visitor_id, part), Visit.occurred_on >= window.first, Visit.occurred_on <= window.as_of, since,
            )
            found += connection.execute(query, execution_options=read_now(session))
    for visitor, target_level, target_id, village, township, day in found:
        i = bisect.bisect_right(starts, day) - 1
        for counted_level, counted_id in counted_targets(target_level, target_id, village, township):
            if counted_level == level:
                key = (visitor, counted_id)
                changed[key] = changed.get(key, 0) | 1 << i
    return changed


class KnownSource:
    """Visits as the session reads them as known at a point of the log, without reading them all:
    the masks (current knowledge) wherever no visit of the (person, target) in the period was
    recorded or voided after that point; for a pair with such a visit, the visits as known then
    (`DaySource`) in the periods holding one, and the masks in the others. Raises `Undecidable`
    where the masks cannot split a month, as `MaskSource` does.
    """

    def __init__(self, session: Session, *, persons: set[str], level: str, window: Window, changed: dict[tuple[str, str], int] | None = None):
        """`changed`: what `changed_visits` gives for `persons`, if the caller has it already."""
        self.now = MaskSource(session, persons=persons, level=level, window=window)  # the visits as known now
        if changed is None:
            changed = changed_visits(session, persons=persons, level=level, window=window)
        self._changed = {pair: periods for pair, periods in changed.items() if pair[0] in persons}
        self._days = None
        if self._changed:
            periods: dict[str, int] = defaultdict(int)  # each person's periods to read the visits of
            for (person, _), changed_periods in self._changed.items():
                periods[person] |= changed_periods
            self._days = DaySource(session, persons=set(periods), level=level, window=window, periods=periods)

    def visits(self, person_id: str, target_id: str) -> VisitBits:
        changed = self._changed.get((person_id, target_id))
        if changed is None:
            return self.now.visits(person_id, target_id)
        before = self.now.visits(person_id, target_id, skip=changed)
        after = self._days.visits(person_id, target_id)
        return VisitBits(before.bits | after.bits & changed, {**before.last, **{i: day for i, day in after.last.items() if changed >> i & 1}})
