"""Keeping the `Obligation` rows in step with posts, pairings, unit links and visit masks.

Those tables are written by other domains' projectors (an event type has one projector), so
the obligation rows follow them through the session instead: after every flush, the rows of
each post, pairing, link and visit mask the flush touched are derived again from the flushed
state, by the same functions that build the whole table in bulk (`rebuild`). Replay flushes
too, so replaying the log rebuilds these rows the same way. The rows are a pure function of
the tables they follow; `rebuild` recomputes them from scratch for checks and bulk loads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from sqlalchemy import Connection, delete, event, insert, select
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import one_of, update_rows
from workflow.obligations import tallies
from workflow.obligations.models import Obligation
from workflow.obligations.periods import month_end, month_number
from workflow.org.models import Household, OrgUnit
from workflow.posts.models import Pairing, Post, UnitLink
from workflow.visits.masks import YearMask
from workflow.visits.models import VisitMask

PAIRED = "paired"  # a cadre's post and a household paired with the cadre
LINKED = "linked"  # a city-direct unit's post and a village linked to the unit
TARGET_LEVEL = {PAIRED: "household", LINKED: "village"}
_DEFERRED = "exit_tracker.obligations_deferred"
_FLUSHING = "exit_tracker.obligations_flushing"  # a flush's sources and the tallies' reading made before it

_obligation = Obligation.__table__
_post, _pairing, _link = Post.__table__, Pairing.__table__, UnitLink.__table__
_household, _unit, _mask = Household.__table__, OrgUnit.__table__, VisitMask.__table__


# ---- deriving rows ----------------------------------------------------------------


def whole_months(start: dt.date, end: dt.date | None) -> tuple[int, int | None]:
    """The month numbers of the first and last whole month from `start` to `end` (None: open)."""
    first = month_number(start) + (0 if start.day == 1 else 1)
    if end is None:
        return first, None
    return first, month_number(end) - (0 if end == month_end(end) else 1)


def rolling_masks(masks: dict[int, YearMask]) -> dict[str, Any]:
    """The visit columns of an obligation row from the person's masks for its target, by year."""
    if not masks:
        return {"mask_year": None, "month_mask": 0, "first_days": 0, "last_days": 0, "prev_month_mask": 0, "prev_first_days": 0, "prev_last_days": 0}
    year = max(masks)
    newest, before = masks[year], masks.get(year - 1, YearMask())
    return {
        "mask_year": year,
        "month_mask": newest.month_mask,
        "first_days": newest.first_days,
        "last_days": newest.last_days,
        "prev_month_mask": before.month_mask,
        "prev_first_days": before.first_days,
        "prev_last_days": before.last_days,
    }


@dataclasses.dataclass(frozen=True)
class Place:
    path: str
    township_code: str | None
    county_code: str | None


def places(connection: Connection, codes: set[str]) -> dict[str, Place]:
    """Each unit's path and the township and county on it (None above those levels)."""
    paths = {}
    for part in chunks(codes):
        paths.update(connection.execute(select(_unit.c.code, _unit.c.path).where(one_of(connection, _unit.c.code, part))).all())
    ancestors = {code for path in paths.values() for code in path.split("/")}
    levels = {}
    for part in chunks(ancestors):
        levels.update(connection.execute(select(_unit.c.code, _unit.c.level).where(one_of(connection, _unit.c.code, part))).all())
    found = {}
    for code, path in paths.items():
        on_path = {levels[c]: c for c in path.split("/")}
        found[code] = Place(path, on_path.get("township"), on_path.get("county"))
    return found


