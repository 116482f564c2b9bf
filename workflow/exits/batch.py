"""Household exit steps in bulk, for a bulk load (the history generator): each step checked as
its command checks it, and the event that command would append, for `append_many`.

The rules are the commands' own: the level's machine (machines.py), read as a table of its
transitions (`machines.Machines`: the same rules, without the library's engine), judges each
step, on the facts the command would gather (`Signing`, `HouseholdProposal`), and the events come from the
same builders (`service.case_event`, `opened_event`, …). What differs is where the facts come
from: a batch keeps the household cases it touches — loaded, with their signatures and open
objections, the first time a step names them, or before, by set (`load`) — and moves its copies by its own events, so a
step sees the steps before it before they are appended. A batch therefore owns those cases
and the households' registry spells while it lives: nothing else may write them meanwhile.
Posts and people are read from the database and forgotten by `forget()`, which the caller
calls whenever something else may have written (a post turned over, a person added).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from rules.schema import ExitLevel, RuleBook
from workflow import clock, errors, rulebook
from workflow.chunking import chunks
from workflow.eventlog import Actor, NewEvent
from workflow.exits import machines
from workflow.exits.machines import Assessment, Signing
from workflow.exits.models import ExitCase, Objection, Signature
from workflow.exits.service import (
    CASE_ORDER, LEVEL_ZH, REGISTRY_KIND, _level, _require_text, case_event, household_proposal, notice_payload, opened_event, relapse_payload, signature_payload,
)
from workflow.org.models import Household, RegistrySpell
from workflow.org.service import ancestor_at, get_person, get_unit, open_spell
from workflow.posts.models import Post

HOUSEHOLD = ExitLevel.household
_COLUMNS = [column.name for column in ExitCase.__table__.columns]


class _Decision:
    """A signature or rejection the batch knows of, with what `_signing` and `_decided` read of it."""

    __slots__ = ("attempt", "step", "role", "signer_id", "decision", "occurred_at")

    def __init__(self, attempt: int, step: str | None, role: str, signer_id: str, decision: str, occurred_at: dt.datetime):
        self.attempt, self.step, self.role, self.signer_id, self.decision, self.occurred_at = attempt, step, role, signer_id, decision, occurred_at


class HouseholdExits:
    """Household exit cases moved in bulk: `open_case`, `propose`, `post_notice`, `sign`, `relapse`
    as the commands of `exits.service` take them, each giving the event to append."""

    def __init__(self, session: Session):
        self.session = session
        self.cases: dict[str, ExitCase] = {}  # the batch's copies, never in the session
        self.subject_cases: dict[str, list[ExitCase]] = {}  # household → its cases, earliest first
        self.decisions: dict[str, list[_Decision]] = {}  # case → its signatures and rejections, in order
        self.objecting: dict[str, tuple[str, ...]] = {}  # case → who lodged its open objections
        self.on_registry: dict[str, bool] = {}  # household → in an open registry spell
        self.villages: dict[str, str] = {}  # household → its village, fixed at registration (no command moves a household)
        self.signature_ids: set[str] = set()  # given by the batch's events, perhaps not yet appended
        self.machines = machines.Machines()  # the levels' machines, read as tables of their transitions
        self.new_ids: dict[type, list[str]] = {ExitCase: [], Signature: []}  # given since the last `check_ids`
        self._posts: dict[tuple[str, str], list[Post]] = {}
        self._people: dict[str, tuple[str, str]] = {}  # id → (id, name)
        self._units: dict[tuple[str, str], tuple[str, str] | None] = {}  # (unit, level) → (code, name) of its ancestor at level

    def forget(self) -> None:
        """Read posts and people afresh from here on."""
        self._posts.clear()
        self._people.clear()

    def check_ids(self) -> None:
        """Refuse, as the commands do, a case or signature id already on file, for the ids the
        batch has given since it last checked: call it before appending their events (the
        batch's own ids are checked against each other as they are given)."""
        for model, refusal in ((ExitCase, errors.DuplicateId.exit_case), (Signature, errors.DuplicateId.signature)):
            ids, self.new_ids[model] = self.new_ids[model], []
            taken = first_on_file(self.session, model, ids)
            if taken is not None:
                raise refusal(id=taken)

    def load(self, household_ids: Iterable[str]) -> None:
        """Read by set, a few queries per 500 households, what opening cases for `household_ids`
        reads one household at a time: each household's village, whether it is on the registry,
        its cases with their signatures and open objections. What the batch already holds is
        not read again; a household not on file is left to the step, which refuses it."""
        wanted = [h for h in dict.fromkeys(household_ids) if h not in self.subject_cases]
        for part in chunks(wanted, 500):
            found = dict(self.session.execute(select(Household.id, Household.village_code).where(Household.id.in_(part))).all())
            self.villages.update(found)
            poor = set(self.session.execute(select(RegistrySpell.subject_id).where(
                RegistrySpell.kind == REGISTRY_KIND[HOUSEHOLD], RegistrySpell.subject_id.in_(list(found)), RegistrySpell.exited_on.is_(None))).scalars())
            for household_id in found:
                self.on_registry.setdefault(household_id, household_id in poor)
            self._keep(found, self._case_rows(list(found)))

    # ---- the steps ----------------------------------------------------------------------

    def open_case(self, *, actor: Actor, level: ExitLevel | str, subject_id: str, occurred_at: dt.datetime, case_id: str) -> NewEvent:
        if _level(level) is not HOUSEHOLD:
            raise ValueError(f"a household batch does not open {level} cases")
        moment, book = _moment_and_book(occurred_at)
        village = self._village(subject_id)
        if not self._on_registry(subject_id):
            raise errors.NotOnRegistry(level=HOUSEHOLD.value, level_zh=LEVEL_ZH[HOUSEHOLD], subject=subject_id)
        history = self._history(subject_id)
        existing = next((c for c in history if c.status not in machines.CLOSED), None)
        if existing is not None:
            raise errors.CaseAlreadyOpen(level=HOUSEHOLD.value, level_zh=LEVEL_ZH[HOUSEHOLD], subject=subject_id, case=existing.id, status=existing.status)
        if history and moment < history[-1].status_since:
            raise errors.StepOutOfOrder.before_previous_case(subject=subject_id, closed=machines.local_time(history[-1].status_since, book))
        if case_id in self.cases:
            raise errors.DuplicateId.exit_case(id=case_id)
        self.new_ids[ExitCase].append(case_id)
        case = ExitCase(id=case_id, level=HOUSEHOLD.value, subject_id=subject_id, unit_code=village, status="registered",
                        attempt=1, opened_at=moment, status_since=moment)
        self.cases[case_id], self.decisions[case_id], self.objecting[case_id] = case, [], ()
        history.append(case)
        new = opened_event(case_id, HOUSEHOLD, subject_id, village, moment)
        return NewEvent(new.type, new.entity_type, new.entity_id, new.payload, new.occurred_at, actor)

    def propose(self, *, actor: Actor, case_id: str, assessment: Assessment, occurred_at: dt.datetime) -> NewEvent:
        case = self._case(case_id)
        moment, book = _moment_and_book(occurred_at)
        if assessment is None:
            raise errors.AssessmentRequired()
        proposal, evidence = household_proposal(assessment, moment, book)
        return self._step(case, "propose", actor, "exit_case.proposed", moment, book, {"evidence": evidence}, proposal=proposal)

    def post_notice(self, *, actor: Actor, case_id: str, occurred_at: dt.datetime) -> NewEvent:
        case = self._case(case_id)
        moment, book = _moment_and_book(occurred_at)
        payload = notice_payload(moment, book)
        new = self._step(case, "post_notice", actor, "exit_case.notice_posted", moment, book, payload)
        case.notice_ends_at = payload["notice_ends_at"]
        return new

    def sign(self, *, actor: Actor, case_id: str, role: str, signer_id: str, occurred_at: dt.datetime, document_ref: str | None,
             signature_id: str) -> NewEvent:
        case = self._case(case_id)
        moment, book = _moment_and_book(occurred_at)
        if actor.on_behalf_of is not None and actor.on_behalf_of != signer_id:
            raise errors.OnBehalfOfMismatch(on_behalf_of=actor.on_behalf_of, signer=signer_id)
        if signature_id in self.signature_ids:
            raise errors.DuplicateId.signature(id=signature_id)
        signing = self._signing(case, role=role, signer_id=signer_id, moment=moment, book=book)
        attempt = case.attempt
        new = self._step(case, "sign", actor, "exit_case.signed", moment, book, signature_payload(signature_id, signing, document_ref),
                         signing=signing, since=lambda: max(d.occurred_at for d in self.decisions[case_id] if d.attempt == attempt and d.step == signing.step.id),
                         decision=_Decision(attempt, signing.step.id, role, signer_id, "signed", moment))
        self.signature_ids.add(signature_id)
        self.new_ids[Signature].append(signature_id)
        return new

    def relapse(self, *, actor: Actor, household_id: str, reason: str, occurred_at: dt.datetime, spell_id: str) -> NewEvent:
        self._village(household_id)
        moment, book = _moment_and_book(occurred_at)
        _require_text(reason, errors.ReasonRequired.relapse)
        history = self._history(household_id)
        if not history:
            raise errors.NotExited(household=household_id)
        case = self._case(history[-1].id)
        new = self._step(case, "relapse", actor, "exit_case.relapsed", moment, book, relapse_payload(household_id, spell_id, reason, moment, book))
        case.reason = reason.strip()
        self.on_registry[household_id] = True
        return new

    # ---- the facts ------------------------------------------------------------------------

    def _step(self, case: ExitCase, event: str, actor: Actor, type: str, moment: dt.datetime, book: RuleBook, payload: dict[str, Any], *,
              since=None, decision: _Decision | None = None, **facts) -> NewEvent:
        """Run `event` through the case's machine, as the command does; the event it records.
        The batch's copy then moves as the projector (`service._move`) moves the row."""
        recorded: list[NewEvent] = []
        before = case.status
        machines.run(case, event, moment=moment, book=book, record=lambda after: recorded.append(case_event(case.id, type, moment, payload, after, actor)),
                     machines=self.machines, **facts)
        if decision is not None:
            self.decisions[case.id].append(decision)
        if case.status != before:
            case.status_since = since() if since is not None else moment
            if case.status == "exited":
                case.exited_at = case.status_since
                self.on_registry[case.subject_id] = False
        (new,) = recorded
        return new

    def _signing(self, case: ExitCase, *, role: str, signer_id: str, moment: dt.datetime, book: RuleBook) -> Signing:
        """What `service._signing` gathers, from the batch's copies and the posts on file."""
        signer_id, signer_name = self._person(signer_id, field="signer")
        steps = machines.procedure(book, case.level)
        step = machines.step_ahead(steps, case.status)
        role_step = next((s for s in steps if role in s.roles), None)
        unit = self._ancestor(case.unit_code, role_step.unit_level) if role_step else None
        holders = {}
        if unit is not None:
            day = clock.local_date(moment, book.zone)
            for post in self._holders(unit[0], role):
                if post.held_on(day):
                    holders[post.person_id] = self._person(post.person_id)[1]
        signed = {d.role: d.signer_id for d in self.decisions[case.id]
                  if d.attempt == case.attempt and step is not None and d.step == step.id and d.decision == "signed"}
        return Signing(role=role, signer_id=signer_id, signer_name=signer_name, moment=moment, book=book, steps=steps, step=step,
                       unit_code=unit[0] if unit else None, unit_name=unit[1] if unit else "?", holders=holders, signed=signed,
                       open_objections=self.objecting[case.id])

    def _person(self, person_id: str, *, field: str = "person") -> tuple[str, str]:
        if person_id not in self._people:
            person = get_person(self.session, person_id, field=field)
            self._people[person_id] = (person.id, person.name)
        return self._people[person_id]

    def _ancestor(self, unit_code: str, level: str) -> tuple[str, str] | None:
        """(code, name) of `ancestor_at` the case's unit; units do not move while a batch lives."""
        key = (unit_code, level)
        if key not in self._units:
            unit = ancestor_at(self.session, get_unit(self.session, unit_code), level)
            self._units[key] = (unit.code, unit.name) if unit is not None else None
        return self._units[key]

    def _holders(self, unit_code: str, role: str) -> list[Post]:
        key = (unit_code, role)
        if key not in self._posts:
            self._posts[key] = list(self.session.execute(select(Post).where(Post.unit_code == unit_code, Post.role == role)).scalars())
        return self._posts[key]

    def _case(self, case_id: str) -> ExitCase:
        case = self.cases.get(case_id)
        if case is None:
            row = self.session.get(ExitCase, case_id)
            if row is None:
                raise errors.ExitCaseNotFound(id=case_id, field="case")
            if row.level != HOUSEHOLD.value:
                raise ValueError(f"a household batch does not move {row.level} case {case_id}")
            self._history(row.subject_id)
            case = self.cases[case_id]
        return case

    def _history(self, household_id: str) -> list[ExitCase]:
        """The household's cases, earliest first, as the batch's copies (loaded the first time)."""
        if household_id not in self.subject_cases:
            self._keep([household_id], self._case_rows([household_id]))
        return self.subject_cases[household_id]

    def _case_rows(self, household_ids: list[str]) -> list:
        """The households' cases as rows, earliest first (`CASE_ORDER`, as `service.cases_of` reads them)."""
        query = select(ExitCase.__table__).where(ExitCase.level == HOUSEHOLD.value, ExitCase.subject_id.in_(household_ids))
        return self.session.execute(query.order_by(*CASE_ORDER)).mappings().all()

    def _keep(self, household_ids: Iterable[str], rows: Iterable) -> None:
        """Copies of the households' cases (`rows`, earliest first, as `service.cases_of` orders
        them), with their signatures and rejections in order and who lodged their open objections."""
        for household_id in household_ids:
            self.subject_cases[household_id] = []
        for row in rows:
            case = ExitCase(**{name: row[name] for name in _COLUMNS})
            self.cases[case.id], self.decisions[case.id], self.objecting[case.id] = case, [], ()
            self.subject_cases[case.subject_id].append(case)
        case_ids = [row["id"] for row in rows]
        for part in chunks(case_ids, 500):
            decided = select(Signature.case_id, Signature.attempt, Signature.step, Signature.role, Signature.signer_id, Signature.decision,
                             Signature.occurred_at).where(Signature.case_id.in_(part)).order_by(Signature.event_seq)
            for case_id, *decision in self.session.execute(decided):
                self.decisions[case_id].append(_Decision(*decision))
            lodged = (select(Objection.case_id, Objection.lodged_by).where(Objection.case_id.in_(part), Objection.outcome.is_(None))
                      .order_by(Objection.lodged_at, Objection.id))
            for case_id, who in self.session.execute(lodged):
                self.objecting[case_id] += (who,)

    def _village(self, household_id: str) -> str:
        """The household's village; HouseholdNotFound when no such household is on file."""
        if household_id not in self.villages:
            household = self.session.get(Household, household_id)
            if household is None:
                raise errors.HouseholdNotFound(id=household_id, field="subject")
            self.villages[household_id] = household.village_code
        return self.villages[household_id]

    def _on_registry(self, household_id: str) -> bool:
        if household_id not in self.on_registry:
            self.on_registry[household_id] = open_spell(self.session, REGISTRY_KIND[HOUSEHOLD], household_id) is not None
        return self.on_registry[household_id]


def first_on_file(session: Session, model: type, ids: Iterable[str]) -> str | None:
    """The first of `ids` that a row of `model` already has, if any (one query per 500 ids)."""
    for part in chunks(sorted(ids), 500):
        taken = session.execute(select(model.id).where(model.id.in_(part)).limit(1)).scalar()
        if taken is not None:
            return taken
    return None


def _moment_and_book(occurred_at: dt.datetime) -> tuple[dt.datetime, RuleBook]:
    """As `service._moment_and_book`, without reading the clock: `append_many` refuses a moment in the future."""
    moment = clock.with_offset(occurred_at, field="occurred_at").astimezone(clock.UTC)
    return moment, rulebook.in_force(rulebook.local_date_of(moment))
