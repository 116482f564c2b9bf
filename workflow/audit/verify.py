"""Whether anything in the log or the tables was altered, and where."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from sqlalchemy import String, Table, select
from sqlmodel import Session

from workflow.audit.scratch import replay_log, scratch_engine
from workflow.eventlog.models import Event
from workflow.eventlog.replay import ReplayError, projection_tables
from workflow.eventlog.verify import ChainReport, verify_chain


@dataclasses.dataclass(frozen=True)
class ProjectionDifference:
    """A current-state row that disagrees with what the log says it should be."""

    table: str
    key: dict[str, Any]
    # "changed"; "missing" (the log has it, the table not); "unexplained" (the reverse);
    # or, for table "(replay)", why the log could not be replayed at all.
    problem: str
    columns: dict[str, tuple[Any, Any]]  # column → (live, replayed), for "changed"
    last_event_seq: int | None  # the last event about this row's entity, where one is found


@dataclasses.dataclass(frozen=True)
class AuditReport:
    chain: ChainReport
    projection: ProjectionDifference | None

    @property
    def intact(self) -> bool:
        return self.chain.intact and self.projection is None


def _rows(session: Session, table: Table) -> Iterator[tuple[tuple, tuple]]:
    """Every row of `table` in key order, as (its key, its values in column order)."""
    key_columns = list(table.primary_key.columns)
    positions = [list(table.columns).index(c) for c in key_columns]
    # Both copies must sort alike: byte order for text, whatever the server's collation.
    binary = session.get_bind().dialect.name == "postgresql"
    order = [c.collate("C") if binary and isinstance(c.type, String) else c for c in key_columns]
    query = select(table).order_by(*order).execution_options(yield_per=5000)
    if len(positions) == 1:
        (at,) = positions
        for row in session.execute(query):
            yield (row[at],), row
    else:
        for row in session.execute(query):
            yield tuple(row[i] for i in positions), row


def _first_difference(live: Session, replayed: Session, table: Table) -> ProjectionDifference | None:
    """Merge-walk both copies of `table` in key order; the first row that differs."""
    key_names = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    left, right = _rows(live, table), _rows(replayed, table)
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            return _difference(live, table, key_names, a[0], "unexplained", {})
        if a is None or b[0] < a[0]:
            return _difference(live, table, key_names, b[0], "missing", {})
        if a[1] != b[1]:  # rows compare as tuples; the columns are named only for a difference
            changed = {name: (x, y) for name, x, y in zip(names, a[1], b[1], strict=True) if x != y}
            if changed:
                return _difference(live, table, key_names, a[0], "changed", changed)
        a, b = next(left, None), next(right, None)
    return None


def _difference(session: Session, table: Table, key_names: list[str], key: tuple, problem: str, columns: dict) -> ProjectionDifference:
    entity_id = str(key[0]) if len(key) == 1 else None
    last = None
    if entity_id is not None:
        last = session.execute(select(Event.seq).where(Event.entity_id == entity_id).order_by(Event.seq.desc()).limit(1)).scalar()
    return ProjectionDifference(table.name, dict(zip(key_names, key)), problem, columns, last)


def compare_projections(session: Session) -> ProjectionDifference | None:
    """Replay the whole log into a scratch database and compare every projection row with the live one."""
    with scratch_engine() as scratch:
        with Session(scratch) as target:
            try:
                replay_log(session, target)
            except ReplayError as exc:
                return ProjectionDifference("(replay)", {}, str(exc), {}, exc.seq)
            target.commit()
            for table in projection_tables():
                difference = _first_difference(session, target, table)
                if difference is not None:
                    return difference
    return None


def audit(session: Session) -> AuditReport:
    """Recompute the hash chain and check every projection against a replay of the log."""
    chain = verify_chain(session)
    return AuditReport(chain=chain, projection=compare_projections(session))
