"""/api/v1/visits: officials' field visits (走访) — recorded and voided by recorders within scope."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import Field

from api import limits
from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession, holding_rows, reading
from api.pagination import Cursor, Limit, Page, keyset
from api.routing import MAX_BODY_KEY, WRITE_PROBLEMS, resource_router
from api.asof import KnownAt
from api.schemas import Body, Day, Id, LocalMoment, Moment, View
from workflow.accounts import access, scope
from workflow.eventlog.versions import known_records
from workflow.imports import visits as visit_import
from workflow.visits import service as visits
from workflow.visits.models import Visit

router = resource_router("visits 走访")

TargetLevel = Literal["township", "village", "household"]


class VisitView(View):
    id: str
    visitor_id: str
    target_level: TargetLevel = Field(examples=["household"])
    target_id: str = Field(examples=["4312241002010001"])
    village_code: str | None = Field(None, examples=["431224100201"])
    township_code: str = Field(examples=["431224100000"])
    occurred_at: LocalMoment
    occurred_on: dt.date = Field(description="The local (Asia/Shanghai) date the visit counts for.")
    recorded_at: LocalMoment
    recorded_by: str = Field(description="The account that recorded it.")
    notes: str | None = Field(None, examples=["入户走访,了解收入和两不愁三保障情况"])
    latitude: float | None = Field(None, examples=[27.908])
    longitude: float | None = Field(None, examples=[110.594])
    voided_at: LocalMoment | None = None
    voided_by: str | None = None
    void_reason: str | None = None


class VisitCreate(Body):
    visitor_id: str = Field(min_length=1, max_length=64, description="The person who visited.")
    target_level: TargetLevel = Field(examples=["household"])
    target_id: str = Field(min_length=1, max_length=64, examples=["4312241002010001"])
    occurred_at: Moment = Field(description="When, with its offset; never in the future.", examples=["2017-07-01T00:30:00+08:00"])
    notes: str | None = Field(None, max_length=visits.MAX_NOTES, examples=["入户走访,核实务工收入"])
    latitude: float | None = Field(None, ge=-90, le=90, examples=[27.908])
    longitude: float | None = Field(None, ge=-180, le=180, examples=[110.594])


class VisitVoid(Body):
    reason: str = Field(min_length=1, max_length=2000, examples=["录入错误:走访对象应为金中村"])


class ImportResult(Body):
    imported: int = Field(description="Visits recorded from the file.", examples=[1200])
    import_id: str = Field(description="The import, as the log records it (event type visits.imported).")
    content_sha256: str = Field(description="SHA-256 of the file's bytes: the same file again is refused unless again=true.")
    migration: bool = Field(False, description="The import is marked as a migration: records of the time before the product kept them.")


Migration = Annotated[
    bool,
    Query(description="The file holds records of the time before the product kept them (e.g. 2014–2017): the log marks the import as a migration. 历史数据迁移导入。"),
]


@dataclasses.dataclass(frozen=True)
class UploadedFile:
    data: bytes
    content_type: str


async def _raw_file(request: Request) -> UploadedFile:
    # The file is the raw body (not multipart), so a retried upload has the same bytes
    # and the same Idempotency-Key fingerprint.
    return UploadedFile(await request.body(), request.headers.get("content-type", ""))


RawFile = Annotated[UploadedFile, Depends(_raw_file)]


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    file: visit_import.VisitFile
    again: bool


def _checked_file(
    request: Request,
    caller: CurrentCaller,
    body: RawFile,
    again: Annotated[bool, Query(description="Import the file even though the same content was imported before.")] = False,
) -> CheckedFile:
    # A dependency, so it runs before WriteSession: a file refused here never waits for,
    # nor holds, the write lock.
    access.require(caller, access.RECORD)
    file = visit_import.VisitFile.read(body.data, body.content_type)
    with reading(request) as session:
        visit_import.check_file(session, file, again=again, authorize=scope.visit_writes(session, caller), listed=limits.MAX_LISTED_PROBLEMS)
    return CheckedFile(file, again)


IMPORT_BODY = {
    MAX_BODY_KEY: limits.MAX_IMPORT_BODY,
    "requestBody": {
        "required": True,
        "description": "CSV with a header row (visitor_id,target_level,target_id,occurred_at[,notes,latitude,longitude,id]), or JSON lines with the same keys.",
        "content": {
            "text/csv": {"schema": {"type": "string"}, "example": "visitor_id,target_level,target_id,occurred_at,notes\n3f2b…,household,4312241002010001,2017-09-05T10:00:00+08:00,入户走访\n"},
            "application/x-ndjson": {"schema": {"type": "string"}, "example": '{"visitor_id": "3f2b…", "target_level": "village", "target_id": "431224100201", "occurred_at": "2017-09-12T10:00:00+08:00"}\n'},
        },
    }
}


@router.get("/visits", response_model=Page[VisitView], summary="List visits in scope / 走访记录列表")
def list_visits(
    caller: CurrentCaller,
    session: ReadSession,
    unit: Annotated[str | None, Query(max_length=32, description="Visits to this unit or anything below it.")] = None,
    visitor: Annotated[str | None, Query(max_length=64)] = None,
    target_level: TargetLevel | None = None,
    target: Annotated[str | None, Query(max_length=64, description="Visits that count for this target (with target_level).")] = None,
    occurred_from: Annotated[Day | None, Query(alias="from", description="First local date, inclusive.")] = None,
    occurred_to: Annotated[Day | None, Query(alias="to", description="Last local date, inclusive.")] = None,
    include_voided: bool = False,
    known_at: KnownAt = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[VisitView]:
    """Visits in time order (then by id); voided ones only with include_voided."""
    with known_records(session, known_at) as records:
        if unit is not None:
            scope.unit(records, caller, unit)
        query = visits.visits_query(
            records,
            unit_code=unit,
            visitor_id=visitor,
            target_level=target_level,
            target_id=target,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            include_voided=include_voided,
        )
        rows, next_cursor = keyset(records, scope.visits(caller, query), Visit.occurred_at, Visit.id, cursor=cursor, limit=limit)
        return Page(items=[VisitView.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/visits/{visit_id}", response_model=VisitView, summary="One visit / 单条走访记录")
def get_visit(visit_id: Id, caller: CurrentCaller, session: ReadSession) -> VisitView:
    """One visit, with who recorded it and when, and its void if it was voided."""
    return VisitView.model_validate(scope.visit(session, caller, visit_id))


@router.post("/visits", status_code=201, response_model=VisitView, responses=WRITE_PROBLEMS, summary="Record a visit / 登记走访")
def record_visit(body: VisitCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> VisitView:
    """Record a visit to a target within scope (recorders)."""
    access.require(caller, access.RECORD)
    with holding_rows(session):  # the checks of record_visit find the target the scope check loaded
        scope.visit_writes(session, caller)(body.visitor_id, body.target_level, body.target_id)
        visit = visits.record_visit(session, actor=caller.actor(), **body.model_dump())
    response.headers["Location"] = f"/api/v1/visits/{visit.id}"
    return VisitView.model_validate(visit)


@router.post("/visits/{visit_id}/void", response_model=VisitView, responses=WRITE_PROBLEMS, summary="Void a visit / 作废走访记录")
def void_visit(visit_id: Id, body: VisitVoid, caller: CurrentCaller, session: WriteSession) -> VisitView:
    """Void a wrong visit with a reason: it stops counting; the record stays (recorders)."""
    access.require(caller, access.RECORD)
    scope.visit(session, caller, visit_id)
    return VisitView.model_validate(visits.void_visit(session, actor=caller.actor(), visit_id=visit_id, reason=body.reason))


@router.post(
    "/visits/import",
    status_code=201,
    response_model=ImportResult,
    responses=WRITE_PROBLEMS,
    openapi_extra=IMPORT_BODY,
    summary="Import visits from a file, all or nothing / 批量导入走访",
)
def import_visits(caller: CurrentCaller, checked: Annotated[CheckedFile, Depends(_checked_file)], session: WriteSession, migration: Migration = False) -> ImportResult:
    """Record every visit in a CSV or JSON-lines file, or none: each bad line is reported with its number and reason
    (the first 100 listed). The same file (by content) is imported once: again, it is refused naming the earlier
    import, unless `again=true`."""
    imported = visit_import.import_file(
        session, checked.file, actor=caller.actor(), again=checked.again, migration=migration, authorize=scope.visit_writes(session, caller), listed=limits.MAX_LISTED_PROBLEMS
    )
    return ImportResult(imported=imported.visits, import_id=imported.id, content_sha256=imported.content_sha256, migration=imported.migration)
