"""Report endpoints: scope, pagination, CSV / Excel files with Chinese or English headers, as known at."""

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from tests.api.conftest import bearer
from tests.factories import ADMIN, build_tree, household, person_in_post
from tests.workflow.obligations.test_last_day_of_a_period import paired_cadre_visiting_january_to_may
from workflow import clock
from workflow.db import transaction
from workflow.org import service as org
from workflow.posts import service as posts
from workflow.visits import service as visits

BEIJING = dt.timezone(dt.timedelta(hours=8))


def _setup(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        for n in range(1, 4):
            household(session, tree, f"43122410020100{n:02d}", members=5)
            posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=f"43122410020100{n:02d}", start_date=dt.date(2016, 3, 1))
        org.register_household(session, actor=ADMIN, household_id="H-late", village_code=tree.other_village, head_name="向秀英", members=9, registered_on=dt.date(2016, 6, 1))
        visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="village", target_id=tree.village, occurred_at=dt.datetime(2017, 7, 3, 10, tzinfo=BEIJING))
    return tree, cadre, bearer(engine, roles=["supervisor"], scope=tree.county)


def test_incidence_over_time_per_unit(client, engine):
    tree, cadre, headers = _setup(engine)
    response = client.get("/api/v1/reports/incidence", headers=headers, params={"unit": tree.township, "from": "2015-01-01", "as_of": "2017-06-30"})
    assert response.status_code == 200, response.text
    rows = {(r["unit_code"], r["date"]): r for r in response.json()["items"]}
    assert set(d for _, d in rows) == {"2015-12-31", "2016-12-31", "2017-06-30"}
    # 坪溪村: 3 households × 5 of 1,200; 金中村: the 9-member household only from 1 June 2016, of 900.
    assert rows[(tree.village, "2015-12-31")]["incidence"] == 0.0125
    assert rows[(tree.other_village, "2015-12-31")]["poor_population"] == 0
    assert rows[(tree.other_village, "2016-12-31")]["incidence"] == 0.01
    township = rows[(tree.township, "2017-06-30")]
    assert (township["poor_population"], township["rural_population"], township["incidence"]) == (24, 2100, 0.0114)
    assert township["below_threshold"] is True


def test_files_have_chinese_headers_by_default_and_english_on_request(client, engine):
    tree, cadre, headers = _setup(engine)
    params = {"unit": tree.township, "as_of": "2017-06-30"}
    zh = client.get("/api/v1/reports/incidence", headers=headers, params={**params, "format": "csv"})
    assert zh.status_code == 200 and zh.headers["content-type"].startswith("text/csv")
    assert zh.content.startswith("\ufeff".encode()) and zh.text.lstrip("\ufeff").startswith("单位,单位代码,层级,日期")
    assert "attachment" in zh.headers["content-disposition"]
    en = client.get("/api/v1/reports/incidence", headers={**headers, "Accept-Language": "en"}, params={**params, "format": "csv"})
    assert en.text.lstrip("\ufeff").startswith("Unit,Unit code,Level,Date")
    xlsx = client.get("/api/v1/reports/overdue-visits", headers=headers, params={"unit": tree.township, "as_of": "2017-09-30", "format": "xlsx", "lang": "en"})
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    title, header, *rows = list(sheet.iter_rows(values_only=True))
    assert title[0].startswith("Overdue visits · 北斗溪镇 (431224100000) · as of 2017-09-30")
    assert header[:7] == ("County", "County code", "Township", "Township code", "Unit of the post", "Unit code", "Rule")
    assert {row[6] for row in rows} == {"V7"} and len(rows) == 3


def test_reports_page_with_a_cursor_and_carry_totals(client, engine):
    tree, cadre, headers = _setup(engine)
    params = {"unit": tree.county, "as_of": "2017-09-30", "limit": 2}
    first = client.get("/api/v1/reports/overdue-visits", headers=headers, params=params).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert first["total"]["instances"] >= 3 and first["townships"][0]["unit_name"] == "北斗溪镇"
    second = client.get("/api/v1/reports/overdue-visits", headers=headers, params={**params, "cursor": first["next_cursor"]}).json()
    assert {r["post_id"] + (r["target_id"] or "") + r["rule_id"] for r in first["items"]}.isdisjoint({r["post_id"] + (r["target_id"] or "") + r["rule_id"] for r in second["items"]})
    scorecard = client.get("/api/v1/reports/scorecard", headers=headers, params={"unit": tree.county, "as_of": "2017-09-30", "rule": "V7"}).json()
    assert [s["person_name"] for s in scorecard["items"]] == ["舒春生"]


