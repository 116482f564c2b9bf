"""Every endpoint × every role × inside / outside the account's scope: nothing leaks, nobody oversteps.

Each account is scoped to 怀化市; records in 湘西州 are outside. Outside records answer
404 exactly as missing ones do; writes a role may not make answer 403 and write nothing.
One populated database per engine serves the whole module (see tests/api/world.py).
"""

from __future__ import annotations

import datetime as dt

import json
import shutil

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from tests.api.conftest import bearer
from tests.api.world import ROLES, World, at, build_world
from tests.conftest import reset_database
from workflow.db import make_engine, transaction
from workflow.eventlog import Event

# Who may call: any role reading ("read"), or the writing role, or a signer.
ANYONE, ADMIN, RECORDER, SIGNER, AUDIT, INSPECT = "read", "admin", "recorder", "sign", "audit", "inspect"
ALLOWED = {
    ANYONE: set(ROLES),
    ADMIN: {"admin"},
    RECORDER: {"recorder"},
    SIGNER: {"recorder", "signer"},
    AUDIT: {"auditor", "admin"},
    INSPECT: {"auditor", "admin", "supervisor", "signer"},  # the signer's account is a supervisor
}
# Past every record the world holds: reads "as of" it replay the whole log.
LATER = "2099-01-01T00:00:00%2B08:00"
TODAY = dt.date.today().isoformat()
SIGNED_AT = at(9, 15).isoformat()


def _sign_body(world: World, inside: bool, role: str, reason: bool = False) -> dict:
    # A signer signs as their own person (the inside village secretary); everyone else names
    # the secretary of the case's own village, as a recorder entering a paper form would.
    signer = world.inside.secretary if role == "signer" else world.branch(inside).secretary
    body = {"role": "village_party_secretary", "signer_id": signer, "occurred_at": SIGNED_AT}
    return body | ({"reason": "住房未保障"} if reason else {})


def _import(world: World, inside: bool, role: str):
    branch = world.branch(inside)
    csv = f"visitor_id,target_level,target_id,occurred_at\n{branch.cadre},household,{branch.household},2017-07-20T10:00:00+08:00\n"
    return "/api/v1/visits/import", {"content": csv.encode(), "headers": {"Content-Type": "text/csv"}}


