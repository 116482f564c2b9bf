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

from api.asof import at_moment
from api.reports import Report, ReportPage, file_or, respond
from api.routing import resource_router
from api.schemas import Day
from api.views.reports import (
    INCIDENCE_COLUMNS,
    MISSING_COLUMNS,
    OVERDUE_COLUMNS,
    SCORE_COLUMNS,
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
from workflow.exits.reports import missing_signatures
from workflow.incidence.report import incidence_report, series
from workflow.obligations.reports import overdue_report, scorecard

router = resource_router("reports 报表")

Rules = Annotated[list[Annotated[str, Field(max_length=16)]] | None, Query(alias="rule", max_length=20, description="Visit rule ids, repeatable.", examples=[["V7"]])]
Roles = Annotated[list[Annotated[str, Field(max_length=64)]] | None, Query(alias="role", max_length=20, description="Role codes, repeatable.", examples=[["township_cadre"]])]


def _known(report, read):
    """`read(session)` on the live records, or on the records as known at `known_at`."""
    return at_moment(report.session, report.known_at, read, field="known_at")


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
):
    """One row per obligation instance (post, official, rule, target): last visit, missed periods, current status, days overdue."""
    found = overdue_report(
        report.session, unit_code=report.unit, as_of=report.as_of, known_at=report.known_at, rules=rule, roles=role, statuses=status, person_id=person, first=report.rows_shown
    )
    page = respond(report, found.rows, view=obligation_view, columns=OVERDUE_COLUMNS, name="overdue-visits")
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
def officials_scorecard(report: Report, rule: Rules = None, role: Roles = None):
    """Each official of the subtree: closed periods owed, met and missed, and the on-time rate, best first."""
    found = scorecard(report.session, unit_code=report.unit, as_of=report.as_of, known_at=report.known_at, rules=rule, roles=role)
    return respond(report, found.scores, view=score_view, columns=SCORE_COLUMNS, name="scorecard")


@router.get("/reports/missing-signatures", summary="Missing signatures / 缺签报表", **file_or(ReportPage[WaitingCaseView]))
def missing_signatures_report(
    report: Report,
    level: Literal["household", "village", "county"] | None = None,
    blocked: Annotated[bool | None, Query(description="true: only cases nobody can sign yet; false: only cases ready to sign.")] = None,
):
    """Open exit cases waiting for signatures, longest wait first: the step, the roles missing, who holds them now."""
    at = report.as_of_moment
    rows = _known(report, lambda session: missing_signatures(session, scope_code=report.unit, at=at))
    rows = [r for r in rows if (level is None or r.level == level) and (blocked is None or (r.blocked_by is not None) == blocked)]
    return respond(report, rows, view=waiting_view, columns=MISSING_COLUMNS, name="missing-signatures")


@router.get("/reports/incidence", summary="Poverty incidence over time / 贫困发生率", **file_or(ReportPage[IncidenceView]))
def incidence(
    report: Report,
    start: Annotated[Day | None, Query(alias="from", description="First date of the series; only `as_of` if omitted.", examples=["2014-01-01"])] = None,
    every: Annotated[Literal["month", "quarter", "year"], Query(description="Step of the series.")] = "year",
    level: Annotated[Level | None, Query(description="Every unit of this level below `unit`; default: `unit` and its direct children.")] = None,
):
    """Poverty incidence (贫困发生率) of the unit and its parts at the end of each period up to `as_of`."""
    dates = series(as_of=report.as_of, start=start, every=every)
    rows = _known(report, lambda session: incidence_report(session, unit_code=report.unit, dates=dates, level=level))
    return respond(report, rows, view=incidence_view, columns=INCIDENCE_COLUMNS, name="incidence")
