"""Rebuilding a whole database as it was at a point in the log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow import errors
from workflow.eventlog.models import Event
from workflow.db import insert_rows
from workflow.eventlog.replay import log_rows, replay_into
from workflow.migrate import upgrade


def replay_database(
    source: Session,
    target: Engine,
    *,
    until_seq: int | None = None,
    until_recorded: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Copy the log up to a point into the empty database `target` and rebuild its projections there.

    The copied events keep their seq and hashes, so the target's chain verifies on its own.
    """
    upgrade(target)
    with Session(target) as session:
        if session.execute(select(Event.seq).limit(1)).first() is not None:
            raise errors.TargetNotEmpty()

        def copy_then_yield():
            for events in log_rows(source, until_seq=until_seq, until_recorded=until_recorded, canonical=True):
                insert_rows(session.connection(), Event.__table__, events)  # rows in the table's column order
                yield events

        count = replay_into(session, copy_then_yield(), progress=progress)
        session.commit()
    return count
