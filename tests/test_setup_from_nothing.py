"""From an empty database to a first report without the sample, as the README tells it:
init-db, setup, the tree entered through the API, a visit, the report from the CLI."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from api.app import create_app
from tests.test_fresh_install import exit_tracker
from workflow.db import make_engine


def token_of(done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_setup_creates_the_top_unit_and_an_admin_once(empty_database):
    url = empty_database()
    assert exit_tracker(url, "init-db").returncode == 0
    token = token_of(exit_tracker(url, "setup", "--level", "city", "--code", "431200000000", "--name", "怀化市", "--admin", "怀化市扶贫办"))

    again = exit_tracker(url, "setup", "--level", "province", "--code", "430000000000", "--name", "湖南省")
    assert again.returncode == 1
    assert "already_set_up" in again.stderr and "怀化市" in again.stderr

    engine = make_engine(url)
    try:
        with TestClient(create_app(engine)) as client:
            admin = {"Authorization": f"Bearer {token}"}
            me = client.get("/api/v1/accounts/me", headers=admin).json()
            assert (me["name"], me["roles"], me["scope"]) == ("怀化市扶贫办", ["admin"], "431200000000")
            county = client.post("/api/v1/org-units", headers=admin, json={"code": "431224000000", "name": "溆浦县", "level": "county", "parent_code": "431200000000"})
            assert county.status_code == 201, county.text
            history = client.get("/api/v1/audit/events", headers=admin, params={"entity_type": "org_unit"}).json()["items"]
            assert [e["entity_id"] for e in history] == ["431200000000", "431224000000"]
    finally:
        engine.dispose()


def test_setup_refuses_a_county_at_the_top(empty_database):
    url = empty_database()
    assert exit_tracker(url, "init-db").returncode == 0
    refused = exit_tracker(url, "setup", "--level", "county", "--code", "431224000000", "--name", "溆浦县")
    assert refused.returncode == 1
    assert "invalid_level" in refused.stderr and "最高层级单位应为省或市" in refused.stderr


def test_from_an_empty_database_to_a_first_report_without_the_sample(empty_database):
    url = empty_database()
    assert exit_tracker(url, "init-db").returncode == 0
    admin = {"Authorization": "Bearer " + token_of(exit_tracker(url, "setup", "--level", "city", "--code", "431200000000", "--name", "怀化市"))}
    engine = make_engine(url)
    try:
        with TestClient(create_app(engine)) as client:

            def post(path: str, body: dict, headers=admin) -> dict:
                done = client.post(f"/api/v1{path}", headers=headers, json=body)
                assert done.status_code in (200, 201), done.text
                return done.json()

            post("/org-units", {"code": "431224000000", "name": "溆浦县", "level": "county", "parent_code": "431200000000"})
            post("/org-units", {"code": "431224100000", "name": "北斗溪镇", "level": "township", "parent_code": "431224000000"})
            post("/org-units", {"code": "431224100201", "name": "坪溪村", "level": "village", "parent_code": "431224100000", "rural_population": 1200})
            post("/org-units/431224100201/registrations", {"kind": "poor_village", "registered_on": "2014-10-01"})
            cadre = post("/people", {"name": "舒春生"})["id"]
            post("/posts", {"person_id": cadre, "role": "township_cadre", "unit_code": "431224100000", "start_date": "2016-01-01"})
            post("/households", {"id": "4312241002010001", "village_code": "431224100201", "head_name": "向桂兰", "members": 3, "registered_on": "2014-10-01"})
            post("/pairings", {"cadre_id": cadre, "household_id": "4312241002010001", "start_date": "2016-01-01"})
            recorder = {"Authorization": "Bearer " + token_of(exit_tracker(url, "accounts", "create", "--name", "北斗溪镇录入员", "--role", "recorder", "--scope", "431224100000"))}
            for day in ("2017-06-12", "2017-07-09"):
                post("/visits", {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": f"{day}T10:00:00+08:00"}, headers=recorder)
    finally:
        engine.dispose()

    report = exit_tracker(url, "report", "overdue", "--unit", "431224000000", "--as-of", "2017-09-30", "--rule", "V7", "--format", "csv")
    assert report.returncode == 0, report.stderr
    (row,) = list(csv.DictReader(io.StringIO(report.stdout.lstrip("\ufeff"))))
    assert (row["县(市区)"], row["乡镇"], row["姓名"], row["走访对象"], row["状态"]) == ("溆浦县", "北斗溪镇", "舒春生", "向桂兰", "逾期")
    assert row["漏访周期"] == "2017年8月"
