"""The source's other duties over HTTP: teams and deep-poverty marks written by admins, the
refusal to withdraw a team as a problem document, and the four reports within scope."""

from __future__ import annotations

import datetime as dt

from freezegun import freeze_time

from tests.api.conftest import bearer
from tests.factories import ADMIN, build_tree, household, person_in_post
from workflow.db import transaction
from workflow.org import service as org
from workflow.posts import service as posts


def _world(engine):
    with freeze_time("2017-09-01T02:00:00Z"), transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        paired = household(session, tree, "4312241002010001")
        household(session, tree, "4312241002010002", registered_on=dt.date(2017, 8, 1))
        posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=paired, start_date=dt.date(2017, 1, 1))
        members = [org.add_person(session, actor=ADMIN, name=name).id for name in ("队长甲", "队员乙")]
    admin = bearer(engine, roles=["admin"], scope=tree.county)
    return tree, admin, members, paired


def test_a_team_is_stationed_staffed_and_refused_leave_before_its_village_exits(client, engine):
    tree, admin, members, _ = _world(engine)
    made = client.post("/api/v1/teams", headers=admin, json={"village_code": tree.village, "sending_unit_code": tree.county, "start_date": "2017-06-01"})
    assert made.status_code == 201, made.text
    team = made.json()["id"]
    for n, person in enumerate(members):
        added = client.post(f"/api/v1/teams/{team}/members", headers=admin, json={"person_id": person, "start_date": "2017-06-01", "first_secretary": n == 0})
        assert added.status_code == 201, added.text
    shown = client.get(f"/api/v1/teams/{team}", headers=admin).json()
    assert {m["person_id"]: m["first_secretary"] for m in shown["members"]} == {members[0]: True, members[1]: False}
    refused = client.post(f"/api/v1/teams/{team}/end", headers=admin, json={"end_date": "2017-12-31"})
    assert refused.status_code == 409 and refused.json()["code"] == "team_withdrawal_before_exit"
    assert "坪溪村" in refused.json()["detail"] and "不脱贫出列不撤队" in refused.json()["detail"]
    post = next(m["post_id"] for m in shown["members"] if m["person_id"] == members[1])
    below = client.post(f"/api/v1/posts/{post}/end", headers={**admin, "Accept-Language": "en"}, json={"end_date": "2017-10-31"})
    assert below.status_code == 409 and below.json()["code"] == "team_below_strength_before_exit" and "坪溪村" in below.json()["detail"]
    other = bearer(engine, roles=["supervisor"], scope=tree.other_township)
    hidden, unknown = client.get(f"/api/v1/teams/{team}", headers=other), client.get("/api/v1/teams/no-such-team", headers=admin)
    assert (hidden.status_code, hidden.json()["code"]) == (unknown.status_code, unknown.json()["code"]) == (404, "team_not_found")


def test_the_four_reports_answer_within_scope_in_json_and_files(client, engine):
    tree, admin, _, paired = _world(engine)
    marked = client.post(f"/api/v1/households/{paired}/deep-poverty", headers=admin, json={"start_date": "2017-06-01"})
    assert marked.status_code == 201, marked.text
    supervisor = bearer(engine, roles=["supervisor"], scope=tree.county)
    params = {"unit": tree.county, "as_of": "2017-09-30"}
    unpaired = client.get("/api/v1/reports/unpaired-households", headers=supervisor, params=params).json()["items"]
    assert [(r["household_id"], r["unpaired_since"], r["days_unpaired"]) for r in unpaired] == [("4312241002010002", "2017-08-01", 61)]
    assert unpaired[0]["cadres_with_room"][0]["room"] == 4
    coverage = client.get("/api/v1/reports/pairing-coverage", headers=supervisor, params=params).json()["items"]
    assert (coverage[0]["unit_code"], coverage[0]["registered"], coverage[0]["paired"], coverage[0]["rate"]) == (tree.county, 2, 1, 0.5)
    [advice] = client.get("/api/v1/reports/deep-poverty-advisories", headers=supervisor, params=params).json()["items"]
    assert advice["household_id"] == paired and advice["cadre_roles"] == ["township_cadre"]
    gaps = client.get("/api/v1/reports/work-team-gaps", headers=supervisor, params={**params, "problem": "no_work_team"}).json()["items"]
    assert {g["village_code"] for g in gaps} == {tree.village, tree.other_village}
    text = client.get("/api/v1/reports/work-team-gaps", headers=supervisor, params={**params, "format": "csv"}).text
    assert "未派驻工作队" in text and "金中村" in text and "no_work_team" not in text
    # As known before the deep-poverty mark was recorded, there was nothing to advise.
    before = client.get("/api/v1/reports/deep-poverty-advisories", headers=supervisor, params={**params, "known_at": "2017-09-01T12:00:00+08:00"})
    assert before.status_code == 200 and before.json()["items"] == []
    outside = bearer(engine, roles=["supervisor"], scope=tree.other_township)
    assert client.get("/api/v1/reports/work-team-gaps", headers=outside, params=params).status_code == 404


