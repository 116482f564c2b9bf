"""/api/v1/audit/*: the event log, its verification, and the irregularity report (纪检监察).

Auditors and admins read the events about records in their scope (all of them at the top
of the tree) and verify the log: the chain is one for everybody, so it is checked whole,
and a table row that differs from the log is described only inside the caller's scope.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from api.auth import CurrentCaller
from api.deps import ReadSession
from api.exports import Column, Sheet, named_column
from api.pagination import Cursor, Limit, encode, decode
from api.reports import Report, ReportPage, file_or, respond
from api.routers.history import EventView
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Day, LocalMoment, Moment
from workflow.accounts import access, scope
from workflow.accounts.access import Caller
from workflow.audit import history
from workflow.audit.checkpoint import coverage
from workflow.audit.irregularities import KINDS, Irregularity, irregularities
from workflow.audit.verify import audit

router = resource_router("audit 审计")


class EventPage(BaseModel):
    items: list[EventView]
    next_cursor: str | None = None


@router.get("/audit/events", response_model=EventPage, responses={403: WRITE_PROBLEMS[403]}, summary="The event log / 事件日志")
def list_events(
    caller: CurrentCaller,
    session: ReadSession,
    entity_type: Annotated[str | None, Query(max_length=32, examples=["household"])] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=64, description="The account that recorded the event.")] = None,
    on_behalf_of: Annotated[str | None, Query(max_length=64, description="The person it was recorded for.")] = None,
    type: Annotated[str | None, Query(max_length=64, examples=["exit_case.signed"])] = None,
    recorded_from: Annotated[Moment | None, Query(examples=["2017-07-01T00:00:00+08:00"])] = None,
    recorded_to: Annotated[Moment | None, Query(examples=["2017-08-01T00:00:00+08:00"])] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> EventPage:
    """Events in log order with who recorded them, for whom, when they happened and when recorded:
    those about records in the caller's scope (the whole log for an account scoped to a top unit)."""
    access.require(caller, access.AUDIT)
    after = decode(cursor, "o") or 0
    where = history.EventFilter(entity_type, entity_id, actor, on_behalf_of, type, recorded_from, recorded_to)
    rows = history.events(session, where, after_seq=after, limit=limit + 1, within=scope.events(caller))
    more = len(rows) > limit
    rows = rows[:limit]
    return EventPage(items=[_view(e) for e in rows], next_cursor=encode({"o": rows[-1].seq}) if more else None)


def _view(event) -> EventView:
    fields = {k: getattr(event, k) for k in EventView.model_fields if k != "payload"}
    return EventView(**fields, payload=json.loads(event.payload))


class ChainBreakView(BaseModel):
    seq: int
    problem: str


class ProjectionDifferenceView(BaseModel):
    table: str
    key: dict[str, Any]
    problem: str
    columns: dict[str, list[Any]] = Field(description="column → [live, replayed]")
    last_event_seq: int | None
    outside_scope: bool = Field(False, description="The row lies outside the caller's scope: only its table and the kind of problem are shown. "
                                "该行不在本账号范围内,只显示表名和问题类别。")


class VerifyView(BaseModel):
    intact: bool
    events: int
    head_seq: int
    head_hash: str
    chain_break: ChainBreakView | None
    projection_difference: ProjectionDifferenceView | None
    newest_checkpoint_seq: int | None = Field(description="The newest checkpoint the server signed and kept (null: none).")
    uncovered_events: int = Field(description="Events after it, which no kept checkpoint covers yet.")
    checkpoint_problem: str | None = Field(description="Why the newest kept checkpoint fails to verify, if it does.")


@router.get("/audit/verify", response_model=VerifyView, responses={403: WRITE_PROBLEMS[403]}, summary="Verify the log and tables / 校验日志与数据")
def verify(caller: CurrentCaller, session: ReadSession) -> VerifyView:
    """Recompute the hash chain and compare every table with a replay of the log; name the first break.

    The chain is one for the whole log and is always checked whole; a differing table row is
    described in full only when the last event about it lies in the caller's scope."""
    access.require(caller, access.AUDIT)
    report = audit(session)
    diff = report.projection
    kept = coverage(session, report.chain)
    return VerifyView(
        intact=report.intact and kept.problem is None,
        newest_checkpoint_seq=kept.newest_seq,
        uncovered_events=kept.uncovered,
        checkpoint_problem=kept.problem,
        events=report.chain.events,
        head_seq=report.chain.head_seq,
        head_hash=report.chain.head_hash,
        chain_break=ChainBreakView(seq=report.chain.first_break.seq, problem=report.chain.first_break.problem) if report.chain.first_break else None,
        projection_difference=_difference_view(session, caller, diff) if diff else None,
    )


