"""What the server does on its own, on a schedule: sign a checkpoint of the log, forget old idempotent responses.

Configured by environment (read when the server starts; docs/SECURITY.md):
- EXIT_TRACKER_CHECKPOINT_KEY: the Ed25519 private key (`exit-tracker audit keygen`) the
  server signs checkpoints with; without it the server signs none, and says so at start.
- EXIT_TRACKER_CHECKPOINT_INTERVAL_SECONDS: how often it signs one (3600: hourly), if the
  log grew since the last; the first at start.
- EXIT_TRACKER_IDEMPOTENCY_RETENTION_HOURS: how long a response to a POST with an
  Idempotency-Key is remembered for its retries (168: a week); older ones are purged
  every PURGE_INTERVAL, with the public objection form's submissions older than its flood window.
Each worker process runs the schedule; two checkpoints of one head are kept once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
import time
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from api.limits import setting
from workflow.accounts import idempotency
from workflow.audit.checkpoint import keep_checkpoint
from workflow.db import transaction

log = logging.getLogger("exit_tracker.housekeeping")

PURGE_INTERVAL = 3600.0


@dataclasses.dataclass(frozen=True)
class Housekeeping:
    checkpoint_key: Path | None = None
    checkpoint_every: float = 3600.0
    idempotency_retention: dt.timedelta = dt.timedelta(days=7)
    purge_every: float = PURGE_INTERVAL

    @classmethod
    def from_environment(cls) -> Housekeeping:
        key = os.environ.get("EXIT_TRACKER_CHECKPOINT_KEY") or None
        return cls(
            checkpoint_key=Path(key) if key else None,
            checkpoint_every=setting("EXIT_TRACKER_CHECKPOINT_INTERVAL_SECONDS", 3600),
            idempotency_retention=dt.timedelta(hours=setting("EXIT_TRACKER_IDEMPOTENCY_RETENTION_HOURS", 7 * 24)),
        )


async def run(engine: Engine, schedule: Housekeeping) -> None:
    """Forever: each task when it is due, in a worker thread so that requests go on meanwhile."""
    if schedule.checkpoint_key is None:
        log.warning("EXIT_TRACKER_CHECKPOINT_KEY is not set: the server signs no checkpoints of the log (docs/AUDIT.md)")
    clock = time.monotonic
    next_checkpoint = clock() if schedule.checkpoint_key is not None else float("inf")
    next_purge = clock() + schedule.purge_every
    while True:
        await asyncio.sleep(max(0.0, min(next_checkpoint, next_purge) - clock()))
        if clock() >= next_checkpoint:
            await asyncio.to_thread(_safely, sign_checkpoint, engine, schedule.checkpoint_key)
            next_checkpoint = clock() + schedule.checkpoint_every
        if clock() >= next_purge:
            await asyncio.to_thread(_safely, purge_responses, engine, schedule.idempotency_retention)
            next_purge = clock() + schedule.purge_every


def sign_checkpoint(engine: Engine, key: Path) -> None:
    try:
        with transaction(engine) as session:
            made = keep_checkpoint(session, key)
    except IntegrityError:
        return  # another worker kept a checkpoint of the same head first
    if made is not None:
        log.info("checkpoint signed at event %s (%s)", made["seq"], made["head_hash"])


def purge_responses(engine: Engine, retention: dt.timedelta) -> None:
    """Forget idempotent responses past their retention, and the public form's submissions past its flood window."""
    from workflow.notices.service import forget_attempts

    with transaction(engine) as session:
        purged = idempotency.purge(session, retention=retention)
        forget_attempts(session)
    if purged:
        log.info("%s remembered idempotent responses older than %s purged", purged, retention)


def _safely(task, *args) -> None:
    # A failed round (the database down, the key unreadable) is logged and tried again next time.
    try:
        task(*args)
    except Exception:  # noqa: BLE001
        log.exception("housekeeping task %s failed", task.__name__)
