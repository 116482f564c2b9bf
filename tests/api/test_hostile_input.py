"""Inputs a careless or hostile client sends are refused as input problems naming the field: never a 500, nothing written."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select

from tests.api.conftest import bearer
from tests.factories import ADMIN, beijing_time, build_tree, household, passing_assessment, person_in_post
from workflow.db import transaction
from workflow.eventlog import Event
from workflow.exits import service as exits

HOUSEHOLD = "4312241002010001"
EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.fixture
def world(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        household(session, tree, HOUSEHOLD)
        case = exits.open_case(session, actor=ADMIN, level="household", subject_id=HOUSEHOLD, occurred_at=beijing_time(2017, 9, 1))
        exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(), occurred_at=beijing_time(2017, 9, 2))
        exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=beijing_time(2017, 9, 3))
    headers = bearer(engine, roles=["admin", "recorder"], scope=tree.province)
    return {"tree": tree, "cadre": cadre, "case": case.id, "headers": headers}


def _events(engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


def _refused(response, field: str, types: set[str]) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid_input" and problem["field"] == field
    assert problem["errors"][0]["type"] in types, problem


@pytest.mark.parametrize("occurred_at", [*EXTREMES, 12345, 1499000000.5, "12345"])
def test_a_visit_at_an_extreme_offset_or_a_number_for_a_moment_is_refused_naming_occurred_at(client, engine, world, occurred_at):
    before = _events(engine)
    body = {"visitor_id": world["cadre"], "target_level": "household", "target_id": HOUSEHOLD, "occurred_at": occurred_at}
    _refused(client.post("/api/v1/visits", headers=world["headers"], json=body), "occurred_at", {"moment_out_of_range", "invalid_datetime"})
    assert _events(engine) == before


@pytest.mark.parametrize("occurred_at", EXTREMES)
def test_an_objection_at_an_extreme_offset_is_refused_naming_occurred_at(client, engine, world, occurred_at):
    before = _events(engine)
    body = {"lodged_by": "村民", "grounds": "收入有误", "occurred_at": occurred_at}
    response = client.post(f"/api/v1/exit-cases/{world['case']}/objections", headers=world["headers"], json=body)
    _refused(response, "occurred_at", {"moment_out_of_range"})
    assert _events(engine) == before


@pytest.mark.parametrize("moment", EXTREMES)
def test_extreme_moments_in_known_at_and_as_of_are_input_problems(client, world, moment):
    headers, tree = world["headers"], world["tree"]
    _refused(client.get("/api/v1/visits", headers=headers, params={"known_at": moment}), "known_at", {"moment_out_of_range"})
    _refused(client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers, params={"known_at": moment}), "known_at", {"moment_out_of_range"})
    _refused(client.get(f"/api/v1/exit-cases/{world['case']}", headers=headers, params={"known_at": moment}), "known_at", {"moment_out_of_range"})
    _refused(client.get(f"/api/v1/exit-cases/{world['case']}", headers=headers, params={"as_of": moment}), "as_of", {"invalid_date"})  # a date, not a moment
    report = client.get("/api/v1/reports/overdue-visits", headers=headers, params={"unit": tree.township, "known_at": moment})
    _refused(report, "known_at", {"moment_out_of_range"})


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/api/v1/visits", {"to": "0"}, "to"),
        ("/api/v1/visits", {"from": "1499000000"}, "from"),
        ("/api/v1/posts", {"on": "0"}, "on"),
        ("/api/v1/audit/events", {"recorded_to": "0.5"}, "recorded_to"),
        ("/api/v1/audit/events", {"recorded_from": "1499000000"}, "recorded_from"),
        ("/api/v1/visits", {"to": "9999-12-31"}, "to"),
    ],
)
def test_dates_and_moments_in_queries_are_iso_text_only(client, world, path, params, field):
    types = {"invalid_date", "invalid_datetime", "date_out_of_range"}
    _refused(client.get(path, headers=world["headers"], params=params), field, types)


def test_dates_in_a_body_are_iso_text_only(client, engine, world):
    before = _events(engine)
    body = {"person_id": world["cadre"], "role": "township_head", "unit_code": world["tree"].township, "start_date": 0}
    _refused(client.post("/api/v1/posts", headers=world["headers"], json=body), "start_date", {"invalid_date"})
    assert _events(engine) == before


def test_a_cursor_naming_an_extreme_moment_is_refused_as_a_cursor(client, world):
    forged = base64.urlsafe_b64encode(json.dumps({"k": [EXTREMES[0], "x"]}).encode()).decode().rstrip("=")
    response = client.get("/api/v1/visits", headers=world["headers"], params={"cursor": forged})
    assert response.status_code == 422 and response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "line, code",
    [
        ('{"visitor_id": "%(cadre)s", "target_level": "household", "target_id": "%(household)s", "occurred_at": "2017-07-03T10:00:00+08:00", "notes": ' + "[" * 5000 + "]" * 5000 + "}", "invalid_json"),
        ('{"visitor_id": "%(cadre)s", "target_level": "household", "target_id": "%(household)s", "occurred_at": "2017-07-03T10:00:00+08:00", "notes": "\\ud800"}', "invalid_json"),
        ('{"visitor_id": "%(cadre)s", "target_level": "household", "target_id": "%(household)s", "occurred_at": "0001-01-01T00:00:00+14:00"}', "moment_out_of_range"),
        ('{"visitor_id": "%(cadre)s", "target_level": "household", "target_id": "%(household)s", "occurred_at": "9999-12-31T23:59:59-14:00"}', "moment_out_of_range"),
        ('{"visitor_id": "%(cadre)s", "target_level": "household", "target_id": "%(household)s", "occurred_at": "2017-07-03T10:00:00+08:00", "notes": "a\\u0000b"}', "nul_character"),
    ],
    ids=["nested 5000 deep", "lone surrogate", "year 1 at +14:00", "year 9999 at -14:00", "NUL"],
)
def test_an_import_line_the_log_could_not_hold_is_listed_with_its_number_and_nothing_is_written(client, engine, world, line, code):
    good = '{"visitor_id": "%(cadre)s", "target_level": "household", "target_id": "%(household)s", "occurred_at": "2017-07-04T10:00:00+08:00"}'
    text = "\n".join((good, line, good)) % {"cadre": world["cadre"], "household": HOUSEHOLD} + "\n"
    before = _events(engine)
    response = client.post("/api/v1/visits/import", headers={**world["headers"], "Content-Type": "application/x-ndjson"}, content=text.encode())
    assert response.status_code == 422, response.text
    assert [(line["line"], line["code"]) for line in response.json()["details"]["lines"]] == [(2, code)]
    assert _events(engine) == before
