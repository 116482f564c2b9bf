"""The exit procedures of SPEC §1 as state machines, one per level, and the rules they enforce.

A machine is built around one case row for one command (`run`); a bulk load reads each level's
machine as a table of its transitions and calls the same rules (`Machines`). Transitions read like the
procedure; guards are questions (`cond="step_complete"`); validators raise a DomainError
that says what would be valid. The service gathers the facts a rule needs (`Signing`,
`HouseholdProposal`, `IncidenceProposal`) so the rules here never query the database.

Every transition is an event: the command hands `run` a `record` function, which the
machine calls once the rules pass and which appends the event. The event's projector
moves the row, so replaying the log moves it the same way without any machine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import itertools
import types
from decimal import Decimal
from typing import Any, Callable

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from rules.schema import ExitLevel, RuleBook, SignatureStep
from workflow import errors
from workflow.errors import DomainError
from workflow.labels import CASE_STATUSES
from workflow.exits.models import ExitCase

CLOSED = ("exited", "relapsed")

STATUS_ZH = {status: label.zh for status, label in CASE_STATUSES.items()}

# What each command does, in words for refusals.
EVENT_WORDS = {
    "propose": ("propose the exit of", "提出退出"),
    "post_notice": ("post the public notice of", "公示"),
    "lodge_objection": ("lodge an objection to", "提出异议"),
    "resolve_objection": ("resolve an objection to", "处理异议"),
    "sign": ("sign", "签字"),
    "reject": ("reject", "否决"),
    "relapse": ("record a relapse of", "登记返贫"),
}

# The five guarantees of 两不愁三保障, by Assessment field.
GUARANTEES = {
    "food": ("food (不愁吃)", "不愁吃"),
    "clothing": ("clothing (不愁穿)", "不愁穿"),
    "education": ("compulsory education (义务教育有保障)", "义务教育有保障"),
    "medical": ("basic medical care (基本医疗有保障)", "基本医疗有保障"),
    "housing": ("safe housing (住房安全有保障)", "住房安全有保障"),
}


@dataclasses.dataclass(frozen=True)
class Assessment:
    """A household's exit assessment: per-capita income, 两不愁三保障, and its acknowledgement."""

    income_per_capita: Decimal  # yuan per person for the year
    food: bool
    clothing: bool
    education: bool
    medical: bool
    housing: bool
    acknowledged: bool  # the household agrees with the assessment (户认可)


@dataclasses.dataclass(frozen=True)
class HouseholdProposal:
    assessment: Assessment
    year: int
    poverty_line: Decimal


@dataclasses.dataclass(frozen=True)
class IncidenceProposal:
    """A village's or county's poverty incidence (贫困发生率) when its exit is proposed."""

    poor_population: int
    rural_population: int
    threshold: Decimal

    @property
    def incidence(self) -> Decimal:
        return Decimal(self.poor_population) / Decimal(self.rural_population)


@dataclasses.dataclass(frozen=True)
class Signing:
    """A signature or a rejection, and the facts the procedure checks it against."""

    role: str
    signer_id: str
    signer_name: str
    moment: dt.datetime
    book: RuleBook
    steps: tuple[SignatureStep, ...]
    # The step the case waits at; None when no step lies ahead, and the machine then refuses.
    step: SignatureStep | None
    unit_code: str | None  # the unit the role belongs to for this case
    unit_name: str
    holders: dict[str, str]  # person id → name, holding the role there on the moment's date
    signed: dict[str, str]  # role → person id, already signed at this step in this attempt
    open_objections: tuple[str, ...]  # who lodged the objections still open

    @property
    def role_step(self) -> SignatureStep | None:
        return next((step for step in self.steps if self.role in step.roles), None)

    def label(self, role: str) -> tuple[str, str]:
        definition = self.book.roles[role]
        return definition.en, definition.zh

    def missing(self) -> tuple[str, str]:
        """The roles of the waiting step not yet signed, in both languages."""
        roles = [role for role in self.step.roles if role not in self.signed]
        return ", ".join(self.label(r)[0] for r in roles), "、".join(self.label(r)[1] for r in roles)


