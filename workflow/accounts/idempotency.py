"""Remembered first responses of POSTs retried with the same Idempotency-Key, kept for a retention period.

A response is remembered for `retention` (configured by the server, 7 days by default):
within it, a retry gets the first response again; past it, the key is forgotten, as if
never used, and `purge` deletes what is forgotten.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workflow import clock
from workflow.accounts.models import IdempotentRequest
from workflow import errors


def recall(session: Session, *, account_id: str, key: str, fingerprint: str, retention: dt.timedelta) -> IdempotentRequest | None:
    """The remembered response for this account's key; Conflict if the key came with another request."""
    found = session.get(IdempotentRequest, (account_id, key))
    if found is None or found.created_at < clock.now() - retention:
        return None
    if found.fingerprint != fingerprint:
        raise errors.IdempotencyKeyReused(key=key, at=found.created_at.isoformat())
    return found


def remember(
    session: Session,
    *,
    account_id: str,
    key: str,
    fingerprint: str,
    status_code: int,
    media_type: str,
    body: str,
    location: str | None,
    retention: dt.timedelta,
) -> None:
    """Keep the response in the caller's transaction, so it commits with the write or not at all."""
    now = clock.now()
    # A response past its retention, not purged yet, gives way: the key is free again.
    session.execute(delete(_remembered).where(_remembered.c.account_id == account_id, _remembered.c.key == key, _remembered.c.created_at < now - retention))
    session.add(
        IdempotentRequest(
            account_id=account_id,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            media_type=media_type,
            body=body,
            location=location,
            created_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        # Another request with the same key committed first; this transaction rolls back.
        raise errors.IdempotencyKeyInFlight() from None


def purge(session: Session, *, retention: dt.timedelta) -> int:
    """Delete the responses remembered longer than `retention` ago; how many."""
    return session.execute(delete(_remembered).where(_remembered.c.created_at < clock.now() - retention)).rowcount


_remembered = IdempotentRequest.__table__
