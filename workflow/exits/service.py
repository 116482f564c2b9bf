"""Commands on exit cases, and the projectors of their events.

Each command locks the case row (queuing concurrent commands on one case on PostgreSQL;
SQLite writers already queue at BEGIN IMMEDIATE), gathers the facts, and lets the level's
machine (machines.py) judge them and record the transition as an event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import func, select
from sqlmodel import Session

from rules.schema import ExitLevel, Level, RuleBook
from workflow import clock, errors, rulebook
from workflow.eventlog import Actor, Event, NewEvent, canonical_json
from workflow.eventlog.log import append_new, checked_occurrence
from workflow.eventlog.projection import EventProjection
from workflow.eventlog.versions import state_on
from workflow.exits import machines
from workflow.exits.machines import Assessment, HouseholdProposal, IncidenceProposal, Signing
from workflow.exits.models import ExitCase, Objection, Signature
from workflow.exits.rows import RunRows
from workflow.org.models import Household, OrgUnit, RegistrySpell
from workflow.org.service import ancestor_at, get_person, get_unit, on_registry, open_spell, registry_spells, rural_populations
from workflow.posts import service as posts
from workflow.types import new_id
from workflow.org.places import Subtree

# The read model of exit cases, their objections and signatures (and the registry spells an exit ends): kept by the functions marked @EXITS.on below.
EXITS = EventProjection("exits")

REGISTRY_KIND = {ExitLevel.household: "poor_household", ExitLevel.village: "poor_village", ExitLevel.county: "poor_county"}
LEVEL_ZH = {ExitLevel.household: "贫困户", ExitLevel.village: "贫困村", ExitLevel.county: "贫困县"}
OUTCOMES = ("upheld", "dismissed")


# ---- queries ----------------------------------------------------------------------


def get_case(session: Session, case_id: str) -> ExitCase:
    case = session.get(ExitCase, case_id)
    if case is None:
        raise errors.ExitCaseNotFound(id=case_id, field="case")
    return case


# A subject's cases, earliest first: a relapsed household has several.
CASE_ORDER = (ExitCase.opened_at, ExitCase.id)


def cases_of(session: Session, *, level: ExitLevel | str, subject_id: str) -> list[ExitCase]:
    """Every exit case of a subject, earliest first (`CASE_ORDER`)."""
    query = select(ExitCase).where(ExitCase.level == _level(level).value, ExitCase.subject_id == subject_id)
    return list(session.execute(query.order_by(*CASE_ORDER)).scalars())


def open_case_of(session: Session, *, level: ExitLevel | str, subject_id: str) -> ExitCase | None:
    """The subject's case that has neither exited nor relapsed, if any."""
    return next((c for c in cases_of(session, level=level, subject_id=subject_id) if c.status not in machines.CLOSED), None)


def signatures_of(session: Session, case_id: str) -> list[Signature]:
    """Every signature and rejection on a case, every attempt, in the order recorded."""
    return list(session.execute(select(Signature).where(Signature.case_id == case_id).order_by(Signature.event_seq)).scalars())


def objections_of(session: Session, case_id: str) -> list[Objection]:
    query = select(Objection).where(Objection.case_id == case_id).order_by(Objection.lodged_at, Objection.id)
    return list(session.execute(query).scalars())


# ---- a case on a past day (valid time) ------------------------------------------------


def case_on(session: Session, case_id: str, moment: dt.datetime) -> ExitCase | None:
    """The case as it stood at `moment` (its steps that happened by then); None before it was opened."""
    state = state_on(session, ExitCase, (case_id,), moment)
    return ExitCase(**state) if state is not None else None


def signatures_on(session: Session, case_id: str, moment: dt.datetime) -> list[Signature]:
    """The case's signatures and rejections given by `moment`, in the order recorded."""
    return [signature for signature in signatures_of(session, case_id) if signature.occurred_at <= moment]


def objections_on(session: Session, case_id: str, moment: dt.datetime) -> list[Objection]:
    """The case's objections lodged by `moment`, each as it stood then (resolved or not yet)."""
    return [Objection(**state_on(session, Objection, (objection.id,), moment)) for objection in objections_of(session, case_id) if objection.lodged_at <= moment]


