"""What every report endpoint shares: its parameters, its scope check, its JSON page, its files."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth import CurrentCaller
from api.deps import ReadSession
from api.errors import language
from api.exports import CSV_TYPE, XLSX_TYPE, Column, Sheet, export
from api.pagination import Cursor, Limit, decode, offset_page
from api.schemas import Day, LocalMoment, Moment
from rules.schema import Level
from workflow import clock, rulebook
from workflow.accounts import scope
from workflow.accounts.access import Caller
from workflow.eventlog.versions import known_records
from workflow.exits.reports import WaitingCase, missing_signatures
from workflow.incidence.report import IncidenceRow, incidence_report, series

T = TypeVar("T")

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: JSON by default; a CSV or Excel file with format=csv|xlsx.",
        "content": {CSV_TYPE.split(";")[0]: {"schema": {"type": "string"}}, XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@dataclasses.dataclass(frozen=True)
class ReportRequest:
    caller: Caller
    session: Session
    unit: str
    as_of: dt.date
    known_at: dt.datetime | None
    format: str
    language: str
    cursor: str | None
    limit: int

    @property
    def rows_shown(self) -> int | None:
        """How many rows from the top of the report the response needs: a JSON page's, and one
        more to tell whether another page follows (as `offset_page` does); a file's, all (None)."""
        return (decode(self.cursor, "o") or 0) + self.limit + 1 if self.format == "json" else None



def report_request(
    request: Request,
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str, Query(min_length=1, max_length=32, description="Org unit code: the report covers its subtree.", examples=["431224000000"])],
    as_of: Annotated[Day | None, Query(description="Evaluate as of the end of this local date; today if omitted.", examples=["2017-09-30"])] = None,
    known_at: Annotated[Moment | None, Query(description="Ignore records recorded after this moment (what was known then).", examples=["2017-10-05T09:00:00+08:00"])] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json (paginated), or a csv / xlsx file of every row.")] = "json",
    lang: Annotated[Literal["zh", "en"] | None, Query(description="Column headers and labels; default from Accept-Language (zh).")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> ReportRequest:
    scope.unit(session, caller, unit)
    return ReportRequest(caller, session, unit, as_of or rulebook.today(), known_at, format, lang or language(request), cursor, limit)


Report = Annotated[ReportRequest, Depends(report_request)]


class ReportPage(BaseModel, Generic[T]):
    unit: str = Field(examples=["431224000000"])
    as_of: dt.date
    known_at: LocalMoment | None = None
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page.")


def respond(report: ReportRequest, rows: Sequence[Any], *, view: Callable[[Any], BaseModel], sheet: Sheet) -> Any:
    """A JSON page of `rows`, or every row as a file."""
    if report.format != "json":
        found = export(report.session, sheet, rows, language=report.language, unit_code=report.unit, as_of=report.as_of, known_at=report.known_at)
        return found.download(report.format)
    page, next_cursor = offset_page(list(rows), cursor=report.cursor, limit=report.limit)
    return ReportPage(unit=report.unit, as_of=report.as_of, known_at=report.known_at, items=[view(row) for row in page], next_cursor=next_cursor)


def file_or(response_model: type, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Route keyword arguments documenting a JSON page that may instead be a file (and any other `responses`)."""
    return {"response_model": response_model, "responses": {**FILE_RESPONSES, **(responses or {})}}


# ---- the rows of the reports that are more than one domain call (the API's and the CLI's)


def report_moment(as_of: dt.date) -> dt.datetime:
    """The end of `as_of` in the rule book's zone, or now if that is still to come."""
    return min(clock.end_of_day(as_of, rulebook.books().zone), clock.now())


def waiting_cases(
    session: Session, *, unit: str, as_of: dt.date, known_at: dt.datetime | None = None, level: str | None = None, blocked: bool | None = None
) -> list[WaitingCase]:
    """Missing signatures under `unit` as of the end of `as_of` (waits counted to then), as known at `known_at`."""
    at = report_moment(as_of)
    with known_records(session, known_at) as records:
        rows = missing_signatures(records, scope_code=unit, at=at)
    return [r for r in rows if (level is None or r.level == level) and (blocked is None or (r.blocked_by is not None) == blocked)]


def incidence_rows(
    session: Session, *, unit: str, as_of: dt.date, known_at: dt.datetime | None = None, start: dt.date | None = None, every: str = "year", level: Level | str | None = None
) -> list[IncidenceRow]:
    """Poverty incidence under `unit` at the end of each `every` from `start` to `as_of`, as known at `known_at`."""
    dates = series(as_of=as_of, start=start, every=every)
    with known_records(session, known_at) as records:
        return incidence_report(records, unit_code=unit, dates=dates, level=level)


def on_day_rows(read: Callable[..., Sequence[Any]], session: Session, *, unit: str, as_of: dt.date, known_at: dt.datetime | None = None) -> list[Any]:
    """The rows of a report evaluated on the day `as_of` over `unit` (`read(session, scope_code=, on=)`), as known at `known_at`."""
    with known_records(session, known_at) as records:
        return list(read(records, scope_code=unit, on=as_of))


__all__ = ["Column", "Report", "ReportPage", "Response", "file_or", "incidence_rows", "on_day_rows", "respond", "waiting_cases"]
