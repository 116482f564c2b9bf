"""/api/v1/exit-cases: household, village and county exits (退出) — recorded and signed within scope.

Opening, proposing, notices and objections are recorded by recorders. A signature or a
rejection is given by the signer through an account linked to them, or entered by a
recorder from the paper form on the signer's behalf (access.signing_actor).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query, Response
from pydantic import Field
from sqlalchemy import select

from api.asof import AsOf, KnownAt, end_of
from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.pagination import Cursor, Limit, Page, keyset
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, Id, Moment
from api.views.exit_cases import ExitCaseDetail, ExitCaseView, ObjectionView, SignatureView, case_detail, case_view, objection_view, signature_view
from workflow.accounts import access, scope
from workflow import errors
from workflow.eventlog.versions import known_records
from workflow.exits import service as exits
from workflow.exits.models import ExitCase, Objection
from workflow.org.models import OrgUnit
from workflow.org.places import Subtree

router = resource_router("exit cases 退出")

OccurredAt = Annotated[Moment | None, Field(description="When it happened, with its offset; now if omitted. Never in the future.", examples=["2017-09-12T10:00:00+08:00"])]


class CaseOpen(Body):
    level: Literal["household", "village", "county"] = Field(examples=["household"])
    subject_id: str = Field(min_length=1, max_length=64, description="Household registry number, or village / county code.", examples=["4312241002010001"])
    occurred_at: OccurredAt = None


class AssessmentBody(Body):
    """两不愁三保障 and income: what a household's exit proposal rests on."""

    income_per_capita: Decimal = Field(ge=0, le=10_000_000, max_digits=12, decimal_places=2, examples=["4120.00"])
    food: bool = Field(description="不愁吃")
    clothing: bool = Field(description="不愁穿")
    education: bool = Field(description="义务教育有保障")
    medical: bool = Field(description="基本医疗有保障")
    housing: bool = Field(description="住房安全有保障")
    acknowledged: bool = Field(description="户认可: the household agrees with the assessment")


class Proposal(Body):
    assessment: AssessmentBody | None = Field(None, description="Required for a household; a village's or county's incidence is computed.")
    occurred_at: OccurredAt = None


class WhenBody(Body):
    occurred_at: OccurredAt = None


class ObjectionLodge(Body):
    lodged_by: str = Field(min_length=1, max_length=128, examples=["村民 向永红"])
    grounds: str = Field(min_length=1, max_length=4000, examples=["该户家中有在外务工收入未申报"])
    occurred_at: OccurredAt = None


class ObjectionResolve(Body):
    outcome: Literal["upheld", "dismissed"] = Field(examples=["dismissed"])
    resolution: str = Field(min_length=1, max_length=4000, examples=["经入户核实,务工收入已计入,异议不成立"])
    occurred_at: OccurredAt = None


class Decision(Body):
    role: str = Field(min_length=1, max_length=64, examples=["village_party_secretary"])
    signer_id: str = Field(min_length=1, max_length=64, description="The person signing; a recorder may name someone else (paper form).")
    document_ref: str | None = Field(None, max_length=256, examples=["坪溪村退出签字表 2017-09-001"])
    occurred_at: OccurredAt = None


class Rejection(Decision):
    reason: str = Field(min_length=1, max_length=4000, examples=["该户住房安全尚未保障,暂不同意退出"])


class Relapse(Body):
    reason: str = Field(min_length=1, max_length=4000, examples=["因病致贫,家庭主要劳动力住院"])
    occurred_at: OccurredAt = None


def _subject_in_scope(session, caller, level: str, subject_id: str) -> None:
    if level == "household":
        scope.household(session, caller, subject_id, field="subject_id")
    else:
        scope.unit(session, caller, subject_id, field="subject_id")


@router.get("/exit-cases", response_model=Page[ExitCaseView], summary="List exit cases in scope / 退出案件列表")
def list_cases(
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32, description="Only cases below this unit.")] = None,
    level: Literal["household", "village", "county"] | None = None,
    status: Annotated[str | None, Query(max_length=32, examples=["in_notice"])] = None,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ExitCaseView]:
    """Exit cases (退出案件) in the caller's scope: below a unit, of one level, status or subject."""
    query = scope.cases(caller)
    if unit is not None:
        within = scope.unit(session, caller, unit)
        query = query.where(ExitCase.unit_code.in_(select(OrgUnit.code).where(Subtree.of(within).clause(OrgUnit.path))))
    for column, value in ((ExitCase.level, level), (ExitCase.status, status), (ExitCase.subject_id, subject)):
        if value is not None:
            query = query.where(column == value)
    rows, next_cursor = keyset(session, query, ExitCase.id, cursor=cursor, limit=limit)
    return Page(items=[case_view(row) for row in rows], next_cursor=next_cursor)


@router.get("/exit-cases/{case_id}", response_model=ExitCaseDetail, summary="One exit case, every step's status / 退出案件详情")
def get_case(case_id: Id, caller: CurrentCaller, session: ReadSession, as_of: AsOf = None, known_at: KnownAt = None) -> ExitCaseDetail:
    """The case with every step's status; `as_of`: as it stood at the end of that day (the steps taken by then);
    `known_at`: as the log held it then."""
    with known_records(session, known_at) as records:
        case = scope.case(records, caller, case_id)
        if as_of is None:
            return case_detail(records, case)
        then = exits.case_on(records, case.id, end_of(as_of))
        if then is None:
            raise errors.ExitCaseNotFound(id=case_id, field="case_id")
        return case_detail(records, then, until=end_of(as_of))


