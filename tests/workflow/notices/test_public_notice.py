"""互联网+监督: the notices in force published with no sign-in, objections lodged from the
public page through the staff's own command, receipts, flood control, and the proof."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlmodel import Session

from tests.factories import ADMIN, build_tree
from tests.workflow.exits.steps import NOTICE_ENDS, POSTED, beijing, household_case
from workflow import errors
from workflow.audit.checkpoint import generate_key, keep_checkpoint
from workflow.audit.verify import audit
from workflow.db import transaction
from workflow.eventlog.models import Event
from workflow.exits import service as exits
from workflow.exits.models import Objection
from workflow.notices import service as notices
from workflow.notices.models import PublicAttempt

ONE_SECOND = dt.timedelta(seconds=1)
DURING = beijing(2017, 7, 3, 10)


def _events(session) -> int:
    return session.execute(select(func.count()).select_from(Event)).scalar_one()


def _attempts(session) -> int:
    return session.execute(select(func.count()).select_from(PublicAttempt)).scalar_one()


def _lodge(session, case_id, grounds="该户家中有小轿车,收入不实", *, name=None, phone=None, client="10.0.0.1"):
    return notices.lodge_public_objection(session, case_id=case_id, grounds=grounds, name=name, phone=phone, client=client)


def test_a_notice_in_force_shows_what_a_paper_notice_shows_and_nothing_more(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    with freeze_time(DURING):
        [shown] = notices.notices_running(session)
    assert (shown.subject_name, shown.members, shown.village_name, shown.township_name) == ("户主001", 4, "坪溪村", "北斗溪镇")
    assert "人均纯收入 4200 元" in shown.summary_zh and "3335" in shown.summary_zh
    # Counted from the day after posting on 1 July, 7 whole days, ending at midnight Beijing time.
    assert (shown.first_day, shown.last_day, shown.ends_at) == (dt.date(2017, 7, 2), dt.date(2017, 7, 8), NOTICE_ENDS)
    posted = session.execute(select(Event).where(Event.type == "exit_case.notice_posted", Event.entity_id == case.id)).scalar_one()
    assert (shown.event_seq, shown.event_hash, shown.posted_at) == (posted.seq, posted.hash, POSTED)
    # No registry number, person id or phone among what the page is given.
    values = json.dumps({k: str(v) for k, v in vars(shown).items()}, ensure_ascii=False)
    assert case.subject_id not in values and "phone" not in values
    assert [n.case_id for n in notices.notices_running(session, scope_code=tree.village, now=DURING)] == [case.id]
    assert notices.notices_running(session, scope_code=tree.other_village, now=DURING) == []
    assert notices.notices_running(session, now=NOTICE_ENDS) == []  # over at midnight


def test_a_public_objection_is_the_staff_command_with_its_channel_and_no_account(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    with freeze_time(DURING):
        objection, receipt = _lodge(session, case.id, name="向永红", phone="138 0745 1234")
    event = session.execute(select(Event).where(Event.type == "exit_case.objection_lodged")).scalar_one()
    payload = json.loads(event.payload)
    assert (event.account, event.on_behalf_of) == ("public", None)
    assert payload["channel"] == "public_web" and payload["lodged_by"] == "向永红" and payload["contact_phone"] == "138 0745 1234"
    assert receipt not in event.payload and payload["receipt_hash"] == notices.receipt_hash(receipt)
    assert (objection.channel, objection.account, objection.outcome, case.status) == ("public_web", "public", None, "in_notice")
    # It blocks signing exactly as a staff one does: the same row, the same machine.
    assert [o.lodged_by for o in exits.objections_of(session, case.id) if o.outcome is None] == ["向永红"]
    with freeze_time(DURING):
        anonymous, _ = _lodge(session, case.id, client="10.0.0.2")
    assert (anonymous.lodged_by, anonymous.contact_phone) == (notices.ANONYMOUS, None)


def test_an_objection_one_second_before_the_notice_ends_is_taken_and_one_second_after_is_refused(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    with freeze_time(NOTICE_ENDS - ONE_SECOND):  # 8 July 23:59:59 Beijing
        objection, _ = _lodge(session, case.id)
    assert objection.lodged_at == NOTICE_ENDS - ONE_SECOND
    before, attempts = _events(session), _attempts(session)
    with freeze_time(NOTICE_ENDS + ONE_SECOND), pytest.raises(errors.NoticePeriodOver) as refused:
        _lodge(session, case.id, client="10.0.0.9")
    assert "公示期已于 2017-07-09 00:00 (Asia/Shanghai) 结束" in refused.value.zh
    assert (_events(session), _attempts(session)) == (before, attempts)


@pytest.mark.parametrize(
    "grounds, name, phone, wording",
    [
        ("", None, None, "异议内容不能为空"),
        ("   \n ", None, None, "异议内容不能为空"),
        ("字" * (notices.MAX_GROUNDS + 1), None, None, f"超过上限 {notices.MAX_GROUNDS} 字"),
        ("<script>alert(1)</script>收入不实", None, None, "HTML 标签或脚本"),
        ("收入不实 <img src=x onerror=alert(1)>", None, None, "HTML 标签或脚本"),
        ("收入不实", "<b>张</b>", None, "姓名含有 HTML"),
        ("收入不实", None, "call me", "联系电话应为 5 至 20 位数字"),
        ("收入不实\x07", None, None, "控制字符"),
    ],
    ids=["empty", "blank", "too_long", "script", "img_onerror", "name_markup", "phone", "control"],
)
def test_bad_input_on_the_public_form_is_refused_in_chinese_and_writes_nothing(session, grounds, name, phone, wording):
    tree = build_tree(session)
    case = household_case(session, tree)
    before = _events(session)
    with freeze_time(DURING), pytest.raises(errors.PublicObjectionInvalid) as refused:
        _lodge(session, case.id, grounds, name=name, phone=phone)
    assert wording in refused.value.zh
    assert (_events(session), _attempts(session)) == (before, 0)
    assert exits.objections_of(session, case.id) == []


def test_text_at_the_limit_and_plain_angle_brackets_are_taken(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    with freeze_time(DURING):
        objection, _ = _lodge(session, case.id, "收入 < 3335 元" + "字" * (notices.MAX_GROUNDS - 11))
    assert len(objection.grounds) == notices.MAX_GROUNDS


def test_a_flood_from_one_address_is_refused_after_three_a_minute_across_transactions(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        case_id = household_case(session, tree).id
    with freeze_time(DURING):
        for n in range(notices.OBJECTIONS_PER_WINDOW):
            with transaction(engine) as session:  # each its own request, as another server process would serve it
                _lodge(session, case_id, f"第{n}条异议")
        with Session(engine) as session:
            before = _events(session)
        with pytest.raises(errors.TooManyPublicObjections) as refused, transaction(engine) as session:
            _lodge(session, case_id, "第四条")
        assert refused.value.status == 429 and "每 60 秒最多提交 3 条异议" in refused.value.zh
        with transaction(engine) as session:
            assert _events(session) == before
            _lodge(session, case_id, "另一个地址", client="10.0.0.2")  # another address is not held up
    with freeze_time(DURING + dt.timedelta(seconds=61)), transaction(engine) as session:
        _lodge(session, case_id, "一分钟后")
        assert _attempts(session) == 2  # the first address's old submissions are let go as it comes back
    with freeze_time(DURING + dt.timedelta(seconds=200)), transaction(engine) as session:
        assert notices.forget_attempts(session) == 2 and _attempts(session) == 0  # housekeeping lets go of the rest


def test_the_receipt_is_random_shows_the_outcome_and_reason_and_not_who_objected(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    with freeze_time(DURING):
        first, number = _lodge(session, case.id, name="向永红", phone="13807451234")
        _, other = _lodge(session, case.id)
    assert number != other and len(number) == 14 and set(number.replace("-", "")) <= set(notices._RECEIPT_ALPHABET)
    open_one = notices.receipt(session, number.lower().replace("-", " "))
    assert (open_one.outcome, open_one.notice_subject, open_one.village_name) == (None, "户主001", "坪溪村")
    assert "向永红" not in repr(open_one) and "13807451234" not in repr(open_one)
    exits.resolve_objection(session, actor=ADMIN, objection_id=first.id, outcome="dismissed", resolution="经核实,轿车为亲属所有", occurred_at=beijing(2017, 7, 5, 9))
    shown = notices.receipt(session, number)
    assert (shown.outcome, shown.resolution, shown.resolved_at) == ("dismissed", "经核实,轿车为亲属所有", beijing(2017, 7, 5, 9))
    with pytest.raises(errors.ReceiptNotFound):
        notices.receipt(session, notices.new_receipt())
    assert session.execute(select(Objection.receipt_hash).where(Objection.id == first.id)).scalar_one() != number


def test_public_objections_replay_and_the_audit_still_verifies(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        case_id = household_case(session, tree).id
    with freeze_time(DURING), transaction(engine) as session:
        objection, _ = _lodge(session, case_id, phone="0745-1234567")
        exits.resolve_objection(session, actor=ADMIN, objection_id=objection.id, outcome="upheld", resolution="住房确为危房", occurred_at=DURING)
    with Session(engine) as session:
        report = audit(session)
    assert report.intact, (report.chain.first_break, report.projection)


def test_the_proof_recomputes_the_notice_events_hash_and_checks_the_signed_checkpoint(session, tmp_path):
    tree = build_tree(session)
    household_case(session, tree)
    [shown] = notices.notices_running(session, now=DURING)
    assert notices.prove_notice(session, seq=shown.event_seq, published_hash=shown.event_hash).checkpoint is None
    key = tmp_path / "checkpoint.key"
    generate_key(key)
    keep_checkpoint(session, key)
    proof = notices.prove_notice(session, seq=shown.event_seq, published_hash=shown.event_hash.upper())
    assert proof.unchanged and proof.checkpoint_ok and proof.covered and proof.hash_recomputed == shown.event_hash
    forged = notices.prove_notice(session, seq=shown.event_seq, published_hash="0" * 64)
    assert not forged.unchanged and forged.found
    assert not notices.prove_notice(session, seq=1, published_hash=shown.event_hash).found  # not a notice event
