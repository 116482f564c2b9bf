"""The pairing cover (`pairing_cover`): each poor-household registry spell cut into runs of days
paired and unpaired; and its tally (`pairing_cover_tally`): per village and day, what those runs
beginning and ending that day change its counts by. A report over a city sums the tally's
rows up to its day per village instead of joining 260,000 households to their spells and
pairings; the runs say which households of a village to read.

Derived: a pure function of the households, their poor-household spells and their pairings,
which the projections before it keep (`workflow/projections.py`). Event by event it derives
again the rows of the households an event concerns; a replay or a bulk load defers it and
derives every row once (`rebuild`). It keeps no versions: read as known at an earlier moment,
its tally is corrected by the households changed since (`by_village`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, and_, case, delete, func, select, true
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import in_span, insert_rows, one_of, rows_in
from workflow.eventlog.projection import Projection, Run
from workflow.eventlog.versions import changed_after, known_seq, read_now, reading_now
from workflow.exits.models import ExitCase
from workflow.org.models import Household, OrgUnit, RegistrySpell
from workflow.org.places import Subtree, places
from workflow.pairings.models import PairingCover, PairingCoverTally
from workflow.posts.models import Pairing

DAY = dt.timedelta(days=1)
Span = tuple[dt.date, dt.date | None]  # first and last day, both counted; None: still running

_cover = PairingCover.__table__
_tally = PairingCoverTally.__table__
_INSERT_BATCH = 20_000


def runs(spell: Span, pairings: Iterable[Span]) -> list[tuple[dt.date, dt.date | None, bool]]:
    """The spell's days cut into runs (first, last, paired): paired where a pairing covers the day."""
    first, last = spell
    end = last or dt.date.max
    covered: list[list[dt.date]] = []
    for start, stop in sorted((max(s, first), min(t or dt.date.max, end)) for s, t in pairings):
        if start > stop:
            continue  # outside the spell
        if covered and (covered[-1][1] == dt.date.max or start <= covered[-1][1] + DAY):  # overlapping or adjoining
            covered[-1][1] = max(covered[-1][1], stop)
        else:
            covered.append([start, stop])
    found, day = [], first
    for start, stop in covered:
        if start > day:
            found.append((day, start - DAY, False))
        found.append((start, stop, True))
        if stop == dt.date.max:
            day = None
            break
        day = stop + DAY
    if day is not None and day <= end:
        found.append((day, end, False))
    return [(start, None if stop == dt.date.max else stop, paired) for start, stop, paired in found]


def _rows(households: dict[str, tuple[str, int]], spells: dict[str, list[Span]], pairings: dict[str, list[Span]]) -> list[tuple]:
    """The cover rows of `households` (id → village, members), in the order of the table's columns."""
    rows = []
    for household_id, (village_code, members) in households.items():
        for spell in spells.get(household_id, ()):
            for start, stop, paired in runs(spell, pairings.get(household_id, ())):
                rows.append((household_id, start, stop, village_code, members, paired))
    return rows


def _insert(connection: Connection, table, rows: Sequence[tuple]) -> None:
    for part in chunks(rows, _INSERT_BATCH):
        insert_rows(connection, table, part)


def _read(connection: Connection, household_ids: Sequence[str] | None) -> list[tuple]:
    """The cover rows of `household_ids` (None: every household) from the records."""
    households: dict[str, tuple[str, int]] = {}
    spells: dict[str, list[Span]] = defaultdict(list)
    pairings: dict[str, list[Span]] = defaultdict(list)
    parts = [None] if household_ids is None else chunks(household_ids)
    h, s, p = Household.__table__.c, RegistrySpell.__table__.c, Pairing.__table__.c
    for part in parts:
        only = (lambda column: one_of(connection, column, part)) if part is not None else (lambda column: true())
        households.update((row.id, (row.village_code, row.members)) for row in connection.execute(select(h.id, h.village_code, h.members).where(only(h.id))))
        for subject_id, registered_on, exited_on in connection.execute(select(s.subject_id, s.registered_on, s.exited_on).where(s.kind == "poor_household", only(s.subject_id))):
            spells[subject_id].append((registered_on, exited_on))
        for household_id, start, end in connection.execute(select(p.household_id, p.start_date, p.end_date).where(only(p.household_id))):
            pairings[household_id].append((start, end))
    return _rows(households, spells, pairings)