def test_the_overdue_reports_pages_put_together_are_the_whole_report_in_order(client, engine):
    tree, cadre, headers = _setup(engine)
    params = {"unit": tree.county, "as_of": "2017-09-30"}
    whole = client.get("/api/v1/reports/overdue-visits", headers=headers, params={**params, "limit": 500}).json()
    assert whole["next_cursor"] is None and len(whole["items"]) >= 3
    pages, cursor = [], None
    while True:
        page = client.get("/api/v1/reports/overdue-visits", headers=headers, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        pages += page["items"]
        assert page["total"] == whole["total"] and page["townships"] == whole["townships"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == whole["items"]


def test_as_known_at_ignores_what_was_recorded_later(client, engine):
    tree, cadre, headers = _setup(engine)
    before = clock.now().isoformat()
    with transaction(engine) as session:
        org.register_household(session, actor=ADMIN, household_id="H-backfilled", village_code=tree.village, head_name="瞿翠兰", members=6, registered_on=dt.date(2015, 1, 1))
    params = {"unit": tree.township, "as_of": "2017-06-30", "level": "village"}
    now = {r["unit_code"]: r for r in client.get("/api/v1/reports/incidence", headers=headers, params=params).json()["items"]}
    then = {r["unit_code"]: r for r in client.get("/api/v1/reports/incidence", headers=headers, params={**params, "known_at": before}).json()["items"]}
    assert now[tree.village]["poor_population"] == then[tree.village]["poor_population"] + 6


def test_a_report_for_a_unit_outside_the_scope_is_not_found(client, engine):
    tree, cadre, headers = _setup(engine)
    township = bearer(engine, roles=["supervisor"], scope=tree.other_township)
    for report in ("overdue-visits", "scorecard", "missing-signatures", "incidence"):
        response = client.get(f"/api/v1/reports/{report}", headers=township, params={"unit": tree.township})
        assert response.status_code == 404 and response.json()["code"] == "org_unit_not_found", report


def test_the_exported_file_on_the_last_day_of_a_month_shows_the_month_due(client, engine):
    with transaction(engine) as session:
        tree, _ = paired_cadre_visiting_january_to_may(session)
    headers = bearer(engine, roles=["supervisor"], scope=tree.county)
    params = {"unit": tree.county, "as_of": "2018-06-30", "format": "csv", "lang": "en"}
    due = client.get("/api/v1/reports/overdue-visits", headers=headers, params=params)
    overdue = client.get("/api/v1/reports/overdue-visits", headers=headers, params={**params, "status": "overdue"})
    assert due.status_code == overdue.status_code == 200, due.text
    [row] = list(csv.DictReader(io.StringIO(due.text.lstrip("\ufeff"))))
    assert (row["Status"], row["Current period status"]) == ("due", "due")
    assert list(csv.DictReader(io.StringIO(overdue.text.lstrip("\ufeff")))) == []


def test_missing_signatures_as_known_at_ignore_a_case_and_a_signature_recorded_later(client, engine):
    from tests.factories import exit_signers
    from tests.workflow.exits.steps import household_case, sign_roles

    with transaction(engine) as session:
        tree = build_tree(session)
        signers = exit_signers(session, tree)
        case = household_case(session, tree)
    before_signing = clock.now().isoformat()
    with transaction(engine) as session:
        sign_roles(session, session.merge(case), signers, ["village_party_secretary"])
        late = household_case(session, tree, number="431224100201000077")
    headers = bearer(engine, roles=["supervisor"], scope=tree.county)
    params = {"unit": tree.county}
    now = client.get("/api/v1/reports/missing-signatures", headers=headers, params=params).json()["items"]
    then = client.get("/api/v1/reports/missing-signatures", headers=headers, params={**params, "known_at": before_signing}).json()["items"]
    assert {item["subject_id"] for item in now} == {case.subject_id, late.subject_id}
    assert [item["subject_id"] for item in then] == [case.subject_id]
    assert [m["role"] for m in then[0]["missing"]] == ["village_party_secretary", "village_director"]
    [signed_since] = [item for item in now if item["subject_id"] == case.subject_id]
    assert [m["role"] for m in signed_since["missing"]] == ["village_director"]


def test_rows_name_their_pairing_and_give_the_status_of_each_period(client, engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        number = household(session, tree, "431224100201000001")
        first = posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=number, start_date=dt.date(2018, 1, 1), end_date=dt.date(2018, 3, 31))
        renewed = posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=number, start_date=dt.date(2018, 5, 1))
        visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="household", target_id=number, occurred_at=dt.datetime(2018, 2, 3, 10, tzinfo=BEIJING))
        first_id, renewed_id = first.id, renewed.id
    headers = bearer(engine, roles=["supervisor"], scope=tree.county)
    response = client.get("/api/v1/reports/overdue-visits", headers=headers, params={"unit": tree.county, "as_of": "2018-06-10", "rule": "V7"})
    assert response.status_code == 200, response.text
    rows = {row["source_id"]: row for row in response.json()["items"]}
    assert set(rows) == {first_id, renewed_id}
    statuses = lambda row: [(p["period"], p["status"]) for p in row["periods"]]  # noqa: E731
    assert statuses(rows[first_id]) == [("2018-01", "missed"), ("2018-02", "met"), ("2018-03", "missed"), ("2018-04", "not_owed"), ("2018-05", "not_owed"), ("2018-06", "not_owed")]
    assert statuses(rows[renewed_id]) == [("2018-01", "not_owed"), ("2018-02", "not_owed"), ("2018-03", "not_owed"), ("2018-04", "not_owed"), ("2018-05", "missed"), ("2018-06", "due")]
    exported = client.get("/api/v1/reports/overdue-visits", headers=headers, params={"unit": tree.county, "as_of": "2018-06-10", "rule": "V7", "format": "csv", "lang": "en"})
    by_source = {row["Pairing or link"]: row for row in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))}
    assert by_source[renewed_id]["Status of each period"].endswith("May 2018 missed; Jun 2018 due")