def household_status_on(session: Session, household_id: str, moment: dt.datetime) -> str:
    """The status a household had at `moment`: its exit case's step then, or registered
    (a relapse puts it back on the registry: registered)."""
    cases = session.execute(select(ExitCase.id).where(ExitCase.level == ExitLevel.household.value, ExitCase.subject_id == household_id)).scalars()
    states = [state for case_id in cases if (state := state_on(session, ExitCase, (case_id,), moment)) is not None]
    if not states:  # no case: registered, or exited before the product kept the records (`org.record_exit_before_product`)
        day = rulebook.local_date_of(moment)
        spells = registry_spells(session, "poor_household", household_id)
        ended = any(spell.exited_on is not None and spell.exited_on < day for spell in spells)
        return "exited" if ended and not on_registry(spells, day) else "registered"
    latest = max(states, key=lambda state: state["status_since"])
    return "registered" if latest["status"] == "relapsed" else latest["status"]


def poverty_incidence(session: Session, unit: OrgUnit, threshold: Decimal, day: dt.date) -> IncidenceProposal:
    """A village's poverty incidence, or a county's over its villages: the registered poor
    population of households now on the registry over the villages' rural population in
    `day`'s year (`org.rural_populations`)."""
    villages = list(session.execute(select(OrgUnit).where(Subtree.of(unit).clause(OrgUnit.path), OrgUnit.level == Level.village)).scalars())
    rural = rural_populations(session, {v.code: v.rural_population for v in villages}, [day])[day]
    unknown = [v.name for v in villages if not rural[v.code]]
    if unknown or not villages:
        raise errors.RuralPopulationUnknown(units=unknown or [unit.name])
    # From the subtree's villages to their households, each tested for an open spell by the
    # spells' index on the subject: joined the other way, SQLite walked every poor household's
    # spell of the province for each proposal (0.9 s at Huaihua scale).
    open_spell_of = select(RegistrySpell.id).where(RegistrySpell.kind == "poor_household", RegistrySpell.subject_id == Household.id, RegistrySpell.exited_on.is_(None))
    on_registry = select(func.coalesce(func.sum(Household.members), 0)).where(
        Household.village_code.in_(select(OrgUnit.code).where(Subtree.of(unit).clause(OrgUnit.path), OrgUnit.level == Level.village)), open_spell_of.exists(),
    )
    return IncidenceProposal(
        poor_population=int(session.execute(on_registry).scalar_one()),
        rural_population=sum(rural.values()),
        threshold=threshold,
    )


# ---- commands ---------------------------------------------------------------------


def open_case(
    session: Session,
    *,
    actor: Actor,
    level: ExitLevel | str,
    subject_id: str,
    occurred_at: dt.datetime | None = None,
    case_id: str | None = None,
) -> ExitCase:
    """Open the exit case of a household, village or county that is on its poverty registry."""
    level = _level(level)
    moment, book = _moment_and_book(occurred_at)
    unit_code = _lock_subject(session, level, subject_id)
    if open_spell(session, REGISTRY_KIND[level], subject_id) is None:
        raise errors.NotOnRegistry(level=level.value, level_zh=LEVEL_ZH[level], subject=subject_id)
    history = cases_of(session, level=level, subject_id=subject_id)
    existing = next((c for c in history if c.status not in machines.CLOSED), None)
    if existing is not None:
        raise errors.CaseAlreadyOpen(level=level.value, level_zh=LEVEL_ZH[level], subject=subject_id, case=existing.id, status=existing.status)
    if history and moment < history[-1].status_since:
        # Cases follow one another: a household's new case starts after its relapse.
        closed = machines.local_time(history[-1].status_since, book)
        raise errors.StepOutOfOrder.before_previous_case(subject=subject_id, closed=closed)
    case_id = case_id or new_id()
    if session.get(ExitCase, case_id) is not None:
        raise errors.DuplicateId.exit_case(id=case_id)
    append_new(session, opened_event(case_id, level, subject_id, unit_code, moment), actor=actor)
    return session.get(ExitCase, case_id)


