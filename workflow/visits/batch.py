"""Projecting a run of recorded visits at once: the rows `service._visit_recorded` writes one by one.

`eventlog.append_many` (the visit import) uses it: one bulk INSERT of the visits, one read
of the masks they touch, one bulk INSERT of the new masks and one bulk UPDATE of those the
visits changed (a mask the visits leave as it was is not written); the obligation rows of
the written masks follow. The result is the same as applying the one-event projector to
each in turn (tests/workflow/visits/test_batch_import.py compares both on both engines).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import insert_rows, one_of, update_rows
from workflow.eventlog import Event
from workflow.eventlog.projectors import projects_many
from workflow.obligations import instances, tallies
from workflow.visits.masks import YearMask, counted_targets
from workflow.visits.models import Visit, VisitMask
from workflow.visits.service import visit_row

_visits, _masks = Visit.__table__, VisitMask.__table__
_visit_values = itemgetter(*_visits.c.keys())
_mask_values = itemgetter(*_masks.c.keys())
_MASK_KEY = ("person_id", "target_level", "target_id", "year")
_MASK_BITS = ("month_mask", "first_days", "last_days")


@projects_many("visit.recorded")
def visits_recorded(session: Session, events: list[tuple[Event, dict[str, Any]]]) -> None:
    rows = [visit_row(event, data) for event, data in events]
    days: dict[tuple[str, str, str, int], list] = defaultdict(list)
    for row in rows:
        for level, target in counted_targets(row["target_level"], row["target_id"], row["village_code"], row["township_code"]):
            days[(row["visitor_id"], level, target, row["occurred_on"].year)].append(row["occurred_on"])
    connection = session.connection()
    insert_rows(connection, _visits, [_visit_values(row) for row in rows])
    # Masks the session holds as objects are changed through them (the flush writes them and
    # the obligation rows follow); the others are read and written with plain statements.
    held = {(m.person_id, m.target_level, m.target_id, m.year): m for m in list(session.identity_map.values()) if isinstance(m, VisitMask)}
    stored = _stored_masks(connection, [key for key in days if key not in held])
    added, changed, written = [], [], []
    for key, visited in days.items():
        row = held.get(key)
        if row is not None:
            mask = YearMask(row.month_mask, row.first_days, row.last_days).with_days(visited)
            row.month_mask, row.first_days, row.last_days = mask.month_mask, mask.first_days, mask.last_days
            continue
        before = stored.get(key)
        mask = (before or YearMask()).with_days(visited)
        if mask == before:
            continue  # days already counted: the row, and the obligation rows that copy it, stay as they are
        if before is None:
            added.append(_mask_values(dict(zip(_MASK_KEY, key)) | dataclasses.asdict(mask)))
        else:
            changed.append((mask.month_mask, mask.first_days, mask.last_days, *key))
        written.append(key[:3])
    if not written:
        return
    before = tallies.read(connection, keys=written)
    insert_rows(connection, _masks, added)
    update_rows(connection, _masks, keys=_MASK_KEY, values=_MASK_BITS, rows=changed)
    instances.refresh_visits(connection, written)
    tallies.settle(connection, before)


def _stored_masks(connection: Connection, keys: list[tuple[str, str, str, int]]) -> dict[tuple[str, str, str, int], YearMask]:
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

