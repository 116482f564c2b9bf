"""The Alembic migrations (versions/) and what runs once all of an upgrade's revisions have."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_AFTER_UPGRADE = "exit_tracker.after_upgrade"


def after_upgrade(connection: Any, step: Callable[[Any, Any], None]) -> None:
    """Run `step(connection, operations)` after the last revision of this upgrade, in its transaction.

    For work that needs the newest models, such as replaying the log into the projections:
    a revision runs before later revisions have added the tables and columns they write.
    """
    connection.info.setdefault(_AFTER_UPGRADE, []).append(step)


def run_after_upgrade(connection: Any, operations: Any) -> None:
    """The steps revisions asked for (`after_upgrade`), in order, once."""
    for step in connection.info.pop(_AFTER_UPGRADE, []):
        step(connection, operations)