def opened_event(case_id: str, level: ExitLevel, subject_id: str, unit_code: str, moment: dt.datetime) -> NewEvent:
    """The exit_case.opened event `open_case` appends once its checks pass."""
    payload = {"case_id": case_id, "level": level.value, "subject_id": subject_id, "unit_code": unit_code}
    return NewEvent(type="exit_case.opened", entity_type="exit_case", entity_id=case_id, payload=payload, occurred_at=moment)


def propose(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    assessment: Assessment | None = None,
    occurred_at: dt.datetime | None = None,
) -> ExitCase:
    """Propose the exit after democratic appraisal (民主评议), with the evidence its level needs:
    a household's assessment, or a village's or county's poverty incidence, computed here."""
    case = _locked_case(session, case_id)
    moment, book = _moment_and_book(occurred_at)
    if case.level == ExitLevel.household:
        if assessment is None:
            raise errors.AssessmentRequired()
        proposal, evidence = household_proposal(assessment, moment, book)
    else:
        if assessment is not None:
            raise errors.AssessmentNotApplicable(level=case.level, level_zh=LEVEL_ZH[ExitLevel(case.level)])
        proposal = poverty_incidence(session, get_unit(session, case.unit_code), book.exit_incidence_below, clock.local_date(moment, book.zone))
        evidence = {
            "poor_population": proposal.poor_population,
            "rural_population": proposal.rural_population,
            "threshold": proposal.threshold,
        }
    record = _recorder(session, actor, case, "exit_case.proposed", moment, {"evidence": evidence})
    machines.run(case, "propose", moment=moment, book=book, record=record, proposal=proposal)
    return case


def household_proposal(assessment: Assessment, moment: dt.datetime, book: RuleBook) -> tuple[HouseholdProposal, dict[str, Any]]:
    """What a household's proposal at `moment` is checked against (the year's poverty line) and the evidence its event keeps."""
    year = clock.local_date(moment, book.zone).year
    try:
        line = book.poverty_line_for(year)
    except KeyError as exc:
        raise errors.NoPovertyLine(reason=str(exc), book=book.id, year=year) from None
    return HouseholdProposal(assessment=assessment, year=year, poverty_line=line), {"assessment": dataclasses.asdict(assessment), "year": year, "poverty_line": line}


def post_notice(session: Session, *, actor: Actor, case_id: str, occurred_at: dt.datetime | None = None) -> ExitCase:
    """Post the public notice (公示) of a proposed exit."""
    case = _locked_case(session, case_id)
    moment, book = _moment_and_book(occurred_at)
    record = _recorder(session, actor, case, "exit_case.notice_posted", moment, notice_payload(moment, book))
    machines.run(case, "post_notice", moment=moment, book=book, record=record)
    return case


def notice_payload(moment: dt.datetime, book: RuleBook) -> dict[str, Any]:
    """When a notice posted at `moment` ends: counted like a legal period, it starts the day
    after posting and runs `notice_days` whole days, ending at midnight local time."""
    posted_on = clock.local_date(moment, book.zone)
    return {"notice_ends_at": clock.end_of_day(posted_on + dt.timedelta(days=book.notice_days), book.zone)}


def lodge_objection(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    lodged_by: str,
    grounds: str,
    occurred_at: dt.datetime | None = None,
    objection_id: str | None = None,
    channel: str = "staff",
    contact_phone: str | None = None,
    receipt_hash: str | None = None,
) -> Objection:
    """Record an objection (异议) to a case in public notice; signing waits until it is resolved.

    `channel` says how it came in (`staff`, or `public_web` from the public notice page,
    workflow/notices); a public one may carry the objector's phone and its receipt's hash.
    """
    case = _locked_case(session, case_id)
    moment, book = _moment_and_book(occurred_at)
    _require_text(lodged_by, errors.MissingField.lodged_by)
    _require_text(grounds, errors.MissingField.grounds)
    objection_id = objection_id or new_id()
    if session.get(Objection, objection_id) is not None:
        raise errors.DuplicateId.objection(id=objection_id)
    payload = {"objection_id": objection_id, "lodged_by": lodged_by.strip(), "grounds": grounds.strip(), "channel": channel}
    if contact_phone:
        payload["contact_phone"] = contact_phone
    if receipt_hash:
        payload["receipt_hash"] = receipt_hash
    record = _recorder(session, actor, case, "exit_case.objection_lodged", moment, payload)
    machines.run(case, "lodge_objection", moment=moment, book=book, record=record)
    return session.get(Objection, objection_id)