def _changes(rows: Iterable[tuple], sign: int = 1) -> dict[tuple[str, dt.date], list[int]]:
    """What cover `rows` change the tally by: (village, day) → [households, paired, people], each
    run counted from its first day and no longer from the day after its last."""
    found: dict[tuple[str, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for _, start, stop, village_code, members, paired in rows:
        for day, step in ((start, sign), (stop + DAY if stop is not None else None, -sign)):
            if day is not None:
                counts = found[village_code, day]
                counts[0] += step
                counts[1] += step * int(paired)
                counts[2] += step * members
    return found


def _tally_rows(counts: dict[tuple[str, dt.date], list[int]]) -> list[tuple]:
    return [(village_code, day, *values) for (village_code, day), values in sorted(counts.items()) if any(values)]


def rebuild(connection: Connection) -> None:
    """Derive every row again from the households, spells and pairings."""
    connection.execute(delete(_cover))
    connection.execute(delete(_tally))
    rows = _read(connection, None)
    _insert(connection, _cover, rows)
    _insert(connection, _tally, _tally_rows(_changes(rows)))


def refresh(connection: Connection, household_ids: set[str]) -> None:
    """Derive again the rows of `household_ids`, and take the difference into the tally."""
    ids = sorted(household_ids)
    changes = defaultdict(lambda: [0, 0, 0])
    for part in chunks(ids):
        only = one_of(connection, _cover.c.household_id, part)
        for key, values in _changes(connection.execute(select(*_cover.c).where(only)).all(), -1).items():
            changes[key] = [a + b for a, b in zip(changes[key], values)]
        connection.execute(delete(_cover).where(only))
    rows = _read(connection, ids)
    _insert(connection, _cover, rows)
    for key, values in _changes(rows).items():
        changes[key] = [a + b for a, b in zip(changes[key], values)]
    # The villages concerned (one, mostly) are read, counted again and written whole.
    villages = {village_code for (village_code, _), values in changes.items() if any(values)}
    for part in chunks(sorted(villages)):
        only = one_of(connection, _tally.c.village_code, part)
        for village_code, day, *values in connection.execute(select(*_tally.c).where(only)).all():
            changes[village_code, day] = [a + b for a, b in zip(changes[village_code, day], values)]
        connection.execute(delete(_tally).where(only))
    _insert(connection, _tally, _tally_rows({key: values for key, values in changes.items() if key[0] in villages}))


def households_of(session: Session, run: Run) -> set[str]:
    """The households whose spells, pairings or record the events of `run` changed."""
    event_type = run[0][0].type
    found = set()
    for _, data in run:
        if event_type in ("household.registered", "household.exit_before_product"):
            found.add(data["id"])
        elif event_type in ("registry.registered", "registry.ended"):
            if data["kind"] == "poor_household":
                found.add(data["subject_id"])
        elif event_type == "pairing.started":
            found.add(data["household_id"])
        elif event_type == "pairing.ended":
            found.add(session.get(Pairing, data["id"]).household_id)
        else:  # an exit case's decision or relapse: a household's spell ends or begins again
            case = session.get(ExitCase, data["case_id"])
            if case.level == "household":
                found.add(case.subject_id)
    return found


class PairingCoverProjection(Projection):
    name = "pairing_cover"
    derived = True
    event_types = frozenset({
        "household.registered", "household.exit_before_product", "registry.registered", "registry.ended",
        "pairing.started", "pairing.ended", "exit_case.signed", "exit_case.rejected", "exit_case.relapsed",
    })

    def apply(self, session: Session, run: Run) -> None:
        session.flush()  # the rows the projections before this one wrote, where these statements read
        refresh(session.connection(), households_of(session, run))

    def rebuild(self, session: Session) -> None:
        session.flush()
        rebuild(session.connection())


PAIRING_COVER = PairingCoverProjection()


# ---- reads ----------------------------------------------------------------------------


CORRECTABLE = 20_000  # states given since a point of the log beyond which a read as known then reads the records


def by_village(session: Session, scope: OrgUnit, on: dt.date) -> list[tuple[str, int, int, int]]:
    """Per village under `scope` with registered poor households on `on`: (village, households,
    paired, people) — from the tally (`from_tally`), or where it cannot say, from the
    households, their poor-household spells and pairings as the session reads them."""
    counted = from_tally(session, scope, on)
    return counted if counted is not None else _from_records(session, scope, on)


def from_tally(session: Session, scope: OrgUnit, on: dt.date) -> list[tuple[str, int, int, int]] | None:
    """`by_village` from the tally; None when it cannot say.

    As known at an earlier point of the log (`as_known`), the tally as it stands now is
    corrected by the households whose record, poor-household spells or pairings were given a
    state since: their cover rows now are taken out and their rows as known then (derived from
    the records as the session reads them) put in. None when an org unit moved or was added
    since (the villages' places would differ) or more than `CORRECTABLE` states were given since."""
    seq = known_seq(session)
    if seq is None:
        return _summed(session, scope, on)
    changed = _changed_households(session, seq)
    if changed is None:
        return None
    then_rows = _read(session.connection(), sorted(changed)) if changed else []  # the records as the session reads them: as known then
    with reading_now(session) as now:
        counts = {village: [households, paired, people] for village, households, paired, people in _summed(now, scope, on)}
        if not changed:
            return [(village, *values) for village, values in counts.items()]
        connection = now.connection()
        now_rows = rows_in(connection, select(*_cover.c), _cover.c.household_id, changed)
        where = places(connection, {row[3] for row in (*then_rows, *now_rows)})
        inside = Subtree.of(scope)
        for rows, sign in ((now_rows, -1), (then_rows, 1)):
            for _, start, stop, village_code, members, paired in rows:
                if start <= on and (stop is None or stop >= on) and inside.contains(where[village_code].path):
                    values = counts.setdefault(village_code, [0, 0, 0])
                    values[0] += sign
                    values[1] += sign * int(paired)
                    values[2] += sign * members
    return [(village, *values) for village, values in sorted(counts.items()) if values[0] > 0]


def _changed_households(session: Session, seq: int) -> set[str] | None:
    """The households whose record, poor-household spells or pairings were given a state after
    `seq`; None when too many, or when an org unit has moved or been added since (a rename
    changes no count)."""
    units = changed_after(session, OrgUnit, "code", seq, limit=CORRECTABLE)
    if units is None:
        return None
    connection = session.connection()
    then, now = places(connection, units), places(connection, units, options=read_now(session))
    if {code: place.path for code, place in then.items()} != {code: place.path for code, place in now.items()}:
        return None
    found: set[str] = set()
    for model, column, equal in ((Household, "id", {}), (RegistrySpell, "subject_id", {"kind": "poor_household"}), (Pairing, "household_id", {})):
        ids = changed_after(session, model, column, seq, limit=CORRECTABLE, **equal)
        if ids is None:
            return None
        found |= ids
    return found


def _from_records(session: Session, scope: OrgUnit, on: dt.date) -> list[tuple[str, int, int, int]]:
    """`by_village` from the households, spells and pairings as the session reads them."""
    covering = select(Pairing.id).where(Pairing.household_id == Household.id, in_span(Pairing.start_date, Pairing.end_date, on)).exists()
    registered = (
        select(Household.village_code, Household.members, covering.label("paired"))
        .join(OrgUnit, OrgUnit.code == Household.village_code)
        .join(RegistrySpell, and_(RegistrySpell.kind == "poor_household", RegistrySpell.subject_id == Household.id, in_span(RegistrySpell.registered_on, RegistrySpell.exited_on, on)))
        .where(Subtree.of(scope).clause(OrgUnit.path))
        .subquery()
    )
    query = select(registered.c.village_code, func.count(), func.sum(case((registered.c.paired, 1), else_=0)), func.sum(registered.c.members)).group_by(registered.c.village_code)
    return [(village, int(count), int(paired or 0), int(people or 0)) for village, count, paired, people in session.execute(query).all()]


def _summed(session: Session, scope: OrgUnit, on: dt.date) -> list[tuple[str, int, int, int]]:
    """The tally as it stands, summed per village under `scope` up to `on`."""
    t = _tally.c
    households = func.sum(t.households)
    query = (
        select(t.village_code, households, func.sum(t.paired), func.sum(t.people))
        .join(OrgUnit, OrgUnit.code == t.village_code)
        .where(Subtree.of(scope).clause(OrgUnit.path), t.day <= on)
        .group_by(t.village_code)
        .having(households > 0)
    )
    return [(village, int(count), int(paired), int(people)) for village, count, paired, people in session.execute(query).all()]
