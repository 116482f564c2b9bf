"""Projecting a run of recorded visits at once: the rows `service._visit_recorded` writes one by one.

`eventlog.append_many` (the visit import) uses it: one INSERT of the visits, one read of
the masks they touch, one INSERT of the new masks; the obligation rows follow as after
any flush. The result is the same as applying the one-event projector to each in turn
(tests/workflow/visits/test_batch_import.py compares both on both engines).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session

from workflow.eventlog import Event
from workflow.eventlog.projectors import projects_many
from workflow.obligations import instances
from workflow.visits.masks import YearMask, counted_targets
from workflow.visits.models import Visit, VisitMask
from workflow.visits.service import visit_row


@projects_many("visit.recorded")
def visits_recorded(session: Session, events: list[tuple[Event, dict[str, Any]]]) -> None:
    rows = [visit_row(event, data) for event, data in events]
    days: dict[tuple[str, str, str, int], list] = defaultdict(list)
    for row in rows:
        for level, target in counted_targets(row["target_level"], row["target_id"], row["village_code"], row["township_code"]):
            days[(row["visitor_id"], level, target, row["occurred_on"].year)].append(row["occurred_on"])
    session.execute(insert(Visit.__table__), rows)
    # Masks the session holds as objects are changed through them (the flush writes them and
    # the obligation rows follow); the others are read and written with plain statements.
    held: dict[tuple[str, str, str, int], VisitMask] = {}
    for key in days:
        mask = session.identity_map.get(identity_key(VisitMask, key))
        if mask is not None:
            held[key] = mask
    stored: dict[tuple[str, str, str, int], YearMask] = {}
    table = VisitMask.__table__
    # By person and target rather than by the tuple of keys: SQLite scans the table for a tuple IN.
    for part in instances.chunks([key for key in days if key not in held], 500):
        query = select(table).where(
            table.c.person_id.in_({key[0] for key in part}),
            table.c.target_id.in_({key[2] for key in part}),
            table.c.year.in_({key[3] for key in part}),
        )
        for row in session.connection().execute(query):
            key = (row.person_id, row.target_level, row.target_id, row.year)
            if key in days:
                stored[key] = YearMask(row.month_mask, row.first_days, row.last_days)
    added, changed = [], []
    for key, visited in days.items():
        row = held.get(key)
        mask = YearMask(row.month_mask, row.first_days, row.last_days) if row is not None else stored.get(key, YearMask())
        for day in visited:
            mask = mask.with_day(day)
        if row is not None:
            row.month_mask, row.first_days, row.last_days = mask.month_mask, mask.first_days, mask.last_days
            continue
        person, level, target, year = key
        values = {"month_mask": mask.month_mask, "first_days": mask.first_days, "last_days": mask.last_days}
        if key in stored:
            changed.append({"k_person": person, "k_level": level, "k_target": target, "k_year": year, **values})
        else:
            added.append({"person_id": person, "target_level": level, "target_id": target, "year": year, **values})
    connection = session.connection()
    if added:
        connection.execute(insert(table), added)
    if changed:
        statement = (
            update(table)
            .where(table.c.person_id == bindparam("k_person"), table.c.target_level == bindparam("k_level"), table.c.target_id == bindparam("k_target"), table.c.year == bindparam("k_year"))
            .values(month_mask=bindparam("month_mask"), first_days=bindparam("first_days"), last_days=bindparam("last_days"))
        )
        connection.execute(statement, changed)
    written = [(r["person_id"], r["target_level"], r["target_id"]) for r in added] + [(r["k_person"], r["k_level"], r["k_target"]) for r in changed]
    if written:
        instances.refresh_visits(connection, written)
