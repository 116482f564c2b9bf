"""An exit case's page for the township recorder: its step, what is still missing and who
holds each missing post, and the forms of the procedure — opening a case, the proposal with
its assessment (两不愁三保障), public notice, objection and its resolution, signature (the
signer chosen by name among the holders, with the paper document's reference) and rejection.

Each form posts here and is handed to the API's own endpoint function with the API's own
body model, so it is checked exactly as a POST to /api/v1/exit-cases/… would be.
"""

from __future__ import annotations

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
from workflow import clock, labels
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
    return page(request, "cases.html", cases=cases, now=local_input(clock.now()))


@router.post("/recorder/cases")
def open_case(request: Request, caller: CurrentCaller, session: WriteSession) -> Response:
    """Open the exit case of a household, village or county, as POST /api/v1/exit-cases does; to its page."""
    body = _body(exit_cases.CaseOpen, request.state.form, "level", "subject_id")
    detail = exit_cases.open_case(body, caller, session, Response())
    return RedirectResponse(f"/recorder/cases/{detail.id}", status_code=303)


@router.get("/recorder/cases/{case_id}")
def case_page(request: Request, case_id: str, caller: CurrentCaller, session: ReadSession) -> Response:
    """The case as GET /api/v1/exit-cases/{id} answers it, and whom to ask for each missing signature."""
    detail = exit_cases.get_case(case_id, caller, session)
    waiting = next((w for w in missing_signatures(session, scope_code=detail.unit_code) if w.case_id == case_id), None)
    return page(request, "case.html", case=detail, waiting=waiting, now=local_input(clock.now()), can_record="recorder" in caller.roles)


def _moment(value: Any) -> str | None:
    """A datetime-local field (Beijing wall-clock time) as the API's text of a moment, with the
    rule book zone's offset; blank: None (now)."""
    moment = labels.moment_from_input(value, field="occurred_at")
    return None if moment is None else moment.isoformat()


def _body(model: type[BaseModel], form: Any, *fields: str, **given: Any) -> BaseModel:
    """The API's body model from the form's `fields` (a blank field is one not given) and `given`."""
    values = {name: (form.get(name) or None) for name in fields} | given
    values["occurred_at"] = _moment(form.get("occurred_at"))
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


ASSESSMENT_CHECKS = ("food", "clothing", "education", "medical", "housing", "acknowledged")


def _proposal(form: Any) -> BaseModel:
    """The proposal's body: a household's form sends its assessment (an unticked box is a "no"); a
    village's or county's sends none, its incidence being computed. Whether the level needs one is
    the service's rule (assessment_required / assessment_not_applicable), not the form's."""
    if form.get("assessment") is None:
        return _body(exit_cases.Proposal, form)
    assessment = {"income_per_capita": form.get("income_per_capita") or None} | {name: form.get(name) == "yes" for name in ASSESSMENT_CHECKS}
    return _body(exit_cases.Proposal, form, assessment=assessment)


ACTIONS = {
    "proposal": lambda case_id, form, caller, session: exit_cases.propose(case_id, _proposal(form), caller, session),
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


@router.post("/recorder/cases/{case_id}/objections/{objection_id}/resolution")
def resolve_objection(request: Request, case_id: str, objection_id: str, caller: CurrentCaller, session: WriteSession) -> Response:
    """Resolve an objection (upheld: the case returns to its start; dismissed: signing goes on), as the API does."""
    body = _body(exit_cases.ObjectionResolve, request.state.form, "outcome", "resolution")
    exit_cases.resolve_objection(case_id, objection_id, body, caller, session)
    return RedirectResponse(f"/recorder/cases/{case_id}", status_code=303)
