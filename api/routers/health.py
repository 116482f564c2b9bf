"""GET /api/v1/health: version, database engine, rule book in force."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from pydantic import BaseModel

from workflow import rulebook

router = APIRouter(tags=["health"])


class RuleBookInForce(BaseModel):
    id: str
    title: str
    effective_from: str
    time_zone: str


class Health(BaseModel):
    status: str
    version: str
    database: str
    rule_book: RuleBookInForce | None


def product_version() -> str:
    try:
        return version("exit-tracker")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("/health", response_model=Health, summary="Service health / 服务状态")
def health(request: Request) -> Health:
    """The running version, the database engine and the rule book in force today."""
    book = rulebook.in_force(rulebook.today(), otherwise=None)
    return Health(
        status="ok",
        version=product_version(),
        database=request.app.state.engine.dialect.name,
        rule_book=RuleBookInForce(id=book.id, title=book.title, effective_from=book.effective_from.isoformat(), time_zone=book.time_zone) if book else None,
    )