# (name, who may call, method, builder(world, inside, role) → (path, request kwargs))
ENDPOINTS = [
    ("me", ANYONE, "GET", lambda w, i, r: ("/api/v1/accounts/me", {})),
    ("org unit", ANYONE, "GET", lambda w, i, r: (f"/api/v1/org-units/{w.branch(i).county}", {})),
    ("org unit children", ANYONE, "GET", lambda w, i, r: (f"/api/v1/org-units?parent={w.branch(i).county}", {})),
    ("household", ANYONE, "GET", lambda w, i, r: (f"/api/v1/households/{w.branch(i).household}", {})),
    ("households of a unit", ANYONE, "GET", lambda w, i, r: (f"/api/v1/households?unit={w.branch(i).township}", {})),
    ("person", ANYONE, "GET", lambda w, i, r: (f"/api/v1/people/{w.branch(i).person}", {})),
    ("post", ANYONE, "GET", lambda w, i, r: (f"/api/v1/posts/{w.branch(i).post}", {})),
    ("pairing", ANYONE, "GET", lambda w, i, r: (f"/api/v1/pairings/{w.branch(i).pairing}", {})),
    ("unit link", ANYONE, "GET", lambda w, i, r: (f"/api/v1/unit-links/{w.branch(i).link}", {})),
    ("visit", ANYONE, "GET", lambda w, i, r: (f"/api/v1/visits/{w.branch(i).visit}", {})),
    ("visits of a unit", ANYONE, "GET", lambda w, i, r: (f"/api/v1/visits?unit={w.branch(i).township}", {})),
    ("exit case", ANYONE, "GET", lambda w, i, r: (f"/api/v1/exit-cases/{w.branch(i).case}", {})),
    ("exit cases of a unit", ANYONE, "GET", lambda w, i, r: (f"/api/v1/exit-cases?unit={w.branch(i).county}", {})),
    ("missing signatures", ANYONE, "GET", lambda w, i, r: (f"/api/v1/reports/missing-signatures?unit={w.branch(i).county}&as_of=2017-09-30", {})),
    ("missing signatures csv", ANYONE, "GET", lambda w, i, r: (f"/api/v1/reports/missing-signatures?unit={w.branch(i).county}&format=csv", {})),
    ("incidence", ANYONE, "GET", lambda w, i, r: (f"/api/v1/reports/incidence?unit={w.branch(i).city}&as_of=2017-12-31", {})),
    ("incidence xlsx", ANYONE, "GET", lambda w, i, r: (f"/api/v1/reports/incidence?unit={w.branch(i).county}&format=xlsx", {})),
    ("household as of", ANYONE, "GET", lambda w, i, r: (f"/api/v1/households/{w.branch(i).household}?as_of=2018-07-31&known_at={LATER}", {})),
    ("exit case as of", ANYONE, "GET", lambda w, i, r: (f"/api/v1/exit-cases/{w.branch(i).case}?as_of={TODAY}&known_at={LATER}", {})),
    ("irregularities", INSPECT, "GET", lambda w, i, r: (f"/api/v1/reports/irregularities?unit={w.branch(i).county}&from=2017-01-01&as_of=2017-12-31", {})),
    ("household history", AUDIT, "GET", lambda w, i, r: (f"/api/v1/history/household/{w.branch(i).household}", {})),
    ("exit case history", AUDIT, "GET", lambda w, i, r: (f"/api/v1/history/exit_case/{w.branch(i).case}", {})),
    ("person history", AUDIT, "GET", lambda w, i, r: (f"/api/v1/history/person/{w.branch(i).secretary}", {})),
    ("add org unit", ADMIN, "POST", lambda w, i, r: ("/api/v1/org-units", {"json": {"code": f"{w.branch(i).township[:9]}{w.fresh()}", "name": "新村", "level": "village", "parent_code": w.branch(i).township}})),
    ("rural population", ADMIN, "POST", lambda w, i, r: (f"/api/v1/org-units/{w.branch(i).village}/rural-population", {"json": {"rural_population": 1000}})),
    ("register poor village", ADMIN, "POST", lambda w, i, r: (f"/api/v1/org-units/{w.village(i)}/registrations", {"json": {"kind": "poor_village", "registered_on": "2014-10-01"}})),
    ("end township designation", ADMIN, "POST", lambda w, i, r: (f"/api/v1/org-units/{w.designated_township(i)}/registrations/end", {"json": {"kind": "concentrated_township", "exited_on": "2018-06-15"}})),
    ("register household", ADMIN, "POST", lambda w, i, r: ("/api/v1/households", {"json": {"id": f"H{w.fresh()}", "village_code": w.branch(i).village, "head_name": "向秀英", "members": 2, "registered_on": "2014-10-01"}})),
    ("assign post", ADMIN, "POST", lambda w, i, r: ("/api/v1/posts", {"json": {"person_id": w.branch(i).cadre, "role": "county_leader", "unit_code": w.branch(i).county, "start_date": f"2016-{1 + int(w.fresh()) % 12:02d}-01", "end_date": None}})),
    ("end post", ADMIN, "POST", lambda w, i, r: (f"/api/v1/posts/{w.post(i)}/end", {"json": {"end_date": "2018-01-31"}})),
    ("pair", ADMIN, "POST", lambda w, i, r: ("/api/v1/pairings", {"json": {"cadre_id": w.person(i), "household_id": w.branch(i).household, "start_date": "2016-03-01"}})),
    ("end pairing", ADMIN, "POST", lambda w, i, r: (f"/api/v1/pairings/{w.pairing(i)}/end", {"json": {"end_date": "2018-01-31"}})),
    ("link unit", ADMIN, "POST", lambda w, i, r: ("/api/v1/unit-links", {"json": {"unit_code": w.branch(i).city_unit, "village_code": w.village(i), "start_date": "2017-06-01"}})),
    ("end link", ADMIN, "POST", lambda w, i, r: (f"/api/v1/unit-links/{w.link(i)}/end", {"json": {"end_date": "2018-01-31"}})),
    ("record visit", RECORDER, "POST", lambda w, i, r: ("/api/v1/visits", {"json": {"visitor_id": w.branch(i).cadre, "target_level": "household", "target_id": w.branch(i).household, "occurred_at": "2017-08-03T10:00:00+08:00"}})),
    ("void visit", RECORDER, "POST", lambda w, i, r: (f"/api/v1/visits/{w.visit(i)}/void", {"json": {"reason": "录入错误"}})),
    ("import visits", RECORDER, "POST", _import),
    ("open exit case", RECORDER, "POST", lambda w, i, r: ("/api/v1/exit-cases", {"json": {"level": "household", "subject_id": w.household(i), "occurred_at": at(9, 1).isoformat()}})),
    ("propose exit", RECORDER, "POST", lambda w, i, r: (f"/api/v1/exit-cases/{w.case(i)}/proposal", {"json": {"occurred_at": at(9, 2).isoformat(), "assessment": {"income_per_capita": "4200", "food": True, "clothing": True, "education": True, "medical": True, "housing": True, "acknowledged": True}}})),
    ("post notice", RECORDER, "POST", lambda w, i, r: (f"/api/v1/exit-cases/{w.case(i, until='proposed')}/notice", {"json": {"occurred_at": at(9, 3).isoformat()}})),
    ("lodge objection", RECORDER, "POST", lambda w, i, r: (f"/api/v1/exit-cases/{w.case(i, until='in_notice')}/objections", {"json": {"lodged_by": "村民", "grounds": "收入有误", "occurred_at": at(9, 4).isoformat()}})),
    ("resolve objection", RECORDER, "POST", lambda w, i, r: ("/api/v1/exit-cases/{}/objections/{}/resolution".format(*w.objection(i)), {"json": {"outcome": "dismissed", "resolution": "核实无误", "occurred_at": at(9, 5).isoformat()}})),
    ("relapse", RECORDER, "POST", lambda w, i, r: (f"/api/v1/households/{w.exited_household(i)}/relapse", {"json": {"reason": "因病返贫", "occurred_at": at(10, 1).isoformat()}})),
    ("sign", SIGNER, "POST", lambda w, i, r: (f"/api/v1/exit-cases/{w.case(i, until='in_notice')}/signatures", {"json": _sign_body(w, i, r)})),
    ("reject", SIGNER, "POST", lambda w, i, r: (f"/api/v1/exit-cases/{w.case(i, until='in_notice')}/rejections", {"json": _sign_body(w, i, r, reason=True)})),
]

