"""An exit case's page for the township recorder: its step, what is still missing and who
holds each missing post, and the forms of the procedure — public notice, objection,
signature (the signer chosen by name among the holders, with the paper document's
reference) and rejection.

Each form posts here and is handed to the API's own endpoint function with the API's own
body model, so it is checked exactly as a POST to /api/v1/exit-cases/… would be.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.routers import exit_cases
from api.web.pages import pages_router
from api.web.render import local_input, page
from workflow import clock, rulebook
from workflow.accounts import access, scope
from workflow import errors
from workflow.exits.reports import missing_signatures
from workflow.exits import machines
from workflow.exits.models import ExitCase

router = pages_router()


@router.get("/recorder/cases")
def case_list(request: Request, caller: CurrentCaller, session: ReadSession) -> Response:
    """The open exit cases in the recorder's scope."""
    access.require(caller, access.RECORD)
    cases = session.execute(scope.cases(caller).where(ExitCase.status.not_in(machines.CLOSED)).order_by(ExitCase.opened_at)).scalars().all()
    return page(request, "cases.html", cases=cases)


@router.get("/recorder/cases/{case_id}")
def case_page(request: Request, case_id: str, caller: CurrentCaller, session: ReadSession) -> Response:
    """The case as GET /api/v1/exit-cases/{id} answers it, and whom to ask for each missing signature."""
    detail = exit_cases.get_case(case_id, caller, session)
    waiting = next((w for w in missing_signatures(session, scope_code=detail.unit_code) if w.case_id == case_id), None)
    return page(request, "case.html", case=detail, waiting=waiting, now=local_input(clock.now()), can_record="recorder" in caller.roles)


def _moment(value: Any) -> str | None:
    """A datetime-local field (Beijing wall-clock time) as the API's text of a moment, with the
    rule book zone's offset; blank: None (now)."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=rulebook.books().zone).isoformat()
    except ValueError:
        return str(value)  # the body model refuses it with the API's words


def _body(model: type[BaseModel], form: Any, *fields: str) -> BaseModel:
    values = {name: (form.get(name) or None) for name in fields}
    values["occurred_at"] = _moment(form.get("occurred_at"))
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


ACTIONS = {
    "notice": lambda case_id, form, caller, session: exit_cases.post_notice(case_id, _body(exit_cases.WhenBody, form), caller, session),
    "objection": lambda case_id, form, caller, session: exit_cases.lodge_objection(case_id, _body(exit_cases.ObjectionLodge, form, "lodged_by", "grounds"), caller, session),
    "signature": lambda case_id, form, caller, session: exit_cases.sign(case_id, _body(exit_cases.Decision, form, "role", "signer_id", "document_ref"), caller, session),
    "rejection": lambda case_id, form, caller, session: exit_cases.reject(case_id, _body(exit_cases.Rejection, form, "role", "signer_id", "document_ref", "reason"), caller, session),
}


@router.post("/recorder/cases/{case_id}/{action}")
def case_action(request: Request, case_id: str, action: str, caller: CurrentCaller, session: WriteSession) -> Response:
    """One step of the procedure from the page's form (read whole by `page_request`); back to the case page when it is done."""
    if action not in ACTIONS:
        raise errors.ActionNotFound(id=action)
    ACTIONS[action](case_id, request.state.form, caller, session)
    return RedirectResponse(f"/recorder/cases/{case_id}", status_code=303)
