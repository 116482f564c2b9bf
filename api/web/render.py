"""Rendering pages: the Jinja environment, the words of the page's language, Beijing time.

Templates escape everything they print (autoescape); a page's words come in both languages
beside each other (`T("本月待走访", "Due this month")`), Chinese unless the browser asks
for English. Moments print in the rule book's zone with their offset, dates as people write
them (2017年10月20日): workflow/labels.py is the one place that words both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.errors import language
from api.exports import Labels
from workflow import labels
from workflow.accounts.service import ROLES_ZH

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


local = labels.moment_text  # 2017-10-20 00:00 +08:00
local_input = labels.moment_input  # an <input type=datetime-local> value, Beijing wall-clock time


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """`template` rendered for this request: its language, its caller, its CSRF token."""
    lang = language(request)
    caller = getattr(request.state, "caller", None)
    web_session = getattr(request.state, "web_session", None)
    words = Labels(lang)

    def account_role(code: str) -> str:
        return code if lang == "en" else ROLES_ZH.get(code, code)

    html = env.get_template(template).render(
        request=request,
        lang=lang,
        T=lambda zh, en: words.pick(en, zh),
        caller=caller,
        csrf=web_session.csrf_token if web_session is not None else "",
        word=words.word,
        period=words.period,
        periods_of=lambda labels: "、".join(words.period(label) for label in labels),
        role=words.role,
        account_role=account_role,
        local=local,
        local_input=local_input,
        day=lambda value: labels.day_text(value, lang),
        htmx=request.headers.get("HX-Request") == "true",
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers={"Content-Language": "en" if lang == "en" else "zh-CN", "Vary": "Accept-Language, HX-Request"})
