"""What every resource router shares: bounded, idempotent POSTs and the problem responses it documents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from api import limits
from api.errors import PROBLEM_JSON
from api.idempotency import IdempotentRoute

_PROBLEM = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}

READ_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token / 未认证", **_PROBLEM},
    404: {"description": "Not found, or outside the account's scope / 未找到或不在账号范围内", **_PROBLEM},
    422: {"description": "Invalid input / 输入有误", **_PROBLEM},
    503: {"description": "The database is busy, or too many reads as of a past moment run at once / 服务暂不可用", **_PROBLEM},
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **READ_PROBLEMS,
    400: {"description": "The body cannot be read (e.g. not UTF-8 JSON) / 请求体无法解析", **_PROBLEM},
    403: {"description": "The account's roles do not allow this / 角色无权操作", **_PROBLEM},
    409: {"description": "Conflicts with existing records, or Idempotency-Key reused / 冲突", **_PROBLEM},
    413: {"description": "The body is larger than this operation takes (x-max-body-bytes) / 请求体超过上限", **_PROBLEM},
}

# An operation's own body limit, in bytes, where it differs from limits.MAX_JSON_BODY
# (set in its openapi_extra, so the schema tells clients too).
MAX_BODY_KEY = "x-max-body-bytes"


class ResourceRoute(IdempotentRoute):
    """A route whose request body is read only up to its operation's limit (413 beyond it)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        if not self.methods & {"POST", "PUT", "PATCH"}:
            return handler
        limit = (self.openapi_extra or {}).get(MAX_BODY_KEY, limits.MAX_JSON_BODY)

        async def bounded_handler(request: Request) -> Response:
            await limits.read_body(request, limit)
            return await handler(request)

        return bounded_handler


def resource_router(tag: str) -> APIRouter:
    """A router whose POSTs are bounded and honour Idempotency-Key, and whose routes document their problems."""
    return APIRouter(tags=[tag], route_class=ResourceRoute, responses=READ_PROBLEMS)