def resolve_objection(
    session: Session,
    *,
    actor: Actor,
    objection_id: str,
    outcome: str,
    resolution: str,
    occurred_at: dt.datetime | None = None,
) -> Objection:
    """Record the finding on an objection: upheld sends the case back to registered, dismissed lets it go on."""
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise errors.ObjectionNotFound(id=objection_id, field="objection")
    case = _locked_case(session, objection.case_id)
    session.refresh(objection)  # as it stands now that the case is ours
    moment, book = _moment_and_book(occurred_at)
    if outcome not in OUTCOMES:
        raise errors.InvalidOutcome(outcome=outcome)
    _require_text(resolution, errors.ReasonRequired.objection_resolved)
    if objection.outcome is not None:
        raise errors.ObjectionClosed(objection=objection_id, outcome=objection.outcome)
    if moment < objection.lodged_at:
        raise errors.StepOutOfOrder.before_objection()
    payload = {"objection_id": objection_id, "outcome": outcome, "resolution": resolution.strip()}
    record = _recorder(session, actor, case, "exit_case.objection_resolved", moment, payload)
    machines.run(case, "resolve_objection", moment=moment, book=book, record=record, outcome=outcome)
    return objection


def sign(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    role: str,
    signer_id: str,
    occurred_at: dt.datetime | None = None,
    document_ref: str | None = None,
    signature_id: str | None = None,
) -> Signature:
    """Record `signer_id`'s signature as `role` at the step the case waits at, given at
    `occurred_at`; staff recording it for the signer set `actor.on_behalf_of` to the signer."""
    return _decide(session, "sign", actor=actor, case_id=case_id, role=role, signer_id=signer_id,
                   occurred_at=occurred_at, document_ref=document_ref, signature_id=signature_id)


def reject(
    session: Session,
    *,
    actor: Actor,
    case_id: str,
    role: str,
    signer_id: str,
    reason: str,
    occurred_at: dt.datetime | None = None,
    document_ref: str | None = None,
    signature_id: str | None = None,
) -> Signature:
    """Record a required signer's refusal to sign: the case goes back to registered, the reason kept."""
    _require_text(reason, errors.ReasonRequired.exit_rejected)
    return _decide(session, "reject", actor=actor, case_id=case_id, role=role, signer_id=signer_id,
                   occurred_at=occurred_at, document_ref=document_ref, signature_id=signature_id, reason=reason.strip())


def relapse(
    session: Session,
    *,
    actor: Actor,
    household_id: str,
    reason: str,
    occurred_at: dt.datetime | None = None,
    spell_id: str | None = None,
) -> ExitCase:
    """Record that an exited household returned to poverty (返贫): it is on the registry again
    in a new spell, its exited case is kept as relapsed, and a new case can be opened."""
    _lock_subject(session, ExitLevel.household, household_id)
    moment, book = _moment_and_book(occurred_at)
    _require_text(reason, errors.ReasonRequired.relapse)
    cases = cases_of(session, level=ExitLevel.household, subject_id=household_id)
    if not cases:
        raise errors.NotExited(household=household_id)
    case = _locked_case(session, cases[-1].id)
    record = _recorder(session, actor, case, "exit_case.relapsed", moment, relapse_payload(household_id, spell_id, reason, moment, book))
    machines.run(case, "relapse", moment=moment, book=book, record=record)
    return case


def relapse_payload(household_id: str, spell_id: str | None, reason: str, moment: dt.datetime, book: RuleBook) -> dict[str, Any]:
    """What exit_case.relapsed records besides the case: the new spell, from the relapse's local date."""
    return {"household_id": household_id, "spell_id": spell_id or new_id(), "registered_on": clock.local_date(moment, book.zone), "reason": reason.strip()}


# ---- helpers ----------------------------------------------------------------------


