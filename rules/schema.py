"""What a rule book holds, validated: roles, visit rules, exit procedures, thresholds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator


class Level(StrEnum):
    """The kinds of org unit, from the top of the tree down."""

    province = "province"
    city = "city"
    city_unit = "city_unit"  # 市直单位, a city-direct unit hanging under its city
    county = "county"
    township = "township"
    village = "village"


class TargetLevel(StrEnum):
    """What a visit can be made to."""

    township = "township"
    village = "village"
    household = "household"


class Period(StrEnum):
    month = "month"
    quarter = "quarter"
    campaign_year = "campaign_year"


class TargetSet(StrEnum):
    """Which targets a visit rule points at, seen from the post."""

    jurisdiction = "jurisdiction"  # the poor targets in the post's unit subtree
    linked = "linked"  # villages linked to the post's city-direct unit
    paired = "paired"  # households paired with the post holder


class TargetCount(StrEnum):
    any = "any"  # one visit to any target per period
    each = "each"  # one visit to each target per period


class ExitLevel(StrEnum):
    household = "household"
    village = "village"
    county = "county"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=64)]


class RoleDefinition(_Strict):
    """A role (职务) a person can hold at an org unit of one level."""

    level: Level
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    # Held by one person at a time at a unit (a secretary, a head), rather than by many (cadres).
    single_holder: bool = False


class VisitRule(_Strict):
    """One of the visit obligations (V1–V7): who must visit what, how often."""

    id: str = Field(pattern=r"^[A-Z][A-Za-z0-9_]*$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    roles: list[Code] = Field(min_length=1)
    target_level: TargetLevel
    targets: TargetSet
    count: TargetCount
    period: Period

    @property
    def is_coverage(self) -> bool:
        """Whether the rule asks for each target once per campaign year (走访全覆盖)."""
        return self.count is TargetCount.each and self.period is Period.campaign_year

    @model_validator(mode="after")
    def _targets_fit_level(self) -> VisitRule:
        if self.targets is TargetSet.linked and self.target_level is not TargetLevel.village:
            raise ValueError("targets = 'linked' points at villages: target_level must be 'village'")
        if self.targets is TargetSet.paired and self.target_level is not TargetLevel.household:
            raise ValueError("targets = 'paired' points at households: target_level must be 'household'")
        return self


class SignatureStep(_Strict):
    """One step of an exit procedure: the roles that must all sign, at which unit."""

    id: Code
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    roles: list[Code] = Field(min_length=1)
    unit_level: Level
    state_after: Code


class ExitProcedure(_Strict):
    """The signature steps, in order, that take a case from in_notice to exited."""

    steps: list[SignatureStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _last_step_exits(self) -> ExitProcedure:
        if self.steps[-1].state_after != "exited":
            raise ValueError("the last step's state_after must be 'exited'")
        return self


class PairingCoverageRule(_Strict):
    """结对帮扶全覆盖: every registered poor household paired; deep-poverty households paired
    with a party leading cadre (党员领导干部) by preference (an advisory, never a refusal)."""

    source: str = Field(min_length=1)  # the source's words, beside the rule
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    # Holding one of these posts on a day makes a cadre a party leading cadre that day.
    leading_cadre_roles: list[Code] = Field(min_length=1)


class WorkTeamRule(_Strict):
    """驻村工作队: who must have a resident work team, how strong, and that it stays until exit."""

    source: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    # The post a team member holds at the team's village (their tenure).
    member_role: Code
    # A team is present at strength with at least this many members in post (两名及以上队员).
    min_members: int = Field(ge=1, le=50)
    # A non-poor village with at least this many registered poor people needs a team too.
    poor_people_at_least: int = Field(ge=1)
    # The levels of unit that may send a work team (city, county, city-direct departments).
    sending_levels: list[Level] = Field(min_length=1)
    # Reasons for which a team may leave, or fall below strength, before its poor village
    # exits (不脱贫出列不撤队); none in the Hunan 2017 book.
    withdrawal_allowed_for: list[Code] = Field(default_factory=list)


class ReductionPlanRule(_Strict):
    """年度减贫计划: plans per unit and year, a bonus for the village committee (村"两委") of a
    village that completes its plan, forfeited when it does not, and accountability for exits
    not made by their planned year (不摘贫帽摘官帽)."""

    source: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    # The levels of unit that are given a plan by the level above.
    plan_levels: list[Level] = Field(min_length=1)
    # 村"两委": the village posts whose holders gain or forfeit the annual performance bonus.
    committee_roles: list[Code] = Field(min_length=1)
    # The posts held to account when a poor village or household misses its planned year.
    accountable_roles: list[Code] = Field(min_length=1)


class RuleBook(_Strict):
    """A versioned, validated set of rules in force from `effective_from` (in `time_zone`)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str = Field(min_length=1)
    effective_from: dt.date
    time_zone: str
    pairing_cap: int = Field(ge=1, le=100)
    notice_days: int = Field(ge=1, le=90)
    one_person_may_hold_both_posts: bool
    exit_incidence_below: Decimal = Field(gt=0, lt=1)
    backfill_threshold_days: int = Field(ge=1)
    signature_visit_window_days: int = Field(ge=1)
    max_visits_per_day_km: int = Field(default=300, ge=1)
    poverty_line: dict[int, Decimal]
    roles: dict[Code, RoleDefinition] = Field(min_length=1)
    visit_rules: list[VisitRule] = Field(min_length=1)
    exits: dict[ExitLevel, ExitProcedure]
    # The source's other duties; a book without them does not hold the rule.
    pairing_coverage: PairingCoverageRule | None = None
    work_teams: WorkTeamRule | None = None
    reduction_plans: ReductionPlanRule | None = None
    # The file the book was read from, for messages that name it (not part of the book).
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str:
        return self._source or f"(rule book {self.id})"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as 'Asia/Shanghai')") from exc
        return value

    @field_validator("poverty_line")
    @classmethod
    def _positive_lines(cls, value: dict[int, Decimal]) -> dict[int, Decimal]:
        for year, line in value.items():
            if not 1980 <= year <= 2100:
                raise ValueError(f"year {year} is out of range 1980–2100")
            if line <= 0:
                raise ValueError(f"the poverty line for {year} must be positive, got {line}")
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> RuleBook:
        for rule in self.visit_rules:
            self._check_roles(f"visit_rules[{rule.id}].roles", rule.roles)
        ids = [rule.id for rule in self.visit_rules]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"visit rule ids must be unique; repeated: {', '.join(duplicated)}")
        missing = [level.value for level in ExitLevel if level not in self.exits]
        if missing:
            raise ValueError(f"exits must define every level; missing: {', '.join(missing)}")
        for level, procedure in self.exits.items():
            for step in procedure.steps:
                self._check_roles(f"exits.{level.value}.steps[{step.id}].roles", step.roles)
                for role in step.roles:
                    if self.roles[role].level is not step.unit_level:
                        raise ValueError(
                            f"exits.{level.value}.steps[{step.id}]: role '{role}' belongs to a "
                            f"{self.roles[role].level.value}, not to the step's unit_level '{step.unit_level.value}'"
                        )
        if self.pairing_coverage is not None:
            self._check_roles("pairing_coverage.leading_cadre_roles", self.pairing_coverage.leading_cadre_roles)
        if self.reduction_plans is not None:
            self._check_roles("reduction_plans.committee_roles", self.reduction_plans.committee_roles)
            self._check_roles("reduction_plans.accountable_roles", self.reduction_plans.accountable_roles)
        if self.work_teams is not None:
            self._check_roles("work_teams.member_role", [self.work_teams.member_role])
            if self.roles[self.work_teams.member_role].level is not Level.village:
                raise ValueError(f"work_teams.member_role: '{self.work_teams.member_role}' must be a post at a village")
        return self

    def _check_roles(self, where: str, roles: list[str]) -> None:
        unknown = [role for role in roles if role not in self.roles]
        if unknown:
            raise ValueError(f"{where}: unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(self.roles))}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def visit_rule(self, rule_id: str) -> VisitRule:
        """The visit rule with this id; KeyError if the book has none."""
        for rule in self.visit_rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def poverty_line_for(self, year: int) -> Decimal:
        """The per-capita income line for `year`: that year's, else the latest earlier one."""
        earlier = [y for y in self.poverty_line if y <= year]
        if not earlier:
            raise KeyError(f"rule book {self.id} gives no poverty line for {year} or before")
        return self.poverty_line[max(earlier)]
