"""Onboarding a county from its own sheets (issue 16.2): the real CLI on files like the
templates, against the same world built command by command; bad rows named by line and
column with nothing written; GBK text; re-imports that change nothing or end a tenure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlmodel import Session

from tests.test_fresh_install import exit_tracker
from workflow.db import make_engine, read_only, transaction
from workflow.eventlog import Actor
from workflow.eventlog.models import Event
from workflow.imports import onboarding
from workflow.imports.visits import ImportRefused
from workflow.incidence.report import incidence_report
from workflow.obligations.reports import overdue_report
from workflow.org import service as org
from workflow.org.models import OrgUnit
from workflow.posts import service as posts
from workflow.posts.models import Post
from workflow.setup import set_up
from workflow.visits import service as visits

OFFICE = Actor(account="溆浦县扶贫办")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CITY, COUNTY, TOWN, VILLAGE, BUREAU = "431200000000", "431224000000", "431224100000", "431224100201", "431200900001"

# The county as its office's sheets hold it: Chinese headers, its own codes and numbers.
SHEETS = {
    "units": [
        ["单位代码", "单位名称", "层级", "上级单位代码", "农村人口", "建档立卡日期", "退出日期"],
        [COUNTY, "溆浦县", "县", CITY, "", "", ""],
        [BUREAU, "怀化市财政局", "市直单位", CITY, "", "", ""],
        [TOWN, "北斗溪镇", "乡镇", COUNTY, "", "", ""],
        [VILLAGE, "坪溪村", "村", TOWN, 1200, dt.date(2014, 10, 1), ""],
    ],
    "people": [
        ["人员编号", "姓名", "性别"],
        ["431224198001010011", "舒春生", "男"],
        ["431224198203030022", "向秀英", "女"],
        ["431202197505050033", "向桂兰", "女"],
    ],
    "posts": [
        ["人员编号", "职务", "任职单位代码", "开始日期", "结束日期"],
        ["431224198001010011", "乡镇干部", TOWN, dt.date(2016, 1, 1), ""],
        ["431224198203030022", "村党支部书记", VILLAGE, "2015-03-01", ""],
        ["431202197505050033", "市直单位主要负责人", BUREAU, "2016-01-01", ""],
    ],
    "households": [
        ["户编号", "村代码", "户主姓名", "家庭人口", "建档立卡日期"],
        ["4312241002010001", VILLAGE, "向桂兰", 3, "2014-10-01"],
        ["4312241002010002", VILLAGE, "舒德明", 5, "2014/10/1"],
    ],
    "population": [
        ["村代码", "年度", "农村人口"],
        [VILLAGE, 2016, 1180],
        [VILLAGE, 2017, 1210],
    ],
    "pairings": [
        ["干部人员编号", "户编号", "开始日期", "结束日期"],
        ["431224198001010011", "4312241002010001", "2016-01-01", ""],
        ["431224198001010011", "4312241002010002", "2016-01-01", ""],
    ],
    "links": [
        ["市直单位代码", "村代码", "开始日期", "结束日期"],
        [BUREAU, VILLAGE, "2016-01-01", ""],
    ],
}
VISITS = [  # (visitor, level, target, day)
    ("431224198001010011", "household", "4312241002010001", dt.date(2017, 6, 12)),
    ("431224198001010011", "household", "4312241002010001", dt.date(2017, 7, 3)),
    ("431224198001010011", "household", "4312241002010002", dt.date(2017, 6, 20)),
    ("431202197505050033", "village", VILLAGE, dt.date(2017, 7, 15)),
]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(str(cell) for cell in row) for row in rows).encode(encoding)


def _visit_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _built_command_by_command(url: str) -> None:
    """The same county through the commands the API calls, one record at a time."""
    engine = make_engine(url)
    from workflow.migrate import upgrade

    upgrade(engine)
    with transaction(engine) as session:
        set_up(session, actor=OFFICE, level="city", code=CITY, name="怀化市", name_en=None, admin_name="怀化市扶贫办")
        org.add_org_unit(session, actor=OFFICE, code=COUNTY, name="溆浦县", level="county", parent_code=CITY)
        org.add_org_unit(session, actor=OFFICE, code=BUREAU, name="怀化市财政局", level="city_unit", parent_code=CITY)
        org.add_org_unit(session, actor=OFFICE, code=TOWN, name="北斗溪镇", level="township", parent_code=COUNTY)
        org.add_org_unit(session, actor=OFFICE, code=VILLAGE, name="坪溪村", level="village", parent_code=TOWN, rural_population=1200)
        org.register_poor_unit(session, actor=OFFICE, kind="poor_village", code=VILLAGE, registered_on=dt.date(2014, 10, 1))
        for person_id, name, gender in SHEETS["people"][1:]:
            org.add_person(session, actor=OFFICE, name=name, person_id=person_id, gender={"男": "male", "女": "female"}[gender])
        for person_id, role, unit, start in (("431224198001010011", "township_cadre", TOWN, "2016-01-01"), ("431224198203030022", "village_party_secretary", VILLAGE, "2015-03-01"), ("431202197505050033", "city_unit_head", BUREAU, "2016-01-01")):
            posts.assign_post(session, actor=OFFICE, person_id=person_id, role=role, unit_code=unit, start_date=dt.date.fromisoformat(start))
        for household_id, village, head, members, _ in SHEETS["households"][1:]:
            org.register_household(session, actor=OFFICE, household_id=household_id, village_code=village, head_name=head, members=members, registered_on=dt.date(2014, 10, 1))
        for village, year, population in SHEETS["population"][1:]:
            org.record_population(session, actor=OFFICE, code=village, year=year, rural_population=population)
        for _, household_id, _, _ in SHEETS["pairings"][1:]:
            posts.pair(session, actor=OFFICE, cadre_id="431224198001010011", household_id=household_id, start_date=dt.date(2016, 1, 1))
        posts.link_unit(session, actor=OFFICE, unit_code=BUREAU, village_code=VILLAGE, start_date=dt.date(2016, 1, 1))
        for visitor, level, target, day in VISITS:
            visits.record_visit(session, actor=OFFICE, visitor_id=visitor, target_level=level, target_id=target, occurred_at=_visit_at(day))
    engine.dispose()


def _figures(url: str):
    """The overdue report (without the product's internal ids) and the incidence figures."""
    engine = make_engine(url)
    try:
        with Session(read_only(engine)) as session:
            found = overdue_report(session, unit_code=CITY, as_of=dt.date(2017, 9, 30))
            rows = sorted((({k: v for k, v in dataclasses.asdict(row).items() if k not in ("post_id", "source_id")}) for row in found.rows), key=repr)
            incidence = [dataclasses.asdict(row) for row in incidence_report(session, unit_code=CITY, dates=[dt.date(2017, 9, 30)])]
            return rows, dataclasses.asdict(found.total), incidence
    finally:
        engine.dispose()


def test_a_county_onboarded_from_its_sheets_reports_as_the_same_county_built_command_by_command(empty_database, tmp_path: Path):
    onboarded, built = empty_database(), empty_database()
    assert exit_tracker(onboarded, "init-db").returncode == 0
    done = exit_tracker(onboarded, "setup", "--level", "city", "--code", CITY, "--name", "怀化市")
    assert done.returncode == 0, done.stderr
    templates = exit_tracker(onboarded, "templates", str(tmp_path / "templates"))
    assert templates.returncode == 0 and len(list((tmp_path / "templates").glob("*.xlsx"))) == len(onboarding.KINDS)
    for kind in onboarding.KINDS:  # the headers the templates give are the ones the sheets use
        header = onboarding.rows(onboarding.KINDS[kind], next((tmp_path / "templates").glob(f"{kind}-*.xlsx")).read_bytes(), "t.xlsx")
        assert all(not isinstance(row, onboarding.LineProblem) for _, row in header), kind
    for kind, rows in SHEETS.items():
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(xlsx(rows))
        done = exit_tracker(onboarded, "import", "records", kind, str(path))
        assert done.returncode == 0, (kind, done.stderr)
        assert f"{len(rows) - 1} added" in done.stdout, done.stdout
    visit_file = tmp_path / "visits.csv"
    visit_file.write_text("visitor_id,target_level,target_id,occurred_at\n" + "".join(f"{v},{lv},{t},{_visit_at(d).isoformat()}\n" for v, lv, t, d in VISITS), encoding="utf-8")
    assert exit_tracker(onboarded, "import", "visits", str(visit_file)).returncode == 0
    verified = exit_tracker(onboarded, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    _built_command_by_command(built)
    rows, total, incidence = _figures(onboarded)
    assert total["instances"] > 0 and incidence
    assert (rows, total, incidence) == _figures(built)

    again = exit_tracker(onboarded, "import", "records", "posts", str(tmp_path / "posts.xlsx"))
    assert again.returncode == 0 and "nothing changed" in again.stdout


@pytest.fixture
def county(engine):
    with transaction(engine) as session:
        set_up(session, actor=OFFICE, level="city", code=CITY, name="怀化市", name_en=None, admin_name="怀化市扶贫办")
        for kind in ("units", "people", "posts", "households"):
            onboarding.onboard(session, actor=OFFICE, kind=kind, data=xlsx(SHEETS[kind]), file_name=f"{kind}.xlsx")
    return engine


def _events(engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


def _refused(engine, kind: str, data: bytes, file_name: str = "f.csv", *, migration: bool = False) -> ImportRefused:
    before = _events(engine)
    with pytest.raises(ImportRefused) as refused:
        with transaction(engine) as session:
            onboarding.onboard(session, actor=OFFICE, kind=kind, data=data, file_name=file_name, migration=migration)
    assert _events(engine) == before  # nothing written
    return refused.value


def test_every_bad_row_is_named_by_line_and_column_and_nothing_is_written(county):
    units = _refused(county, "units", csv_bytes([
        ["单位代码", "单位名称", "层级", "上级单位代码"],
        ["431224200000", "龙潭镇", "乡镇", COUNTY],  # good: rolled back with the rest
        ["431224300000", "无名镇", "乡镇", "439999000000"],  # unknown parent
        [TOWN, "北斗溪乡", "村", COUNTY],  # the code of a unit on file, at another level
        ["431224200000", "龙潭镇", "乡镇", COUNTY],  # the same code twice in the file
        ["431224400000", "新村", "大队", TOWN],  # a level that does not exist
        ["431224500000", "", "村", TOWN],  # no name
    ]))
    assert [(p.line, p.field, p.code) for p in units.problems] == [
        (3, "上级单位代码", "org_unit_not_found"),
        (4, "层级", "differs_from_record"),
        (5, "单位代码", "duplicate_in_file"),
        (6, "层级", "invalid_value"),
        (7, "单位名称", "missing_value"),
    ]
    assert units.problems[0].code.endswith("not_found") and "439999000000" in units.problems[0].zh
    posts_refused = _refused(county, "posts", csv_bytes([
        ["人员编号", "职务", "任职单位代码", "开始日期", "结束日期"],
        ["431224198001010011", "乡镇干部", TOWN, "2018-01-01", "2017-12-31"],  # dates in the wrong order
        ["431224198001010011", "村党支部书记", TOWN, "2018-01-01", ""],  # a village post at a township
        ["431224198001010011", "乡镇干部", TOWN, "2018-13-01", ""],  # no such date
    ]))
    assert [(p.line, p.field) for p in posts_refused.problems] == [(2, "结束日期"), (3, "任职单位代码"), (4, "开始日期")], posts_refused.problems
    unknown = _refused(county, "pairings", csv_bytes([["干部人员编号", "户编号", "开始日期"], ["431224198001010011", "4312241002019999", "2017-01-01"]]))
    assert [(p.line, p.field) for p in unknown.problems] == [(2, "户编号")] and "4312241002019999" in unknown.problems[0].zh


def test_a_count_that_is_not_a_whole_number_is_a_bad_row_never_rounded_or_a_server_error(county):
    rows = [["户编号", "村代码", "户主姓名", "家庭人口", "建档立卡日期"]] + [[f"43122410020100{n}", VILLAGE, "户主", members, "2014-10-01"] for n, members in enumerate(["3.7", "1e400", "inf", "-1", "²"], start=20)]
    refused = _refused(county, "households", csv_bytes(rows))
    assert [(p.line, p.code, p.field) for p in refused.problems] == [(line, "invalid_value", "家庭人口") for line in range(2, 7)]


def test_more_pairings_than_the_rule_books_cap_are_refused_at_the_row_that_exceeds_it(county):
    with transaction(county) as session:
        households = [["户编号", "村代码", "户主姓名", "家庭人口", "建档立卡日期"]] + [[f"43122410020100{n:02d}", VILLAGE, f"户主{n}", 2, "2014-10-01"] for n in range(10, 16)]
        onboarding.onboard(session, actor=OFFICE, kind="households", data=xlsx(households), file_name="h.xlsx")
    rows = [["干部人员编号", "户编号", "开始日期"]] + [["431224198001010011", f"43122410020100{n:02d}", "2017-01-01"] for n in range(10, 16)]
    refused = _refused(county, "pairings", csv_bytes(rows))
    assert [(p.line, p.field, p.code) for p in refused.problems] == [(7, "干部人员编号", "pairing_cap_reached")]
    assert "5" in refused.problems[0].zh


def test_a_gbk_csv_is_read_and_a_file_in_neither_encoding_is_refused(engine):
    with transaction(engine) as session:
        set_up(session, actor=OFFICE, level="city", code=CITY, name="怀化市", name_en=None, admin_name="怀化市扶贫办")
        done = onboarding.onboard(session, actor=OFFICE, kind="people", data=csv_bytes(SHEETS["people"], "gbk"), file_name="人员.csv")
    assert done.added == 3
    with Session(engine) as session:
        assert org.get_person(session, "431224198203030022").name == "向秀英"
    with pytest.raises(Exception) as refused:
        with transaction(engine) as session:
            onboarding.onboard(session, actor=OFFICE, kind="people", data="姓名".encode("utf-16"), file_name="人员.csv")
    assert getattr(refused.value, "code", None) == "unreadable_file"


def test_a_csv_with_lines_ending_in_a_lone_carriage_return_is_read_and_one_the_csv_module_cannot_read_is_refused():
    """Old office software ends lines with \r alone; the schema fuzz found such a body made a
    server error. A cell past the csv module's limit is refused as an unreadable file."""
    people = onboarding.KINDS["people"]
    lines = "人员编号,姓名,性别\r431224198001010011,舒春生,男\r431224198203030022,\"向\r秀英\",女\r\n"
    found = list(onboarding.rows(people, lines.encode(), "人员.csv"))
    assert [(number, row["id"], row["name"]) for number, row in found] == [(2, "431224198001010011", "舒春生"), (4, "431224198203030022", "向\r秀英")]
    with pytest.raises(Exception) as refused:
        list(onboarding.rows(people, ("人员编号,姓名\n1,\"" + "长" * 200_000 + "\"\n").encode(), "人员.csv"))
    assert getattr(refused.value, "code", None) == "unreadable_file" and "line 2" in str(refused.value)


def test_a_reimport_changes_nothing_and_one_that_ends_a_tenure_records_that_end(county):
    before = _events(county)
    with transaction(county) as session:
        for kind in ("units", "people", "posts", "households"):
            done = onboarding.onboard(session, actor=OFFICE, kind=kind, data=xlsx(SHEETS[kind]), file_name=f"{kind}.xlsx")
            assert (done.added, done.changed, done.unchanged) == (0, 0, len(SHEETS[kind]) - 1), kind
    assert _events(county) == before
    ended = [row[:] for row in SHEETS["posts"]]
    ended[1][4] = "2018-03-31"
    with transaction(county) as session:
        done = onboarding.onboard(session, actor=OFFICE, kind="posts", data=xlsx(ended), file_name="posts.xlsx")
    assert (done.added, done.changed, done.unchanged) == (0, 1, 2)
    with Session(county) as session:
        post = session.execute(select(Post).where(Post.person_id == "431224198001010011")).scalars().one()
        assert post.end_date == dt.date(2018, 3, 31)
        assert session.execute(select(Event.type).order_by(Event.seq.desc()).limit(2)).scalars().all() == ["records.imported", "post.ended"]
        assert session.get(OrgUnit, VILLAGE).rural_population == 1200


def test_an_admin_onboards_through_the_api_within_its_scope_only(county):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import bearer

    with transaction(county) as session:
        org.add_org_unit(session, actor=OFFICE, code="431225000000", name="会同县", level="county", parent_code=CITY)
    county_admin = bearer(county, roles=["admin"], scope=COUNTY) | {"Content-Type": "text/csv"}
    recorder = bearer(county, roles=["recorder"], scope=COUNTY) | {"Content-Type": "text/csv"}
    inside = csv_bytes([["单位代码", "单位名称", "层级", "上级单位代码"], ["431224200000", "龙潭镇", "乡镇", COUNTY]])
    outside = csv_bytes([["code", "name", "level", "parent_code"], ["431225100000", "若水镇", "township", "431225000000"]])
    with TestClient(create_app(county)) as client:
        assert client.post("/api/v1/imports/units", content=inside, headers=recorder).status_code == 403
        refused = client.post("/api/v1/imports/units", content=outside, headers=county_admin)
        assert refused.status_code == 422 and refused.json()["code"] == "import_refused"
        assert [(line["line"], line["code"]) for line in refused.json()["details"]["lines"]] == [(2, "org_unit_not_found")]  # as if it did not exist
        done = client.post("/api/v1/imports/units", content=inside, headers=county_admin)
        assert done.status_code == 201 and done.json() == {"kind": "units", "added": 1, "changed": 0, "unchanged": 0}
        book = xlsx([["单位代码", "单位名称", "层级", "上级单位代码"], ["431224200000", "龙潭镇", "乡镇", COUNTY]])
        again = client.post("/api/v1/imports/units", content=book, headers=county_admin | {"Content-Type": XLSX_TYPE})
        assert again.status_code == 201 and again.json()["unchanged"] == 1, again.text


def test_an_exit_date_ends_a_concentrated_townships_spell_once_and_a_poor_village_needs_its_exit_case(county):
    ended = [row[:] for row in SHEETS["units"]]
    ended[3][5:7] = ["2014-10-01", "2018-12-20"]  # 北斗溪镇: a township with a concentrated poor population, until 2018
    for expected in ((0, 1, 3), (0, 0, 4)):  # recorded once; the same sheet again changes nothing
        with transaction(county) as session:
            done = onboarding.onboard(session, actor=OFFICE, kind="units", data=xlsx(ended), file_name="units.xlsx")
        assert (done.added, done.changed, done.unchanged) == expected
    with Session(county) as session:
        assert [(s.registered_on, s.exited_on) for s in org.registry_spells(session, "concentrated_township", TOWN)] == [(dt.date(2014, 10, 1), dt.date(2018, 12, 20))]
        assert session.execute(select(func.count()).select_from(Event).where(Event.type == "registry.ended")).scalar_one() == 1
    village_exit = [row[:] for row in SHEETS["units"]]
    village_exit[4][6] = "2018-12-20"
    refused = _refused(county, "units", xlsx(village_exit), "units.xlsx")  # a village leaves the registry through its exit case (三签字)
    no_start = _refused(county, "units", csv_bytes([["单位代码", "单位名称", "层级", "上级单位代码", "退出日期"], [TOWN, "北斗溪镇", "乡镇", COUNTY, "2018-12-20"]]))
    wrong_level = _refused(county, "units", csv_bytes([["单位代码", "单位名称", "层级", "上级单位代码", "建档立卡日期"], [CITY, "怀化市", "市", "", "2014-10-01"]]))
    assert [(p.line, p.code) for p in refused.problems] == [(5, "exit_case_required")]
    assert [(p.code, p.field) for p in no_start.problems + wrong_level.problems] == [("exit_without_registration", "建档立卡日期"), ("not_registrable", "建档立卡日期")]


def _last_types(engine, count: int) -> list[str]:
    with Session(engine) as session:
        return list(reversed(session.execute(select(Event.type).order_by(Event.seq.desc()).limit(count)).scalars().all()))


def test_a_corrected_name_is_recorded_as_its_event_and_the_former_name_stays_in_the_records_history(county):
    from workflow.eventlog.versions import known_records
    from workflow.org.models import Household, Person

    with Session(county) as session:
        before = session.execute(select(func.max(Event.seq))).scalar_one()
    units, people, households = ([row[:] for row in SHEETS[kind]] for kind in ("units", "people", "households"))
    units[3][1] = "北斗溪乡"  # 北斗溪镇, corrected
    people[1][1] = "舒春笙"
    households[1][2] = "向桂芝"
    for kind, rows in (("units", units), ("people", people), ("households", households)):
        with transaction(county) as session:
            done = onboarding.onboard(session, actor=OFFICE, kind=kind, data=xlsx(rows), file_name=f"{kind}.xlsx")
        assert (done.added, done.changed, done.unchanged) == (0, 1, len(rows) - 2), kind
    assert _last_types(county, 6) == ["org_unit.renamed", "records.imported", "person.renamed", "records.imported", "household.head_renamed", "records.imported"]
    with Session(county) as session:
        assert (session.get(OrgUnit, TOWN).name, session.get(Person, "431224198001010011").name, session.get(Household, "4312241002010001").head_name) == ("北斗溪乡", "舒春笙", "向桂芝")
        with known_records(session, session.execute(select(Event.recorded_at).where(Event.seq == before)).scalar_one()) as then:
            assert (then.get(OrgUnit, TOWN).name, then.get(Person, "431224198001010011").name, then.get(Household, "4312241002010001").head_name) == ("北斗溪镇", "舒春生", "向桂兰")
    with transaction(county) as session:  # the corrected sheet again changes nothing, and records no import
        done = onboarding.onboard(session, actor=OFFICE, kind="people", data=xlsx(people), file_name="people.xlsx")
    assert (done.changed, done.import_id) == (0, None) and _last_types(county, 1) == ["records.imported"]
    blank = _refused(county, "people", csv_bytes([["人员编号", "姓名"], ["431224198001010011", " "]]))
    assert [(p.line, p.field, p.code) for p in blank.problems] == [(2, "姓名", "missing_value")]


def test_a_villages_rural_population_is_read_for_the_year_of_each_date(county):
    with transaction(county) as session:
        done = onboarding.onboard(session, actor=OFFICE, kind="population", data=xlsx(SHEETS["population"]), file_name="population.xlsx")
    assert (done.added, done.changed, done.unchanged) == (2, 0, 0)
    dates = [dt.date(2015, 12, 31), dt.date(2016, 1, 1), dt.date(2016, 12, 31), dt.date(2017, 1, 1), dt.date(2019, 6, 30)]
    with Session(county) as session:
        rural = {row.date: row.rural_population for row in incidence_report(session, unit_code=VILLAGE, dates=dates)}
    # before the first year's figure: the undated one (1,200); from 1 January of a year, its figure; later years keep the last one
    assert rural == {dates[0]: 1200, dates[1]: 1180, dates[2]: 1180, dates[3]: 1210, dates[4]: 1210}
    with Session(county) as session:
        corrected_at = session.execute(select(func.max(Event.recorded_at))).scalar_one()
    corrected = [row[:] for row in SHEETS["population"]]
    corrected[2][2] = 1250
    with transaction(county) as session:
        done = onboarding.onboard(session, actor=OFFICE, kind="population", data=xlsx(corrected), file_name="population.xlsx")
    assert (done.added, done.changed, done.unchanged) == (0, 1, 1)
    from workflow.eventlog.versions import known_records

    with Session(county) as session:
        assert incidence_report(session, unit_code=VILLAGE, dates=[dt.date(2017, 9, 30)])[0].rural_population == 1250
        with known_records(session, corrected_at) as then:  # as the log held it before the correction
            row = incidence_report(then, unit_code=VILLAGE, dates=[dt.date(2017, 9, 30)])[0]
            assert (row.rural_population, row.poor_population) == (1210, 8)
    bad = _refused(county, "population", csv_bytes([["村代码", "年度", "农村人口"], [TOWN, 2017, 900], [VILLAGE, 1899, 900], [VILLAGE, 2018, -5], ["439999999999", 2018, 5]]))
    assert [(p.line, p.field, p.code) for p in bad.problems] == [
        (2, "村代码", "invalid_village"), (3, "年度", "invalid_year"), (4, "农村人口", "invalid_value"), (5, "村代码", "org_unit_not_found"),
    ]


def test_a_household_exit_before_the_product_loads_only_as_a_migration_and_reads_as_exited_from_that_day(county):
    from workflow.exits.service import household_status_on
    from workflow.imports.models import RecordImport

    exited = [row[:] + [""] for row in SHEETS["households"]]
    exited[0][5] = "退出日期"
    exited[1][5] = "2016-11-30"
    refused = _refused(county, "households", xlsx(exited), "households.xlsx")
    assert [(p.line, p.field, p.code) for p in refused.problems] == [(2, "退出日期", "exit_needs_migration")]
    assert "三签字" in refused.problems[0].zh
    for expected in ((0, 1, 1), (0, 0, 2)):  # recorded once; the same sheet again changes nothing
        with transaction(county) as session:
            done = onboarding.onboard(session, actor=OFFICE, kind="households", data=xlsx(exited), file_name="households.xlsx", migration=True)
        assert (done.added, done.changed, done.unchanged) == expected
    with Session(county) as session:
        spells = org.registry_spells(session, "poor_household", "4312241002010001")
        assert [(s.registered_on, s.exited_on) for s in spells] == [(dt.date(2014, 10, 1), dt.date(2016, 11, 30))]
        end_of = lambda day: dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=8)))  # noqa: E731
        assert household_status_on(session, "4312241002010001", end_of(dt.date(2016, 11, 29))) == "registered"
        assert household_status_on(session, "4312241002010001", end_of(dt.date(2016, 11, 30))) == "exited"
        poor = {row.date: row.poor_population for row in incidence_report(session, unit_code=VILLAGE, dates=[dt.date(2016, 11, 30), dt.date(2016, 12, 1)])}
        assert poor == {dt.date(2016, 11, 30): 8, dt.date(2016, 12, 1): 5}
        marked = session.execute(select(RecordImport).where(RecordImport.migration)).scalars().one()
        assert (marked.kind, marked.migration, marked.changed, marked.last_seq - marked.first_seq + 1) == ("households", True, 1, 1)
        assert session.execute(select(Event.type).where(Event.seq == marked.first_seq)).scalar_one() == "household.exit_before_product"
    other = [row[:] for row in exited]
    other[1][5] = "2017-01-31"
    before_registration = [row[:] for row in exited]
    before_registration[2][5] = "2014-09-30"
    differs = _refused(county, "households", xlsx(other), "households.xlsx", migration=True)
    early = _refused(county, "households", xlsx(before_registration), "households.xlsx", migration=True)
    assert [(p.line, p.code) for p in differs.problems] == [(2, "differs_from_record")]
    assert [(p.line, p.field, p.code) for p in early.problems] == [(3, "退出日期", "invalid_dates")]