LISTS = ["org-units", "households", "people", "posts", "pairings", "unit-links", "visits", "exit-cases"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """The populated world on one engine, shared by the module's tests on that engine."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "matrix.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(request.getfixturevalue("pg_server_url"))
        reset_database(engine)
    try:
        yield build_world(engine)
    finally:
        if request.param == "postgresql":
            reset_database(engine)
        engine.dispose()


@pytest.fixture(scope="module")
def client(world):
    with TestClient(create_app(world.engine)) as client:
        yield client


def _event_count(world: World) -> int:
    with transaction(world.engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


@pytest.mark.parametrize("where", ["inside", "outside"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, who, method, build", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_endpoint_obeys_role_and_scope(world, client, name, who, method, build, role, where):
    inside = where == "inside"
    path, kwargs = build(world, inside, role)
    kwargs = dict(kwargs)
    kwargs["headers"] = {**kwargs.get("headers", {}), **world.headers[role]}
    before = _event_count(world)
    response = client.request(method, path, **kwargs)
    written = _event_count(world) - before
    allowed = role in ALLOWED[who]
    if not allowed:
        assert response.status_code == 403, response.text
        assert response.json()["code"] in ("role_not_allowed", "cannot_sign_for_others")
    elif inside or name in ("me",):
        assert response.status_code in (200, 201), response.text
    elif name == "import visits":
        # A file's line naming an outside target is refused like an unknown one.
        assert response.status_code == 422, response.text
        assert response.json()["details"]["lines"][0]["code"] == "household_not_found"
    else:
        assert response.status_code == 404, response.text
        assert response.json()["code"].endswith("_not_found")
    if response.status_code >= 400:
        assert written == 0
    _names_nothing_outside(world, response, path)


def _names_nothing_outside(world: World, response, sent: str = "") -> None:
    """Nothing of the outside branch appears in an answer, beyond the ids the caller sent."""
    for secret in (world.outside.name, "湘西州", world.outside.secretary, world.outside.director):
        assert secret in sent or secret not in response.text, response.text


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", LISTS)
def test_lists_show_the_scope_and_nothing_outside_it(world, client, resource, role):
    response = client.get(f"/api/v1/{resource}", params={"limit": 500}, headers=world.headers[role])
    assert response.status_code == 200, response.text
    assert response.json()["items"], resource
    for secret in (world.outside.county, world.outside.village, world.outside.household, world.outside.cadre, world.outside.case, world.outside.visit, world.outside.link, world.outside.pairing, world.outside.post):
        assert secret not in response.text


@pytest.mark.parametrize("role", ROLES)
def test_reports_of_the_whole_province_are_refused_to_a_city_account(world, client, role):
    for report in ("missing-signatures", "incidence"):
        response = client.get(f"/api/v1/reports/{report}", params={"unit": "430000000000"}, headers=world.headers[role])
        assert response.status_code == 404 and response.json()["code"] == "org_unit_not_found"


# ---- writes about a record inside the scope that name a record outside it ----------------

# (write, role, the outside id it names, builder(world, id) → (path, request kwargs))
NAMING_AN_OUTSIDER = [
    ("pair an outside cadre", "admin", lambda w: w.outside.cadre, lambda w, x: ("/api/v1/pairings", {"json": {"cadre_id": x, "household_id": w.household(True), "start_date": "2016-03-01"}})),
    ("sign as an outside secretary", "recorder", lambda w: w.outside.secretary, lambda w, x: (f"/api/v1/exit-cases/{w.case(True, until='in_notice')}/signatures", {"json": {"role": "village_party_secretary", "signer_id": x, "occurred_at": SIGNED_AT}})),
    ("reject as an outside secretary", "recorder", lambda w: w.outside.secretary, lambda w, x: (f"/api/v1/exit-cases/{w.case(True, until='in_notice')}/rejections", {"json": {"role": "village_party_secretary", "signer_id": x, "reason": "住房未保障", "occurred_at": SIGNED_AT}})),
    ("record an outside cadre's visit", "recorder", lambda w: w.outside.cadre, lambda w, x: ("/api/v1/visits", {"json": {"visitor_id": x, "target_level": "household", "target_id": w.inside.household, "occurred_at": "2017-08-03T10:00:00+08:00"}})),
    ("import an outside cadre's visit", "recorder", lambda w: w.outside.cadre, lambda w, x: ("/api/v1/visits/import", {"content": f"visitor_id,target_level,target_id,occurred_at\n{x},household,{w.inside.household},2017-07-21T10:00:00+08:00\n".encode(), "headers": {"Content-Type": "text/csv"}})),
]


def _send(world: World, client, role: str, request) -> object:
    path, kwargs = request
    kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), **world.headers[role]}}
    return client.post(path, **kwargs)


def _without(response, ident: str) -> str:
    body = response.json()
    body.pop("instance", None)
    return json.dumps(body, ensure_ascii=False).replace(ident, "<id>")


@pytest.mark.parametrize("name, role, outsider, build", NAMING_AN_OUTSIDER, ids=[w[0] for w in NAMING_AN_OUTSIDER])
def test_a_write_naming_an_outsider_is_answered_as_for_an_unknown_id_and_names_nobody(world, client, name, role, outsider, build):
    outside_id, unknown_id = outsider(world), f"P{world.fresh()}"
    naming_outsider, naming_unknown = build(world, outside_id), build(world, unknown_id)
    before = _event_count(world)
    named = _send(world, client, role, naming_outsider)
    unknown = _send(world, client, role, naming_unknown)
    assert named.status_code == unknown.status_code in (404, 422), named.text
    assert _without(named, outside_id) == _without(unknown, unknown_id)
    assert "person_not_found" in named.text
    assert _event_count(world) == before
    _names_nothing_outside(world, named, sent=outside_id)


# (create, builder(world, id) → request, an id taken outside, one taken inside)
TAKEN_IDS = [
    ("register a household", lambda w, x: ("/api/v1/households", {"json": {"id": x, "village_code": w.inside.village, "head_name": "向秀英", "members": 2, "registered_on": "2014-10-01"}}), lambda w: w.outside.household, lambda w: w.inside.household),
    ("add an org unit", lambda w, x: ("/api/v1/org-units", {"json": {"code": x, "name": "新村", "level": "village", "parent_code": w.inside.township}}), lambda w: w.outside.village, lambda w: w.inside.village),
    ("add a person", lambda w, x: ("/api/v1/people", {"json": {"name": "向秀英", "id": x}}), lambda w: w.outside.cadre, lambda w: w.inside.cadre),
]


@pytest.mark.parametrize("name, build, outside, inside", TAKEN_IDS, ids=[t[0] for t in TAKEN_IDS])
def test_an_id_taken_outside_is_refused_exactly_as_one_taken_inside(world, client, name, build, outside, inside):
    """That a chosen id is taken cannot be hidden from a create (docs/SECURITY.md); where, and by what, is."""
    before = _event_count(world)
    taken_outside = _send(world, client, "admin", build(world, outside(world)))
    taken_inside = _send(world, client, "admin", build(world, inside(world)))
    assert taken_outside.status_code == taken_inside.status_code == 409, taken_outside.text
    assert _without(taken_outside, outside(world)) == _without(taken_inside, inside(world))
    assert _event_count(world) == before
    _names_nothing_outside(world, taken_outside, sent=outside(world))


def test_a_person_from_outside_may_be_transferred_into_a_post_inside_and_shows_only_that_post(world, client):
    headers = world.headers["admin"]
    transferred = world.person(False)  # a township cadre of 泸溪县
    body = {"person_id": transferred, "role": "township_cadre", "unit_code": world.inside.township, "start_date": "2018-01-01"}
    assigned = client.post("/api/v1/posts", headers=headers, json=body)
    assert assigned.status_code == 201, assigned.text
    person = client.get(f"/api/v1/people/{transferred}", headers=headers).json()
    assert [post["unit_code"] for post in person["posts"]] == [world.inside.township]
    listed = client.get("/api/v1/posts", headers=headers, params={"person": transferred}).json()["items"]
    assert [post["unit_code"] for post in listed] == [world.inside.township]
    for answer in (assigned, client.get(f"/api/v1/people/{transferred}", headers=headers)):
        assert world.outside.township not in answer.text


def test_a_visit_by_an_official_above_the_scope_is_recorded(world, client):
    body = {"visitor_id": world.governor, "target_level": "village", "target_id": world.inside.village, "occurred_at": "2017-08-05T10:00:00+08:00"}
    recorded = client.post("/api/v1/visits", headers=world.headers["recorder"], json=body)
    assert recorded.status_code == 201, recorded.text


def test_an_account_scoped_to_a_village_may_pair_the_township_cadre_above_it(world, client):
    village_admin = bearer(world.engine, roles=["admin"], scope=world.inside.village, name="村管理员")
    body = {"cadre_id": world.person(True), "household_id": world.household(True), "start_date": "2016-03-01"}
    paired = client.post("/api/v1/pairings", headers=village_admin, json=body)
    assert paired.status_code == 201, paired.text
