"""Idempotency-Key on every POST: a retry with the same key and body takes effect once.

A route class wraps each POST handler. With a key, it first looks for a remembered
response of the same account and key: same request → that response again, nothing run;
another request → 409 idempotency_key_reused. Otherwise it runs the handler and, on
success, remembers the response *in the handler's own write transaction* (which commits
after this wrapper returns): the write and the memory of it commit together or not at all.
Failed requests are not remembered — nothing took effect, so a retry may run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, Request, Response
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.auth import caller_from_request
from workflow.accounts import idempotency
from workflow.accounts.access import Caller
from workflow.db import read_only

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, no spaces


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        pattern=KEY_PATTERN,
        description="Any unique string (e.g. a UUID). A retry with the same key and body returns the first response and writes nothing more.",
        examples=["8f14e45f-ceea-467f-a0e6-2d9b7e1c0a11"],
    ),
]


def _usable(key: str | None) -> bool:
    # Malformed keys are left to the route's own header validation, which answers 422.
    return key is not None and re.fullmatch(KEY_PATTERN, key) is not None


def fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), request.url.query.encode(), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


class IdempotentRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        if "POST" not in self.methods:
            return handler

        async def idempotent_handler(request: Request) -> Response:
            key = request.headers.get(HEADER)
            if not _usable(key):
                return await handler(request)
            mark = fingerprint(request, await request.body())
            caller, stored = await run_in_threadpool(_recall, request, key, mark)
            if stored is not None:
                return stored
            response = await handler(request)
            session: Session | None = getattr(request.state, "write_session", None)
            body = getattr(response, "body", None)
            if 200 <= response.status_code < 300 and session is not None and isinstance(body, bytes):
                await run_in_threadpool(
                    idempotency.remember,
                    session,
                    account_id=caller.account_id,
                    key=key,
                    fingerprint=mark,
                    status_code=response.status_code,
                    media_type=response.media_type or "application/json",
                    body=body.decode("utf-8"),
                    location=response.headers.get("location"),
                    retention=request.app.state.housekeeping.idempotency_retention,
                )
            return response

        return idempotent_handler


def _recall(request: Request, key: str, mark: str) -> tuple[Caller, Response | None]:
    """The caller, and the response remembered for its key if any (one read session for both)."""
    with Session(read_only(request.app.state.engine)) as session:
        caller = caller_from_request(request, session)
        found = idempotency.recall(session, account_id=caller.account_id, key=key, fingerprint=mark, retention=request.app.state.housekeeping.idempotency_retention)
    if found is None:
        return caller, None
    headers = {"Idempotent-Replayed": "true"}
    if found.location:
        headers["Location"] = found.location
    return caller, Response(found.body.encode("utf-8"), status_code=found.status_code, media_type=found.media_type, headers=headers)
