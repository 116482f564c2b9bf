"""An exit case through the API: every step's status, self-signing, paper signatures, refusals."""

from tests.api.conftest import bearer
from tests.factories import build_tree, exit_signers, household
from workflow.db import transaction

ASSESSMENT = {"income_per_capita": "4200.00", "food": True, "clothing": True, "education": True, "medical": True, "housing": True, "acknowledged": True}


def _setup(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        signers = exit_signers(session, tree)
        household(session, tree, "4312241002010001")
    recorder = bearer(engine, roles=["recorder"], scope=tree.township, name="北斗溪镇录入员")
    secretary = bearer(engine, roles=["supervisor"], scope=tree.village, person=signers["village_party_secretary"], name="坪溪村支书")
    return tree, signers, recorder, secretary


def _case_in_notice(client, headers) -> str:
    opened = client.post("/api/v1/exit-cases", headers=headers, json={"level": "household", "subject_id": "4312241002010001", "occurred_at": "2017-09-01T09:00:00+08:00"})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    assert [s["status"] for s in opened.json()["steps"]] == ["pending", "pending"]
    proposed = client.post(f"/api/v1/exit-cases/{case_id}/proposal", headers=headers, json={"assessment": ASSESSMENT, "occurred_at": "2017-09-02T09:00:00+08:00"})
    assert proposed.status_code == 200 and proposed.json()["status"] == "proposed", proposed.text
    noticed = client.post(f"/api/v1/exit-cases/{case_id}/notice", headers=headers, json={"occurred_at": "2017-09-03T09:00:00+08:00"})
    assert noticed.json()["status"] == "in_notice"
    assert [s["status"] for s in noticed.json()["steps"]] == ["waiting", "pending"]
    return case_id


def test_a_signer_signs_as_themselves_and_a_recorder_enters_a_paper_signature(client, engine):
    tree, signers, recorder, secretary = _setup(engine)
    case_id = _case_in_notice(client, recorder)
    own = client.post(f"/api/v1/exit-cases/{case_id}/signatures", headers=secretary, json={"role": "village_party_secretary", "signer_id": signers["village_party_secretary"], "occurred_at": "2017-09-12T10:00:00+08:00"})
    assert own.status_code == 201, own.text
    assert own.json()["on_behalf_of"] is None
    paper = client.post(
        f"/api/v1/exit-cases/{case_id}/signatures",
        headers=recorder,
        json={"role": "village_director", "signer_id": signers["village_director"], "occurred_at": "2017-09-12T11:00:00+08:00", "document_ref": "坪溪村退出签字表 2017-09-001"},
    )
    assert paper.status_code == 201, paper.text
    assert paper.json()["on_behalf_of"] == signers["village_director"] and paper.json()["document_ref"] == "坪溪村退出签字表 2017-09-001"
    detail = client.get(f"/api/v1/exit-cases/{case_id}", headers=recorder).json()
    assert detail["status"] == "village_signed"
    village, township = detail["steps"]
    assert village["status"] == "complete" and township["status"] == "waiting"
    assert {r["role"]: r["signature"]["signer_id"] for r in village["roles"]} == {"village_party_secretary": signers["village_party_secretary"], "village_director": signers["village_director"]}
    assert township["unit_name"] == "北斗溪镇" and all(r["signature"] is None for r in township["roles"])
    waiting = client.get("/api/v1/reports/missing-signatures", headers=recorder, params={"unit": tree.township}).json()["items"]
    assert [w["case_id"] for w in waiting] == [case_id]
    assert {m["role"]: [h["person_id"] for h in m["holders"]] for m in waiting[0]["missing"]} == {
        "township_party_secretary": [signers["township_party_secretary"]],
        "township_head": [signers["township_head"]],
    }


def test_nobody_signs_for_someone_else_unless_a_recorder(client, engine):
    tree, signers, recorder, secretary = _setup(engine)
    case_id = _case_in_notice(client, recorder)
    body = {"role": "village_director", "signer_id": signers["village_director"], "occurred_at": "2017-09-12T10:00:00+08:00"}
    refused = client.post(f"/api/v1/exit-cases/{case_id}/signatures", headers=secretary, json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "cannot_sign_for_others"
    assert client.get(f"/api/v1/exit-cases/{case_id}", headers=recorder).json()["history"] == []


def test_the_domain_refusal_of_a_signature_reaches_the_client_with_its_code(client, engine):
    tree, signers, recorder, secretary = _setup(engine)
    case_id = _case_in_notice(client, recorder)
    early = client.post(
        f"/api/v1/exit-cases/{case_id}/signatures",
        headers={**recorder, "Accept-Language": "en"},
        json={"role": "village_party_secretary", "signer_id": signers["village_party_secretary"], "occurred_at": "2017-09-05T10:00:00+08:00"},
    )
    assert early.status_code in (409, 422) and early.json()["code"] == "notice_period_running"
    out_of_order = client.post(
        f"/api/v1/exit-cases/{case_id}/signatures",
        headers=recorder,
        json={"role": "township_head", "signer_id": signers["township_head"], "occurred_at": "2017-09-12T10:00:00+08:00"},
    )
    assert out_of_order.json()["code"] == "step_out_of_order"


def test_an_objection_blocks_then_is_resolved_and_a_rejection_keeps_its_reason(client, engine):
    tree, signers, recorder, secretary = _setup(engine)
    case_id = _case_in_notice(client, recorder)
    objection = client.post(f"/api/v1/exit-cases/{case_id}/objections", headers=recorder, json={"lodged_by": "村民 向永红", "grounds": "务工收入未申报", "occurred_at": "2017-09-04T09:00:00+08:00"})
    assert objection.status_code == 201, objection.text
    blocked = client.get("/api/v1/reports/missing-signatures", headers=recorder, params={"unit": tree.township, "blocked": "true", "as_of": "2017-09-20"}).json()["items"]
    assert blocked[0]["blocked_by"] == "objection_open"
    resolved = client.post(
        f"/api/v1/exit-cases/{case_id}/objections/{objection.json()['id']}/resolution",
        headers=recorder,
        json={"outcome": "dismissed", "resolution": "经核实已计入", "occurred_at": "2017-09-06T09:00:00+08:00"},
    )
    assert resolved.status_code == 200 and resolved.json()["outcome"] == "dismissed"
    rejected = client.post(
        f"/api/v1/exit-cases/{case_id}/rejections",
        headers=secretary,
        json={"role": "village_party_secretary", "signer_id": signers["village_party_secretary"], "reason": "住房安全尚未保障", "occurred_at": "2017-09-12T10:00:00+08:00"},
    )
    assert rejected.status_code == 201 and rejected.json()["decision"] == "rejected"
    detail = client.get(f"/api/v1/exit-cases/{case_id}", headers=secretary).json()
    assert detail["status"] == "registered" and detail["reason"] == "住房安全尚未保障"
