"""/api/v1/reports/*: overdue visits, missing signatures, scorecard, poverty incidence, and the
source's other duties: unpaired households, pairing coverage, deep-poverty advisories, work-team
gaps, reduction-plan results and, after a year, the bonus and accountability lists.

Each report covers the subtree of `unit` (which must lie in the caller's scope), is
evaluated as of the end of `as_of` and, with `known_at`, from only what had been recorded
by then; JSON pages by default, or every row as CSV / Excel (api/reports.py).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Literal

from fastapi import Query
from pydantic import Field

from api.reports import Report, ReportPage, file_or, incidence_rows, on_day_rows, respond, waiting_cases
from api.routing import resource_router
from api.schemas import Day
from api.views.reports import (
    INCIDENCE,
    MISSING_SIGNATURES,
    OVERDUE,
    SCORECARD,
    CountsView,
    IncidenceView,
    ObligationView,
    ScoreView,
    UnitTotalsView,
    WaitingCaseView,
    counts_view,
    incidence_view,
    obligation_view,
    score_view,
    totals_view,
    waiting_view,
)
from api.views.duties import (
    ACCOUNTABILITY,
    ADVISORIES,
    BONUS,
    PLAN_RESULTS,
    COVERAGE,
    TEAM_GAPS,
    UNPAIRED,
    AccountabilityView,
    AdvisoryView,
    BonusView,
    PlanResultView,
    CoverageView,
    TeamGapView,
    UnpairedView,
    accountability_view,
    advisory_view,
    bonus_view,
    plan_result_view,
    coverage_view,
    team_gap_view,
    unpaired_view,
)
from rules.schema import Level
from workflow.pairings.reports import deep_poverty_advisories, pairing_coverage, unpaired_households
from workflow.plans.reports import accountability_list, bonus_list, plan_results
from workflow.teams.reports import PROBLEMS, team_gaps
from workflow.obligations.reports import overdue_report, scorecard

router = resource_router("reports 报表")

Rules = Annotated[list[Annotated[str, Field(max_length=16)]] | None, Query(alias="rule", max_length=20, description="Visit rule ids, repeatable.", examples=[["V7"]])]
Roles = Annotated[list[Annotated[str, Field(max_length=64)]] | None, Query(alias="role", max_length=20, description="Role codes, repeatable.", examples=[["township_cadre"]])]
From = Annotated[
    dt.date | None,
    Query(
        alias="from",
        description="Evaluate every period from the one containing this date (e.g. 2018-01-01 on 2019-01-15 for a year-end review); "
        "default: as_of's campaign year and the latest closed period. 自该日所在周期起评估。",
        examples=["2018-01-01"],
    ),
]


class OverduePage(ReportPage[ObligationView]):
    rule_book: str = Field(examples=["hunan-2017"])
    rules: list[str] = Field(examples=[["V1", "V2", "V3", "V4", "V5", "V6", "V7"]])
    townships: list[UnitTotalsView] = Field(description="Totals per township (every row the rule and role filters keep).")
    counties: list[UnitTotalsView]
    total: CountsView


@router.get("/reports/overdue-visits", summary="Overdue visits / 走访逾期报表", **file_or(OverduePage))
def overdue_visits(
    report: Report,
    rule: Rules = None,
    role: Roles = None,
    status: Annotated[list[Literal["overdue", "due", "pending", "met", "not_owed"]] | None, Query(max_length=5, description="Row statuses to keep, repeatable.")] = None,
    person: Annotated[str | None, Query(max_length=64, description="One official's obligations.")] = None,
    start: From = None,
):
    """One row per obligation instance (post, official, rule, target): last visit, missed periods, current status, days overdue."""
    found = overdue_report(
        report.session, unit_code=report.unit, as_of=report.as_of, known_at=report.known_at, rules=rule, roles=role, statuses=status, person_id=person, first=report.rows_shown, from_=start
    )
    page = respond(report, found.rows, view=obligation_view, sheet=OVERDUE)
    if not isinstance(page, ReportPage):
        return page
    return OverduePage(
        **page.model_dump(exclude={"items"}),
        items=page.items,
        rule_book=found.rule_book,
        rules=list(found.rules),
        townships=[totals_view(t) for t in found.townships],
        counties=[totals_view(t) for t in found.counties],
        total=counts_view(found.total),
    )


@router.get("/reports/scorecard", summary="Officials' scorecard / 走访考核排名", **file_or(ReportPage[ScoreView]))
def officials_scorecard(report: Report, rule: Rules = None, role: Roles = None, start: From = None):
    """Each official of the subtree: closed periods owed, met and missed, and the on-time rate, best first."""
    found = scorecard(report.session, unit_code=report.unit, as_of=report.as_of, known_at=report.known_at, rules=rule, roles=role, from_=start)
    return respond(report, found.scores, view=score_view, sheet=SCORECARD)


@router.get("/reports/missing-signatures", summary="Missing signatures / 缺签报表", **file_or(ReportPage[WaitingCaseView]))
def missing_signatures_report(
    report: Report,
    level: Literal["household", "village", "county"] | None = None,
    blocked: Annotated[bool | None, Query(description="true: only cases nobody can sign yet; false: only cases ready to sign.")] = None,
):
    """Open exit cases waiting for signatures, longest wait first: the step, the roles missing, who holds them now."""
    rows = waiting_cases(report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at, level=level, blocked=blocked)
    return respond(report, rows, view=waiting_view, sheet=MISSING_SIGNATURES)


@router.get("/reports/incidence", summary="Poverty incidence over time / 贫困发生率", **file_or(ReportPage[IncidenceView]))
def incidence(
    report: Report,
    start: Annotated[Day | None, Query(alias="from", description="First date of the series; only `as_of` if omitted.", examples=["2014-01-01"])] = None,
    every: Annotated[Literal["month", "quarter", "year"], Query(description="Step of the series.")] = "year",
    level: Annotated[Level | None, Query(description="Every unit of this level below `unit`; default: `unit` and its direct children.")] = None,
):
    """Poverty incidence (贫困发生率) of the unit and its parts at the end of each period up to `as_of`."""
    rows = incidence_rows(report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at, start=start, every=every, level=level)
    return respond(report, rows, view=incidence_view, sheet=INCIDENCE)


# ---- the source's other duties, each evaluated on the day as_of --------------------------


@router.get("/reports/unpaired-households", summary="Unpaired poor households / 未结对贫困户", **file_or(ReportPage[UnpairedView]))
def unpaired(report: Report):
    """Registered poor households no pairing covers on `as_of` (结对帮扶全覆盖), by county and township: since when, and the township's cadres with room under the cap."""
    rows = on_day_rows(unpaired_households, report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at)
    return respond(report, rows, view=unpaired_view, sheet=UNPAIRED)


