"""Request-scoped dependencies: the engine and a transaction that commits when the handler succeeds."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlmodel import Session

from workflow.db import read_only, transaction


def write_session(request: Request) -> Iterator[Session]:
    """A session whose work commits when the handler returns and rolls back if it raises."""
    with transaction(request.app.state.engine) as session:
        yield session


def read_session(request: Request) -> Iterator[Session]:
    """A session for reads that does not queue behind writers."""
    with Session(read_only(request.app.state.engine)) as session:
        yield session
