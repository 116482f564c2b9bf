"""RFC 9457 problem details for every refusal, in Chinese or English by Accept-Language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.limits import MAX_LISTED_PROBLEMS
from workflow.errors import DomainError

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("exit_tracker.api")

# The problem document (RFC 9457) as OpenAPI describes it.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:exit-tracker:problem:signer_not_in_post"]},
        "title": {"type": "string", "examples": ["无法处理的请求"]},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable, machine-readable reason.", "examples": ["signer_not_in_post"]},
        "detail": {"type": "string", "description": "What is wrong and what would be valid, in the requested language."},
        "instance": {"type": "string"},
        "field": {"type": "string", "description": "The offending field, when one is to blame."},
        "errors": {"type": "array", "items": {"type": "object"}, "description": "The invalid fields, for input errors (at most 100 listed)."},
        "error_count": {"type": "integer", "description": "How many invalid fields there are in all."},
    },
    "additionalProperties": True,
}

_TITLES = {
    400: ("Bad request", "请求有误"),
    401: ("Not authenticated", "未认证"),
    403: ("Forbidden", "无权操作"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "不允许的方法"),
    409: ("Conflict", "冲突"),
    413: ("Content too large", "请求体过大"),
    415: ("Unsupported media type", "不支持的媒体类型"),
    422: ("Unprocessable request", "无法处理的请求"),
    500: ("Internal error", "内部错误"),
    503: ("Service unavailable", "服务暂不可用"),
}

# Chinese for the validation problems a client can make, by pydantic error type.
_VALIDATION_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的字段(请检查拼写)",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "string_type": "应为字符串",
    "string_too_short": "过短",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "date_parsing": "应为日期,如 2017-07-01",
    "date_from_datetime_parsing": "应为日期,如 2017-07-01",
    "datetime_parsing": "应为带时区的时间,如 2017-07-01T10:00:00+08:00",
    "datetime_from_date_parsing": "应为带时区的时间,如 2017-07-01T10:00:00+08:00",
    "timezone_aware": "时间必须带时区偏移,如 +08:00",
    "enum": "不在可选值中",
    "literal_error": "不在可选值中",
    "list_type": "应为列表",
    "too_short": "项数过少",
    "too_long": "项数过多",
    "value_error": "取值有误",
}


def language(request: Request) -> str:
    """'en' when the client prefers English, else 'zh' (the default)."""
    header = request.headers.get("accept-language", "")
    best, best_q = "zh", 0.0
    for part in header.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        q = 1.0
        for param in pieces[1:]:
            if param.strip().startswith("q="):
                try:
                    q = float(param.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag.startswith(("en", "zh")) and q > best_q:
            best, best_q = tag[:2], q
    return best


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    en: str,
    zh: str,
    field: str | None = None,
    **extra: Any,
) -> JSONResponse:
    lang = language(request)
    title_en, title_zh = _TITLES.get(status, ("Error", "错误"))
    body: dict[str, Any] = {
        "type": f"urn:exit-tracker:problem:{code}",
        "title": title_en if lang == "en" else title_zh,
        "status": status,
        "code": code,
        "detail": en if lang == "en" else zh,
        "instance": request.url.path,
    }
    if field is not None:
        body["field"] = field
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"Content-Language": "en" if lang == "en" else "zh-CN"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="exit-tracker"'
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def _zh(err: dict[str, Any]) -> str:
    # The domain's parsers (api.schemas) carry their own Chinese message.
    ctx = err.get("ctx") or {}
    return ctx["zh"] if isinstance(ctx.get("zh"), str) else _VALIDATION_ZH.get(err.get("type", ""), err.get("msg", ""))


def _field_problem(err: dict[str, Any]) -> dict[str, str]:
    return {"field": _location(tuple(err.get("loc", ()))), "problem": err.get("msg", ""), "type": err.get("type", "")}


def install(app: FastAPI) -> None:
    """Map every error the app can raise to a problem response."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        localized = getattr(exc, "localized_details", None)
        details = localized(language(request)) if localized else exc.details
        return problem(request, status=exc.status, code=exc.code, en=exc.en, zh=exc.zh, field=exc.field, details=details or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        errors = [_field_problem(err) for err in found[:MAX_LISTED_PROBLEMS]]
        first = errors[0] if errors else {"field": None, "problem": "invalid input", "type": ""}
        first_en = found[0].get("msg", "") if found else "invalid input"
        first_zh = _zh(found[0]) if found else "输入有误"
        return problem(
            request,
            status=422,
            code="invalid_input",
            en=f"{first['field']}: {first_en}" + (f" ({len(found)} problems, the first {len(errors)} listed)" if len(found) > len(errors) else ""),
            zh=f"输入有误:{first['field']}:{first_zh}" + (f"(共 {len(found)} 处,列出前 {len(errors)} 处)" if len(found) > len(errors) else ""),
            field=first["field"],
            errors=errors,
            error_count=len(found),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # The checks run first; this is two writers racing past them. Nothing was written.
        log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            request,
            status=409,
            code="concurrent_change",
            en="another request changed the same record at the same time; nothing was written — read it again and retry",
            zh="另一请求同时修改了同一记录,本次未写入任何内容;请重新读取后重试",
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot store (e.g. out of range); nothing was written.
        log.warning("data error on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(request, status=422, code="invalid_value", en="a value in the request cannot be stored; nothing was written", zh="请求中有无法保存的值,本次未写入任何内容")

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> JSONResponse:
        # Busy or unreachable — or misconfigured (e.g. not migrated): the operator needs the log.
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(request, status=503, code="database_busy", en="the database is busy or unreachable; nothing was written — retry shortly", zh="数据库繁忙或不可达,本次未写入任何内容;请稍后重试")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title_en, title_zh = _TITLES.get(exc.status_code, ("Error", "错误"))
        code = {400: "malformed_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else title_en
        return problem(request, status=exc.status_code, code=code, en=detail, zh=title_zh)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(request, status=500, code="internal_error", en="an unexpected error occurred; it has been logged", zh="发生意外错误,已记录")