@router.post("/exit-cases", status_code=201, response_model=ExitCaseDetail, responses=WRITE_PROBLEMS, summary="Open an exit case / 启动退出")
def open_case(body: CaseOpen, caller: CurrentCaller, session: WriteSession, response: Response) -> ExitCaseDetail:
    """Open the exit case of a registered household, village or county (recorders)."""
    access.require(caller, access.RECORD)
    _subject_in_scope(session, caller, body.level, body.subject_id)
    case = exits.open_case(session, actor=caller.actor(), level=body.level, subject_id=body.subject_id, occurred_at=body.occurred_at)
    response.headers["Location"] = f"/api/v1/exit-cases/{case.id}"
    return case_detail(session, case)


@router.post("/exit-cases/{case_id}/proposal", response_model=ExitCaseDetail, responses=WRITE_PROBLEMS, summary="Propose the exit / 民主评议后提出退出")
def propose(case_id: Id, body: Proposal, caller: CurrentCaller, session: WriteSession) -> ExitCaseDetail:
    """Propose the exit after democratic appraisal (民主评议): a household's assessment, or a unit's incidence below the threshold (recorders)."""
    access.require(caller, access.RECORD)
    scope.case(session, caller, case_id)
    assessment = exits.Assessment(**body.assessment.model_dump()) if body.assessment else None
    return case_detail(session, exits.propose(session, actor=caller.actor(), case_id=case_id, assessment=assessment, occurred_at=body.occurred_at))


@router.post("/exit-cases/{case_id}/notice", response_model=ExitCaseDetail, responses=WRITE_PROBLEMS, summary="Post the public notice / 公示")
def post_notice(case_id: Id, body: WhenBody, caller: CurrentCaller, session: WriteSession) -> ExitCaseDetail:
    """Post the public notice (公示); signing opens when it ends (recorders)."""
    access.require(caller, access.RECORD)
    scope.case(session, caller, case_id)
    return case_detail(session, exits.post_notice(session, actor=caller.actor(), case_id=case_id, occurred_at=body.occurred_at))


@router.post("/exit-cases/{case_id}/objections", status_code=201, response_model=ObjectionView, responses=WRITE_PROBLEMS, summary="Lodge an objection / 提出异议")
def lodge_objection(case_id: Id, body: ObjectionLodge, caller: CurrentCaller, session: WriteSession) -> ObjectionView:
    """Lodge an objection (异议) during the notice: nobody signs while it is open (recorders)."""
    access.require(caller, access.RECORD)
    scope.case(session, caller, case_id)
    objection = exits.lodge_objection(session, actor=caller.actor(), case_id=case_id, lodged_by=body.lodged_by, grounds=body.grounds, occurred_at=body.occurred_at)
    return objection_view(objection)


@router.post("/exit-cases/{case_id}/objections/{objection_id}/resolution", response_model=ObjectionView, responses=WRITE_PROBLEMS, summary="Resolve an objection / 异议处理")
def resolve_objection(case_id: Id, objection_id: Id, body: ObjectionResolve, caller: CurrentCaller, session: WriteSession) -> ObjectionView:
    """Resolve an objection: upheld returns the case to its start, dismissed lets signing go on (recorders)."""
    access.require(caller, access.RECORD)
    scope.case(session, caller, case_id)
    objection = session.get(Objection, objection_id)
    if objection is None or objection.case_id != case_id:
        raise errors.ObjectionNotFound(id=objection_id, field="objection_id")
    resolved = exits.resolve_objection(session, actor=caller.actor(), objection_id=objection_id, outcome=body.outcome, resolution=body.resolution, occurred_at=body.occurred_at)
    return objection_view(resolved)


@router.post("/exit-cases/{case_id}/signatures", status_code=201, response_model=SignatureView, responses=WRITE_PROBLEMS, summary="Sign a step / 签字")
def sign(case_id: Id, body: Decision, caller: CurrentCaller, session: WriteSession) -> SignatureView:
    """Sign as yourself (an account linked to the signer), or enter a paper signature as a recorder."""
    actor = access.signing_actor(caller, body.signer_id)
    case = scope.case(session, caller, case_id)
    scope.person_named(session, caller, body.signer_id, unit_code=case.unit_code, field="signer_id")
    signature = exits.sign(session, actor=actor, case_id=case_id, role=body.role, signer_id=body.signer_id, occurred_at=body.occurred_at, document_ref=body.document_ref)
    return signature_view(session, signature)


@router.post("/exit-cases/{case_id}/rejections", status_code=201, response_model=SignatureView, responses=WRITE_PROBLEMS, summary="Reject instead of signing / 否决")
def reject(case_id: Id, body: Rejection, caller: CurrentCaller, session: WriteSession) -> SignatureView:
    """A required signer refuses: the case goes back to registered with the reason kept."""
    actor = access.signing_actor(caller, body.signer_id)
    case = scope.case(session, caller, case_id)
    scope.person_named(session, caller, body.signer_id, unit_code=case.unit_code, field="signer_id")
    signature = exits.reject(
        session, actor=actor, case_id=case_id, role=body.role, signer_id=body.signer_id, reason=body.reason, occurred_at=body.occurred_at, document_ref=body.document_ref
    )
    return signature_view(session, signature)


@router.post("/households/{household_id}/relapse", response_model=ExitCaseView, responses=WRITE_PROBLEMS, tags=["exit cases 退出"], summary="Record a relapse / 返贫")
def relapse(household_id: Id, body: Relapse, caller: CurrentCaller, session: WriteSession) -> ExitCaseView:
    """An exited household returned to poverty: it is registered again; its old case is kept as relapsed."""
    access.require(caller, access.RECORD)
    scope.household(session, caller, household_id)
    return case_view(exits.relapse(session, actor=caller.actor(), household_id=household_id, reason=body.reason, occurred_at=body.occurred_at))