def test_visits_imported_as_a_migration_are_not_listed_as_backfilled_unless_asked(empty_database, tmp_path: Path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import bearer

    url = empty_database()
    assert exit_tracker(url, "init-db").returncode == 0
    assert exit_tracker(url, "setup", "--level", "city", "--code", CITY, "--name", "怀化市").returncode == 0
    for kind in ("units", "people", "posts", "households"):
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(xlsx(SHEETS[kind]))
        assert exit_tracker(url, "import", "records", kind, str(path), "--migration").returncode == 0
    lines = "visitor_id,target_level,target_id,occurred_at\n"
    historic, current = tmp_path / "historic.csv", tmp_path / "current.csv"
    historic.write_text(lines + "".join(f"{v},{lv},{t},{_visit_at(d).isoformat()}\n" for v, lv, t, d in VISITS[:3]), encoding="utf-8")
    current.write_text(lines + "".join(f"{v},{lv},{t},{_visit_at(d).isoformat()}\n" for v, lv, t, d in VISITS[3:]), encoding="utf-8")
    done = exit_tracker(url, "import", "visits", str(historic), "--migration")
    assert done.returncode == 0 and "as a migration" in done.stdout, done.stdout + done.stderr
    assert exit_tracker(url, "import", "visits", str(current)).returncode == 0
    assert exit_tracker(url, "audit", "verify").returncode == 0
    engine = make_engine(url)
    try:
        with Session(engine) as session:  # the migration's run holds its three visits' events and nothing else
            from workflow.imports.models import VisitImport

            marked = session.execute(select(VisitImport).where(VisitImport.migration)).scalars().one()
            run = session.execute(select(Event.type).where(Event.seq.between(marked.first_seq, marked.last_seq))).scalars().all()
            assert run == ["visit.recorded"] * 3
        auditor = bearer(engine, roles=["auditor"], scope=CITY)
        with TestClient(create_app(engine)) as client:
            listed = {}
            for flag in ("false", "true"):
                found = client.get("/api/v1/reports/irregularities", params={"unit": CITY, "as_of": "2017-12-31", "kind": "backfilled_visit", "include_migrated": flag}, headers=auditor)
                assert found.status_code == 200, found.text
                listed[flag] = sorted(row["unit_code"] for row in found.json()["items"])
        assert listed == {"false": [VILLAGE], "true": [VILLAGE] * 4}  # the migration's three visits only on request
    finally:
        engine.dispose()


@pytest.mark.parametrize(("utc", "accepted"), [("2026-12-06T16:30:00Z", True), ("2026-12-06T15:30:00Z", False)])
def test_a_paper_exit_dated_today_in_beijing_is_taken_while_utc_is_still_yesterday(county, utc, accepted):
    from freezegun import freeze_time

    exited = [row[:] + [""] for row in SHEETS["households"]]
    exited[0][5], exited[1][5] = "退出日期", "2026-12-07"  # 00:30 on 7 December in Beijing is 16:30 UTC on the 6th
    with freeze_time(utc):
        if accepted:
            with transaction(county) as session:
                done = onboarding.onboard(session, actor=OFFICE, kind="households", data=xlsx(exited), file_name="households.xlsx", migration=True)
            assert done.changed == 1
        else:
            refused = _refused(county, "households", xlsx(exited), "households.xlsx", migration=True)
            assert [(p.line, p.code) for p in refused.problems] == [(2, "invalid_dates")]


def _appended_by(engine, build) -> list[tuple]:
    """The events `build(session)` appends, rolled back after: (type, entity type, entity id,
    payload, account), the ids the product generates numbered in the order they first appear."""
    import json

    generated: dict[str, str] = {}

    def named(value: str) -> str:
        return generated.setdefault(value, f"generated-{len(generated)}")

    with Session(engine) as session:
        start = session.execute(select(func.coalesce(func.max(Event.seq), 0))).scalar_one()
        build(session)
        session.flush()
        events = session.execute(select(Event).where(Event.seq > start).order_by(Event.seq)).scalars().all()
        shapes = []
        for event in events:
            payload = json.loads(event.payload)
            if event.entity_type in ("post", "pairing"):
                payload["id"] = named(payload["id"])
            if "spell_id" in payload:
                payload["spell_id"] = named(payload["spell_id"])
            entity_id = named(event.entity_id) if event.entity_type in ("post", "pairing") else event.entity_id
            shapes.append((event.type, event.entity_type, entity_id, payload, event.account))
        session.rollback()
    return shapes


def test_sheets_append_the_very_events_the_commands_append_one_record_at_a_time(county):
    """The chunked import (rows checked a chunk at a time, events appended in batches) writes the
    log the commands would: the same types, payloads and order, a paper exit in its place."""
    people = SHEETS["people"] + [["431224199001010044", "田小梅", ""]]
    town_posts = SHEETS["posts"] + [["431224199001010044", "乡镇干部", TOWN, "2016-01-01", "2017-12-31"]]
    households = [row[:] + [""] for row in SHEETS["households"]] + [["4312241002010003", VILLAGE, "杨再兴", 2, "2014-10-01", "2016-11-30"]]
    households[0][5] = "退出日期"
    pairings = SHEETS["pairings"] + [["431224199001010044", "4312241002010003", "2016-01-01", "2016-11-30"]]

    def from_sheets(session: Session) -> None:
        for kind, rows in (("people", people), ("posts", town_posts), ("households", households), ("pairings", pairings)):
            onboarding.onboard(session, actor=OFFICE, kind=kind, data=csv_bytes(rows), file_name=f"{kind}.csv", migration=True)

    def by_commands(session: Session) -> None:
        org.add_person(session, actor=OFFICE, name="田小梅", person_id="431224199001010044")  # the others are on file: unchanged
        posts.assign_post(session, actor=OFFICE, person_id="431224199001010044", role="township_cadre", unit_code=TOWN, start_date=dt.date(2016, 1, 1), end_date=dt.date(2017, 12, 31))
        org.register_household(session, actor=OFFICE, household_id="4312241002010003", village_code=VILLAGE, head_name="杨再兴", members=2, registered_on=dt.date(2014, 10, 1))
        org.record_exit_before_product(session, actor=OFFICE, household_id="4312241002010003", exited_on=dt.date(2016, 11, 30))
        posts.pair(session, actor=OFFICE, cadre_id="431224198001010011", household_id="4312241002010001", start_date=dt.date(2016, 1, 1))
        posts.pair(session, actor=OFFICE, cadre_id="431224198001010011", household_id="4312241002010002", start_date=dt.date(2016, 1, 1))
        posts.pair(session, actor=OFFICE, cadre_id="431224199001010044", household_id="4312241002010003", start_date=dt.date(2016, 1, 1), end_date=dt.date(2016, 11, 30))

    sheets = [shape for shape in _appended_by(county, from_sheets) if shape[0] != "records.imported"]
    assert [shape[0] for shape in sheets] == ["person.added", "post.assigned", "household.registered", "household.exit_before_product", "pairing.started", "pairing.started", "pairing.started"]
    assert sheets == _appended_by(county, by_commands)
