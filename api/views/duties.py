"""The rows of the reports on the source's other duties — pairing coverage (结对帮扶全覆盖),
resident work teams (驻村工作队) and annual reduction plans (年度减贫计划) — as the API shows
them, and their columns in files."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.exports import RATE, Column, Labels, Sheet, named_column
from workflow.pairings.reports import Coverage, DeepPovertyAdvisory, UnpairedHousehold
from workflow.plans.reports import AccountabilityRow, BonusRow, PlanResult
from workflow.teams.reports import TeamGap


def _where(*, village: str = "village_code") -> tuple[Column, ...]:
    """The county, township and village a row sits in: names, then codes."""
    return (
        named_column("unit", "county_code", "县(市区)", "County", brief=True),
        named_column("unit", "township_code", "乡镇", "Township", brief=True),
        named_column("unit", village, "村", "Village", brief=True),
        Column(village, "村代码", "Village code"),
    )


# ---- unpaired households (结对帮扶全覆盖) ----------------------------------------------


class CadreRoomView(BaseModel):
    person_id: str
    name: str = Field(examples=["舒春生"])
    paired: int = Field(description="Households paired with them on the day.")
    room: int = Field(description="How many more the rule book's cap allows.")


class UnpairedView(BaseModel):
    household_id: str = Field(examples=["4312241002010007"])
    head_name: str = Field(examples=["向桂兰"])
    members: int
    village_code: str
    township_code: str | None
    county_code: str | None
    unpaired_since: dt.date
    days_unpaired: int = Field(description="Days from unpaired_since to as_of, both counted.")
    deep_poverty: bool = Field(description="Marked in deep poverty (深度贫困) on the day.")
    cadres_with_room: list[CadreRoomView] = Field(description="The township's cadres in post with room under the cap, most room first.")


def unpaired_view(row: UnpairedHousehold) -> UnpairedView:
    return UnpairedView(**{**row.__dict__, "cadres_with_room": [CadreRoomView(**c.__dict__) for c in row.cadres_with_room]})


def _rooms(row: UnpairedHousehold, words: Labels) -> str:
    return words.pick(", ", "、").join(f"{c.name}({c.room})" for c in row.cadres_with_room) or words.pick("none", "无")


UNPAIRED = Sheet("unpaired-households", "未结对贫困户", "Unpaired poor households", (
    *_where(),
    Column("household_id", "贫困户编号", "Household", brief=True),
    Column("head_name", "户主", "Head of household", brief=True),
    Column("members", "人口", "Members"),
    Column("deep_poverty", "深度贫困", "Deep poverty", brief=True),
    Column("unpaired_since", "未结对起始", "Unpaired since", brief=True),
    Column("days_unpaired", "未结对天数", "Days unpaired", brief=True),
    Column("cadres_with_room", "可结对干部(剩余户数)", "Cadres with room (households left)", _rooms, brief=True),
))


# ---- coverage ---------------------------------------------------------------------------


class CoverageView(BaseModel):
    unit_code: str
    unit_name: str = Field(examples=["北斗溪镇"])
    level: str
    registered: int = Field(description="Registered poor households on the day.")
    paired: int
    unpaired: int
    rate: float | None = Field(None, description="paired ÷ registered, 4 decimals; null with no registered household.", examples=[0.9167])


def coverage_view(row: Coverage) -> CoverageView:
    return CoverageView(**{**row.__dict__, "rate": float(row.rate) if row.rate is not None else None})


COVERAGE = Sheet("pairing-coverage", "结对帮扶覆盖率", "Pairing coverage", (
    Column("unit_name", "单位", "Unit", brief=True),
    Column("unit_code", "单位代码", "Unit code"),
    Column("level", "层级", "Level", lambda r, words: words.word(r.level), brief=True),
    Column("registered", "建档立卡贫困户", "Registered poor households", brief=True),
    Column("paired", "已结对", "Paired", brief=True),
    Column("unpaired", "未结对", "Unpaired", brief=True),
    Column("rate", "结对覆盖率", "Coverage", shape=RATE, brief=True),
))


# ---- deep poverty paired with an ordinary cadre (advisory) -------------------------------


class AdvisoryView(BaseModel):
    household_id: str
    head_name: str
    village_code: str
    township_code: str | None
    county_code: str | None
    pairing_id: str
    cadre_id: str
    cadre_name: str = Field(examples=["舒春生"])
    cadre_roles: list[str] = Field(description="The cadre's posts on the day, none of them a party leading post.", examples=[["township_cadre"]])


def advisory_view(row: DeepPovertyAdvisory) -> AdvisoryView:
    return AdvisoryView(**{**row._asdict(), "cadre_roles": list(row.cadre_roles)})


ADVISORIES = Sheet("deep-poverty-advisories", "深度贫困户结对提示", "Deep-poverty pairing advisories", (
    *_where(),
    Column("household_id", "贫困户编号", "Household", brief=True),
    Column("head_name", "户主", "Head of household", brief=True),
    Column("cadre_name", "结对干部", "Paired cadre", brief=True),
    Column("cadre_roles", "干部职务", "Cadre's posts", lambda r, words: [words.role(role) for role in r.cadre_roles], brief=True),
    Column("advice", "提示", "Advice", lambda r, words: words.pick("prefer a party leading cadre", "宜优先安排党员领导干部结对帮扶"), brief=True),
    Column("pairing_id", "结对编号", "Pairing"),
))


# ---- work teams (驻村工作队) ---------------------------------------------------------------


class TeamGapView(BaseModel):
    village_code: str
    township_code: str | None
    county_code: str | None
    problem: str = Field(description="no_work_team, no_team (no work group or helping unit), below_strength, no_first_secretary.", examples=["no_work_team"])
    poor_village: bool
    poor_people: int = Field(description="Registered poor people in the village on the day.")
    team_id: str | None = None
    members: int | None = Field(None, description="The team's members in post on the day.")
    since: dt.date
    days: int = Field(description="Days from since to as_of, both counted.")


def team_gap_view(row: TeamGap) -> TeamGapView:
    return TeamGapView(**row.__dict__)


TEAM_GAPS = Sheet("work-team-gaps", "驻村工作队缺口", "Work-team gaps", (
    *_where(),
    Column("problem", "问题", "Problem", lambda r, words: words.word(r.problem), brief=True),
    Column("poor_village", "贫困村", "Poor village", brief=True),
    Column("poor_people", "贫困人口", "Poor people", brief=True),
    Column("members", "在岗队员", "Members in post", brief=True),
    Column("since", "起始日期", "Since", brief=True),
    Column("days", "持续天数", "Days", brief=True),
    Column("team_id", "工作队编号", "Team"),
))


# ---- annual reduction plans (年度减贫计划) ---------------------------------------------------


class PlanResultView(BaseModel):
    unit_code: str
    level: str
    year: int
    set_by: str
    revision: int
    planned_households: int
    planned_people: int
    planned_villages: int | None = None
    exited_households: int
    exited_people: int
    exited_villages: int
    closed: bool = Field(description="Whether the year had ended by as_of.")
    completed: bool | None = Field(None, description="Once the year has closed: whether every planned figure was reached.")


def plan_result_view(row: PlanResult) -> PlanResultView:
    return PlanResultView(**row.__dict__)


PLAN_RESULTS = Sheet("plan-results", "年度减贫计划完成情况", "Reduction plan results", (
    named_column("unit", "unit_code", "单位", "Unit", brief=True),
    Column("unit_code", "单位代码", "Unit code"),
    Column("level", "层级", "Level", lambda r, words: words.word(r.level), brief=True),
    Column("year", "年度", "Year", brief=True),
    Column("planned_households", "计划脱贫户数", "Households planned", brief=True),
    Column("exited_households", "已脱贫户数", "Households exited", brief=True),
    Column("planned_people", "计划脱贫人数", "People planned", brief=True),
    Column("exited_people", "已脱贫人数", "People exited", brief=True),
    Column("planned_villages", "计划出列村数", "Villages planned"),
    Column("exited_villages", "已出列村数", "Villages exited"),
    Column("completed", "完成计划", "Completed", lambda r, words: words.pick("year not over", "年度未结束") if r.completed is None else r.completed, brief=True),
    named_column("unit", "set_by", "下达单位", "Set by"),
    Column("revision", "修订次数", "Revision"),
))


class OfficialView(BaseModel):
    person_id: str
    name: str
    role: str
    unit_code: str
    start_date: dt.date
    end_date: dt.date | None = None


def _officials(officials, words: Labels) -> str:
    return words.pick("; ", ";").join(f"{words.role(o.role)} {o.name}({o.start_date}–{o.end_date or words.pick('now', '今')})" for o in officials) or words.pick("vacant", "空缺")


class BonusView(BaseModel):
    village_code: str
    township_code: str | None
    county_code: str | None
    year: int
    outcome: str = Field(description="bonus (plan completed: 给予绩效奖励) or forfeited (取消年度绩效奖励).")
    planned_households: int
    exited_households: int
    planned_people: int
    exited_people: int
    members: list[OfficialView] = Field(description='The village committee (村"两委") members in post that year.')


def bonus_view(row: BonusRow) -> BonusView:
    return BonusView(**{**row.__dict__, "members": [OfficialView(**m.__dict__) for m in row.members]})


BONUS = Sheet("plan-bonus", "村两委年度绩效奖励名单", "Village committee bonus list", (
    *_where(),
    Column("year", "年度", "Year", brief=True),
    Column("outcome", "结果", "Outcome", lambda r, words: words.word(r.outcome), brief=True),
    Column("planned_households", "计划脱贫户数", "Households planned"),
    Column("exited_households", "已脱贫户数", "Households exited", brief=True),
    Column("planned_people", "计划脱贫人数", "People planned"),
    Column("exited_people", "已脱贫人数", "People exited"),
    Column("members", "村两委成员(任职期间)", "Committee members (tenure)", lambda r, words: _officials(r.members, words), brief=True),
))


class AccountabilityView(BaseModel):
    kind: str = Field(examples=["poor_household"])
    subject_id: str
    village_code: str
    township_code: str | None
    county_code: str | None
    planned_year: int
    exited_on: dt.date | None = Field(None, description="Its exit, when it came after the planned year.")
    officials: list[OfficialView] = Field(description="Who held the accountable posts during the planned year.")


def accountability_view(row: AccountabilityRow) -> AccountabilityView:
    return AccountabilityView(**{**row._asdict(), "officials": [OfficialView(**o.__dict__) for o in row.officials]})


ACCOUNTABILITY = Sheet("accountability", "未如期脱贫出列问责名单", "Accountability list", (
    *_where(),
    Column("kind", "类别", "Kind", lambda r, words: words.word(r.kind), brief=True),
    Column("subject_name", "对象", "Subject", named=lambda r: ("household" if r.kind == "poor_household" else "unit", r.subject_id), brief=True),
    Column("subject_id", "对象编号", "Subject code"),
    Column("planned_year", "计划年度", "Planned year", brief=True),
    Column("exited_on", "实际退出日期", "Exited on", brief=True),
    Column("officials", "责任人(任职期间)", "Officials held to account (tenure)", lambda r, words: _officials(r.officials, words), brief=True),
))
