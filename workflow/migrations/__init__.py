"""The Alembic migrations (versions/) and what runs once all of an upgrade's revisions have."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_AFTER_UPGRADE = "exit_tracker.after_upgrade"


def after_upgrade(connection: Any, step: Callable[[Any, Any], None]) -> None:
    """Run `step(connection, operations)` after the last revision of this upgrade, in its transaction.

    For work that needs the newest models, such as replaying the log into the projections:
    a revision runs before later revisions have added the tables and columns they write.
    A step asked for by several revisions runs once.
    """
    steps = connection.info.setdefault(_AFTER_UPGRADE, [])
    if step not in steps:
        steps.append(step)


def count_tallies(connection: Any, operations: Any) -> None:
    """A step (`after_upgrade`): count every obligation tally afresh from the obligation rows and
    visit masks, into the tables of the newest revision (`tallies.rebuild` writes them all)."""
    from workflow.obligations import tallies

    tallies.rebuild(connection)


def run_after_upgrade(connection: Any, operations: Any) -> None:
    """The steps revisions asked for (`after_upgrade`), in order, once."""
    for step in connection.info.pop(_AFTER_UPGRADE, []):
        step(connection, operations)
