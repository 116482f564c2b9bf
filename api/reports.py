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
from api.exports import CSV_TYPE, XLSX_TYPE, Column, tabular
from api.pagination import Cursor, Limit, decode, offset_page
from api.schemas import Day, Moment
from workflow import clock, rulebook
from workflow.accounts import scope
from workflow.accounts.access import Caller

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

    @property
    def as_of_moment(self) -> dt.datetime:
        """The end of `as_of` in the rule book's zone, or now if that is still to come."""
        return min(clock.end_of_day(self.as_of, rulebook.books().latest().zone), clock.now())


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
    known_at: dt.datetime | None = None
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page.")


def respond(report: ReportRequest, rows: Sequence[Any], *, view: Callable[[Any], BaseModel], columns: Sequence[Column], name: str) -> Any:
    """A JSON page of `rows`, or every row as a file."""
    if report.format != "json":
        stamp = report.as_of.isoformat()
        return tabular(rows, columns, fmt=report.format, language=report.language, name=f"{name}-{report.unit}-{stamp}")
    page, next_cursor = offset_page(list(rows), cursor=report.cursor, limit=report.limit)
    return ReportPage(unit=report.unit, as_of=report.as_of, known_at=report.known_at, items=[view(row) for row in page], next_cursor=next_cursor)


def file_or(response_model: type, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Route keyword arguments documenting a JSON page that may instead be a file (and any other `responses`)."""
    return {"response_model": response_model, "responses": {**FILE_RESPONSES, **(responses or {})}}


__all__ = ["Column", "Report", "ReportPage", "Response", "file_or", "respond"]
