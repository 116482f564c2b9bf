"""What every page shares: its router, its refusals as pages, the home of each role."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.web.render import page
from workflow import labels
from workflow.accounts.access import Caller

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def page_request(request: Request) -> None:
    """Mark the request as a page's (its refusals render as pages) and read a form's CSRF token
    before the caller is authenticated (api/auth.py checks it)."""
    request.state.page = True
    # A filter form sends its empty fields ("as_of="): on a page, an empty field is one not given.
    query = request.scope.get("query_string", b"")
    if query:
        kept = [(k, v) for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if v != ""]
        request.scope["query_string"] = urlencode(kept).encode("latin-1")
        request.__dict__.pop("_query_params", None)
    if request.method == "POST" and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        request.state.form = form  # for handlers that read the form whole (api/web/cases.py)
        token = form.get("csrf_token")
        request.state.csrf_form = token if isinstance(token, str) else None


# `known_at` on a page: the form's datetime-local field (Beijing wall-clock time) or, in a link
# the page made, a moment with its offset; read by known_moment, as the API's KnownAt means it.
KnownAtField = Annotated[str | None, Query(max_length=40, description="As known at this moment: Beijing time, or ISO 8601 with its offset.")]


def known_moment(known_at: str | None) -> dt.datetime | None:
    """The moment a page's `known_at` names; None when blank; refused (invalid_datetime) otherwise."""
    return labels.moment_from_input(known_at, field="known_at")


def pages_router() -> APIRouter:
    """A router of pages: left out of the API's OpenAPI document."""
    return APIRouter(dependencies=[Depends(page_request)], include_in_schema=False)


def problem_page(request: Request, *, status: int, code: str, detail: str, field: str | None) -> Response:
    """A refusal as the page shows it: the API's code and words; not signed in: to the sign-in page."""
    if status == 401:
        target = "/signin?next=" + quote(request.url.path)
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    template = "problem_fragment.html" if request.headers.get("HX-Request") == "true" else "problem.html"
    return page(request, template, status_code=status, status=status, code=code, detail=detail, field=field, back=_back(request))


def _back(request: Request) -> str | None:
    """The page a refused form was sent from, on this site: where the user returns to mend it."""
    came_from = urlsplit(request.headers.get("referer", ""))
    if came_from.netloc != request.url.netloc or not came_from.path.startswith("/") or came_from.path.startswith("//"):
        return None
    return came_from.path + (f"?{came_from.query}" if came_from.query else "")


HOMES = (("recorder", "/recorder"), ("supervisor", "/supervisor"), ("auditor", "/auditor"), ("admin", "/admin"))


def home_of(caller: Caller) -> str:
    """The first page of an account: its first role's, in the order the web app lists them."""
    return next((path for role, path in HOMES if role in caller.roles), "/supervisor")
