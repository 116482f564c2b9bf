"""`exit-tracker report …` run as users run it: the real CLI in its own process, on the sample."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from tests.api.conftest import bearer
from tests.test_fresh_install import exit_tracker
from workflow.db import make_engine

COUNTY, CITY = "431224000000", "431200000000"


@pytest.fixture
def sample(empty_database) -> str:
    url = empty_database()
    for command in (["init-db"], ["load-sample"]):
        done = exit_tracker(url, *command)
        assert done.returncode == 0, done.stderr
    return url


def report(url: str, *args: str) -> str:
    done = exit_tracker(url, "report", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_report_file_from_the_cli_is_the_apis_file(sample, tmp_path):
    asked = {
        "overdue": ("overdue-visits", {"unit": COUNTY, "as_of": "2017-09-30", "rule": "V7", "status": "overdue", "from": "2017-06-01"}),
        "missing-signatures": ("missing-signatures", {"unit": CITY, "as_of": "2017-11-30", "level": "household"}),
        "incidence": ("incidence", {"unit": COUNTY, "as_of": "2017-09-30", "from": "2015-01-01", "every": "year", "level": "township"}),
        "scorecard": ("scorecard", {"unit": COUNTY, "as_of": "2017-09-30", "role": "township_cadre", "from": "2017-06-01"}),
    }
    engine = make_engine(sample)
    try:
        headers = bearer(engine, roles=["supervisor"], scope=CITY)
        with TestClient(create_app(engine)) as client:
            for command, (path, params) in asked.items():
                options = [item for key, value in params.items() for item in (f"--{key.replace('_', '-')}", value)]
                report(sample, command, *options, "--format", "csv", "--out", str(tmp_path / f"{command}.csv"))
                from_api = client.get(f"/api/v1/reports/{path}", headers=headers, params={**params, "format": "csv"})
                assert from_api.status_code == 200, from_api.text
                assert (tmp_path / f"{command}.csv").read_bytes() == from_api.content and from_api.text.count("\n") > 1, command
    finally:
        engine.dispose()


def test_the_terminal_table_reads_in_chinese_with_names_and_totals(sample):
    shown = exit_tracker(sample, "report", "overdue", "--unit", COUNTY, "--as-of", "2017-09-30", "--status", "overdue", env={"COLUMNS": "200"}).stdout
    assert "走访逾期报表 · 溆浦县(431224000000)· 截至 2017-09-30" in shown
    assert "北斗溪镇" in shown and "乡镇干部" in shown and "2017年8月" in shown and "逾期" in shown
    assert "overdue" not in shown and "township_cadre" not in shown
    assert "共 3 行" in shown and "逾期 3" in shown


def test_an_excel_file_is_written_where_asked_with_its_title_row(sample, tmp_path):
    target = tmp_path / "缺签.xlsx"
    said = report(sample, "missing-signatures", "--unit", CITY, "--as-of", "2017-11-30", "--format", "xlsx", "--out", str(target))
    assert f"{target}: 2 rows written" in said
    sheet = load_workbook(io.BytesIO(target.read_bytes())).active
    title, header, *rows = list(sheet.iter_rows(values_only=True))
    assert title[0].startswith("缺签报表 · 怀化市(431200000000)· 截至 2017-11-30")
    assert header[:3] == ("案件编号", "层级", "退出对象") and len(rows) == 2 and sheet.freeze_panes == "A3"


def test_a_bad_date_or_unit_is_refused_in_chinese_and_english(sample):
    bad_date = exit_tracker(sample, "report", "overdue", "--unit", COUNTY, "--as-of", "2017-13-01")
    assert bad_date.returncode == 2 and "应为日期" in bad_date.stderr
    unknown = exit_tracker(sample, "report", "scorecard", "--unit", "999", "--as-of", "2017-09-30")
    assert unknown.returncode == 1 and "org_unit_not_found" in unknown.stderr
