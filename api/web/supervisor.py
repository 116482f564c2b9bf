"""The supervisor's pages: overdue visits with drill-down and exports, missing signatures,
the scorecard, and poverty incidence as a chart beside its table.

Each page is the report the API's /api/v1/reports/* answers, from the same functions with
the same parameters — `as_of` (a date) and `known_at` (as known at a moment, recorded time;
api/asof.py) included; its export buttons are links to those endpoints (the session cookie
authenticates them), so a file downloaded here is the API's file.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import CurrentCaller
from api.deps import ReadSession
from api.reports import incidence_rows, waiting_cases
from api.schemas import Day
from api.web.pages import KnownAtField, known_moment as _known, pages_router
from api.web.render import page
from workflow import rulebook
from workflow.accounts import scope
from workflow.accounts.access import Caller
from workflow.obligations.reports import ROW_STATUSES, overdue_report, scorecard
from workflow.org.models import OrgUnit
from workflow.org.service import path_codes

router = pages_router()
ROWS_SHOWN = 100  # a page shows the top of the report (a screenful or two); the files hold every row
INCIDENCE_FROM = dt.date(2014, 1, 1)  # 建档立卡: the registry starts in 2014

def _when(unit: OrgUnit, day: dt.date, known_at: dt.datetime | None) -> list[tuple[str, str]]:
    """A report's query: its unit, its date and, when given, the moment it is read as known at."""
    query = [("unit", unit.code), ("as_of", day.isoformat())]
    return query + [("known_at", known_at.isoformat())] if known_at is not None else query


def _trail(session, caller: Caller, unit: OrgUnit) -> list[OrgUnit]:
    """The units from the caller's scope unit down to `unit`: the drill-down's way back up."""
    codes = path_codes(unit)
    start = codes.index(caller.scope_code) if caller.scope_code in codes else len(codes) - 1
    return [session.get(OrgUnit, code) for code in codes[start:]]


def _children(session, caller: Caller, unit: OrgUnit) -> list[OrgUnit]:
    return list(session.execute(scope.units(caller).where(OrgUnit.parent_code == unit.code).order_by(OrgUnit.code)).scalars())


@router.get("/supervisor")
def supervisor_home(caller: CurrentCaller) -> Response:
    return RedirectResponse(f"/supervisor/overdue?unit={caller.scope_code}", status_code=303)


@router.get("/supervisor/overdue")
def overdue_page(
    request: Request,
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32)] = None,
    as_of: Day | None = None,
    known_at: KnownAtField = None,
    rule: Annotated[list[str] | None, Query(max_length=20)] = None,
    role: Annotated[list[str] | None, Query(max_length=20)] = None,
    status: Annotated[list[Literal["overdue", "due", "pending", "met", "not_owed"]] | None, Query(max_length=5)] = None,
) -> Response:
    """The overdue-visit report of `unit`: totals of the units below it to drill into, and its rows."""
    place = scope.unit(session, caller, unit or caller.scope_code)
    day = as_of or rulebook.today()
    known_at = _known(known_at)
    rule, role = [r for r in rule or [] if r] or None, [r for r in role or [] if r] or None
    found = overdue_report(session, unit_code=place.code, as_of=day, known_at=known_at, rules=rule, roles=role, statuses=status, first=ROWS_SHOWN)
    parts = found.counties if place.level in ("province", "city") else found.townships if place.level == "county" else []
    query = _when(place, day, known_at) + [("rule", r) for r in rule or []] + [("role", r) for r in role or []] + [("status", s) for s in status or []]
    book = rulebook.in_force(day)
    # A drill-down or a filter from the page itself (htmx) gets the report alone, not the page around it.
    fragment = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "report"
    return page(
        request,
        "supervisor_overdue_report.html" if fragment else "supervisor_overdue.html",
        unit=place,
        trail=_trail(session, caller, place),
        children=_children(session, caller, place) if place.level in ("township", "village") else [],
        parts=parts,
        found=found,
        rows=found.rows[:ROWS_SHOWN],
        as_of=day,
        known_at=known_at,
        chosen={"rule": rule or [], "role": role or [], "status": status or []},
        rule_ids=[r.id for r in book.visit_rules],
        role_codes=sorted({code for r in book.visit_rules for code in r.roles}),
        statuses=ROW_STATUSES,
        drill=lambda code: "/supervisor/overdue?" + urlencode([("unit", code)] + [q for q in query if q[0] != "unit"]),
        export=lambda fmt: "/api/v1/reports/overdue-visits?" + urlencode(query + [("format", fmt)]),
        tab="overdue",
    )


@router.get("/supervisor/signatures")
def signatures_page(
    request: Request, caller: CurrentCaller, session: ReadSession, unit: Annotated[str | None, Query(max_length=32)] = None, as_of: Day | None = None, known_at: KnownAtField = None
) -> Response:
    """Open exit cases waiting for signatures, longest wait first, and who holds each missing post."""
    place = scope.unit(session, caller, unit or caller.scope_code)
    day, known = as_of or rulebook.today(), _known(known_at)
    rows = waiting_cases(session, unit=place.code, as_of=day, known_at=known)
    query = urlencode(_when(place, day, known))
    return page(request, "supervisor_signatures.html", unit=place, rows=rows, as_of=day, known_at=known, query=query, tab="signatures")


@router.get("/supervisor/scorecard")
def scorecard_page(
    request: Request, caller: CurrentCaller, session: ReadSession, unit: Annotated[str | None, Query(max_length=32)] = None, as_of: Day | None = None, known_at: KnownAtField = None
) -> Response:
    """The officials of the unit ranked by their on-time rate."""
    place = scope.unit(session, caller, unit or caller.scope_code)
    day, known = as_of or rulebook.today(), _known(known_at)
    found = scorecard(session, unit_code=place.code, as_of=day, known_at=known)
    query = urlencode(_when(place, day, known))
    return page(
        request, "supervisor_scorecard.html", unit=place, scores=found.scores[:ROWS_SHOWN], total=len(found.scores), as_of=day, known_at=known, query=query, tab="scorecard"
    )


@router.get("/supervisor/incidence")
def incidence_page(
    request: Request, caller: CurrentCaller, session: ReadSession, unit: Annotated[str | None, Query(max_length=32)] = None, as_of: Day | None = None, known_at: KnownAtField = None
) -> Response:
    """Poverty incidence of the unit and the units below it, year by year: a chart and its table."""
    place = scope.unit(session, caller, unit or caller.scope_code)
    day, known = as_of or rulebook.today(), _known(known_at)
    rows = incidence_rows(session, unit=place.code, as_of=day, known_at=known, start=INCIDENCE_FROM, every="year")
    dates = sorted({row.date for row in rows})
    series: dict[str, dict] = {}
    for row in rows:
        line = series.setdefault(row.unit_code, {"name": row.unit_name, "data": {}})
        line["data"][row.date.isoformat()] = None if row.incidence is None else round(float(row.incidence) * 100, 2)
    chart = {
        "dates": [d.isoformat() for d in dates],
        "series": [{"name": line["name"], "data": [line["data"].get(d.isoformat()) for d in dates]} for line in series.values()],
    }
    query = urlencode(_when(place, day, known) + [("from", INCIDENCE_FROM.isoformat()), ("every", "year")])
    return page(request, "supervisor_incidence.html", unit=place, rows=rows, chart=json.dumps(chart, ensure_ascii=False), as_of=day, known_at=known, query=query, tab="incidence")