def procedure(book: RuleBook, level: ExitLevel | str) -> tuple[SignatureStep, ...]:
    """The signature steps of `level`'s exit under `book`, checked against that level's machine."""
    level = ExitLevel(level)
    steps = tuple(book.exits[level].steps)
    expected = MACHINES[level].step_states
    if tuple(step.state_after for step in steps) != expected:
        raise errors.ProcedureNotSupported(book=book.id, level=level.value, found=[step.state_after for step in steps], expected=expected)
    return steps


def step_ahead(steps: tuple[SignatureStep, ...], status: str) -> SignatureStep | None:
    """The signature step a case in `status` is heading for; None when none lies ahead."""
    if status in ("proposed", "in_notice"):
        return steps[0]
    for done, following in zip(steps, steps[1:]):
        if done.state_after == status:
            return following
    return None


def local_time(moment: dt.datetime, book: RuleBook) -> str:
    """`moment` as users read it in refusals: minutes on the rule book's local clock."""
    return moment.astimezone(book.zone).strftime("%Y-%m-%d %H:%M") + f" ({book.time_zone})"


class ExitMachine(StateMachine):
    """The rules every exit procedure shares; each level's subclass draws its diagram."""

    # The statuses a case passes through as each signature step completes, in order;
    # the rule book's steps must lead to these (see `procedure`).
    step_states: tuple[str, ...] = ()

    def on_transition(self, target: State, record: Callable[[str], None]) -> None:
        # Every transition is an event: the command appends it, naming the status it leads to.
        record(target.id)

    # ---- proposal ----

    def assessment_passes(self, proposal: HouseholdProposal) -> None:
        a, line = proposal.assessment, proposal.poverty_line
        failed, en, zh = [], [], []
        if not a.income_per_capita > line:
            failed.append("income_per_capita")
            en.append(f"per-capita income {a.income_per_capita} is not above the {proposal.year} poverty line of {line}")
            zh.append(f"人均纯收入 {a.income_per_capita} 元未超过 {proposal.year} 年贫困线 {line} 元")
        for field, (label_en, label_zh) in GUARANTEES.items():
            if not getattr(a, field):
                failed.append(field)
                en.append(f"{label_en} is not assured")
                zh.append(f"{label_zh}未达标")
        if not a.acknowledged:
            failed.append("acknowledged")
            en.append("the household has not acknowledged the assessment")
            zh.append("贫困户未签字认可")
        if failed:
            raise errors.CriteriaNotMet.household(reasons=en, reasons_zh=zh, failed=failed)

    def incidence_below_threshold(self, proposal: IncidenceProposal) -> None:
        if proposal.poor_population < proposal.threshold * proposal.rural_population:
            return
        raise errors.CriteriaNotMet.incidence_too_high(
            rate=proposal.incidence,
            threshold=proposal.threshold,
            poor=proposal.poor_population,
            rural=proposal.rural_population,
            failed=["poverty_incidence"],
            incidence=str(proposal.incidence),
        )

    # ---- public notice and objections ----

    def notice_period_running(self, model: ExitCase, moment: dt.datetime, book: RuleBook) -> None:
        if moment >= model.notice_ends_at:
            ended = local_time(model.notice_ends_at, book)
            raise errors.NoticePeriodOver(ended=ended)

    def objection_upheld(self, outcome: str) -> bool:
        return outcome == "upheld"

    # ---- signatures ----

    def role_signs_at_this_step(self, signing: Signing) -> None:
        role_step, step = signing.role_step, signing.step
        role_en, role_zh = signing.label(signing.role) if signing.role in signing.book.roles else (signing.role, signing.role)
        if role_step is None:
            signers = [f"{s.en}: {', '.join(s.roles)}" for s in signing.steps]
            raise errors.NotASigningRole(role=role_en, role_zh=role_zh, signers=signers, steps_zh=[s.zh for s in signing.steps])
        if role_step.id == step.id:
            return
        if signing.steps.index(role_step) > signing.steps.index(step):
            missing_en, missing_zh = signing.missing()
            raise errors.StepOutOfOrder.before_earlier_step(
                role=role_en, role_zh=role_zh, role_step=role_step.en, step=step.en, step_zh=step.zh, missing=missing_en, missing_zh=missing_zh
            )
        raise errors.RoleAlreadySigned.step_complete(role_step=role_step.en, role_step_zh=role_step.zh, step=step.en, step_zh=step.zh, roles=step.roles)

    def notice_period_over(self, model: ExitCase, signing: Signing) -> None:
        if model.notice_ends_at is not None and signing.moment < model.notice_ends_at:
            ends = local_time(model.notice_ends_at, signing.book)
            raise errors.NoticePeriodRunning(ends=ends, notice_ends_at=model.notice_ends_at.isoformat())

    def no_objection_open(self, signing: Signing) -> None:
        if signing.open_objections:
            raise errors.ObjectionOpen(who=signing.open_objections)

    def role_not_yet_signed(self, signing: Signing) -> None:
        if signing.role in signing.signed:
            missing_en, missing_zh = signing.missing()
            role_en, role_zh = signing.label(signing.role)
            raise errors.RoleAlreadySigned.by_this_role(role=role_en, role_zh=role_zh, step=signing.step.en, step_zh=signing.step.zh, missing=missing_en, missing_zh=missing_zh)

    def signer_in_post(self, signing: Signing) -> None:
        if signing.signer_id in signing.holders:
            return
        role_en, role_zh = signing.label(signing.role)
        day = signing.moment.astimezone(signing.book.zone).date().isoformat()
        holders = list(signing.holders.values())
        wording = errors.SignerNotInPost.held_by_others if holders else errors.SignerNotInPost.vacant
        raise wording(signer=signing.signer_name, role=role_en, role_zh=role_zh, unit=signing.unit_name, day=day, holders=holders)

    def two_different_people(self, signing: Signing) -> None:
        if signing.book.one_person_may_hold_both_posts:
            return
        for role, person_id in signing.signed.items():
            if person_id == signing.signer_id:
                first_en, first_zh = signing.label(role)
                role_en, role_zh = signing.label(signing.role)
                raise errors.SamePersonTwice(signer=signing.signer_name, first=first_en, first_zh=first_zh, role=role_en, role_zh=role_zh, book=signing.book.id)

    def step_complete(self, signing: Signing) -> bool:
        return set(signing.step.roles) <= set(signing.signed) | {signing.role}


