"""The rows of the four reports as the API shows them, and their columns in files."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from api.exports import DAYS, RATE, Column, Labels, Sheet, named_column
from api.schemas import LocalMoment
from workflow.exits.reports import WaitingCase
from workflow.incidence.report import IncidenceRow
from workflow.obligations.evaluate import ObligationRow
from workflow.obligations.reports import Score, StatusCounts, UnitTotals


# ---- overdue visits -------------------------------------------------------------------


class PeriodStatusView(BaseModel):
    period: str = Field(examples=["2017-08"])
    status: str = Field(description="met, missed (closed, owed, not met), not_owed, or for the current period due / pending", examples=["missed"])


class ObligationView(BaseModel):
    rule_id: str = Field(examples=["V7"])
    post_id: str
    person_id: str
    person_name: str | None = Field(None, examples=["舒春生"])
    role: str = Field(examples=["township_cadre"])
    unit_code: str = Field(examples=["431224100000"])
    township_code: str | None = None
    county_code: str | None = None
    target_level: str | None = Field(None, examples=["household"])
    target_id: str | None = Field(None, examples=["4312241002010001"])
    target_name: str | None = Field(None, examples=["向桂兰"])
    source_id: str | None = Field(None, description="The pairing (结对) or unit link (联系村) the row follows, for V7 and V3 rows: "
                                  "a pairing ended and renewed gives two rows, told apart by it. 结对或联系村记录编号。")
    status: str = Field(description="overdue, or else the current period's status", examples=["overdue"])
    current_period: str = Field(examples=["2017-09"])
    current_status: str = Field(examples=["due"])
    missed_periods: list[str] = Field(examples=[["2017-08"]])
    periods_owed: int
    periods_met: int
    last_visit_on: dt.date | None = None
    days_overdue: int | None = Field(None, examples=[29])
    periods: list[PeriodStatusView] = Field(description="Each period of the report's window, oldest first, with its status. 窗口内各周期及其状态。")


class CountsView(BaseModel):
    instances: int
    overdue: int
    due: int
    pending: int
    met: int
    not_owed: int
    missed_periods: int


class UnitTotalsView(BaseModel):
    unit_code: str
    unit_name: str = Field(examples=["北斗溪镇"])
    counts: CountsView


def obligation_view(row: ObligationRow) -> ObligationView:
    fields = {name: getattr(row, name) for name in ObligationView.model_fields if name != "periods"}
    return ObligationView(**fields, periods=[PeriodStatusView(period=label, status=status) for label, status in row.periods])


def counts_view(counts: StatusCounts) -> CountsView:
    return CountsView(**counts.__dict__)


def totals_view(totals: UnitTotals) -> UnitTotalsView:
    return UnitTotalsView(unit_code=totals.unit_code, unit_name=totals.unit_name, counts=counts_view(totals.counts))


def _period_statuses(row: ObligationRow, words: Labels) -> str:
    return "; ".join(f"{words.period(label)} {words.word(status)}" for label, status in row.periods)


OVERDUE = Sheet("overdue-visits", "走访逾期报表", "Overdue visits", (
    named_column("unit", "county_code", "县(市区)", "County", brief=True),
    Column("county_code", "县(市区)代码", "County code"),
    named_column("unit", "township_code", "乡镇", "Township", brief=True),
    Column("township_code", "乡镇代码", "Township code"),
    named_column("unit", "unit_code", "任职单位", "Unit of the post"),
    Column("unit_code", "任职单位代码", "Unit code"),
    Column("rule_id", "走访规则", "Rule", brief=True),
    Column("role", "职务", "Role", lambda r, words: words.role(r.role), brief=True),
    Column("person_name", "姓名", "Official", brief=True),
    Column("target_name", "走访对象", "Target", brief=True),
    Column("target_id", "走访对象编号", "Target code"),
    Column("target_level", "对象层级", "Target level", lambda r, words: words.word(r.target_level)),
    Column("status", "状态", "Status", lambda r, words: words.word(r.status), brief=True),
    Column("current_period", "当前周期", "Current period", lambda r, words: words.period(r.current_period)),
    Column("current_status", "当前周期状态", "Current period status", lambda r, words: words.word(r.current_status)),
    Column("missed_periods", "漏访周期", "Missed periods", lambda r, words: [words.period(p) for p in r.missed_periods], brief=True),
    Column("periods_owed", "应访周期数", "Periods owed"),
    Column("periods_met", "已访周期数", "Periods met"),
    Column("last_visit_on", "最近走访日期", "Last visit", brief=True),
    Column("days_overdue", "逾期天数", "Days overdue", shape=DAYS, brief=True),
    Column("periods", "各周期状态", "Status of each period", _period_statuses),
    Column("source_id", "结对/联系编号", "Pairing or link"),
))


# ---- scorecard ---------------------------------------------------------------------------


class ScoreView(BaseModel):
    rank: int
    person_id: str
    person_name: str = Field(examples=["舒春生"])
    periods_owed: int
    periods_met: int
    periods_missed: int
    on_time_rate: float | None = Field(None, description="met ÷ owed; null when nothing was owed yet", examples=[0.75])


def score_view(score: Score) -> ScoreView:
    return ScoreView(**score._asdict())


SCORECARD = Sheet("scorecard", "走访考核排名", "Officials' scorecard", (
    Column("rank", "排名", "Rank", brief=True),
    Column("person_name", "姓名", "Official", brief=True),
    Column("periods_owed", "应访周期数", "Periods owed", brief=True),
    Column("periods_met", "按期走访", "Periods met", brief=True),
    Column("periods_missed", "漏访", "Periods missed", brief=True),
    Column("on_time_rate", "按期率", "On-time rate", shape=RATE, brief=True),
))


# ---- missing signatures -----------------------------------------------------------------


class Holder(BaseModel):
    person_id: str
    name: str = Field(examples=["舒德明"])


class MissingRoleView(BaseModel):
    role: str = Field(examples=["village_director"])
    role_zh: str = Field(examples=["村委会主任"])
    role_en: str
    unit_code: str | None = Field(description="The unit whose post signs; null where the tree has no unit of that level (a city at the top has no province).")
    unit_name: str | None = Field(examples=["坪溪村"])
    holders: list[Holder] = Field(description="Who holds the post now: whom to call. Empty: the post is vacant.")


class WaitingCaseView(BaseModel):
    case_id: str
    level: str = Field(examples=["household"])
    subject_id: str = Field(examples=["4312241002010001"])
    unit_code: str
    status: str = Field(examples=["in_notice"])
    step: str
    step_zh: str = Field(examples=["村党支部书记、村委会主任共同签字"])
    step_en: str
    signed: list[str]
    missing: list[MissingRoleView]
    waiting_since: LocalMoment
    waited_days: float = Field(examples=[12.5])
    blocked_by: str | None = Field(None, description="notice_period_running or objection_open: why nobody can sign yet.")


def waiting_view(case: WaitingCase) -> WaitingCaseView:
    return WaitingCaseView(
        **{k: getattr(case, k) for k in ("case_id", "level", "subject_id", "unit_code", "status", "step", "step_zh", "step_en", "waiting_since", "blocked_by")},
        signed=list(case.signed),
        missing=[MissingRoleView(**{**m.__dict__, "holders": [Holder(**h.__dict__) for h in m.holders]}) for m in case.missing],
        waited_days=round(case.waited.total_seconds() / 86400, 1),
    )


def missing_text(case: WaitingCase, words: Labels) -> str:
    parts = []
    for m in case.missing:
        who = "、".join(h.name for h in m.holders) or words.pick("vacant", "空缺")
        parts.append(f"{words.pick(m.role_en, m.role_zh)}({who})")
    return words.pick("; ", ";").join(parts)


MISSING_SIGNATURES = Sheet("missing-signatures", "缺签报表", "Missing signatures", (
    Column("case_id", "案件编号", "Case"),
    Column("level", "层级", "Level", lambda c, words: words.word(c.level), brief=True),
    Column("subject_name", "退出对象", "Subject", named=lambda c: ("household" if c.level == "household" else "unit", c.subject_id), brief=True),
    Column("subject_id", "退出对象编号", "Subject code"),
    named_column("unit", "unit_code", "所在单位", "Unit", brief=True),
    Column("unit_code", "所在单位代码", "Unit code"),
    Column("status", "状态", "Status", lambda c, words: words.word(c.status), brief=True),
    Column("step", "待签步骤", "Step waiting", lambda c, words: words.pick(c.step_en, c.step_zh)),
    Column("missing", "缺少签字(现任人员)", "Missing signatures (current holders)", missing_text, brief=True),
    Column("waiting_since", "等待起始", "Waiting since"),
    Column("waited", "已等待天数", "Days waited", shape=DAYS, brief=True),
    Column("blocked_by", "受阻原因", "Blocked by", lambda c, words: words.word(c.blocked_by), brief=True),
))


# ---- poverty incidence ----------------------------------------------------------------


class IncidenceView(BaseModel):
    unit_code: str = Field(examples=["431224000000"])
    unit_name: str = Field(examples=["溆浦县"])
    level: str
    date: dt.date
    poor_households: int
    poor_population: int = Field(examples=[2870])
    poor_villages: int = Field(examples=[12])
    poor_townships: int = Field(examples=[3])
    rural_population: int | None = Field(None, examples=[46300])
    rural_population_complete: bool = Field(description="False when a village's rural population is unknown: no incidence is given then.")
    incidence: float | None = Field(None, description="Poor ÷ rural population, 4 decimals (0.062 is 6.2 %).", examples=[0.062])
    threshold: float = Field(description="The rule book's exit threshold on that date.", examples=[0.02])
    below_threshold: bool | None = None


def incidence_view(row: IncidenceRow) -> IncidenceView:
    data = dict(row.__dict__)
    data["incidence"] = float(row.incidence) if row.incidence is not None else None
    data["threshold"] = float(row.threshold)
    return IncidenceView(**data)


INCIDENCE = Sheet("incidence", "贫困发生率", "Poverty incidence", (
    Column("unit_name", "单位", "Unit", brief=True),
    Column("unit_code", "单位代码", "Unit code"),
    Column("level", "层级", "Level", lambda r, words: words.word(r.level), brief=True),
    Column("date", "日期", "Date", brief=True),
    Column("poor_households", "贫困户数", "Poor households", brief=True),
    Column("poor_population", "贫困人口", "Poor population", brief=True),
    Column("poor_villages", "贫困村数", "Poor villages", brief=True),
    Column("poor_townships", "贫困人口集中乡镇数", "Townships with a concentrated poor population"),
    Column("rural_population", "农村人口", "Rural population", brief=True),
    Column("incidence", "贫困发生率", "Poverty incidence", shape=RATE, brief=True),
    Column("threshold", "退出标准", "Exit threshold", shape=RATE),
    Column("below_threshold", "低于退出标准", "Below threshold", brief=True),
))
