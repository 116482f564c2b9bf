"""Rebuilding the current-state tables from the log, wholly or up to a point."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence

from sqlalchemy import Row, Table, delete, select
from sqlmodel import Session, SQLModel

from workflow.db import plan_each_statement
from workflow.eventlog.models import Event
from workflow.eventlog.projection import Run, deferred, project, runs


class ReplayError(RuntimeError):
    """The log could not be replayed: an event no projection accepts, or rows that clash."""

    def __init__(self, seq: int, cause: Exception):
        self.seq = seq
        super().__init__(f"replay failed at or before event {seq}: {type(cause).__name__}: {str(cause).splitlines()[0]}")


def projection_tables() -> list[Table]:
    """Every table except the log itself, parents before children."""
    from workflow import schema  # noqa: F401  (registers every table)

    return [table for table in SQLModel.metadata.sorted_tables if table.name not in schema.NOT_PROJECTIONS]


def clear_projections(session: Session) -> None:
    for table in reversed(projection_tables()):
        session.execute(delete(table))


def log_rows(
    session: Session,
    *,
    after_seq: int = 0,
    until_seq: int | None = None,
    until_recorded: dt.datetime | None = None,
    batch: int = 20000,
    canonical: bool = False,
) -> Iterator[Sequence[Row]]:
    """The events after `after_seq`, up to `until_seq` / recorded by `until_recorded`, in seq order, in batches.

    Plain rows of the event table: a row reads like an event (`row.seq`, `row.payload`) and
    unpacks in the table's column order; reading a long log this way costs a fraction of
    loading `Event` objects, and holds no more than one batch. The canonical bytes (the
    last column) only with `canonical`: the projections never read them.
    """
    table = Event.__table__
    columns = list(table.columns) if canonical else [column for column in table.columns if column.name != "canonical"]
    last = after_seq
    while True:
        query = select(*columns).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
        if until_seq is not None:
            query = query.where(table.c.seq <= until_seq)
        if until_recorded is not None:
            query = query.where(table.c.recorded_at <= until_recorded)
        rows = session.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1].seq


def replay_into(
    session: Session,
    batches: Iterable[Sequence[Event | Row]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply each batch of events, in order, to the projections in `session`; the number applied.

    An event may be an `Event` or a row from `log_rows`: the projections only read its columns.
    The log's own projections follow event by event; the derived ones are rebuilt once, at
    the end, from what those wrote (`projection.deferred`).

    Raises ReplayError naming the event (or the last event flushed) that could not be applied.
    """
    plan_each_statement(session)
    count, last_seq = 0, 0
    with deferred(session):
        for events in batches:
            for run in runs(session, events):
                run = [(event, json.loads(event.payload)) for event in run]
                try:
                    # The unit of work orders rows of one table by insertion, but not tables by
                    # foreign key: flush before a different kind of event may insert a child.
                    session.flush()
                except Exception as exc:
                    raise ReplayError(last_seq, exc) from exc
                if not _applied_at_once(session, run):
                    for one in run:
                        try:
                            project(session, [one])
                        except Exception as exc:
                            raise ReplayError(one[0].seq, exc) from exc
                last_seq = run[-1][0].seq
            count += len(events)
            try:
                session.flush()
            except Exception as exc:
                raise ReplayError(last_seq, exc) from exc
            if progress:
                progress(count)
    return count


def _applied_at_once(session: Session, run: Run) -> bool:
    """Apply a run of events (`projection.runs`) at once, if there are several and all goes well.

    On any failure the run's changes are undone (a savepoint), so that applying the events
    one by one can name the event at fault.
    """
    if len(run) < 2:
        return False
    try:
        with session.begin_nested():
            project(session, run)
            session.flush()
    except Exception:
        return False
    return True


def rebuild_projections(session: Session, *, until_seq: int | None = None, progress=None) -> int:
    """Empty every projection and rebuild it from the log; the number of events replayed."""
    clear_projections(session)
    session.flush()
    session.expunge_all()
    return replay_into(session, log_rows(session, until_seq=until_seq), progress=progress)


def snapshot(session: Session) -> dict[str, list[tuple]]:
    """Every projection row, sorted, table by table: for comparing a live and a rebuilt state."""
    result = {}
    for table in projection_tables():
        rows = session.execute(select(table)).all()
        result[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return result
