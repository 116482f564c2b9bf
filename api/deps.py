"""Request-scoped dependencies: the engine and a transaction that commits when the handler succeeds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from api.idempotency import IdempotencyKey
from workflow.db import read_only, transaction


def write_session(request: Request, idempotency_key: IdempotencyKey = None) -> Iterator[Session]:
    """A session whose work commits when the handler returns and rolls back if it raises.

    Used with scope="function" (see WriteSession) so the commit happens after the response
    is built but *before* it is sent: a failed commit reaches the client as an error, never
    as a success that did not happen. The idempotency layer finds the session on
    request.state to remember the response in the same transaction; `idempotency_key` is
    declared here so every write documents the header (api/idempotency.py acts on it).
    """
    with transaction(request.app.state.engine) as session:
        request.state.write_session = session
        try:
            yield session
        finally:
            request.state.write_session = None


def read_session(request: Request) -> Iterator[Session]:
    """A session for reads that does not queue behind writers."""
    with Session(read_only(request.app.state.engine)) as session:
        yield session


WriteSession = Annotated[Session, Depends(write_session, scope="function")]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
