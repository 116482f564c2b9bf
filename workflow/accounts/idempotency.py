"""Remembered first responses of POSTs retried with the same Idempotency-Key."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workflow import clock
from workflow.accounts.models import IdempotentRequest
from workflow.errors import Conflict


def recall(session: Session, *, account_id: str, key: str, fingerprint: str) -> IdempotentRequest | None:
    """The remembered response for this account's key; Conflict if the key came with another request."""
    found = session.get(IdempotentRequest, (account_id, key))
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            f"Idempotency-Key '{key}' was already used with a different request at {found.created_at.isoformat()}; use a new key for a new request",
            f"Idempotency-Key '{key}' 已于 {found.created_at.isoformat()} 用于另一请求;新请求请使用新的键",
            field="Idempotency-Key",
        )
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
) -> None:
    """Keep the response in the caller's transaction, so it commits with the write or not at all."""
    session.add(
        IdempotentRequest(
            account_id=account_id,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            media_type=media_type,
            body=body,
            location=location,
            created_at=clock.now(),
        )
    )
    try:
        session.flush()
    except IntegrityError:
        # Another request with the same key committed first; this transaction rolls back.
        raise Conflict(
            "idempotency_key_in_flight",
            "a request with this Idempotency-Key was processed at the same time; retry it to get that request's response",
            "同一 Idempotency-Key 的请求正在同时处理;请重试以取得该请求的结果",
            field="Idempotency-Key",
        ) from None
