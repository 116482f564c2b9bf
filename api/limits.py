"""The bounds every request lives within, in one place; docs/SECURITY.md lists them.

Each can be set by an environment variable (read when the server starts); the defaults
suit one server with a few cores.
"""

from __future__ import annotations

import os

from starlette.requests import Request

from workflow.errors import BodyTooLarge

KIB, MIB = 1024, 1024 * 1024


def setting(name: str, default: float) -> float:
    """The positive number in environment variable `name`, or `default` when it is unset."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"${name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"${name} must be positive, not {raw!r}")
    return value


# Request bodies, per operation: every JSON body, and a visit import's file.
MAX_JSON_BODY = int(setting("EXIT_TRACKER_MAX_JSON_BYTES", 64 * KIB))
MAX_IMPORT_BODY = int(setting("EXIT_TRACKER_MAX_IMPORT_BYTES", 64 * MIB))
# The public objection form (no sign-in): its text is bounded in characters too (workflow/notices).
MAX_PUBLIC_FORM_BODY = int(setting("EXIT_TRACKER_MAX_PUBLIC_FORM_BYTES", 32 * KIB))

# How many invalid fields, or bad lines of an import, one refusal lists (it counts them all).
MAX_LISTED_PROBLEMS = 100



async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, read no further than `limit` bytes: BodyTooLarge (413) beyond it.

    A declared Content-Length over the limit is refused before anything is read; a body
    sent without one (chunked) is refused as soon as it passes the limit. What was read
    is kept where Starlette keeps a read body, so the route reads it from there.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    received, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        received.append(chunk)
    request._body = body = b"".join(received)  # Request.body() returns this from now on
    return body


def _too_large(limit: int) -> BodyTooLarge:
    shown = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit // KIB} KiB" if limit % KIB == 0 else f"{limit} bytes"
    return BodyTooLarge(shown=shown, limit_bytes=limit)
