"""The rows of the reports on the source's other duties — pairing coverage (结对帮扶全覆盖) and
resident work teams (驻村工作队) — as the API shows them, and their columns in files."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.exports import RATE, Column, Labels, Sheet, named_column
from workflow.pairings.reports import Coverage, DeepPovertyAdvisory, UnpairedHousehold
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
    return AdvisoryView(**{**row.__dict__, "cadre_roles": list(row.cadre_roles)})


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