SIGNING_RULES = ["role_signs_at_this_step", "notice_period_over", "no_objection_open", "role_not_yet_signed", "signer_in_post", "two_different_people"]
REJECTING_RULES = ["role_signs_at_this_step", "role_not_yet_signed", "signer_in_post"]


class HouseholdExit(ExitMachine):
    """贫困户退出: village secretary and director co-sign, then township secretary and head approve."""

    step_states = ("village_signed", "exited")

    registered = State(initial=True)
    proposed = State()
    in_notice = State()
    village_signed = State()
    exited = State()
    relapsed = State(final=True)  # returned to poverty (返贫); the household goes on in a new case

    propose = registered.to(proposed, validators="assessment_passes")
    post_notice = proposed.to(in_notice)
    lodge_objection = in_notice.to.itself(internal=True, validators="notice_period_running")
    resolve_objection = in_notice.to(registered, cond="objection_upheld") | in_notice.to.itself(internal=True)
    sign = (
        in_notice.to(village_signed, cond="step_complete", validators=SIGNING_RULES)
        | in_notice.to.itself(internal=True, validators=SIGNING_RULES)
        | village_signed.to(exited, cond="step_complete", validators=SIGNING_RULES)
        | village_signed.to.itself(internal=True, validators=SIGNING_RULES)
    )
    reject = registered.from_(proposed, in_notice, village_signed, validators=REJECTING_RULES)
    relapse = exited.to(relapsed)


