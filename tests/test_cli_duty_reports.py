"""`exit-tracker report unpaired|pairing-coverage|deep-poverty|work-teams|plan-results|plan-bonus|
accountability`, run as users run it, on the sample: the same files as the API's, tables in Chinese."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import bearer
from tests.test_cli_reports import COUNTY, CITY, report, sample  # noqa: F401  (the fixture)
from tests.test_fresh_install import exit_tracker
from workflow.db import make_engine

ASKED = {
    "unpaired": ("unpaired-households", "2017-09-30"),
    "pairing-coverage": ("pairing-coverage", "2017-09-30"),
    "deep-poverty": ("deep-poverty-advisories", "2017-09-30"),
    "work-teams": ("work-team-gaps", "2017-09-30"),
    "plan-results": ("plan-results", "2017-12-31"),
    "plan-bonus": ("plan-bonus", "2018-01-15"),
    "accountability": ("accountability", "2018-01-15"),
}


def test_the_duty_reports_from_the_cli_are_the_apis_files_and_read_in_chinese(sample, tmp_path):  # noqa: F811
    engine = make_engine(sample)
    try:
        headers = bearer(engine, roles=["supervisor"], scope=CITY)
        with TestClient(create_app(engine)) as client:
            for command, (path, day) in ASKED.items():
                report(sample, command, "--unit", COUNTY, "--as-of", day, "--format", "csv", "--out", str(tmp_path / f"{command}.csv"))
                from_api = client.get(f"/api/v1/reports/{path}", headers=headers, params={"unit": COUNTY, "as_of": day, "format": "csv"})
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
    bonus = exit_tracker(sample, "report", "plan-bonus", "--unit", COUNTY, "--as-of", "2018-01-15", env={"COLUMNS": "250"}).stdout
    assert "完成计划,给予绩效奖励" in bonus and "未完成计划,取消绩效奖励" in bonus and "村党支部书记" in bonus
    early = exit_tracker(sample, "report", "accountability", "--unit", COUNTY, "--as-of", "2017-12-30", "--year", "2017")
    assert early.returncode == 1 and "year_not_closed" in early.stderr
