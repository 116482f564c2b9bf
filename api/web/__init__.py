"""The web app: server-rendered pages (Jinja2 + htmx) at `/`, beside the API at /api/v1.

Pages call the same `workflow` functions the API's routers call, with the same Caller: an
account signs in with its name and password (api/web/signin.py) and its session cookie
authenticates exactly as a token would (api/auth.py), so `workflow.accounts.scope` decides
what every page shows. No rule is decided in a template or in the browser's JavaScript.
Every file a page loads (htmx, ECharts, CSS, the offline queue) is served from here.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Serve the pages and their files on `app`."""
    from api.web import admin, auditor, cases, public, recorder, signin, supervisor

    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (signin, recorder, cases, supervisor, auditor, admin, public):
        app.include_router(module.router)