def _decide(session: Session, event: str, *, actor: Actor, case_id: str, role: str, signer_id: str,
            occurred_at, document_ref, signature_id, reason: str | None = None) -> Signature:
    """A signature or a rejection: the same facts, checked by the machine, recorded as one row."""
    case = _locked_case(session, case_id)
    moment, book = _moment_and_book(occurred_at)
    if actor.on_behalf_of is not None and actor.on_behalf_of != signer_id:
        raise errors.OnBehalfOfMismatch(on_behalf_of=actor.on_behalf_of, signer=signer_id)
    signature_id = signature_id or new_id()
    if session.get(Signature, signature_id) is not None:
        raise errors.DuplicateId.signature(id=signature_id)
    signing = _signing(session, case, role=role, signer_id=signer_id, moment=moment, book=book)
    record = _recorder(session, actor, case, f"exit_case.{'signed' if event == 'sign' else 'rejected'}", moment,
                       signature_payload(signature_id, signing, document_ref, reason))
    machines.run(case, event, moment=moment, book=book, record=record, signing=signing)
    return session.get(Signature, signature_id)


def signature_payload(signature_id: str, signing: Signing, document_ref: str | None, reason: str | None = None) -> dict[str, Any]:
    """What a signature's or rejection's event records besides the case."""
    payload = {
        "signature_id": signature_id,
        # A case with no step ahead is refused by the machine before anything is recorded.
        "step": signing.step.id if signing.step else None,
        "role": signing.role,
        "unit_code": signing.unit_code,
        "signer_id": signing.signer_id,
        "document_ref": document_ref,
    }
    if reason is not None:
        payload["reason"] = reason
    return payload


def _signing(session: Session, case: ExitCase, *, role: str, signer_id: str, moment: dt.datetime, book: RuleBook) -> Signing:
    """The facts a signature or rejection by `signer_id` as `role` at `moment` is checked against."""
    signer = get_person(session, signer_id, field="signer")
    steps = machines.procedure(book, case.level)
    step = machines.step_ahead(steps, case.status)
    role_step = next((s for s in steps if role in s.roles), None)
    unit = ancestor_at(session, get_unit(session, case.unit_code), role_step.unit_level) if role_step else None
    holders = {}
    if unit is not None:
        for post in posts.holders(session, unit_code=unit.code, role=role, on=clock.local_date(moment, book.zone)):
            holders[post.person_id] = get_person(session, post.person_id).name
    signed = {
        s.role: s.signer_id
        for s in signatures_of(session, case.id)
        if s.attempt == case.attempt and step is not None and s.step == step.id and s.decision == "signed"
    }
    return Signing(
        role=role,
        signer_id=signer.id,
        signer_name=signer.name,
        moment=moment,
        book=book,
        steps=steps,
        step=step,
        unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else "?",
        holders=holders,
        signed=signed,
        open_objections=tuple(o.lodged_by for o in objections_of(session, case.id) if o.outcome is None),
    )


def _recorder(session: Session, actor: Actor, case: ExitCase, type: str, moment: dt.datetime, payload: dict[str, Any]) -> Callable[[str], None]:
    """The `record` a machine calls once its rules pass: append the event, naming the status it leads to."""

    def record(status_after: str) -> None:
        append_new(session, case_event(case.id, type, moment, payload, status_after), actor=actor)

    return record


def case_event(case_id: str, type: str, moment: dt.datetime, payload: dict[str, Any], status_after: str, actor: Actor | None = None) -> NewEvent:
    """The event of a step on a case, naming the status it leads to."""
    return NewEvent(type=type, entity_type="exit_case", entity_id=case_id, payload={"case_id": case_id, **payload, "status_after": status_after},
                    occurred_at=moment, actor=actor)


def _locked_case(session: Session, case_id: str) -> ExitCase:
    """The case as committed now, its row locked until the transaction ends: on PostgreSQL,
    a second command on the case waits here and then sees what the first one recorded."""
    query = select(ExitCase).where(ExitCase.id == case_id).with_for_update().execution_options(populate_existing=True)
    case = session.execute(query).scalar_one_or_none()
    if case is None:
        raise errors.ExitCaseNotFound(id=case_id, field="case")
    return case