def _row(kind: str, post, source_id: str, target_id: str, source_start: dt.date, source_end: dt.date | None, place: Place) -> dict[str, Any] | None:
    start = max(post.start_date, source_start)
    ends = [end for end in (post.end_date, source_end) if end is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return None
    first_month, last_month = whole_months(start, end)
    return {
        "post_id": post.id,
        "source_id": source_id,
        "kind": kind,
        "person_id": post.person_id,
        "role": post.role,
        "unit_code": post.unit_code,
        "unit_path": place.path,
        "township_code": place.township_code,
        "county_code": place.county_code,
        "target_level": TARGET_LEVEL[kind],
        "target_id": target_id,
        "start_date": start,
        "end_date": end,
        "first_month": first_month,
        "last_month": last_month,
    }


def derive(connection: Connection, *, post_ids=None, pairing_ids=None, link_ids=None) -> list[dict[str, Any]]:
    """The obligation rows of the given posts, pairings and links; all of them when none is given."""
    everything = post_ids is None and pairing_ids is None and link_ids is None
    paired = select(_post, _pairing.c.id.label("source_id"), _pairing.c.household_id, _pairing.c.start_date.label("source_start"),
                    _pairing.c.end_date.label("source_end"), _household.c.village_code).select_from(
        _pairing.join(_household, _household.c.id == _pairing.c.household_id).join(_post, _post.c.person_id == _pairing.c.cadre_id)
    )
    linked = select(_post, _link.c.id.label("source_id"), _link.c.village_code, _link.c.start_date.label("source_start"),
                    _link.c.end_date.label("source_end")).select_from(_link.join(_post, _post.c.unit_code == _link.c.unit_code))
    found = []
    if everything:
        found += [(PAIRED, row) for row in connection.execute(paired)]
        found += [(LINKED, row) for row in connection.execute(linked)]
    for part in chunks(post_ids or ()):
        found += [(PAIRED, row) for row in connection.execute(paired.where(_post.c.id.in_(part)))]
        found += [(LINKED, row) for row in connection.execute(linked.where(_post.c.id.in_(part)))]
    for part in chunks(pairing_ids or ()):
        found += [(PAIRED, row) for row in connection.execute(paired.where(_pairing.c.id.in_(part)))]
    for part in chunks(link_ids or ()):
        found += [(LINKED, row) for row in connection.execute(linked.where(_link.c.id.in_(part)))]
    where = places(connection, {row.unit_code for _, row in found} | {row.village_code for _, row in found})
    rows = {}
    for kind, found_row in found:
        unit = where[found_row.unit_code]
        if kind == PAIRED:
            village = where[found_row.village_code].path
            # The post must be at the household's unit or above it: a cadre paired in one
            # township owes nothing through a post held in another.
            if not (village == unit.path or village.startswith(unit.path + "/")):
                continue
            target = found_row.household_id
        else:
            target = found_row.village_code
        row = _row(kind, found_row, found_row.source_id, target, found_row.source_start, found_row.source_end, unit)
        if row is not None:
            rows[(row["post_id"], row["source_id"])] = row
    return [rows[key] for key in sorted(rows)]


def masks_of(connection: Connection, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], dict[int, YearMask]]:
    """The visit masks, year by year, of each (person, target level, target id) in `keys`."""
    keys = set(keys)
    found: dict[tuple[str, str, str], dict[int, YearMask]] = defaultdict(dict)
    levels = {level for _, level, _ in keys}
    for part in chunks({person for person, _, _ in keys}):
        query = select(_mask).where(one_of(connection, _mask.c.person_id, part), one_of(connection, _mask.c.target_level, levels))
        for row in connection.execute(query):
            key = (row.person_id, row.target_level, row.target_id)
            if key in keys:
                found[key][row.year] = YearMask(row.month_mask, row.first_days, row.last_days)
    return found


