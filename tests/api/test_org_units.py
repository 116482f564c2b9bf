"""/org-units/{code}/registrations/end: admins end a township's concentrated-poverty designation."""

from sqlalchemy import func, select

from tests.api.conftest import bearer
from tests.factories import build_tree
from workflow.db import transaction
from workflow.eventlog import Event

END = "/api/v1/org-units/{}/registrations/end"
BODY = {"kind": "concentrated_township", "exited_on": "2018-06-15"}


def _tree(engine):
    with transaction(engine) as session:
        return build_tree(session)


def _events(engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


def test_an_admin_ends_a_township_designation_and_the_unit_shows_the_last_day(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["admin"], scope=tree.county)
    ended = client.post(END.format(tree.township), headers=headers, json=BODY)
    assert ended.status_code == 200, ended.text
    assert (ended.json()["kind"], ended.json()["exited_on"]) == ("concentrated_township", "2018-06-15")
    registry = client.get(f"/api/v1/org-units/{tree.township}", headers=headers).json()["registry"]
    assert [(spell["kind"], spell["exited_on"]) for spell in registry] == [("concentrated_township", "2018-06-15")]
    again = client.post(END.format(tree.township), headers={**headers, "Accept-Language": "en"}, json=BODY)
    assert (again.status_code, again.json()["code"], again.json()["field"]) == (409, "not_registered", "code")
    assert again.headers["content-type"].startswith("application/problem+json")


def test_a_village_or_county_is_refused_with_a_pointer_to_its_exit_case(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["admin"], scope=tree.county)
    before = _events(engine)
    village = client.post(END.format(tree.village), headers=headers, json={**BODY, "kind": "poor_village"})
    assert (village.status_code, village.json()["code"], village.json()["field"]) == (422, "exit_case_required", "kind")
    assert "退出程序" in village.json()["detail"]
    county = client.post(END.format(tree.county), headers={**headers, "Accept-Language": "en"}, json=BODY)
    assert (county.status_code, county.json()["code"]) == (422, "not_a_township")
    assert "exit case" in county.json()["detail"]
    early = client.post(END.format(tree.township), headers=headers, json={**BODY, "exited_on": "2013-12-31"})
    assert (early.status_code, early.json()["code"], early.json()["field"]) == (422, "invalid_dates", "exited_on")
    assert _events(engine) == before


def test_only_admins_end_a_designation_and_only_inside_their_scope(client, engine):
    tree = _tree(engine)
    recorder = client.post(END.format(tree.township), headers=bearer(engine, roles=["recorder"], scope=tree.county), json=BODY)
    assert recorder.status_code == 403
    elsewhere = client.post(END.format(tree.township), headers=bearer(engine, roles=["admin"], scope=tree.other_township), json=BODY)
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "org_unit_not_found")
    unknown = client.post(END.format("431224999999"), headers=bearer(engine, roles=["admin"], scope=tree.county), json=BODY)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "org_unit_not_found")
