"""The FastAPI application: routers under /api/v1, problem-details errors, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api import errors
from api.routers import health
from workflow.db import make_engine

API_PREFIX = "/api/v1"


def create_app(engine: Engine | None = None) -> FastAPI:
    """The app bound to `engine` (default: the configured database URL)."""
    app = FastAPI(
        title="exit-tracker 三走访三签字",
        summary="Visits and exit sign-offs of the poverty-exit campaign, checked against the rule book.",
        version=health.product_version(),
    )
    app.state.engine = engine or make_engine()
    errors.install(app)
    app.include_router(health.router, prefix=API_PREFIX)
    return app