def _lock_subject(session: Session, level: ExitLevel, subject_id: str) -> str:
    """Lock the case's subject (so two cases cannot open on it at once); the unit the case sits at."""
    if level is ExitLevel.household:
        household = session.execute(select(Household).where(Household.id == subject_id).with_for_update()).scalar_one_or_none()
        if household is None:
            raise errors.HouseholdNotFound(id=subject_id, field="subject")
        return household.village_code
    unit = session.execute(select(OrgUnit).where(OrgUnit.code == subject_id).with_for_update()).scalar_one_or_none()
    if unit is None:
        raise errors.OrgUnitNotFound(id=subject_id, field="subject")
    if unit.level != level.value:
        raise errors.InvalidSubject(subject=subject_id, level=unit.level, expected=level.value, expected_zh=LEVEL_ZH[level])
    return unit.code


def _level(level: ExitLevel | str) -> ExitLevel:
    try:
        return ExitLevel(level)
    except ValueError:
        raise errors.InvalidExitLevel(level=level) from None


def _moment_and_book(occurred_at: dt.datetime | None) -> tuple[dt.datetime, RuleBook]:
    """When the act happened (now if not given) and the rule book in force on its local date.

    The moment is checked here as append would check it, so that a bad one is reported as
    such rather than as, say, a post its signer did not hold.
    """
    moment = checked_occurrence(occurred_at)
    return moment, rulebook.in_force(rulebook.local_date_of(moment))


def _require_text(value: str | None, refusal: Callable[[], errors.DomainError]) -> None:
    if value is None or not value.strip():
        raise refusal()


# ---- projectors -------------------------------------------------------------------
#
# Each is written once against a store of rows (`_SessionRows`, or `rows.RunRows` for a run):
# the ORM for one event (a command), Core statements for a run (a bulk load, a replay).


class _SessionRows:
    """The rows a projector reads and writes, through the session: one event, as a command appends it."""

    def __init__(self, session: Session):
        self.session = session

    def case(self, case_id: str) -> ExitCase:
        return self.session.get(ExitCase, case_id)

    def household(self, household_id: str) -> Household:
        return self.session.get(Household, household_id)

    def objections(self, case_id: str) -> list[Objection]:
        return objections_of(self.session, case_id)

    def signatures(self, case_id: str) -> list[Signature]:
        return signatures_of(self.session, case_id)

    def open_spell(self, kind: str, subject_id: str) -> RegistrySpell | None:
        return open_spell(self.session, kind, subject_id)

    def add(self, model: type, **values: Any):
        row = model(**values)
        self.session.add(row)
        return row


def _opened(rows, event: Event, data: dict[str, Any]) -> list:
    case = rows.add(
        ExitCase,
        id=data["case_id"],
        level=data["level"],
        subject_id=data["subject_id"],
        unit_code=data["unit_code"],
        status="registered",
        attempt=1,
        opened_at=event.occurred_at,
        status_since=event.occurred_at,
    )
    return [case]


def _proposed(rows, event: Event, data: dict[str, Any]) -> list:
    case, written = _move(rows, data, since=event.occurred_at)
    case.proposal = canonical_json(data["evidence"])
    return written


def _notice_posted(rows, event: Event, data: dict[str, Any]) -> list:
    case, written = _move(rows, data, since=event.occurred_at)
    case.notice_ends_at = dt.datetime.fromisoformat(data["notice_ends_at"])
    return written


def _objection_lodged(rows, event: Event, data: dict[str, Any]) -> list:
    case, written = _move(rows, data, since=event.occurred_at)
    objection = rows.add(
        Objection,
        id=data["objection_id"],
        case_id=case.id,
        attempt=case.attempt,
        lodged_by=data["lodged_by"],
        grounds=data["grounds"],
        lodged_at=event.occurred_at,
        account=event.account,
        # Objections lodged before channels were recorded were all entered by staff.
        channel=data.get("channel", "staff"),
        contact_phone=data.get("contact_phone"),
        receipt_hash=data.get("receipt_hash"),
    )
    return [*written, objection]


def _objection_resolved(rows, event: Event, data: dict[str, Any]) -> list:
    objection = rows.session.get(Objection, data["objection_id"])  # one at a time: no run of these is applied by `RunRows`
    objection.outcome, objection.resolution, objection.resolved_at = data["outcome"], data["resolution"], event.occurred_at
    _, written = _move(rows, data, since=event.occurred_at, reason=data["resolution"])
    return [objection, *written]


