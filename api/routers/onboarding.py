"""Onboarding records from the office's own sheets (admins): one file of one kind, all or nothing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api import limits
from api.auth import CurrentCaller
from api.deps import WriteSession
from api.exports import XLSX_TYPE as XLSX
from api.routers.visits import Migration, RawFile
from api.routing import MAX_BODY_KEY, WRITE_PROBLEMS, resource_router
from api.schemas import Body
from workflow.accounts import access, scope
from workflow.imports import onboarding

router = resource_router("imports 批量导入")

Kind = Literal["units", "people", "posts", "households", "population", "pairings", "links"]


class Onboarded(Body):
    kind: Kind
    added: int = Field(description="Records the file added.")
    changed: int = Field(
        description="Records on file the file changed, each as its event: an end date (a tenure's, pairing's or link's; a concentrated township's exit), "
        "a corrected name, a year's rural population, a household's exit before the product (migrations only)."
    )
    unchanged: int = Field(description="Rows already on file as they are.")


@router.post(
    "/imports/{kind}",
    status_code=201,
    response_model=Onboarded,
    responses=WRITE_PROBLEMS,
    openapi_extra={
        MAX_BODY_KEY: limits.MAX_IMPORT_BODY,
        "requestBody": {
            "required": True,
            "description": "The file's bytes: an XLSX workbook (its first sheet) or CSV (UTF-8 or GBK), with the Chinese headers of "
            "`exit-tracker templates` or the English field names.",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}, "text/csv": {"schema": {"type": "string"}}},
        },
    },
    summary="Onboard records from a sheet / 批量导入基础档案",
)
def import_records(kind: Kind, caller: CurrentCaller, body: RawFile, session: WriteSession, migration: Migration = False) -> Onboarded:
    """Import units, people, posts, households (with their 建档立卡 date), pairings or links, all or nothing: each bad row
    is reported with its line and column (the first 100 listed) and nothing is written. Rows name units, people and
    households by the office's own codes; every unit and household a row names must lie in the caller's scope. A row
    already on file changes nothing; one that ends a tenure, pairing or link, corrects a name or gives a year's rural
    population records that as its event. A household's exit date is taken only in a migration (`migration=true`)."""
    access.require(caller, access.REGISTRY)
    done = onboarding.onboard(session, actor=caller.actor(), kind=kind, data=body.data, file_name="upload", migration=migration, authorize=scope.record_writes(session, caller), listed=limits.MAX_LISTED_PROBLEMS)
    return Onboarded(kind=kind, added=done.added, changed=done.changed, unchanged=done.unchanged)
