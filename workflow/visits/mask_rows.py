"""Keeping the `visit_mask` rows: for each person, target and year, the days visits fell on.

A pure function of the visits not voided: a visit counts for its target and each unit above
it up to the township (`counted_targets`). The obligations projection keeps the rows in
step as visits are recorded and voided (it copies them into obligation rows and counts them
in the report tallies), and derives them all again on a rebuild.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, and_, delete, select

from workflow.chunking import chunks
from workflow.db import insert_rows, one_of, update_rows
from workflow.visits.masks import YearMask, counted_targets, year_masks
from workflow.visits.models import Visit, VisitMask

_visits, _masks = Visit.__table__, VisitMask.__table__
_mask_values = itemgetter(*_masks.c.keys())
_MASK_KEY = ("person_id", "target_level", "target_id", "year")
_MASK_BITS = ("month_mask", "first_days", "last_days")
_VISIT_PLACE = ("visitor_id", "target_level", "target_id", "village_code", "township_code", "occurred_on")

MaskKey = tuple[str, str, str, int]  # person, target level, target, year


def counted_days(visits: Iterable[Mapping[str, Any]]) -> dict[MaskKey, list[dt.date]]:
    """The days each (person, level, target, year) was visited by `visits` (rows with `_VISIT_PLACE`)."""
    days: dict[MaskKey, list[dt.date]] = defaultdict(list)
    for visit in visits:
        day = visit["occurred_on"]
        for level, target in counted_targets(visit["target_level"], visit["target_id"], visit["village_code"], visit["township_code"]):
            days[(visit["visitor_id"], level, target, day.year)].append(day)
    return days


@dataclasses.dataclass
class MaskChanges:
    """What new visits change in the stored masks: rows to add, rows to update, and their keys."""

    added: list[tuple] = dataclasses.field(default_factory=list)
    changed: list[tuple] = dataclasses.field(default_factory=list)

    @property
    def keys(self) -> set[tuple[str, str, str]]:
        """The (person, level, target) of every mask written."""
        return {tuple(row[:3]) for row in self.added} | {tuple(row[3:6]) for row in self.changed}


def changes_for(connection: Connection, visits: Iterable[Mapping[str, Any]]) -> MaskChanges:
    """How the masks change when `visits` (new, not voided) are added; a mask they leave as it was is not written."""
    days = counted_days(visits)
    stored = stored_masks(connection, list(days))
    found = MaskChanges()
    for key, visited in days.items():
        before = stored.get(key)
        mask = (before or YearMask()).with_days(visited)
        if mask == before:
            continue  # days already counted
        if before is None:
            found.added.append(_mask_values(dict(zip(_MASK_KEY, key)) | dataclasses.asdict(mask)))
        else:
            found.changed.append((mask.month_mask, mask.first_days, mask.last_days, *key))
    return found


def write(connection: Connection, changes: MaskChanges) -> None:
    insert_rows(connection, _masks, changes.added)
    update_rows(connection, _masks, keys=_MASK_KEY, values=_MASK_BITS, rows=changes.changed)


def recount(connection: Connection, keys: Iterable[MaskKey]) -> None:
    """Derive these masks again from the visits not voided (after voids); a mask with no visit left goes."""
    for person, level, target, year in sorted(set(keys)):
        column = {"household": _visits.c.target_id, "village": _visits.c.village_code, "township": _visits.c.township_code}[level]
        counts = column == target if level != "household" else and_(_visits.c.target_level == "household", column == target)
        days = connection.execute(
            select(_visits.c.occurred_on).where(
                _visits.c.visitor_id == person,
                _visits.c.occurred_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31)),
                _visits.c.voided_at.is_(None),
                counts,
            )
        ).scalars()
        mask = year_masks(days).get(year)
        where = [_masks.c[name] == value for name, value in zip(_MASK_KEY, (person, level, target, year))]
        connection.execute(delete(_masks).where(*where))
        if mask is not None:
            insert_rows(connection, _masks, [_mask_values(dict(zip(_MASK_KEY, (person, level, target, year))) | dataclasses.asdict(mask))])


def rebuild(connection: Connection) -> int:
    """Empty the table and derive every mask from the visits not voided; the number of masks."""
    connection.execute(delete(_masks))
    masks: dict[MaskKey, YearMask] = {}
    query = select(*(_visits.c[name] for name in _VISIT_PLACE)).where(_visits.c.voided_at.is_(None))
    for part in connection.execute(query.execution_options(yield_per=20_000)).mappings().partitions():
        for key, days in counted_days(part).items():
            masks[key] = masks.get(key, YearMask()).with_days(days)
    rows = (_mask_values(dict(zip(_MASK_KEY, key)) | dataclasses.asdict(mask)) for key, mask in masks.items())
    for part in chunks(rows, 20_000):
        insert_rows(connection, _masks, part)
    return len(masks)


def stored_masks(connection: Connection, keys: list[MaskKey]) -> dict[MaskKey, YearMask]:
    """The stored masks of `keys` (those that have one)."""
    wanted = set(keys)
    stored = {}
    # By person and target rather than by the tuple of keys: SQLite scans the table for a tuple IN.
    for part in chunks(keys, 500):
        query = select(*(_masks.c[name] for name in _MASK_KEY + _MASK_BITS)).where(
            one_of(connection, _masks.c.person_id, {key[0] for key in part}),
            one_of(connection, _masks.c.target_id, {key[2] for key in part}),
            one_of(connection, _masks.c.year, {key[3] for key in part}),
        )
        for person, level, target, year, month_mask, first_days, last_days in connection.execute(query):
            key = (person, level, target, year)
            if key in wanted:
                stored[key] = YearMask(month_mask, first_days, last_days)
    return stored


def voided_visits(connection: Connection, visit_ids: Iterable[str]) -> list[Mapping[str, Any]]:
    """The places and days of these visits, as `counted_days` reads them."""
    found = []
    for part in chunks(set(visit_ids)):
        found += connection.execute(select(*(_visits.c[name] for name in _VISIT_PLACE)).where(one_of(connection, _visits.c.id, part))).mappings().all()
    return found


def masks_of(connection: Connection, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], dict[int, YearMask]]:
    """The visit masks, year by year, of each (person, target level, target id) in `keys`."""
    keys = set(keys)
    found: dict[tuple[str, str, str], dict[int, YearMask]] = defaultdict(dict)
    levels = {level for _, level, _ in keys}
    for part in chunks({person for person, _, _ in keys}):
        query = select(_masks).where(one_of(connection, _masks.c.person_id, part), one_of(connection, _masks.c.target_level, levels))
        for row in connection.execute(query):
            key = (row.person_id, row.target_level, row.target_id)
            if key in keys:
                found[key][row.year] = YearMask(row.month_mask, row.first_days, row.last_days)
    return found
