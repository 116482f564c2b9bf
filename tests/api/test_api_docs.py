"""The API explains itself: every operation, parameter and field described with the valid
values of each enum, docs that open without the network, refusals in Chinese, local times."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import bearer
from tests.factories import ADMIN, build_tree, person_in_post
from workflow.db import transaction
from workflow.visits import service as visits

BEIJING = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def schema():
    from api.app import create_app
    from workflow.db import make_engine

    engine = make_engine("sqlite:///:memory:")
    try:
        return create_app(engine).openapi()
    finally:
        engine.dispose()


def _enum(schema: dict, components: dict) -> list | None:
    pending = [schema]
    while pending:
        candidate = pending.pop(0)
        if not isinstance(candidate, dict):
            continue
        candidate = components.get(candidate.get("$ref", "").rsplit("/", 1)[-1], candidate) if "$ref" in candidate else candidate
        if candidate.get("enum"):
            return candidate["enum"]
        pending += [candidate.get("items"), *candidate.get("anyOf", ())]
    return None


def test_every_operation_parameter_and_field_is_described_with_its_valid_values(schema):
    components = schema["components"]["schemas"]
    undescribed, unlisted = [], []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not (operation.get("summary") and operation.get("description")):
                undescribed.append(f"{method} {path}")
            for parameter in operation.get("parameters", []):
                where = f"{method} {path} ?{parameter['name']}"
                if not parameter.get("description"):
                    undescribed.append(where)
                for value in _enum(parameter.get("schema", {}), components) or ():
                    if f"`{value}`" not in parameter.get("description", ""):
                        unlisted.append(f"{where}={value}")
    for name, component in components.items():
        for field, prop in component.get("properties", {}).items():
            if not prop.get("description"):
                undescribed.append(f"{name}.{field}")
            for value in _enum(prop, components) or ():
                if f"`{value}`" not in prop.get("description", ""):
                    unlisted.append(f"{name}.{field}={value}")
    assert undescribed == [] and unlisted == []


def test_roles_statuses_and_kinds_name_their_valid_values(schema):
    components = schema["components"]["schemas"]
    assert "`township_cadre` (乡镇干部)" in components["PostCreate"]["properties"]["role"]["description"]
    parameters = {(path, p["name"]): p["description"] for path, item in schema["paths"].items() for op in item.values() for p in op.get("parameters", [])}
    assert "`village_party_secretary` (村党支部书记)" in parameters["/api/v1/posts", "role"]
    assert "`in_notice` (公示中)" in parameters["/api/v1/households", "status"]
    assert all(f"`{kind}`" in parameters["/api/v1/history/{kind}/{record_id}", "kind"] for kind in ("household", "exit_case", "visit"))
    assert "`overdue` (逾期)" in parameters["/api/v1/reports/overdue-visits", "status"]


def test_the_docs_page_and_its_files_come_from_the_product(client):
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text) + re.findall(r"""(?:url|openapi_url)['"]?:\s*['"]([^'"]+)['"]""", page.text)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    for asset in ("/docs-static/swagger-ui-bundle.js", "/docs-static/swagger-ui.css"):
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 10_000, asset
    assert "https://" not in client.get("/redoc").text.split("<body", 1)[1].split("</body>")[0].replace("https://github", "")


def test_every_problem_of_a_422_is_in_chinese_unless_english_is_asked_for(client, engine):
    with transaction(engine) as session:
        tree = build_tree(session)
    headers = bearer(engine, roles=["recorder"], scope=tree.township)
    body = {"visitor_id": "x" * 65, "target_level": "hamlet", "target_id": "1", "occurred_at": "2017-07-01T10:00:00", "latitude": 91, "extra": 1}
    zh = client.post("/api/v1/visits", headers=headers, json=body)
    assert zh.status_code == 422
    problems = {e["field"]: e["problem"] for e in zh.json()["errors"]}
    assert set(problems) == {"visitor_id", "target_level", "occurred_at", "latitude", "extra"}
    assert all(CJK.search(problem) for problem in problems.values()), problems
    assert problems["visitor_id"] == "过长:最多 64 个字符"
    assert problems["target_level"].startswith("不在可选值中,应为 'township'、'village'、'household'")
    assert problems["latitude"] == "数值过大:不能大于 90"
    assert problems["occurred_at"] == "occurred_at 必须带时区偏移,如 2017-07-01T10:00:00+08:00"
    en = client.post("/api/v1/visits", headers={**headers, "Accept-Language": "en"}, json=body).json()
    english = {e["field"]: e["problem"] for e in en["errors"]}
    assert english["visitor_id"] == "String should have at most 64 characters"
    assert not set(english.values()) & set(problems.values())


def test_times_in_responses_are_in_the_rule_books_zone_with_its_offset(client, engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        visit = visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="village", target_id=tree.village, occurred_at=dt.datetime(2017, 7, 1, 0, 30, tzinfo=BEIJING)).id
    headers = bearer(engine, roles=["auditor"], scope=tree.province)
    shown = client.get(f"/api/v1/visits/{visit}", headers=headers).json()
    assert shown["occurred_at"] == "2017-07-01T00:30:00+08:00"
    assert shown["recorded_at"].endswith("+08:00")
    history = client.get(f"/api/v1/history/visit/{visit}", headers=headers).json()
    assert history[0]["occurred_at"] == "2017-07-01T00:30:00+08:00"
