"""Rebuilding projections from the log into a scratch database, never touching the live one."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.db import make_engine
from workflow.eventlog.replay import log_rows, replay_into
from workflow.schema import metadata


@contextlib.contextmanager
def scratch_engine() -> Iterator[Engine]:
    """An empty SQLite database in a temporary file with every table, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="exit-tracker-replay-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'replay.db'}")
        metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def replay_log(
    source: Session,
    target: Session,
    *,
    until_seq: int | None = None,
    until_recorded: dt.datetime | None = None,
    progress=None,
) -> int:
    """Apply the source's log (up to a point) to the projections in `target`; the number applied.

    `target` starts empty; its derived projections are built once at the end (`replay_into`).
    """
    batches = log_rows(source, until_seq=until_seq, until_recorded=until_recorded)
    return replay_into(target, batches, progress=progress)
