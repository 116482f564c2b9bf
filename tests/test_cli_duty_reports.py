"""`exit-tracker report unpaired|pairing-coverage|deep-poverty|work-teams`, run as users run it,
on the sample: the same files as the API's, and tables in Chinese."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import bearer
from tests.test_cli_reports import COUNTY, CITY, report, sample  # noqa: F401  (the fixture)
from tests.test_fresh_install import exit_tracker
from workflow.db import make_engine

ASKED = {
    "unpaired": "unpaired-households",
    "pairing-coverage": "pairing-coverage",
    "deep-poverty": "deep-poverty-advisories",
    "work-teams": "work-team-gaps",
}


def test_the_duty_reports_from_the_cli_are_the_apis_files_and_read_in_chinese(sample, tmp_path):  # noqa: F811
    engine = make_engine(sample)
    try:
        headers = bearer(engine, roles=["supervisor"], scope=CITY)
        with TestClient(create_app(engine)) as client:
            for command, path in ASKED.items():
                report(sample, command, "--unit", COUNTY, "--as-of", "2017-09-30", "--format", "csv", "--out", str(tmp_path / f"{command}.csv"))
                from_api = client.get(f"/api/v1/reports/{path}", headers=headers, params={"unit": COUNTY, "as_of": "2017-09-30", "format": "csv"})
                assert from_api.status_code == 200, from_api.text
                assert (tmp_path / f"{command}.csv").read_bytes() == from_api.content and from_api.text.count("\n") > 1, command
    finally:
        engine.dispose()
    shown = exit_tracker(sample, "report", "work-teams", "--unit", COUNTY, "--as-of", "2017-09-30", env={"COLUMNS": "200"}).stdout
    assert "驻村工作队缺口 · 溆浦县(431224000000)· 截至 2017-09-30" in shown
    assert "金中村" in shown and "工作队人数不足" in shown and "龙潭村" in shown and "无第一书记" in shown and "共 2 行" in shown
    only = exit_tracker(sample, "report", "work-teams", "--unit", COUNTY, "--as-of", "2017-09-30", "--problem", "below_strength", "--lang", "en", env={"COLUMNS": "200"}).stdout
    assert "team below strength" in only and "1 rows" in only
    unpaired = exit_tracker(sample, "report", "unpaired", "--unit", COUNTY, "--as-of", "2017-09-30", env={"COLUMNS": "200"}).stdout
    assert "未结对贫困户" in unpaired and "2017-08-01" in unpaired and "共 1 行" in unpaired
