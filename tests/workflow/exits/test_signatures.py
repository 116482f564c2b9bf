"""Signatures (SPEC §3): right post at the right unit at that moment, in order, two people, once."""

import datetime as dt

import pytest
from freezegun import freeze_time

from rules import RuleBooks
from tests.factories import ADMIN, build_tree, exit_signers, person_in_post
from tests.workflow.exits.steps import SIGNING, TOWNSHIP_STEP, VILLAGE_STEP, beijing, household_case, sign_roles
from workflow import rulebook
from workflow.errors import DomainError
from workflow.eventlog import Actor
from workflow.exits import service as exits
from workflow.posts import service as posts


def _sign(session, case, role, signer_id, *, at=SIGNING, actor=ADMIN, **extra):
    return exits.sign(session, actor=actor, case_id=case.id, role=role, signer_id=signer_id, occurred_at=at, **extra)


def test_later_step_cannot_be_signed_before_the_earlier_step_is_complete(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP[:1])
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "township_head", signers["township_head"], at=SIGNING + dt.timedelta(hours=1))
    assert refused.value.code == "step_out_of_order"
    assert "still needs: Village committee director" in refused.value.en


def test_second_signature_for_the_same_role_in_the_same_step_is_refused(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP[:1])
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "village_party_secretary", signers["village_party_secretary"], at=SIGNING + dt.timedelta(hours=1))
    assert refused.value.code == "role_already_signed"
    assert "still missing: Village committee director" in refused.value.en


def test_signer_of_a_completed_step_cannot_sign_it_again(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP)
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "village_director", signers["village_director"], at=SIGNING + dt.timedelta(hours=1))
    assert refused.value.code == "role_already_signed"


def test_one_person_holding_both_posts_may_not_sign_for_both(session):
    tree = build_tree(session)
    both = person_in_post(session, name="村支书兼主任黄", role="village_party_secretary", unit=tree.village)
    posts.assign_post(session, actor=ADMIN, person_id=both, role="village_director", unit_code=tree.village, start_date=dt.date(2014, 1, 1))
    case = household_case(session, tree)
    _sign(session, case, "village_party_secretary", both)
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "village_director", both, at=SIGNING + dt.timedelta(minutes=5))
    assert refused.value.code == "same_person_twice"
    assert case.status == "in_notice"


def test_one_person_holding_both_posts_signs_for_both_where_the_rule_book_allows_it(session):
    tree = build_tree(session)
    both = person_in_post(session, name="村支书兼主任黄", role="village_party_secretary", unit=tree.village)
    posts.assign_post(session, actor=ADMIN, person_id=both, role="village_director", unit_code=tree.village, start_date=dt.date(2014, 1, 1))
    case = household_case(session, tree)
    lenient = RuleBooks([book.model_copy(update={"one_person_may_hold_both_posts": True}) for book in rulebook.books().books])
    with rulebook.using(lenient):
        _sign(session, case, "village_party_secretary", both)
        _sign(session, case, "village_director", both, at=SIGNING + dt.timedelta(minutes=5))
    assert case.status == "village_signed"


def test_signer_must_hold_the_role_at_the_households_own_village(session):
    tree = build_tree(session)
    exit_signers(session, tree)
    elsewhere = person_in_post(session, name="金中村主任刘", role="village_director", unit=tree.other_village)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "village_director", elsewhere)
    assert refused.value.code == "signer_not_in_post"
    assert refused.value.en == (
        "金中村主任刘 was not Village committee director of 坪溪村 on 2017-07-10; the post was held by 村主任王"
    )


def test_signature_by_predecessor_whose_tenure_ended_yesterday_is_refused(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    predecessor = signers["township_head"]
    posts.end_post(session, actor=ADMIN, post_id=posts.posts_of(session, predecessor)[0].id, end_date=dt.date(2017, 7, 9))
    person_in_post(session, name="新任镇长何", role="township_head", unit=tree.township, start=dt.date(2017, 7, 10))
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP, at=beijing(2017, 7, 9, 8))
    session.commit()
    # 00:30 on 10 July in Beijing, though still 9 July (the last day in post) in UTC.
    with freeze_time("2017-07-09T16:30:00Z"), pytest.raises(DomainError) as refused:
        exits.sign(session, actor=ADMIN, case_id=case.id, role="township_head", signer_id=predecessor)
    assert refused.value.code == "signer_not_in_post"
    assert refused.value.en == "镇长钱 was not Township head of 北斗溪镇 on 2017-07-10; the post was held by 新任镇长何"


