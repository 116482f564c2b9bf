"""Report files a county office (扶贫办) can hand on as they are: Chinese words, names beside
codes, periods as people write them, percentages, whole days, a titled and filterable sheet."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from sample_data.load import load_sample_data
from tests.api.conftest import bearer
from workflow.db import transaction

COUNTY, CITY = "431224000000", "431200000000"
CODES = {"met", "overdue", "due", "pending", "missed", "not_owed", "in_notice", "household", "village", "county", "township", "township_cadre"}


@pytest.fixture
def supervisor(engine) -> dict[str, str]:
    with transaction(engine) as session:
        load_sample_data(session)
    return bearer(engine, roles=["supervisor"], scope=CITY)


def sheet_of(response):
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    title, header, *rows = list(sheet.iter_rows(values_only=True))
    return sheet, title[0], header, [dict(zip(header, row)) for row in rows]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


def words_in(rows: list[dict]) -> set[str]:
    return {word for row in rows for value in row.values() if isinstance(value, str) for word in re.findall(r"[a-z_]+", value)}


def test_the_chinese_overdue_sheet_has_names_chinese_words_and_periods_as_people_write_them(client, supervisor):
    params = {"unit": COUNTY, "as_of": "2017-09-30", "format": "xlsx"}
    sheet, title, header, rows = sheet_of(client.get("/api/v1/reports/overdue-visits", headers=supervisor, params=params))
    assert re.fullmatch(r"走访逾期报表 · 溆浦县\(431224000000\)· 截至 2017-09-30 · 导出时间 \d{4}-\d\d-\d\d \d\d:\d\d\(北京时间\)", title)
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == f"A2:{sheet.cell(2, len(header)).column_letter}{len(rows) + 2}"
    assert {row["县(市区)"] for row in rows} == {"溆浦县"} and {row["县(市区)代码"] for row in rows} == {COUNTY}
    assert {"北斗溪镇", "龙潭镇"} <= {row["乡镇"] for row in rows}
    assert not words_in(rows) & CODES, words_in(rows) & CODES
    overdue = next(row for row in rows if row["状态"] == "逾期")
    assert (overdue["职务"], overdue["漏访周期"], overdue["当前周期"], overdue["逾期天数"]) == ("乡镇干部", "2017年8月", "2017年9月", 30)
    assert overdue["各周期状态"] == "2017年6月 已走访; 2017年7月 已走访; 2017年8月 漏访; 2017年9月 已走访"
    coverage = next(row for row in rows if row["走访规则"] == "V4")
    assert coverage["当前周期"] == "2017年6月–12月" and coverage["对象层级"] == "村"
    quarterly = client.get("/api/v1/reports/overdue-visits", headers=supervisor, params={"unit": CITY, "as_of": "2017-09-30", "rule": "V3", "format": "csv"})
    assert {row["当前周期"] for row in csv_rows(quarterly)} == {"2017年第3季度"}


def test_missing_signatures_file_counts_whole_days_to_as_of_in_chinese(client, supervisor):
    def rows(as_of: str) -> list[dict]:
        return csv_rows(client.get("/api/v1/reports/missing-signatures", headers=supervisor, params={"unit": CITY, "as_of": as_of, "format": "csv"}))

    november, december = rows("2017-11-30"), rows("2017-12-10")
    household = next(row for row in november if row["层级"] == "户")
    assert (household["状态"], household["所在单位"], household["所在单位代码"]) == ("公示中", "坪溪村", "431224100201")
    assert household["退出对象"] != household["退出对象编号"] and household["退出对象编号"] == "4312241002010002"
    assert household["已等待天数"] == "81"  # since the notice ended on 10 September, to the end of 30 November
    assert next(row for row in december if row["层级"] == "户")["已等待天数"] == "91"
    assert household["缺少签字(现任人员)"].startswith("村委会主任(")
    assert not words_in(november) & CODES


def test_rates_are_percentages_numbers_in_excel_and_text_in_csv(client, supervisor):
    params = {"unit": COUNTY, "as_of": "2017-09-30"}
    sheet, _, header, rows = sheet_of(client.get("/api/v1/reports/incidence", headers=supervisor, params={**params, "format": "xlsx"}))
    county = next(row for row in rows if row["单位代码"] == COUNTY)
    assert (county["单位"], county["层级"], county["贫困发生率"], county["低于退出标准"]) == ("溆浦县", "县", 0.0209, "否")
    assert sheet.cell(3, header.index("贫困发生率") + 1).number_format == "0.00%"
    text = csv_rows(client.get("/api/v1/reports/incidence", headers=supervisor, params={**params, "format": "csv"}))
    assert (text[0]["贫困发生率"], text[0]["退出标准"]) == ("2.09%", "2.00%")
    scores = csv_rows(client.get("/api/v1/reports/scorecard", headers=supervisor, params={**params, "format": "csv"}))
    assert all(re.fullmatch(r"\d+\.\d\d%", row["按期率"]) for row in scores if row["按期率"])


def test_english_files_use_english_words(client, supervisor):
    rows = csv_rows(client.get("/api/v1/reports/overdue-visits", headers=supervisor, params={"unit": COUNTY, "as_of": "2017-09-30", "status": "overdue", "format": "csv", "lang": "en"}))
    assert {(row["County"], row["Role"], row["Status"], row["Missed periods"]) for row in rows} == {("溆浦县", "Township cadre", "overdue", "Aug 2017")}
