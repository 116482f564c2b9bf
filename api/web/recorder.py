"""The township recorder's pages, phone-first: 本月待走访, recording a visit (offline too), exit cases.

The list is the overdue report's own evaluation (`overdue_report`) for the account's scope
as of today: the obligations whose current period still wants a visit. A visit is recorded
by the browser through the API's own POST /api/v1/visits (the session cookie, its CSRF
token and an Idempotency-Key): online or offline, the same request, queued on the phone
(static/recorder.js) until the server has answered it.
"""

from __future__ import annotations

from itertools import groupby
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import or_

from api.auth import CurrentCaller
from api.deps import ReadSession
from api.web import STATIC
from api.web.pages import pages_router
from api.web.render import local_input, page
from workflow import clock, labels, rulebook
from workflow.accounts import access, scope
from workflow.obligations.reports import overdue_report
from workflow.obligations.spec import DUE, OVERDUE, PENDING
from workflow.org.models import Household, OrgUnit, Person

router = pages_router()
SEARCH_LIMIT = 20
ROWS_SHOWN = 200  # beyond this, the list shows each official's count and one official's rows at a time


def due_this_month(session, caller) -> list:
    """The obligations of the caller's scope whose current period still wants a visit, as of
    today, with the overdue ones first; grouped by official."""
    found = overdue_report(session, unit_code=caller.scope_code, as_of=rulebook.today(), statuses=[OVERDUE, DUE, PENDING])
    rows = [row for row in found.rows if row.current_status in (DUE, PENDING)]
    rows.sort(key=lambda row: (row.person_name or "", row.person_id, row.status != OVERDUE, row.rule_id, row.target_id or ""))
    return [(person, list(group)) for person, group in groupby(rows, key=lambda row: (row.person_id, row.person_name))]


def _shown(groups: list, person: str | None) -> dict:
    """What the list shows: every official's rows, or — for a busy township — one official's
    rows (`person`, else the first) and the others' counts to choose from."""
    total = sum(len(rows) for _, rows in groups)
    if total <= ROWS_SHOWN:
        return {"groups": groups, "folded": [], "total": total}
    chosen = next((g for g in groups if g[0][0] == person), groups[0])
    return {"groups": [chosen], "folded": [(who, len(rows), sum(r.status == OVERDUE for r in rows)) for who, rows in groups], "total": total}


@router.get("/recorder")
def recorder_home(request: Request, caller: CurrentCaller, session: ReadSession, person: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    access.require(caller, access.RECORD)
    return page(
        request,
        "recorder.html",
        **_shown(due_this_month(session, caller), person),
        now=local_input(clock.now()),
        offset=labels.offset(clock.now()),
        scope_unit=scope.unit(session, caller, caller.scope_code),
    )


@router.get("/recorder/due")
def recorder_due(request: Request, caller: CurrentCaller, session: ReadSession, person: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The list alone, for htmx to refresh after a visit is synced or to show another official's rows."""
    access.require(caller, access.RECORD)
    return page(request, "recorder_due.html", **_shown(due_this_month(session, caller), person))


@router.get("/recorder/households")
def find_households(request: Request, caller: CurrentCaller, session: ReadSession, q: Annotated[str, Query(max_length=64)] = "") -> Response:
    """Households in scope by the head's name, the village's name or code, or the registry number."""
    access.require(caller, access.RECORD)
    found = []
    if q.strip():
        like = f"%{q.strip()}%"
        query = (
            scope.households(caller)
            .add_columns(OrgUnit.name)
            .join(OrgUnit, OrgUnit.code == Household.village_code)
            .where(or_(Household.head_name.like(like), Household.id.like(like), OrgUnit.name.like(like)))
            .order_by(Household.id)
            .limit(SEARCH_LIMIT)
        )
        found = session.execute(query).all()
    return page(request, "recorder_households.html", households=found)


@router.get("/recorder/visitors")
def find_visitors(request: Request, caller: CurrentCaller, session: ReadSession, q: Annotated[str, Query(max_length=64)] = "") -> Response:
    """People the account sees, by name."""
    access.require(caller, access.RECORD)
    found = []
    if q.strip():
        found = list(session.execute(scope.people(caller).where(Person.name.like(f"%{q.strip()}%")).order_by(Person.name).limit(SEARCH_LIMIT)).scalars())
    return page(request, "recorder_visitors.html", people=found)


@router.get("/sw.js")
def service_worker() -> Response:
    """The offline worker, served from the root so it may keep the recorder's page."""
    return FileResponse(STATIC / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})
