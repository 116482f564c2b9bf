"""Missing signatures: the exit cases in a jurisdiction waiting for signatures, and whom to call."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlmodel import Session

from workflow import clock, rulebook
from workflow.exits.machines import MACHINES, procedure, step_ahead
from workflow.exits.models import ExitCase, Objection, Signature
from workflow.org.models import OrgUnit, Person
from workflow.org.service import ancestor_at, get_unit
from workflow.posts import service as posts
from workflow.org.places import Subtree

# The statuses in which a case waits for signatures: in notice, and between two steps.
WAITING_STATUSES = sorted({"in_notice"} | {s for machine in MACHINES.values() for s in machine.step_states if s != "exited"})


@dataclasses.dataclass(frozen=True)
class Holder:
    person_id: str
    name: str


@dataclasses.dataclass(frozen=True)
class MissingRole:
    """A role whose signature a case still needs, and who holds that post (none: vacant).

    The unit is None where the tree has no unit of the step's level: a database set up
    with a city at its top holds no province to approve its counties' exits.
    """

    role: str
    role_en: str
    role_zh: str
    unit_code: str | None
    unit_name: str | None
    holders: tuple[Holder, ...]


@dataclasses.dataclass(frozen=True)
class WaitingCase:
    """An open case waiting at a signature step, and for how long.

    `blocked_by` says why nobody can sign yet: `notice_period_running` or `objection_open`.
    The wait counts from when signing became possible (the notice's end, or the earlier
    step's completion), and is zero while that is still to come.
    """

    case_id: str
    level: str
    subject_id: str
    unit_code: str
    status: str
    step: str
    step_en: str
    step_zh: str
    signed: tuple[str, ...]
    missing: tuple[MissingRole, ...]
    waiting_since: dt.datetime
    waited: dt.timedelta
    blocked_by: str | None


def missing_signatures(session: Session, *, scope_code: str, at: dt.datetime | None = None) -> list[WaitingCase]:
    """The cases under `scope_code` waiting for signatures, longest wait first: the step each
    waits at, the roles still missing and who holds them, and since when it has waited.

    Cases are read as recorded now. `at` (now by default) is the moment the report is read
    at: it decides who holds each post and how long each case has waited.
    """
    at = clock.require_aware(at) if at is not None else clock.now()
    scope = get_unit(session, scope_code, field="scope")
    day = rulebook.local_date_of(at)
    book = rulebook.in_force(day)
    in_scope = (ExitCase.status.in_(WAITING_STATUSES), ExitCase.opened_at <= at, Subtree.of(scope).clause(OrgUnit.path))

    cases = session.execute(select(ExitCase).join(OrgUnit, OrgUnit.code == ExitCase.unit_code).where(*in_scope)).scalars().all()
    signed: dict[str, set[tuple[str, str]]] = defaultdict(set)
    current = (ExitCase.id == Signature.case_id) & (ExitCase.attempt == Signature.attempt)
    for case_id, step, role in session.execute(
        select(Signature.case_id, Signature.step, Signature.role)
        .join(ExitCase, current)
        .join(OrgUnit, OrgUnit.code == ExitCase.unit_code)
        .where(*in_scope, Signature.decision == "signed")
    ):
        signed[case_id].add((step, role))
    objected = set(
        session.execute(
            select(Objection.case_id).join(ExitCase, ExitCase.id == Objection.case_id).join(OrgUnit, OrgUnit.code == ExitCase.unit_code).where(*in_scope, Objection.outcome.is_(None))
        ).scalars()
    )

    holders_of: dict[tuple[str, str], tuple[Holder, ...]] = {}

    def holders(unit_code: str, role: str) -> tuple[Holder, ...]:
        if (unit_code, role) not in holders_of:
            found = posts.holders(session, unit_code=unit_code, role=role, on=day)
            holders_of[unit_code, role] = tuple(Holder(p.person_id, session.get(Person, p.person_id).name) for p in found)
        return holders_of[unit_code, role]

    report = []
    for case in cases:
        step = step_ahead(procedure(book, case.level), case.status)
        unit = ancestor_at(session, session.get(OrgUnit, case.unit_code), step.unit_level)
        done = [role for role in step.roles if (step.id, role) in signed[case.id]]
        missing = tuple(
            MissingRole(role, book.roles[role].en, book.roles[role].zh, unit.code, unit.name, holders(unit.code, role))
            if unit is not None
            else MissingRole(role, book.roles[role].en, book.roles[role].zh, None, None, ())
            for role in step.roles
            if role not in done
        )
        notice_ends = case.notice_ends_at if case.status == "in_notice" else None
        waiting_since = max(case.status_since, notice_ends or case.status_since)
        blocked_by = "notice_period_running" if notice_ends and at < notice_ends else "objection_open" if case.id in objected else None
        report.append(
            WaitingCase(
                case_id=case.id,
                level=case.level,
                subject_id=case.subject_id,
                unit_code=case.unit_code,
                status=case.status,
                step=step.id,
                step_en=step.en,
                step_zh=step.zh,
                signed=tuple(done),
                missing=missing,
                waiting_since=waiting_since,
                waited=max(at - waiting_since, dt.timedelta(0)),
                blocked_by=blocked_by,
            )
        )
    return sorted(report, key=lambda waiting: (waiting.waiting_since, waiting.case_id))
