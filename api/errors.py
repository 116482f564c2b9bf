"""RFC 9457 problem details for every refusal, in Chinese or English by Accept-Language."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from workflow.errors import DomainError

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: ("Bad request", "请求有误"),
    401: ("Not authenticated", "未认证"),
    403: ("Forbidden", "无权操作"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "不允许的方法"),
    409: ("Conflict", "冲突"),
    415: ("Unsupported media type", "不支持的媒体类型"),
    422: ("Unprocessable request", "无法处理的请求"),
    500: ("Internal error", "内部错误"),
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
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers={"Content-Language": "en" if lang == "en" else "zh-CN"})


def _location(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def install(app: FastAPI) -> None:
    """Map every error the app can raise to a problem response."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(request, status=exc.status, code=exc.code, en=exc.en, zh=exc.zh, field=exc.field, details=exc.details or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _location(tuple(err.get("loc", ()))), "problem": err.get("msg", ""), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "problem": "invalid input"}
        return problem(
            request,
            status=422,
            code="invalid_input",
            en=f"{first['field']}: {first['problem']}",
            zh=f"输入有误:{first['field']}:{first['problem']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title_en, title_zh = _TITLES.get(exc.status_code, ("Error", "错误"))
        code = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else title_en
        return problem(request, status=exc.status_code, code=code, en=detail, zh=title_zh)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return problem(request, status=500, code="internal_error", en="an unexpected error occurred; it has been logged", zh="发生意外错误,已记录")
