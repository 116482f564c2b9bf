"""The FastAPI application: routers under /api/v1, problem-details errors, OpenAPI at /docs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline
from sqlalchemy.engine import Engine

from api import errors, housekeeping, web
from api.openapi_docs import document
from api.routers import accounts, audit, exit_cases, health, history, households, onboarding, org_units, pairings, people, plans, posts, reports, teams, unit_links, visits
from workflow import rulebook
from workflow.db import make_engine

API_PREFIX = "/api/v1"

DESCRIPTION = """
Records officials' field visits (三走访) and the exit sign-offs (三签字) of Hunan's
poverty-exit campaign, checked against the rule book in force.

**Authentication.** Every request but `/health` sends `Authorization: Bearer <token>`;
tokens come from `exit-tracker accounts create`. An account's roles (admin, recorder,
supervisor, auditor) say what it may do; its scope (an org unit) bounds what it sees:
records outside the scope answer 404, exactly like records that do not exist.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `code`
and the offending `field`; `detail` is in Chinese by default, in English with
`Accept-Language: en`.

**Retries.** Every POST accepts `Idempotency-Key`: a retry with the same key and body
returns the first response and writes nothing more; the same key with another body is
refused (409 `idempotency_key_reused`). A response is remembered for a week (configurable):
retry within that.

**Limits.** A JSON body is at most 64 KiB, an imported file 64 MiB (413 beyond); a refusal
lists at most 100 invalid fields or bad lines and counts them all; dates and moments are
ISO 8601 text, years 1900–2999; reads `as_of` a past moment run a few at a time (503
when busy or too long). See docs/SECURITY.md.
"""

ROUTERS = [health, accounts, org_units, households, people, posts, pairings, unit_links, teams, plans, onboarding, visits, exit_cases, reports, history, audit]


def create_app(engine: Engine | None = None, schedule: housekeeping.Housekeeping | None = None) -> FastAPI:
    """The app bound to `engine` (default: the configured database URL), keeping house by `schedule`
    (default: as the environment configures it; api/housekeeping.py).

    Refuses to start (rules.RuleBooksRefused, naming each file, key and problem) when the
    rule books in use cannot be used, rather than answer every request with a 500.
    """
    rulebook.books()
    # Swagger UI and ReDoc from files installed with the product, not from a CDN: the docs
    # open on an office network with no way out (fastapi-offline ships Swagger UI 5).
    app = FastAPIOffline(
        static_url="/docs-static",
        title="exit-tracker 三走访三签字",
        summary="Visits and exit sign-offs of the poverty-exit campaign, checked against the rule book.",
        description=DESCRIPTION,
        version=health.product_version(),
        lifespan=_keeping_house,
    )
    app.state.engine = engine or make_engine()
    app.state.housekeeping = schedule or housekeeping.Housekeeping.from_environment()
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)
    web.install(app)
    app.openapi = lambda: _openapi(app)
    return app


@contextlib.asynccontextmanager
async def _keeping_house(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves: its scheduled checkpoints and purges."""
    task = asyncio.create_task(housekeeping.run(app.state.engine, app.state.housekeeping))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus the Problem document every error response refers to."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = errors.PROBLEM_SCHEMA
        app.openapi_schema = document(schema)
    return app.openapi_schema