class VillageExit(ExitMachine):
    """贫困村退出: the county secretary and county head sign."""

    step_states = ("exited",)

    registered = State(initial=True)
    proposed = State()
    in_notice = State()
    exited = State(final=True)

    propose = registered.to(proposed, validators="incidence_below_threshold")
    post_notice = proposed.to(in_notice)
    lodge_objection = in_notice.to.itself(internal=True, validators="notice_period_running")
    resolve_objection = in_notice.to(registered, cond="objection_upheld") | in_notice.to.itself(internal=True)
    sign = in_notice.to(exited, cond="step_complete", validators=SIGNING_RULES) | in_notice.to.itself(internal=True, validators=SIGNING_RULES)
    reject = registered.from_(proposed, in_notice, validators=REJECTING_RULES)


class CountyExit(ExitMachine):
    """贫困县摘帽: the city secretary and mayor sign, then the provincial secretary and governor approve."""

    step_states = ("city_signed", "exited")

    registered = State(initial=True)
    proposed = State()
    in_notice = State()
    city_signed = State()
    exited = State(final=True)

    propose = registered.to(proposed, validators="incidence_below_threshold")
    post_notice = proposed.to(in_notice)
    lodge_objection = in_notice.to.itself(internal=True, validators="notice_period_running")
    resolve_objection = in_notice.to(registered, cond="objection_upheld") | in_notice.to.itself(internal=True)
    sign = (
        in_notice.to(city_signed, cond="step_complete", validators=SIGNING_RULES)
        | in_notice.to.itself(internal=True, validators=SIGNING_RULES)
        | city_signed.to(exited, cond="step_complete", validators=SIGNING_RULES)
        | city_signed.to.itself(internal=True, validators=SIGNING_RULES)
    )
    reject = registered.from_(proposed, in_notice, city_signed, validators=REJECTING_RULES)


MACHINES: dict[ExitLevel, type[ExitMachine]] = {
    ExitLevel.household: HouseholdExit,
    ExitLevel.village: VillageExit,
    ExitLevel.county: CountyExit,
}


def machine_for(case: ExitCase) -> ExitMachine:
    """The level's machine around `case`, its status in `case.status`."""
    # The row is also a listener of the machine: no column may share a callback's name.
    return MACHINES[ExitLevel(case.level)](model=case, state_field="status")


class Machines:
    """Each level's machine read as a table, for a bulk load judging thousands of cases: for a
    case's status and an event, the transitions the machine declares, in its order, each with its
    validators and conditions. `take` moves a case as the library's `send` moves it — the first
    of those transitions whose validators pass (a validator's refusal ends the search) and whose
    conditions hold, then `on_transition`, then the status — with the same methods, but without
    the library's engine, whose macro- and microsteps cost some 0.3 ms a step, more than the
    rules themselves. The machines stay the one statement of the procedure: the table holds
    only what they declare, refuses to read a declaration it does not understand, and
    `tests/workflow/exits/test_machines.py` holds `take` equal to `send` step by step."""

    def __init__(self):
        self._tables: dict[str, _Table] = {}

    def take(self, case: ExitCase, event: str, *, record: Callable[[str], None], **facts) -> None:
        """Move `case` through `event` as `run` with its level's machine would (`run` checks the
        moment first), or raise the DomainError that says why not."""
        table = self._tables.get(case.level) or self._tables.setdefault(case.level, _Table(MACHINES[ExitLevel(case.level)]))
        facts.update(model=case, event=event, record=record)
        for target, validators, conditions in table.matching(case.status, event):
            facts["target"] = target
            for method, names in validators:
                method(**{name: facts[name] for name in names})
            if all(bool(method(**{name: facts[name] for name in names})) == expected for method, names, expected in conditions):
                table.on_transition(**{name: facts[name] for name in table.on_transition_names})
                case.status = target.value
                return
        raise _not_now(table.machine, case, event)


_CONVENTIONS = ("before_", "after_", "on_", "prepare_")