def test_successor_who_took_the_post_that_morning_may_sign(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    head_post = posts.posts_of(session, signers["township_head"])[0]
    posts.end_post(session, actor=ADMIN, post_id=head_post.id, end_date=dt.date(2017, 7, 9))
    successor = person_in_post(session, name="新任镇长何", role="township_head", unit=tree.township, start=dt.date(2017, 7, 10))
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP, at=beijing(2017, 7, 9, 8))
    sign_roles(session, case, signers, TOWNSHIP_STEP[:1], at=beijing(2017, 7, 9, 9))
    with pytest.raises(DomainError) as refused:  # the predecessor's tenure ended the day before
        exits.sign(session, actor=ADMIN, case_id=case.id, role="township_head", signer_id=signers["township_head"], occurred_at=beijing(2017, 7, 10, 8, 10))
    assert refused.value.code == "signer_not_in_post"
    session.commit()
    with freeze_time("2017-07-10T00:15:00Z"):  # 08:15 in Beijing, the successor's first morning
        exits.sign(session, actor=ADMIN, case_id=case.id, role="township_head", signer_id=successor)
    assert case.status == "exited"


def test_role_that_does_not_sign_this_exit_is_refused_naming_the_signers(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "county_head", signers["county_head"])
    assert refused.value.code == "not_a_signing_role"
    assert "village_party_secretary, village_director" in refused.value.en


def test_staff_may_record_a_signature_on_the_signers_behalf_with_the_document_reference(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    secretary = signers["village_party_secretary"]
    staff = Actor(account="staff-beidouxi-07", on_behalf_of=secretary)
    signature = _sign(session, case, "village_party_secretary", secretary, actor=staff, document_ref="北斗溪镇退出表 2017-031")
    assert (signature.signer_id, signature.account, signature.on_behalf_of) == (secretary, "staff-beidouxi-07", secretary)
    assert signature.document_ref == "北斗溪镇退出表 2017-031"
    assert signature.occurred_at == SIGNING and signature.recorded_at > SIGNING
    assert (signature.step, signature.unit_code, signature.decision) == ("village", tree.village, "signed")


def test_staff_record_on_behalf_of_someone_other_than_the_signer_is_refused(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    staff = Actor(account="staff-beidouxi-07", on_behalf_of=signers["village_director"])
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "village_party_secretary", signers["village_party_secretary"], actor=staff)
    assert refused.value.code == "on_behalf_of_mismatch"


def test_signature_dated_before_the_earlier_step_completed_is_refused(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP, at=beijing(2017, 7, 12, 9))
    with pytest.raises(DomainError) as refused:
        _sign(session, case, "township_head", signers["township_head"], at=beijing(2017, 7, 12, 8))
    assert refused.value.code == "step_out_of_order"


def test_a_step_completes_at_its_latest_signature_even_when_recorded_first(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    _sign(session, case, "village_party_secretary", signers["village_party_secretary"], at=beijing(2017, 7, 12, 11))
    _sign(session, case, "village_director", signers["village_director"], at=beijing(2017, 7, 12, 9))  # a paper form entered late
    assert (case.status, case.status_since) == ("village_signed", beijing(2017, 7, 12, 11))


def test_a_case_read_as_of_a_day_names_its_steps_roles_as_the_book_in_force_that_day(session):
    """SPEC §2: every evaluation uses the rule book in force on the date it evaluates — a case
    read as it stood in 2017 is shown under the 2017 book, not under one in force later."""
    from api.views.exit_cases import case_detail

    tree = build_tree(session)
    exit_signers(session, tree)
    case = household_case(session, tree)
    books = rulebook.books().books
    renamed = books[-1].roles["village_party_secretary"].model_copy(update={"zh": "村党组织书记"})
    later = books[-1].model_copy(update={"id": "hunan-2025", "effective_from": dt.date(2025, 1, 1), "roles": {**books[-1].roles, "village_party_secretary": renamed}})

    def secretary(detail):
        return next(role.role_zh for step in detail.steps for role in step.roles if role.role == "village_party_secretary")

    with rulebook.using(RuleBooks([*books, later])):
        then, now = case_detail(session, case, until=SIGNING), case_detail(session, case)
    assert (secretary(then), secretary(now)) == ("村党支部书记", "村党组织书记")