@router.get("/reports/pairing-coverage", summary="Pairing coverage / 结对帮扶覆盖率", **file_or(ReportPage[CoverageView]))
def coverage(report: Report):
    """Paired ÷ registered poor households on `as_of`: the unit, then each county, township and village below it."""
    rows = on_day_rows(pairing_coverage, report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at)
    return respond(report, rows, view=coverage_view, sheet=COVERAGE)


@router.get("/reports/deep-poverty-advisories", summary="Deep-poverty pairing advisories / 深度贫困户结对提示", **file_or(ReportPage[AdvisoryView]))
def advisories(report: Report):
    """Deep-poverty households paired on `as_of` with a cadre holding no party leading post (优先考虑安排党员领导干部): advisories, not refusals."""
    rows = on_day_rows(deep_poverty_advisories, report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at)
    return respond(report, rows, view=advisory_view, sheet=ADVISORIES)


@router.get("/reports/work-team-gaps", summary="Work-team gaps / 驻村工作队缺口", **file_or(ReportPage[TeamGapView]))
def work_team_gaps(
    report: Report,
    problem: Annotated[list[Literal[PROBLEMS]] | None, Query(max_length=4, description="Problems to keep, repeatable.")] = None,  # type: ignore[valid-type]
):
    """Villages without the team they need on `as_of` (驻村工作队全覆盖), teams below strength and teams without a 第一书记, by county and township, since when."""
    rows = on_day_rows(team_gaps, report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at)
    return respond(report, [r for r in rows if problem is None or r.problem in problem], view=team_gap_view, sheet=TEAM_GAPS)


PlanYear = Annotated[int | None, Query(ge=2000, le=2100, description="Campaign year; default: as_of's year (results) or the latest year closed by as_of (lists).", examples=[2017])]


@router.get("/reports/plan-results", summary="Reduction plan results / 年度减贫计划完成情况", **file_or(ReportPage[PlanResultView]))
def reduction_plan_results(report: Report, year: PlanYear = None):
    """Each unit's plan for the year against the households, people and villages exited by `as_of`; completed or not once the year has closed."""
    rows = on_day_rows(partial(plan_results, year=year), report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at)
    return respond(report, rows, view=plan_result_view, sheet=PLAN_RESULTS)


@router.get("/reports/plan-bonus", summary="Village committee bonus list / 村两委绩效奖励名单", **file_or(ReportPage[BonusView]))
def plan_bonus(report: Report, year: PlanYear = None):
    """After the year: villages that completed their plan (bonus) and did not (forfeited), with the committee members (村"两委") in post that year."""
    rows = on_day_rows(partial(bonus_list, year=year), report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at)
    return respond(report, rows, view=bonus_view, sheet=BONUS)


@router.get("/reports/accountability", summary="Accountability list / 未如期脱贫出列问责名单", **file_or(ReportPage[AccountabilityView]))
def accountability(report: Report, year: PlanYear = None):
    """After the planned year: poor villages and households not exited by its end, and who held the accountable posts that year (不摘贫帽摘官帽)."""
    rows = on_day_rows(partial(accountability_list, year=year), report.session, unit=report.unit, as_of=report.as_of, known_at=report.known_at)
    return respond(report, rows, view=accountability_view, sheet=ACCOUNTABILITY)
