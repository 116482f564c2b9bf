"""An exit case as the API shows it: the case, every step with who signed it, objections, history."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field
from api.schemas import LocalMoment
from sqlmodel import Session

from workflow import rulebook
from workflow.exits import machines
from workflow.exits import service as exits
from workflow.exits.models import ExitCase, Objection, Signature
from workflow.org.models import OrgUnit, Person
from workflow.org.service import ancestor_at


class SignatureView(BaseModel):
    id: str
    attempt: int
    step: str = Field(examples=["village"])
    role: str = Field(examples=["village_party_secretary"])
    unit_code: str
    signer_id: str
    signer_name: str = Field(examples=["舒德明"])
    decision: str = Field(examples=["signed"], description="signed or rejected")
    reason: str | None = None
    document_ref: str | None = Field(None, examples=["北斗溪镇退出审批表 2017-031"])
    account: str = Field(description="The account that recorded it.")
    on_behalf_of: str | None = Field(None, description="Set when staff recorded it for the signer from a paper form.")
    occurred_at: LocalMoment
    recorded_at: LocalMoment


class RoleStatus(BaseModel):
    role: str
    role_zh: str = Field(examples=["村党支部书记"])
    role_en: str
    signature: SignatureView | None = Field(None, description="The signature in the current attempt, if given.")


class StepStatus(BaseModel):
    id: str
    zh: str
    en: str
    unit_code: str | None
    unit_name: str | None = Field(None, examples=["坪溪村"])
    status: str = Field(description="complete, waiting (the step the case is at) or pending", examples=["waiting"])
    roles: list[RoleStatus]


class ObjectionView(BaseModel):
    id: str
    attempt: int
    lodged_by: str = Field(examples=["村民 向永红"])
    grounds: str = Field(examples=["该户家中有在外务工收入未申报,收入测算有误"])
    lodged_at: LocalMoment
    account: str
    outcome: str | None = Field(None, examples=["dismissed"])
    resolution: str | None = None
    resolved_at: LocalMoment | None = None
    channel: str = Field("staff", description="How it came in: staff (entered by staff) or public_web (the public notice page, account 'public').")
    contact_phone: str | None = Field(None, description="The objector's phone, if they left one on the public page: for staff to call back, never shown publicly.")


class ExitCaseView(BaseModel):
    id: str
    level: str = Field(examples=["household"])
    subject_id: str = Field(examples=["4312241002010001"])
    unit_code: str = Field(examples=["431224100201"])
    status: str = Field(examples=["in_notice"])
    attempt: int
    opened_at: LocalMoment
    status_since: LocalMoment
    notice_ends_at: LocalMoment | None = None
    reason: str | None = None
    exited_at: LocalMoment | None = None


class ExitCaseDetail(ExitCaseView):
    steps: list[StepStatus] = Field(description="Every signature step of the procedure, in order, with its status.")
    objections: list[ObjectionView]
    history: list[SignatureView] = Field(description="Every signature and rejection, every attempt, in the order recorded.")


def case_view(case: ExitCase) -> ExitCaseView:
    return ExitCaseView.model_validate(case, from_attributes=True)


def signature_view(session: Session, signature: Signature) -> SignatureView:
    signer = session.get(Person, signature.signer_id)
    return SignatureView(**{k: getattr(signature, k) for k in SignatureView.model_fields if k != "signer_name"}, signer_name=signer.name if signer else "?")


def objection_view(objection: Objection) -> ObjectionView:
    return ObjectionView.model_validate(objection, from_attributes=True)


def case_detail(session: Session, case: ExitCase, *, until: dt.datetime | None = None) -> ExitCaseDetail:
    """The case with the status of every step under the rule book in force on the day read
    (today; with `until`, that moment's day): with `until`, the signatures and objections
    given by then (`case` being the case then)."""
    book = rulebook.in_force(rulebook.local_date_of(until) if until is not None else rulebook.today(), otherwise=rulebook.first())
    steps = machines.procedure(book, case.level)
    history = exits.signatures_of(session, case.id) if until is None else exits.signatures_on(session, case.id, until)
    current = {(s.step, s.role): s for s in history if s.attempt == case.attempt and s.decision == "signed"}
    # Where the case stands on the path registered → proposed → in_notice → each step's state.
    path = ["registered", "proposed", "in_notice", *(step.state_after for step in steps)]
    reached = len(path) - 1 if case.status in machines.CLOSED else path.index(case.status) if case.status in path else 0
    unit = session.get(OrgUnit, case.unit_code)
    shaped = []
    for step in steps:
        done_at = path.index(step.state_after)
        status = "complete" if reached >= done_at else "waiting" if reached == done_at - 1 and reached >= path.index("in_notice") else "pending"
        signer_unit = ancestor_at(session, unit, step.unit_level) if unit else None
        roles = [
            RoleStatus(
                role=role,
                role_zh=book.roles[role].zh,
                role_en=book.roles[role].en,
                signature=signature_view(session, current[step.id, role]) if (step.id, role) in current else None,
            )
            for role in step.roles
        ]
        shaped.append(
            StepStatus(id=step.id, zh=step.zh, en=step.en, unit_code=signer_unit.code if signer_unit else None, unit_name=signer_unit.name if signer_unit else None, status=status, roles=roles)
        )
    return ExitCaseDetail(
        **case_view(case).model_dump(),
        steps=shaped,
        objections=[objection_view(o) for o in (exits.objections_of(session, case.id) if until is None else exits.objections_on(session, case.id, until))],
        history=[signature_view(session, s) for s in history],
    )
