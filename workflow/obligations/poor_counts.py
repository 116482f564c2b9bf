"""Counts of the poor households by their poor days, and of those each person visited, kept for
the rule owed per poor household below a post (V6).

A city's V6 has half a million instances: each township leader with each poor household of
the township. Its totals and scores need only how many instances each post has with each
(owed, met) pair, and households owe a post alike when they were poor on the same days and
were visited alike. So three tables are kept:

- `poor_household`: each household ever on the registry as poor, with its village and its
  poor days as one text (`spells_text`: the union of its poor-household spells);
- `poor_spells_tally`: per village, how many households share each such text;
- `poor_visit_tally`: per person, year and village, how many poor households the person
  visited in that year or the one before, by their poor days, whether visited in the year
  before, and the first day visited in the year (`NOT_VISITED`: not in this year).

A post's instances in a village are then the tally's households by their poor days, of which
the holder visited those the visit tally counts; the others not at all (`jurisdiction.COUNTED`).

Derived: a pure function of the visit masks (kept by the obligations projection) and the
pairing cover's runs. When visits change a person's masks of households, the obligations
projection takes `read` before and `settle` after (the difference goes into the visit tally).
When a household's poor days change, this projection (after the pairing cover) moves its
counts from the old days to the new. A visit import counts each person it touched once, at
its end (`deferred`, with the report tallies: `projection.counts_deferred`); a replay or bulk
load derives every row once (`rebuild`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, delete, select
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import counted_at_end, insert_rows, one_of, rows_in
from workflow.eventlog.projection import Projection, Run
from workflow.obligations.models import PoorHousehold, PoorSpellsTally, PoorVisitTally
from workflow.pairings.cover import PAIRING_COVER, households_of
from workflow.pairings.models import PairingCover
from workflow.visits.masks import YearMask
from workflow.visits.models import VisitMask

DAY = dt.timedelta(days=1)
NOT_VISITED = dt.date(9999, 12, 31)  # `first_visit` of a household not visited in the year
Span = tuple[dt.date, dt.date | None]
Place = tuple[str, str]  # a household's village and poor days (`spells_text`)

_household, _spells, _visits = PoorHousehold.__table__, PoorSpellsTally.__table__, PoorVisitTally.__table__
_cover, _mask = PairingCover.__table__, VisitMask.__table__
_INSERT_BATCH = 20_000
_PENDING = "exit_tracker.poor_counts_pending"


# ---- poor days as text ------------------------------------------------------------------


def spells_text(spans: Iterable[Span]) -> str:
    """The days of `spans` as one text, the same for the same days: their union's spans in
    order, `first:last` each (`last` empty while running), `;` between."""
    merged: list[list] = []
    for start, stop in sorted(spans):
        if merged and (merged[-1][1] is None or start <= merged[-1][1] + DAY):  # overlapping or adjoining
            if merged[-1][1] is not None:
                merged[-1][1] = None if stop is None else max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return ";".join(f"{start.isoformat()}:{'' if stop is None else stop.isoformat()}" for start, stop in merged)


def spells_of(text: str) -> list[Span]:
    """The spans `spells_text` wrote."""
    found = []
    for span in text.split(";"):
        first, _, last = span.partition(":")
        found.append((dt.date.fromisoformat(first), dt.date.fromisoformat(last) if last else None))
    return found


def _places(cover_rows: Iterable[tuple]) -> dict[str, Place]:
    """household → (village, poor days) from its cover runs (household, first, last, village)."""
    spans: dict[str, list[Span]] = defaultdict(list)
    villages = {}
    for household_id, start, stop, village_code in cover_rows:
        spans[household_id].append((start, stop))
        villages[household_id] = village_code
    return {household_id: (villages[household_id], spells_text(found)) for household_id, found in spans.items()}


_COVER_PLACE = (_cover.c.household_id, _cover.c.start_date, _cover.c.end_date, _cover.c.village_code)


# ---- what visits add ------------------------------------------------------------------


def _first_visit(year: int, mask: YearMask | None) -> dt.date:
    if mask is None or not mask.month_mask:
        return NOT_VISITED
    month = (mask.month_mask & -mask.month_mask).bit_length()  # the lowest month with a visit
    return dt.date(year, month, mask.first_day(month))


def _counted(masks: dict[tuple[str, str], dict[int, YearMask]], places: dict[str, Place]) -> Counter:
    """What the (person, household) pairs of `masks` add to the visit tally, each household
    where `places` puts it (a household not in it was never poor: nothing)."""
    counts: Counter = Counter()
    for (person_id, household_id), by_year in masks.items():
        place = places.get(household_id)
        if place is None:
            continue
        village_code, spells = place
        visited = {year for year, mask in by_year.items() if mask.month_mask}
        for year in visited | {year + 1 for year in visited}:
            counts[(person_id, year, village_code, spells, year - 1 in visited, _first_visit(year, by_year.get(year)))] += 1
    return counts


def _stored_places(connection: Connection, household_ids: Iterable[str]) -> dict[str, Place]:
    h = _household.c
    return {row[0]: (row[1], row[2]) for row in rows_in(connection, select(h.household_id, h.village_code, h.spells), h.household_id, set(household_ids))}


def _pairs_counted(connection: Connection, pairs: frozenset[tuple[str, str]], places: dict[str, Place]) -> Counter:
    """What these (person, household) pairs add now, their households where `places` puts them:
    their masks read by both keys (a township leader has hundreds of households' masks; a
    visit changes one)."""
    m, masks = _mask.c, {}
    for part in chunks(sorted(pairs)):
        query = _HOUSEHOLD_MASKS.where(one_of(connection, m.person_id, {person for person, _ in part}), one_of(connection, m.target_id, {household for _, household in part}))
        masks.update((pair, years) for pair, years in _by_pair(connection.execute(query)).items() if pair in pairs)
    return _counted(masks, places)


@dataclasses.dataclass(frozen=True)
class Reading:
    """The (person, poor household) pairs whose masks are about to change, where those
    households are (a visit changes no household's poor days), and what the pairs add now."""

    pairs: frozenset[tuple[str, str]]
    places: dict[str, Place]
    counts: Counter


def read(connection: Connection, keys: Iterable[tuple[str, str, str]]) -> Reading:
    """Before the masks of `keys` (person, target level, target) change: what their pairs with
    poor households add now (while `deferred`, only their persons are noted)."""
    pairs = frozenset((person_id, target_id) for person_id, level, target_id in keys if level == "household")
    pending = connection.info.get(_PENDING)
    if pending is not None:
        pending.update(person_id for person_id, _ in pairs)
        return Reading(frozenset(), {}, Counter())
    places = _stored_places(connection, {household for _, household in pairs}) if pairs else {}
    pairs = frozenset(pair for pair in pairs if pair[1] in places)  # a household never poor adds nothing
    return Reading(pairs, places, _pairs_counted(connection, pairs, places) if pairs else Counter())


def settle(connection: Connection, before: Reading) -> None:
    """After the change `before` was read for: add what its pairs add now, less what they added then."""
    if before.pairs:
        after = _pairs_counted(connection, before.pairs, before.places)
        after.subtract(before.counts)
        _add_visits(connection, after)


def _add_visits(connection: Connection, change: Counter) -> None:
    """Add `change` (counts that may be negative) to the visit tally: the rows of the persons,
    years and villages concerned are read, added to and written whole; a row counting nothing goes."""
    change = Counter({key: n for key, n in change.items() if n})
    if not change:
        return
    years, villages = sorted({key[1] for key in change}), sorted({key[2] for key in change})
    v = _visits.c
    for part in chunks(sorted({key[0] for key in change})):
        these = set(part)
        where = (one_of(connection, v.person_id, part), one_of(connection, v.year, years), one_of(connection, v.village_code, villages))
        stored = Counter({tuple(row[:-1]): row[-1] for row in connection.execute(select(*v).where(*where))})
        stored.update({key: n for key, n in change.items() if key[0] in these})
        if any(n < 0 for n in stored.values()):
            raise AssertionError(f"the poor visit tally of {part[:3]}… would count below zero: it no longer matches the visit masks")
        connection.execute(delete(_visits).where(*where))
        _insert(connection, _visits, [(*key, n) for key, n in sorted(stored.items()) if n])


def deferred(connection: Connection) -> contextlib.AbstractContextManager[set[str]]:
    """For bulk writes on `connection`: count the visits of each person they touched once, at
    the end. Yields the persons noted so far; a caller that will roll back empties it."""
    return counted_at_end(connection, _PENDING, recount)


def recount(connection: Connection, persons: Iterable[str]) -> None:
    """Derive again the visit counts of these persons from their masks of households."""
    m = _mask.c
    for part in chunks(sorted(set(persons))):
        connection.execute(delete(_visits).where(one_of(connection, _visits.c.person_id, part)))
        masks = _by_pair(connection.execute(_HOUSEHOLD_MASKS.where(one_of(connection, m.person_id, part))))
        _insert(connection, _visits, [(*key, n) for key, n in sorted(_counted(masks, _stored_places(connection, {h for _, h in masks})).items())])


# ---- what poor days add -----------------------------------------------------------------


_HOUSEHOLD_MASKS = select(*(_mask.c[name] for name in ("person_id", "target_id", "year", "month_mask", "first_days", "last_days"))).where(_mask.c.target_level == "household")


def _by_pair(mask_rows: Iterable[tuple]) -> dict[tuple[str, str], dict[int, YearMask]]:
    """(person, household) → year → mask, from rows of `_HOUSEHOLD_MASKS`."""
    found: dict[tuple[str, str], dict[int, YearMask]] = defaultdict(dict)
    for person_id, household_id, year, *bits in mask_rows:
        found[person_id, household_id][year] = YearMask(*bits)
    return found


def _spell_counts(places: dict[str, Place], sign: int) -> Counter:
    return Counter({key: sign * n for key, n in Counter(places.values()).items()})


def refresh(connection: Connection, household_ids: set[str]) -> None:
    """Bring these households' poor days up to date with the cover, and move their counts."""
    if not household_ids:
        return
    before = _stored_places(connection, household_ids)
    after = _places(rows_in(connection, select(*_COVER_PLACE), _cover.c.household_id, household_ids))
    changed = {household_id for household_id in household_ids if before.get(household_id) != after.get(household_id)}
    if not changed:
        return
    for part in chunks(sorted(changed)):
        connection.execute(delete(_household).where(one_of(connection, _household.c.household_id, part)))
    _insert(connection, _household, [(household_id, *after[household_id]) for household_id in sorted(changed) if household_id in after])
    spells = _spell_counts({h: before[h] for h in changed if h in before}, -1)
    spells.update(_spell_counts({h: after[h] for h in changed if h in after}, 1))
    _add_spells(connection, spells)
    masks = _by_pair(rows_in(connection, _HOUSEHOLD_MASKS, _mask.c.target_id, changed))
    visits = _counted(masks, {h: after[h] for h in changed if h in after})
    visits.subtract(_counted(masks, {h: before[h] for h in changed if h in before}))
    _add_visits(connection, visits)


def _add_spells(connection: Connection, change: Counter) -> None:
    """Add `change` ((village, poor days) → households, maybe negative) to the spells tally,
    village by village: read, added to and written whole."""
    villages = sorted({village_code for (village_code, _), n in change.items() if n})
    s = _spells.c
    for part in chunks(villages):
        only = one_of(connection, s.village_code, part)
        stored = Counter({(village_code, spells): n for village_code, spells, n in connection.execute(select(*s).where(only))})
        these = set(part)
        stored.update({key: n for key, n in change.items() if key[0] in these})
        connection.execute(delete(_spells).where(only))
        _insert(connection, _spells, [(*key, n) for key, n in sorted(stored.items()) if n])


def _insert(connection: Connection, table, rows: list[tuple]) -> None:
    for part in chunks(rows, _INSERT_BATCH):
        insert_rows(connection, table, part)


def rebuild(connection: Connection) -> None:
    """Derive every row again from the pairing cover and the visit masks."""
    for table in (_household, _spells, _visits):
        connection.execute(delete(table))
    places = _places(connection.execute(select(*_COVER_PLACE)).all())
    _insert(connection, _household, [(household_id, *place) for household_id, place in sorted(places.items())])
    _insert(connection, _spells, [(*key, n) for key, n in sorted(Counter(places.values()).items())])
    masks = _by_pair(connection.execute(_HOUSEHOLD_MASKS))
    _insert(connection, _visits, [(*key, n) for key, n in sorted(_counted(masks, places).items())])


class PoorCountsProjection(Projection):
    name = "poor_counts"
    derived = True
    event_types = PAIRING_COVER.event_types  # whatever changes a household's cover changes its poor days

    def apply(self, session: Session, run: Run) -> None:
        session.flush()
        refresh(session.connection(), households_of(session, run))

    def rebuild(self, session: Session) -> None:
        session.flush()
        rebuild(session.connection())


POOR_COUNTS = PoorCountsProjection()
