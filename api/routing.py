"""What every resource router shares: idempotent POSTs, the problem responses it documents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.errors import PROBLEM_JSON
from api.idempotency import IdempotentRoute

_PROBLEM = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}

READ_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token / 未认证", **_PROBLEM},
    404: {"description": "Not found, or outside the account's scope / 未找到或不在账号范围内", **_PROBLEM},
    422: {"description": "Invalid input / 输入有误", **_PROBLEM},
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **READ_PROBLEMS,
    400: {"description": "The body cannot be read (e.g. not UTF-8 JSON) / 请求体无法解析", **_PROBLEM},
    403: {"description": "The account's roles do not allow this / 角色无权操作", **_PROBLEM},
    409: {"description": "Conflicts with existing records, or Idempotency-Key reused / 冲突", **_PROBLEM},
}


def resource_router(tag: str) -> APIRouter:
    """A router whose POSTs honour Idempotency-Key and whose routes document their problems."""
    return APIRouter(tags=[tag], route_class=IdempotentRoute, responses=READ_PROBLEMS)
