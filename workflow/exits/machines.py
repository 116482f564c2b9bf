"""The exit procedures of SPEC §1 as state machines, one per level, and the rules they enforce.

A machine is built around one case row for one command (`run`). Transitions read like the
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
from decimal import Decimal
from typing import Callable

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from rules.schema import ExitLevel, RuleBook, SignatureStep
from workflow.errors import Conflict, DomainError
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
        found = " → ".join(step.state_after for step in steps)
        raise DomainError(
            "procedure_not_supported",
            f"rule book {book.id} takes a {level.value} exit through {found}; the {level.value} procedure here goes through {' → '.join(expected)}",
            f"规则 {book.id} 的{level.value}退出步骤({found})与本系统的退出程序({' → '.join(expected)})不符",
            field="rule_book",
        )
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
            raise DomainError(
                "criteria_not_met",
                "; ".join(en) + ". A household exits with income above the line, all five guarantees of 两不愁三保障 and its acknowledgement",
                ";".join(zh) + "。退出须人均纯收入超过贫困线、两不愁三保障全部达标并经贫困户认可",
                field="assessment",
                failed=failed,
            )

    def incidence_below_threshold(self, proposal: IncidenceProposal) -> None:
        if proposal.poor_population < proposal.threshold * proposal.rural_population:
            return
        shown, limit = f"{proposal.incidence:.2%}", f"{proposal.threshold:.2%}"
        raise DomainError(
            "criteria_not_met",
            f"poverty incidence is {shown} ({proposal.poor_population} registered poor of {proposal.rural_population} rural residents); an exit needs it below {limit}",
            f"贫困发生率为 {shown}(建档立卡贫困人口 {proposal.poor_population} 人,农村人口 {proposal.rural_population} 人),退出须低于 {limit}",
            field="poverty_incidence",
            failed=["poverty_incidence"],
            incidence=str(proposal.incidence),
        )

    # ---- public notice and objections ----

    def notice_period_running(self, model: ExitCase, moment: dt.datetime, book: RuleBook) -> None:
        if moment >= model.notice_ends_at:
            ended = local_time(model.notice_ends_at, book)
            raise DomainError(
                "notice_period_over",
                f"the public notice ended at {ended}; objections are lodged while it runs",
                f"公示期已于 {ended} 结束,异议须在公示期内提出",
                field="occurred_at",
            )

    def objection_upheld(self, outcome: str) -> bool:
        return outcome == "upheld"

    # ---- signatures ----

    def role_signs_at_this_step(self, signing: Signing) -> None:
        role_step, step = signing.role_step, signing.step
        role_en, role_zh = signing.label(signing.role) if signing.role in signing.book.roles else (signing.role, signing.role)
        if role_step is None:
            signers = "; ".join(f"{s.en}: {', '.join(s.roles)}" for s in signing.steps)
            raise DomainError(
                "not_a_signing_role",
                f"{role_en} does not sign this exit; the signers, step by step, are {signers}",
                f"{role_zh}不是该退出程序的签字人;各步骤签字人:" + ";".join(f"{s.zh}" for s in signing.steps),
                field="role",
            )
        if role_step.id == step.id:
            return
        if signing.steps.index(role_step) > signing.steps.index(step):
            missing_en, missing_zh = signing.missing()
            raise DomainError(
                "step_out_of_order",
                f"{role_en} signs at the '{role_step.en}' step, after the '{step.en}' step, which still needs: {missing_en}",
                f"{role_zh}须在“{step.zh}”完成后签字,尚缺:{missing_zh}",
                field="role",
            )
        raise Conflict(
            "role_already_signed",
            f"the '{role_step.en}' step is complete; the case now waits at '{step.en}' ({', '.join(step.roles)})",
            f"“{role_step.zh}”已完成,当前待“{step.zh}”",
            field="role",
        )

    def notice_period_over(self, model: ExitCase, signing: Signing) -> None:
        if model.notice_ends_at is not None and signing.moment < model.notice_ends_at:
            ends = local_time(model.notice_ends_at, signing.book)
            raise DomainError(
                "notice_period_running",
                f"the public notice runs until {ends}; signatures dated from then on are valid",
                f"公示期至 {ends} 结束,此后方可签字",
                field="occurred_at",
                notice_ends_at=model.notice_ends_at.isoformat(),
            )

    def no_objection_open(self, signing: Signing) -> None:
        if signing.open_objections:
            who = ", ".join(signing.open_objections)
            raise DomainError(
                "objection_open",
                f"an objection lodged by {who} is open; resolve it (upheld or dismissed) before signing",
                f"{who} 提出的异议尚未处理,须先核实处理(成立或不成立)后方可签字",
                field="case",
            )

    def role_not_yet_signed(self, signing: Signing) -> None:
        if signing.role in signing.signed:
            missing_en, missing_zh = signing.missing()
            role_en, role_zh = signing.label(signing.role)
            raise Conflict(
                "role_already_signed",
                f"{role_en} has already signed the '{signing.step.en}' step; still missing: {missing_en or 'nothing'}",
                f"{role_zh}已在“{signing.step.zh}”签字;尚缺:{missing_zh or '无'}",
                field="role",
            )

    def signer_in_post(self, signing: Signing) -> None:
        if signing.signer_id in signing.holders:
            return
        role_en, role_zh = signing.label(signing.role)
        day = signing.moment.astimezone(signing.book.zone).date().isoformat()
        held_by = ", ".join(signing.holders.values())
        raise DomainError(
            "signer_not_in_post",
            f"{signing.signer_name} was not {role_en} of {signing.unit_name} on {day}; "
            + (f"the post was held by {held_by}" if held_by else "nobody held the post that day"),
            f"{signing.signer_name} 于 {day} 未任{signing.unit_name}{role_zh};" + (f"当日任职者:{held_by}" if held_by else "当日该职务空缺"),
            field="signer",
        )

    def two_different_people(self, signing: Signing) -> None:
        if signing.book.one_person_may_hold_both_posts:
            return
        for role, person_id in signing.signed.items():
            if person_id == signing.signer_id:
                first_en, first_zh = signing.label(role)
                role_en, role_zh = signing.label(signing.role)
                raise DomainError(
                    "same_person_twice",
                    f"{signing.signer_name} already signed this step as {first_en}; {role_en} must be a different person under rule book {signing.book.id}",
                    f"{signing.signer_name} 已以{first_zh}身份签字,{role_zh}须由另一人签字(规则 {signing.book.id} 不允许一肩挑代签)",
                    field="signer",
                )

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


def run(case: ExitCase, event: str, *, moment: dt.datetime, book: RuleBook, record: Callable[[str], None], **facts) -> None:
    """Take `case` through `event` by its level's machine, or raise the DomainError that says why not."""
    if moment < case.status_since:
        since = local_time(case.status_since, book)
        raise DomainError(
            "step_out_of_order",
            f"the case has been {case.status} since {since}; a record of what came after cannot be dated earlier",
            f"该案件自 {since} 起为“{STATUS_ZH[case.status]}”,其后的记录不能早于该时间",
            field="occurred_at",
        )
    # The row is also a listener of the machine: no column may share a callback's name.
    machine = MACHINES[ExitLevel(case.level)](model=case, state_field="status")
    try:
        machine.send(event, moment=moment, book=book, record=record, **facts)
    except TransitionNotAllowed:
        raise _not_now(machine, case, event) from None


def _not_now(machine: ExitMachine, case: ExitCase, event: str) -> DomainError:
    """The refusal of `event` for a case whose status has no such transition."""
    words_en, words_zh = EVENT_WORDS[event]
    if case.status in CLOSED:
        return Conflict(
            "case_closed",
            f"case {case.id} is {case.status}; nothing more can be recorded on it",
            f"案件 {case.id} {STATUS_ZH[case.status]},不能再记录",
            field="case",
        )
    valid = [state.id for state in machine.states if any(t.match(event) for t in state.transitions)]
    return DomainError(
        "step_out_of_order",
        f"cannot {words_en} a case that is {case.status}; that comes when the case is {' or '.join(valid)}",
        f"案件当前为“{STATUS_ZH[case.status]}”,不能{words_zh};须在“" + "”或“".join(STATUS_ZH[s] for s in valid) + "”时进行",
        field="case",
    )