def test_a_year_end_review_asks_from_the_start_of_the_year_and_gets_every_missed_month(client, engine):
    with transaction(engine) as session:
        tree, cadre = paired_cadre_visiting_january_to_may(session)
    headers = bearer(engine, roles=["supervisor"], scope=tree.county)
    params = {"unit": tree.county, "as_of": "2019-01-15", "rule": "V7"}
    default = client.get("/api/v1/reports/overdue-visits", headers=headers, params=params).json()["items"]
    review = client.get("/api/v1/reports/overdue-visits", headers=headers, params={**params, "from": "2018-01-01"}).json()["items"]
    assert [row["missed_periods"] for row in default] == [["2018-12"]]
    assert [row["missed_periods"] for row in review] == [[f"2018-{m:02d}" for m in range(6, 13)]]
    assert [p["period"] for p in review[0]["periods"]][:2] == ["2018-01", "2018-02"] and len(review[0]["periods"]) == 13
    card = client.get("/api/v1/reports/scorecard", headers=headers, params={**params, "from": "2018-01-01"}).json()["items"]
    assert [(s["periods_owed"], s["periods_met"]) for s in card] == [(12, 5)]
    late = client.get("/api/v1/reports/overdue-visits", headers=headers, params={**params, "from": "2019-02-01"})
    assert late.status_code == 422 and late.json()["code"] == "from_after_as_of"


def test_incidence_counts_poor_villages_and_concentrated_townships_on_each_date(client, engine):
    tree, cadre, headers = _setup(engine)
    with transaction(engine) as session:
        org.end_unit_registration(session, actor=ADMIN, kind="concentrated_township", code=tree.township, exited_on=dt.date(2016, 6, 30))
    response = client.get("/api/v1/reports/incidence", headers=headers, params={"unit": tree.county, "from": "2015-01-01", "as_of": "2017-06-30"})
    assert response.status_code == 200, response.text
    rows = {(r["unit_code"], r["date"]): r for r in response.json()["items"]}
    assert (rows[(tree.county, "2015-12-31")]["poor_villages"], rows[(tree.county, "2015-12-31")]["poor_townships"]) == (2, 1)
    assert (rows[(tree.township, "2016-12-31")]["poor_villages"], rows[(tree.township, "2016-12-31")]["poor_townships"]) == (2, 0)
    zh = client.get("/api/v1/reports/incidence", headers=headers, params={"unit": tree.county, "as_of": "2017-06-30", "format": "csv"})
    assert "贫困村数" in zh.text.splitlines()[0]
