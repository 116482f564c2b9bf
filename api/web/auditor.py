"""The auditor's pages."""

from __future__ import annotations

from api.web.pages import pages_router

router = pages_router()
