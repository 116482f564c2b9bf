"""RFC 9457 problem details for every refusal, in Chinese or English by Accept-Language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
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
    429: ("Too many requests", "请求过于频繁"),
    500: ("Internal error", "内部错误"),
    503: ("Service unavailable", "服务暂不可用"),
}

# Chinese for the validation problems a client can make, by pydantic error type; the
# entries that are functions word the limit the error's context names (a length, a bound,
# the valid values). A type not listed here still gets Chinese: 取值有误.
_VALIDATION_ZH: dict[str, Any] = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的字段(请检查拼写)",
    "json_invalid": "JSON 格式错误",
    "json_type": "应为 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "string_type": "应为字符串",
    "string_unicode": "应为有效的 Unicode 字符串",
    "string_too_short": lambda c: f"过短:至少 {c.get('min_length')} 个字符",
    "string_too_long": lambda c: f"过长:最多 {c.get('max_length')} 个字符",
    "string_pattern_mismatch": lambda c: f"格式不符,应符合 {c.get('pattern')}",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数,不能有小数",
    "int_parsing_size": "整数超出范围",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字,如 4120.50",
    "decimal_max_digits": lambda c: f"数字位数过多:最多 {c.get('max_digits')} 位",
    "decimal_max_places": lambda c: f"小数位数过多:最多 {c.get('decimal_places')} 位",
    "finite_number": "应为有限数值",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": lambda c: f"数值过小:不能小于 {_number(c.get('ge'))}",
    "less_than_equal": lambda c: f"数值过大:不能大于 {_number(c.get('le'))}",
    "greater_than": lambda c: f"数值过小:须大于 {_number(c.get('gt'))}",
    "less_than": lambda c: f"数值过大:须小于 {_number(c.get('lt'))}",
    "date_type": "应为日期,如 2017-07-01",
    "date_parsing": "应为日期,如 2017-07-01",
    "date_from_datetime_parsing": "应为日期,如 2017-07-01",
    "date_from_datetime_inexact": "应为日期,不带时间,如 2017-07-01",
    "datetime_type": "应为带时区的时间,如 2017-07-01T10:00:00+08:00",
    "datetime_parsing": "应为带时区的时间,如 2017-07-01T10:00:00+08:00",
    "datetime_from_date_parsing": "应为带时区的时间,如 2017-07-01T10:00:00+08:00",
    "datetime_object_invalid": "应为带时区的时间,如 2017-07-01T10:00:00+08:00",
    "timezone_aware": "时间必须带时区偏移,如 +08:00",
    "enum": lambda c: f"不在可选值中,应为 {_choices(c.get('expected', ''))} 之一",
    "literal_error": lambda c: f"不在可选值中,应为 {_choices(c.get('expected', ''))} 之一",
    "list_type": "应为列表",
    "too_short": lambda c: f"项数过少:至少 {c.get('min_length')} 项",
    "too_long": lambda c: f"项数过多:最多 {c.get('max_length')} 项",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "bytes_type": "应为文件内容",
    "value_error": "取值有误",
    "assertion_error": "取值有误",
}


def _number(value: Any) -> str:
    """A bound as people write it: 90, not 90.0."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _choices(expected: str) -> str:
    """pydantic's "'json', 'csv' or 'xlsx'" as "'json'、'csv'、'xlsx'"."""
    return expected.replace(" or ", "、").replace(", ", "、")


def _validation_zh(error: dict[str, Any]) -> str:
    """The Chinese of one pydantic validation error."""
    found = _VALIDATION_ZH.get(error.get("type", ""), "取值有误")
    return found(error.get("ctx") or {}) if callable(found) else found


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
) -> Response:
    if getattr(request.state, "page", False):
        # A web page's refusal: the same code and words, as a page (api/web/pages.py).
        from api.web.pages import problem_page

        return problem_page(request, status=status, code=code, detail=en if language(request) == "en" else zh, field=field)
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
    """The Chinese of one validation error: the domain's parsers (api.schemas) carry their own."""
    ctx = err.get("ctx") or {}
    return ctx["zh"] if isinstance(ctx.get("zh"), str) else _validation_zh(err)


def install(app: FastAPI) -> None:
    """Map every error the app can raise to a problem response."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        localized = getattr(exc, "localized_details", None)
        details = localized(language(request)) if localized else exc.details
        return problem(request, status=exc.status, code=exc.code, en=exc.en, zh=exc.zh, field=exc.field, details=details or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Every problem in the client's language, like `detail`: Chinese unless it asks for English.
        english = language(request) == "en"
        found = exc.errors()
        listed = [(_location(tuple(err.get("loc", ()))), err.get("msg", ""), _zh(err), err.get("type", "")) for err in found[:MAX_LISTED_PROBLEMS]]
        errors = [{"field": field, "problem": en if english else zh, "type": type} for field, en, zh, type in listed]
        field, en, zh, _ = listed[0] if listed else (None, "invalid input", "输入有误", "")
        more = len(found) > len(listed)
        return problem(
            request,
            status=422,
            code="invalid_input",
            en=f"{field}: {en}" + (f" ({len(found)} problems, the first {len(listed)} listed)" if more else ""),
            zh=f"输入有误:{field}:{zh}" + (f"(共 {len(found)} 处,列出前 {len(listed)} 处)" if more else ""),
            field=field,
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