def test_plans_are_set_within_scope_by_the_unit_above_and_their_lists_wait_for_the_year_to_close(client, engine):
    tree, admin, _, paired = _world(engine)
    body = {"unit_code": tree.village, "year": 2017, "households": 1, "people": 4, "set_by": tree.township}
    first = client.post("/api/v1/plans", headers=admin, json=body)
    assert first.status_code == 200 and first.json()["revision"] == 1, first.text
    assert client.post("/api/v1/plans", headers=admin, json={**body, "households": 2, "people": 8}).json()["revision"] == 2
    wrong = client.post("/api/v1/plans", headers=admin, json={**body, "set_by": tree.county})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_plan_setter"
    township_admin = bearer(engine, roles=["admin"], scope=tree.other_township)
    assert client.post("/api/v1/plans", headers=township_admin, json=body).status_code == 404
    planned = client.post("/api/v1/planned-exits", headers=admin, json={"kind": "poor_household", "subject_id": paired, "year": 2017})
    assert planned.status_code == 200, planned.text
    supervisor = bearer(engine, roles=["supervisor"], scope=tree.county)
    [result] = client.get("/api/v1/reports/plan-results", headers=supervisor, params={"unit": tree.county, "as_of": "2017-09-30"}).json()["items"]
    assert (result["planned_households"], result["exited_households"], result["completed"]) == (2, 0, None)
    early = client.get("/api/v1/reports/plan-bonus", headers=supervisor, params={"unit": tree.county, "as_of": "2017-12-30", "year": 2017})
    assert early.status_code == 422 and early.json()["code"] == "year_not_closed"
    [late] = client.get("/api/v1/reports/accountability", headers=supervisor, params={"unit": tree.county, "as_of": "2018-01-02"}).json()["items"]
    assert (late["subject_id"], late["planned_year"], late["exited_on"]) == (paired, 2017, None)
    text = client.get("/api/v1/reports/plan-bonus", headers=supervisor, params={"unit": tree.county, "as_of": "2018-01-02", "format": "csv"}).text
    assert "未完成计划,取消绩效奖励" in text and "坪溪村" in text


def test_listing_teams_reads_all_their_members_in_one_query_not_one_per_team(client, engine):
    from sqlalchemy import event

    tree, admin, members, _ = _world(engine)
    for village in (tree.village, tree.other_village):
        team = client.post("/api/v1/teams", headers=admin, json={"village_code": village, "sending_unit_code": tree.county, "start_date": "2017-06-01"}).json()["id"]
        for person in members:
            assert client.post(f"/api/v1/teams/{team}/members", headers=admin, json={"person_id": person, "start_date": "2017-06-01"}).status_code == 201
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = client.get("/api/v1/teams", headers=admin).json()["items"]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(listed) == 2 and all(sorted(m["person_id"] for m in team["members"]) == sorted(members) for team in listed)
    assert sum(1 for s in statements if "FROM team_member" in s) == 1