def _decided(rows, event: Event, data: dict[str, Any]) -> list:
    case = rows.case(data["case_id"])
    signature = rows.add(
        Signature,
        id=data["signature_id"],
        case_id=case.id,
        attempt=case.attempt,
        step=data["step"],
        role=data["role"],
        unit_code=data["unit_code"],
        signer_id=data["signer_id"],
        decision="signed" if event.type == "exit_case.signed" else "rejected",
        reason=data.get("reason"),
        document_ref=data["document_ref"],
        account=event.account,
        on_behalf_of=event.on_behalf_of,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        event_seq=event.seq,
    )
    since = event.occurred_at
    if signature.decision == "signed":
        # A step completes with its latest signature, which need not be the last one recorded.
        since = max(s.occurred_at for s in rows.signatures(case.id) if s.attempt == case.attempt and s.step == signature.step)
    _, written = _move(rows, data, since=since, reason=data.get("reason"))
    return [signature, *written]


def _relapsed(rows, event: Event, data: dict[str, Any]) -> list:
    _, written = _move(rows, data, since=event.occurred_at, reason=data["reason"])
    registered_on = dt.date.fromisoformat(data["registered_on"])
    return [*written, rows.add(RegistrySpell, id=data["spell_id"], kind="poor_household", subject_id=data["household_id"], registered_on=registered_on)]


def _move(rows, data: dict[str, Any], *, since: dt.datetime, reason: str | None = None) -> tuple:
    """Projector helper: put the case in the event's `status_after`, entered at `since`; the
    case, and every row the move wrote (the case first).

    A return to registered starts the next attempt and makes open objections moot; an exit
    closes the subject's registry spell on the local date of the exit; a household shows
    the status of its case.
    """
    case = rows.case(data["case_id"])
    written: list = [case]
    after = data["status_after"]
    if after != case.status:
        if after == "registered":
            case.attempt += 1
            for objection in rows.objections(case.id):
                if objection.outcome is None:
                    objection.outcome, objection.resolved_at = "moot", since
                    written.append(objection)
        if after in ("registered", "relapsed"):
            case.reason = reason
        if after == "exited":
            case.exited_at = since
            spell = rows.open_spell(REGISTRY_KIND[ExitLevel(case.level)], case.subject_id)
            if spell is not None:  # ended on its last day on the registry, as `org.close_spell` ends one
                spell.exited_on = rulebook.local_date_of(since)
                written.append(spell)
        case.status, case.status_since = after, since
    if case.level == ExitLevel.household:
        household = rows.household(case.subject_id)
        household.status = "registered" if after == "relapsed" else after
        written.append(household)
    return case, written


def _one(project: Callable[[Any, Event, dict[str, Any]], list]) -> Callable[[Session, Event, dict[str, Any]], list]:
    """`project` applied to one event, through the session."""
    return lambda session, event, data: project(_SessionRows(session), event, data)


def _run(session: Session, run) -> None:
    """A run of events, of one type or several (`EXITS.mixes`), applied by their projectors with
    the rows loaded at once and written at the end by Core statements (`rows.RunRows`): the
    rows and versions the events applied one by one leave."""
    store = RunRows(session, run)
    for event, data in run:
        store.note(event, _PROJECTORS[event.type](store, event, data))
    store.write()


_PROJECTORS = {"exit_case.opened": _opened, "exit_case.proposed": _proposed, "exit_case.notice_posted": _notice_posted,
               "exit_case.objection_lodged": _objection_lodged, "exit_case.objection_resolved": _objection_resolved,
               "exit_case.signed": _decided, "exit_case.rejected": _decided, "exit_case.relapsed": _relapsed}
_ONE_AT_A_TIME = {"exit_case.objection_lodged", "exit_case.objection_resolved"}  # no run of these goes through `RunRows`
for _type, _project in _PROJECTORS.items():
    EXITS.on(_type)(_one(_project))
    if _type not in _ONE_AT_A_TIME:
        EXITS.on_many(_type)(_run)
EXITS.mixes(set(_PROJECTORS) - _ONE_AT_A_TIME)  # a household's steps, interleaved with other households', applied as one run
