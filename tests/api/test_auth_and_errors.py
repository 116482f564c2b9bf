"""Authentication, problem documents in both languages, and refusal of unknown fields."""

from tests.api.conftest import bearer
from tests.factories import ADMIN, build_tree
from workflow.accounts import service as accounts
from workflow.db import transaction


def _tree(engine):
    with transaction(engine) as session:
        return build_tree(session)


def test_requests_without_a_valid_token_are_refused_with_a_bearer_challenge(client, engine):
    tree = _tree(engine)
    missing = client.get(f"/api/v1/org-units/{tree.county}")
    assert missing.status_code == 401 and missing.json()["code"] == "not_authenticated"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"].startswith("application/problem+json")
    wrong = client.get(f"/api/v1/org-units/{tree.county}", headers={"Authorization": "Bearer et_nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_token"


def test_a_revoked_account_stops_working_at_once(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["supervisor"], scope=tree.county)
    me = client.get("/api/v1/accounts/me", headers=headers)
    assert me.status_code == 200 and me.json()["roles"] == ["supervisor"] and me.json()["scope"] == tree.county
    with transaction(engine) as session:
        accounts.revoke_account(session, actor=ADMIN, account_id=me.json()["id"], reason="离岗")
    refused = client.get("/api/v1/accounts/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"


def test_problems_are_in_chinese_by_default_and_english_on_request(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["admin"], scope=tree.county)
    body = {"code": tree.other_township, "name": "重复", "level": "township", "parent_code": tree.county}
    zh = client.post("/api/v1/org-units", headers=headers, json=body)
    assert zh.status_code == 409
    assert zh.json()["code"] == "duplicate_code" and zh.json()["field"] == "code"
    assert zh.json()["title"] == "冲突" and "已被使用" in zh.json()["detail"]
    assert zh.headers["content-language"] == "zh-CN"
    en = client.post("/api/v1/org-units", headers={**headers, "Accept-Language": "en-GB,en;q=0.8"}, json=body)
    assert en.json()["title"] == "Conflict" and "already in use" in en.json()["detail"]


def test_unknown_fields_in_a_body_are_refused_naming_the_field(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["admin"], scope=tree.county)
    response = client.post("/api/v1/people", headers=headers, json={"name": "向秀英", "nmae": "typo"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_input" and problem["field"] == "nmae"
    assert "不允许的字段" in problem["detail"]


def test_malformed_json_and_wrong_types_are_input_problems_not_server_errors(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["admin"], scope=tree.county)
    broken = client.post("/api/v1/people", headers={**headers, "Content-Type": "application/json"}, content=b"{not json")
    assert broken.status_code == 422 and broken.json()["code"] == "invalid_input"
    wrong = client.post("/api/v1/households", headers=headers, json={"id": "H1", "village_code": tree.village, "head_name": "x", "members": "many", "registered_on": "2017-13-01"})
    assert wrong.status_code == 422 and {e["field"] for e in wrong.json()["errors"]} == {"members", "registered_on"}


def test_a_role_that_may_not_write_is_forbidden_and_told_which_role_may(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["supervisor"], scope=tree.county)
    response = client.post("/api/v1/people", headers=headers, json={"name": "向秀英"})
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed" and response.json()["details"]["required_roles"] == ["admin"]


def test_an_act_in_the_future_is_refused_with_the_field(client, engine):
    tree = _tree(engine)
    headers = bearer(engine, roles=["recorder"], scope=tree.county)
    response = client.post("/api/v1/exit-cases", headers=headers, json={"level": "village", "subject_id": tree.village, "occurred_at": "2999-07-02T10:00:00+08:00"})
    assert response.status_code == 422 and response.json()["field"] == "occurred_at"
