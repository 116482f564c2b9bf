"""The public notice pages over HTTP, with no sign-in: what they show, the objection form's
refusals (in Chinese, writing nothing), the receipt, and the proof page."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlmodel import Session

from tests.factories import ADMIN, build_tree, case_in_notice_now, household
from workflow.db import transaction
from workflow.eventlog.models import Event
from workflow.exits import service as exits
from workflow.notices import service as notices

HOUSEHOLD = "431224100201000001"
ZH = {"Accept-Language": "zh-CN"}


def _world(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        household(session, tree, HOUSEHOLD)
        case = case_in_notice_now(session, HOUSEHOLD)
    return tree, case


def _events(engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


def _lodge(client, case_id, data, address=None):
    return client.post(f"/public/notices/case/{case_id}/objection", data=data, headers=ZH, follow_redirects=False)


def test_the_notice_page_needs_no_sign_in_and_shows_a_paper_notice_with_its_proof(client, engine):
    tree, case = _world(engine)
    shown = client.get("/public/notices", headers=ZH)
    assert shown.status_code == 200 and "set-cookie" not in shown.headers
    text = shown.text
    assert "户主 户主001" in text and "坪溪村" in text and "北斗溪镇" in text and "人均纯收入 4200 元" in text and "公示期" in text
    with Session(engine) as session:
        [notice] = notices.notices_running(session)
    assert notice.event_hash in text and f"#{notice.event_seq}" in text
    assert HOUSEHOLD not in text  # the registry number is not a paper notice's
    assert "尚无签名检查点" in text and "exit-tracker audit notice" in text
    assert "户主001" in client.get(f"/public/notices/{tree.village}").text
    assert "当前没有正在公示的对象" in client.get(f"/public/notices/{tree.other_village}").text


def test_an_objection_from_the_form_gets_a_receipt_that_later_shows_the_dismissal_and_why(client, engine):
    _, case = _world(engine)
    lodged = _lodge(client, case.id, {"grounds": "该户有小轿车", "name": "向永红", "phone": "13807451234"})
    assert lodged.status_code == 303, lodged.text
    location = lodged.headers["location"]
    number = re.fullmatch(r"/public/receipts/([A-Z0-9-]{14})\?new=1", location).group(1)
    page = client.get(location, headers=ZH)
    assert number in page.text and "核实中" in page.text and page.headers["cache-control"] == "no-store"
    assert "向永红" not in page.text and "13807451234" not in page.text
    assert "13807451234" not in client.get("/public/notices").text
    with transaction(engine) as session:
        [objection] = exits.objections_of(session, case.id)
        assert (objection.channel, objection.account, objection.contact_phone) == ("public_web", "public", "13807451234")
        exits.resolve_objection(session, actor=ADMIN, objection_id=objection.id, outcome="dismissed", resolution="经核实,车辆为<亲属>所有")
    later = client.get(f"/public/receipts/{number.lower()}", headers=ZH).text
    assert "异议不成立" in later and "经核实,车辆为&lt;亲属&gt;所有" in later
    looked_up = client.get("/public/receipts", params={"number": number.replace("-", "")}, follow_redirects=False)
    assert looked_up.headers["location"] == f"/public/receipts/{number}"
    odd = client.get("/public/receipts", params={"number": "ab/../c?d"}, follow_redirects=False)
    assert odd.headers["location"] == "/public/receipts/AB%2F.-.%2FC%3F-D"  # kept on this page, whatever was typed
    missing = client.get("/public/receipts/2222-2222-2222", headers=ZH)
    assert missing.status_code == 404 and "回执编号 2222-2222-2222 无对应异议" in missing.text


def test_bad_input_and_floods_are_refused_in_chinese_and_write_nothing(client, engine):
    _, case = _world(engine)
    before = _events(engine)
    refusals = [
        ({"grounds": "  "}, 422, "异议内容不能为空"),
        ({"grounds": "字" * 1001}, 422, "超过上限 1000 字"),
        ({"grounds": "<script>alert('x')</script>"}, 422, "HTML 标签或脚本"),
        ({"grounds": "收入不实", "phone": "<svg onload=1>"}, 422, "联系电话应为"),
        ({"grounds": "字" * 12000}, 413, "最多 32 KiB"),
    ]
    for data, status, words in refusals:
        answer = _lodge(client, case.id, data)
        assert (answer.status_code, words in answer.text) == (status, True), (data.get("grounds", "")[:20], answer.status_code, answer.text[:500])
        assert "<script>alert" not in answer.text
    assert _events(engine) == before
    for n in range(notices.OBJECTIONS_PER_WINDOW):
        assert _lodge(client, case.id, {"grounds": f"第{n}条"}).status_code == 303
    flooded = _events(engine)
    refused = _lodge(client, case.id, {"grounds": "第四条"})
    assert refused.status_code == 429 and "每 60 秒最多提交 3 条异议" in refused.text
    assert _events(engine) == flooded
    unknown = _lodge(client, case.id + "x", {"grounds": "异议"})
    assert unknown.status_code == 404 and "未找到正在公示的公告" in unknown.text


def test_the_proof_page_recomputes_a_published_hash(client, engine):
    _world(engine)
    with Session(engine) as session:
        [notice] = notices.notices_running(session)
    same = client.get("/public/proof", params={"seq": notice.event_seq, "hash": notice.event_hash}, headers=ZH).text
    assert "一致" in same and notice.event_hash in same
    other = client.get("/public/proof", params={"seq": notice.event_seq, "hash": "f" * 64}, headers=ZH).text
    assert "不一致" in other
    for seq in (1, 10**20, -5):  # not a notice event, past any seq a database holds, nonsense
        answer = client.get("/public/proof", params={"seq": seq, "hash": notice.event_hash}, headers=ZH)
        assert answer.status_code == 200 and "没有这个编号的公示发布记录" in answer.text


def test_staff_see_a_public_objections_channel_and_phone_on_the_case(client, engine):
    from tests.api.conftest import bearer

    tree, case = _world(engine)
    assert _lodge(client, case.id, {"grounds": "收入不实", "phone": "0745-1234567"}).status_code == 303
    recorder = bearer(engine, roles=["recorder"], scope=tree.township)
    [objection] = client.get(f"/api/v1/exit-cases/{case.id}", headers=recorder).json()["objections"]
    assert (objection["channel"], objection["contact_phone"], objection["account"], objection["lodged_by"]) == ("public_web", "0745-1234567", "public", notices.ANONYMOUS)


def test_a_page_with_more_notices_than_it_shows_lists_the_villages_with_their_counts(client, engine, monkeypatch):
    from api.web import public

    tree, _ = _world(engine)
    with transaction(engine) as session:
        household(session, tree, "431224100202000001", village=tree.other_village)
        case_in_notice_now(session, "431224100202000001")
    monkeypatch.setattr(public, "PAGE_NOTICES", 1)
    index = client.get("/public/notices", headers=ZH).text
    assert "户主001" not in index and f'href="/public/notices/{tree.village}">坪溪村</a>' in index and "金中村" in index
    assert "户主001" in client.get(f"/public/notices/{tree.village}", headers=ZH).text