def with_masks(connection: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    masks = masks_of(connection, {(row["person_id"], row["target_level"], row["target_id"]) for row in rows})
    return [row | rolling_masks(masks.get((row["person_id"], row["target_level"], row["target_id"]), {})) for row in rows]


# ---- keeping rows in step ---------------------------------------------------------


def replace(connection: Connection, *, post_ids=(), pairing_ids=(), link_ids=()) -> None:
    """Derive again the rows of these posts, pairings and links."""
    for part in chunks(post_ids):
        connection.execute(delete(_obligation).where(_obligation.c.post_id.in_(part)))
    for part in chunks(set(pairing_ids) | set(link_ids)):
        connection.execute(delete(_obligation).where(_obligation.c.source_id.in_(part)))
    rows = derive(connection, post_ids=post_ids, pairing_ids=pairing_ids, link_ids=link_ids)
    if rows:
        connection.execute(insert(_obligation), with_masks(connection, rows))


def refresh_visits(connection: Connection, keys: Iterable[tuple[str, str, str]]) -> None:
    """Copy the visit masks of these (person, level, target) keys into their obligation rows."""
    keys = {key for key in keys if key[1] in TARGET_LEVEL.values()}
    if not keys:
        return
    present = set()
    for part in chunks({person for person, _, _ in keys}):
        query = select(_obligation.c.person_id, _obligation.c.target_level, _obligation.c.target_id).where(one_of(connection, _obligation.c.person_id, part))
        present.update(tuple(row) for row in connection.execute(query))
    keys &= present
    if not keys:
        return
    masks = masks_of(connection, keys)
    columns = list(rolling_masks({}))
    rows = []
    for key in sorted(keys):
        values = rolling_masks(masks.get(key, {}))
        rows.append((*(values[column] for column in columns), *key))
    update_rows(connection, _obligation, keys=("person_id", "target_level", "target_id"), values=columns, rows=rows)


def rebuild(connection: Connection) -> int:
    """Empty the table and derive every row again; the number of rows."""
    connection.execute(delete(_obligation))
    rows = with_masks(connection, derive(connection))
    for part in chunks(rows, 5000):
        connection.execute(insert(_obligation), part)
    tallies.rebuild(connection)
    return len(rows)


@contextlib.contextmanager
def deferred(session: Session) -> Iterator[None]:
    """For bulk loads: stop following each flush, and derive the whole table once at the end."""
    session.info[_DEFERRED] = True
    try:
        yield
        session.flush()
    finally:
        session.info.pop(_DEFERRED, None)
    rebuild(session.connection())


def _flushed_sources(session: Session) -> tuple[set[str], set[str], set[str], set[tuple[str, str, str]]]:
    """The posts, pairings, links and visit-mask keys (person, level, target) the coming flush writes."""
    post_ids, pairing_ids, link_ids, mask_keys = set(), set(), set(), set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Post):
            post_ids.add(obj.id)
        elif isinstance(obj, Pairing):
            pairing_ids.add(obj.id)
        elif isinstance(obj, UnitLink):
            link_ids.add(obj.id)
        elif isinstance(obj, VisitMask):
            mask_keys.add((obj.person_id, obj.target_level, obj.target_id))
    return post_ids, pairing_ids, link_ids, mask_keys


@event.listens_for(Session, "before_flush")
def _tally_before_flush(session: Session, _flush_context, _instances) -> None:
    # The sources the flush writes, and what their rows add to the report tallies while the
    # tables still hold what they held: `_follow_flushed_sources` settles the difference after it.
    session.info.pop(_FLUSHING, None)
    if session.info.get(_DEFERRED):
        return
    post_ids, pairing_ids, link_ids, mask_keys = sources = _flushed_sources(session)
    if post_ids or pairing_ids or link_ids or mask_keys:
        session.info[_FLUSHING] = sources, tallies.read(session.connection(), keys=mask_keys, post_ids=post_ids, source_ids=pairing_ids | link_ids)


@event.listens_for(Session, "after_flush")
def _follow_flushed_sources(session: Session, _flush_context) -> None:
    flushing = session.info.pop(_FLUSHING, None)
    if flushing is None:  # deferred, or no source written
        return
    (post_ids, pairing_ids, link_ids, mask_keys), tallied = flushing
    # Core statements on the flush's own connection: no autoflush, sees what was just flushed.
    connection = session.connection()
    if post_ids or pairing_ids or link_ids:
        replace(connection, post_ids=sorted(post_ids), pairing_ids=sorted(pairing_ids), link_ids=sorted(link_ids))
    refresh_visits(connection, mask_keys)
    tallies.settle(connection, tallied)


def snapshot_rows(connection: Connection) -> list[tuple]:
    """Every obligation row, sorted: to compare the live table with a fresh `derive`."""
    return sorted(tuple(row) for row in connection.execute(select(_obligation)))