class _Table:
    """One level's declared transitions, their callbacks bound to one idle machine of the level."""

    def __init__(self, kind: type[ExitMachine]):
        self.machine = kind(model=types.SimpleNamespace(status=None), state_field="status")
        self.on_transition, self.on_transition_names = self._bound("on_transition")
        self.states = {state.id: state for state in kind.states}
        self._transitions: dict[tuple[str, str], list[tuple[State, list, list]]] = {}
        if any(transition.is_eventless for state in kind.states for transition in state.transitions):
            raise TypeError(f"{kind.__name__}: an eventless transition would fire by itself after a step; this table does not")
        # The library also calls callbacks named by convention (on_enter_exited, after_sign, …) on
        # the machine and on the row; this table calls only on_transition, so there must be no other.
        named = [name for owner in (kind, ExitCase) for name in dir(owner) if name.startswith(_CONVENTIONS) and name != "on_transition"]
        if named:
            raise TypeError(f"{kind.__name__}: callbacks named by convention that this table would not call: {named}")

    def matching(self, status: str, event: str) -> list[tuple[State, list, list]]:
        """The transitions the library tries for `event` in `status`, in its order: the state's
        own, then its ancestors', each with its validators and conditions."""
        key = (status, event)
        if key not in self._transitions:
            state = self.states[status]
            self._transitions[key] = [
                (transition.target, [self._bound(spec) for spec in transition.validators],
                 [(*self._bound(spec), True if spec.expected_value is None else spec.expected_value) for spec in transition.cond])
                for holder in itertools.chain([state], state.ancestors()) for transition in holder.transitions
                if not transition.initial and transition.match(event)
            ]
        return self._transitions[key]

    def _bound(self, spec: Any) -> tuple[Callable, tuple[str, ...]]:
        """The machine's method that `spec` (a callback's declaration, or a name) names, and the
        arguments the method names: the library passes each callback those it names."""
        name = spec if isinstance(spec, str) else spec.func
        method = getattr(self.machine, name, None) if isinstance(name, str) and getattr(spec, "cond", None) is None else None
        if method is None or not inspect.ismethod(method):
            raise TypeError(f"{type(self.machine).__name__}: a callback this table cannot call as the library would: {spec!r}")
        parameters = inspect.signature(method).parameters.values()
        if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or p.default is not p.empty for p in parameters):
            raise TypeError(f"{type(self.machine).__name__}.{name}: only named arguments without defaults are read here")
        return method, tuple(p.name for p in parameters)


def run(case: ExitCase, event: str, *, moment: dt.datetime, book: RuleBook, record: Callable[[str], None], machines: Machines | None = None,
        **facts) -> None:
    """Take `case` through `event` by its level's machine (by `machines`, a bulk load's table of
    them, if given), or raise the DomainError that says why not."""
    if moment < case.status_since:
        since = local_time(case.status_since, book)
        raise errors.StepOutOfOrder.before_status_since(status=case.status, status_zh=STATUS_ZH[case.status], since=since)
    if machines is not None:
        machines.take(case, event, moment=moment, book=book, record=record, **facts)
        return
    machine = machine_for(case)
    try:
        machine.send(event, moment=moment, book=book, record=record, **facts)
    except TransitionNotAllowed:
        raise _not_now(machine, case, event) from None


def _not_now(machine: ExitMachine, case: ExitCase, event: str) -> DomainError:
    """The refusal of `event` for a case whose status has no such transition."""
    words_en, words_zh = EVENT_WORDS[event]
    if case.status in CLOSED:
        return errors.CaseClosed(case=case.id, status=case.status, status_zh=STATUS_ZH[case.status])
    valid = [state.id for state in machine.states if any(t.match(event) for t in state.transitions)]
    return errors.StepOutOfOrder.not_now(
        act=words_en, act_zh=words_zh, status=case.status, status_zh=STATUS_ZH[case.status], valid=valid, valid_zh=[STATUS_ZH[s] for s in valid]
    )
