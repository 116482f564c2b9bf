"""The `Obligation` rows: one per post and pairing (V7) or unit link (V3), with the whole months
both cover and a copy of the newest two years of the holder's visit mask for the target.

The rows are a pure function of the posts, pairings, links and visit masks: `derive` builds
them, `replace` and `refresh_visits` bring the rows of some posts, sources or masks up to
date (the obligations projection calls them as events arrive), and `rebuild` recomputes them
all from scratch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from workflow.chunking import chunks
from workflow.db import insert_rows, one_of, update_rows
from workflow.obligations.models import Obligation
from workflow.obligations.spec import month_end, month_number
from workflow.org.models import Household, OrgUnit
from workflow.posts.models import Pairing, Post, UnitLink
from workflow.org.places import Place, Subtree, places
from workflow.visits.mask_rows import masks_of
from workflow.visits.masks import YearMask
from workflow.visits.models import VisitMask

PAIRED = "paired"  # a cadre's post and a household paired with the cadre
LINKED = "linked"  # a city-direct unit's post and a village linked to the unit
TARGET_LEVEL = {PAIRED: "household", LINKED: "village"}

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
            if not Subtree(unit.path).contains(village):
                continue
            target = found_row.household_id
        else:
            target = found_row.village_code
        row = _row(kind, found_row, found_row.source_id, target, found_row.source_start, found_row.source_end, unit)
        if row is not None:
            rows[(row["post_id"], row["source_id"])] = row
    return [rows[key] for key in sorted(rows)]


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
    """Empty the table and derive every row again (from the masks as they stand); the number of rows."""
    connection.execute(delete(_obligation))
    rows = with_masks(connection, derive(connection))
    # A city's 260,000 rows: COPY on PostgreSQL (an INSERT per row through the driver's pipeline took a minute).
    names = [column.name for column in _obligation.columns]
    insert_rows(connection, _obligation, [tuple(row[name] for name in names) for row in rows])
    return len(rows)


def snapshot_rows(connection: Connection) -> list[tuple]:
    """Every obligation row, sorted: to compare the live table with a fresh `derive`."""
    return sorted(tuple(row) for row in connection.execute(select(_obligation)))

