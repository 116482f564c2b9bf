"""Request-scoped dependencies: the engine and a transaction that commits when the handler succeeds."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlmodel import Session

from api.idempotency import IdempotencyKey
from workflow.db import read_only, transaction


# SQLite's own busy timeout (workflow.db): how long a writer waits for its turn before
# going to the database anyway, where it waits that long again and fails as it always did.
TURN_TIMEOUT = 30.0
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def writer_turn(request: Request) -> AsyncIterator[None]:
    """SQLite: this process's writes wait here for their turn, first come first served.

    SQLite lets one writer in; a second one polls the lock, sleeping longer between tries
    the longer it has waited (up to 100 ms), so under load the lock falls free while every
    waiter sleeps, and a writer that came early can keep losing to later ones (seconds at
    p99). Queued here, the next write starts as soon as the last one ends; writers in other
    processes still queue at SQLite itself. PostgreSQL queues appenders at the advisory lock
    and runs everything before it concurrently, so it takes no turn here.
    """
    if request.app.state.engine.dialect.name != "sqlite":
        yield
        return
    turn = _turns.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    try:
        await asyncio.wait_for(turn.acquire(), TURN_TIMEOUT)
    except TimeoutError:
        yield
        return
    try:
        yield
    finally:
        turn.release()


def write_session(
    request: Request, idempotency_key: IdempotencyKey = None, _turn: Annotated[None, Depends(writer_turn, scope="function")] = None
) -> Iterator[Session]:
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
    with reading(request) as session:
        yield session


@contextlib.contextmanager
def reading(request: Request) -> Iterator[Session]:
    """A read session for part of a request's work, closed when the block ends."""
    with Session(read_only(request.app.state.engine)) as session:
        yield session


WriteSession = Annotated[Session, Depends(write_session, scope="function")]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]


@contextlib.contextmanager
def holding_rows(session: Session) -> Iterator[None]:
    """Within the block, keep every object `session` loads or stores alive, so asking again finds it.

    The identity map holds objects weakly: a row a check loads and lets go (the scope check's
    household and village, the visit a projector adds) is read again by the next lookup of
    it. A single write's block loads a handful of rows, so it keeps them all; not for bulk
    work, whose rows must be let go.
    """
    held: list[object] = []

    def hold(_session: Session, obj: object) -> None:
        held.append(obj)

    event.listen(session, "loaded_as_persistent", hold)
    event.listen(session, "pending_to_persistent", hold)
    try:
        yield
    finally:
        event.remove(session, "loaded_as_persistent", hold)
        event.remove(session, "pending_to_persistent", hold)
