"""The auditor's pages (纪检监察): a record's timeline, the record as of a date and as known at
a moment, the irregularities, and the state of the hash chain.

Each page calls the API's own endpoint function with the same arguments, so what a page
shows is what the API answers: the same checks of role and scope, the same reads in valid
time (`as_of`) and recorded time (`known_at`).
"""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import Query, Request
from fastapi.responses import Response

from api.auth import CurrentCaller
from api.deps import ReadSession
from api.errors import language
from api.reports import ReportRequest
from api.routers import audit, history, households
from api.schemas import Day
from api.web.pages import KnownAtField, known_moment, pages_router
from api.web.render import page
from workflow import rulebook
from workflow.accounts import access, scope
from workflow.audit.irregularities import KINDS

router = pages_router()
RECORD_KINDS = get_args(history.Kind)
IRREGULARITIES_SHOWN = 500


@router.get("/auditor")
def auditor_home(request: Request, caller: CurrentCaller) -> Response:
    access.require(caller, access.AUDIT)
    return page(request, "auditor_home.html", kinds=RECORD_KINDS, kind="household", tab="records")


@router.get("/auditor/record")
def record_page(
    request: Request,
    caller: CurrentCaller,
    session: ReadSession,
    kind: Annotated[str, Query(max_length=32)] = "household",
    id: Annotated[str, Query(min_length=1, max_length=64)] = "",
    as_of: Day | None = None,
    known_at: KnownAtField = None,
) -> Response:
    """Every event about the record (GET /api/v1/history/{kind}/{id}); a household also as of
    a date and as known at a moment (GET /api/v1/households/{id})."""
    access.require(caller, access.AUDIT)
    known_at = known_moment(known_at)
    if kind not in RECORD_KINDS:
        kind = "household"
    events = history.record_history(kind, id.strip(), caller, session)
    state = households.get_household(id.strip(), caller, session, as_of=as_of, known_at=known_at) if kind == "household" else None
    return page(request, "auditor_record.html", kinds=RECORD_KINDS, kind=kind, record_id=id.strip(), events=events, state=state, as_of=as_of, known_at=known_at, tab="records")


@router.get("/auditor/irregularities")
def irregularities_page(
    request: Request,
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32)] = None,
    as_of: Day | None = None,
    start: Annotated[Day | None, Query(alias="from")] = None,
    kind: Annotated[list[str] | None, Query(max_length=10)] = None,
    include_migrated: bool = False,
) -> Response:
    """The irregularities report (GET /api/v1/reports/irregularities) with its filters."""
    access.require(caller, access.INSPECT)
    kind = [k for k in kind or [] if k] or None
    report = ReportRequest(caller, session, unit or caller.scope_code, as_of or rulebook.today(), None, "json", language(request), None, IRREGULARITIES_SHOWN)
    scope.unit(session, caller, report.unit)
    found = audit.irregularity_report(caller, report, start=start, kind=kind, include_migrated=include_migrated)
    return page(
        request, "auditor_irregularities.html",
        found=found, unit=report.unit, as_of=report.as_of, start=start, chosen=kind or [], kinds=KINDS, include_migrated=include_migrated, tab="irregularities",
    )


@router.get("/auditor/chain")
def chain_page(request: Request, caller: CurrentCaller) -> Response:
    access.require(caller, access.AUDIT)
    return page(request, "auditor_chain.html", tab="chain")


@router.get("/auditor/chain/state")
def chain_state(request: Request, caller: CurrentCaller, session: ReadSession) -> Response:
    """The chain verified and the tables compared with a replay (GET /api/v1/audit/verify): loaded by htmx, it takes a while."""
    return page(request, "auditor_chain_state.html", state=audit.verify(caller, session))
