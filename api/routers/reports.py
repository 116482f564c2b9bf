"""/api/v1/reports/*: overdue visits, missing signatures, scorecard, poverty incidence.

Each report covers the subtree of `unit` (which must lie in the caller's scope), is
evaluated as of the end of `as_of` and, with `known_at`, from only what had been recorded
by then; JSON pages by default, or every row as CSV / Excel (api/reports.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query
from pydantic import Field

from api.reports import Report, ReportPage, file_or, incidence_rows, respond, waiting_cases
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
from rules.schema import Level
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