def _difference_view(session, caller: Caller, diff) -> ProjectionDifferenceView:
    shown = scope.whole_log(caller) or (diff.last_event_seq is not None and scope.event_seen(session, caller, diff.last_event_seq))
    if not shown:
        # A replay's failure names its event; outside the scope only that it failed is said.
        problem = diff.problem if diff.table != "(replay)" else "the log cannot be replayed past an event outside this scope"
        return ProjectionDifferenceView(table=diff.table, key={}, problem=problem, columns={}, last_event_seq=None, outside_scope=True)
    return ProjectionDifferenceView(
        table=diff.table, key={k: str(v) for k, v in diff.key.items()}, problem=diff.problem,
        columns={k: [_plain(a), _plain(b)] for k, (a, b) in diff.columns.items()}, last_event_seq=diff.last_event_seq,
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


class IrregularityView(BaseModel):
    kind: str = Field(examples=["signature_without_visit"])
    kind_label: str = Field(examples=["签字前规定期限内未走访该对象"])
    record_type: str = Field(examples=["signature"])
    record_id: str
    person_id: str
    person_name: str = Field(examples=["舒春生"])
    unit_code: str = Field(examples=["431224100201"])
    occurred_at: LocalMoment
    recorded_at: LocalMoment
    detail: str


def _label(row: Irregularity, language: str) -> str:
    en, zh = KINDS[row.kind]
    return en if language == "en" else zh


IRREGULARITIES = Sheet("irregularities", "异常情况", "Irregularities", (
    Column("kind", "类别", "Kind", lambda r, words: _label(r, words.language)),
    Column("record_type", "记录类型", "Record type"),
    Column("record_id", "记录编号", "Record id"),
    Column("person_name", "人员", "Person"),
    named_column("unit", "unit_code", "单位", "Unit"),
    Column("unit_code", "单位代码", "Unit code"),
    Column("occurred_at", "发生时间", "Occurred at"),
    Column("recorded_at", "录入时间", "Recorded at"),
    Column("detail", "说明", "Detail", lambda r, words: words.pick(r.detail_en, r.detail_zh)),
))


def _inspector(caller: CurrentCaller) -> Caller:
    # A dependency of its own so the role is checked before the report's unit is looked up.
    access.require(caller, access.INSPECT)
    return caller


@router.get("/reports/irregularities", summary="Irregularities / 异常情况", **file_or(ReportPage[IrregularityView], {403: WRITE_PROBLEMS[403]}))
def irregularity_report(
    _caller: Annotated[Caller, Depends(_inspector)],
    report: Report,
    start: Annotated[Day | None, Query(alias="from", description="First day of the period (local); 1 January of as_of's year if omitted.", examples=["2017-06-01"])] = None,
    kind: Annotated[list[str] | None, Query(max_length=10, description="Only these kinds, repeatable.", examples=[["backfilled_visit"]])] = None,
    include_migrated: Annotated[
        bool, Query(description="Also list as back-filled the visits loaded by an import marked as a migration (records of the time before the product kept them). 含迁移导入的历史走访。")
    ] = False,
):
    """Signatures without a prior visit, back-filled visits, visits outside tenure, implausible travel,
    proxy signatures without a document — among records that occurred from `from` to `as_of`."""
    first = start or report.as_of.replace(month=1, day=1)
    rows = irregularities(report.session, scope_code=report.unit, first=first, last=report.as_of, include_migrated=include_migrated)
    if kind:
        rows = [r for r in rows if r.kind in kind]

    def view(row: Irregularity) -> IrregularityView:
        return IrregularityView(
            kind=row.kind, kind_label=_label(row, report.language), record_type=row.record_type, record_id=row.record_id,
            person_id=row.person_id, person_name=row.person_name, unit_code=row.unit_code, occurred_at=row.occurred_at,
            recorded_at=row.recorded_at, detail=row.detail_en if report.language == "en" else row.detail_zh,
        )

    return respond(report, rows, view=view, sheet=IRREGULARITIES)
