"""A household's exit: proposal with its assessment, public notice, objections, two signature steps."""

import datetime as dt
from decimal import Decimal

import pytest
from freezegun import freeze_time

from tests.factories import ADMIN, build_tree, exit_signers, household, passing_assessment
from tests.workflow.exits.steps import (
    NOTICE_ENDS,
    OPENED,
    POSTED,
    PROPOSED,
    SIGNING,
    TOWNSHIP_STEP,
    VILLAGE_STEP,
    beijing,
    household_case,
    sign_roles,
)
from workflow.errors import DomainError
from workflow.exits import service as exits
from workflow.org.models import Household
from workflow.org.service import registry_spells


def test_household_goes_through_notice_village_signatures_and_township_approval_to_exited(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree, through="registered")
    assert case.status == "registered"

    exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(), occurred_at=PROPOSED)
    assert case.status == "proposed"
    exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=POSTED)
    assert (case.status, case.notice_ends_at) == ("in_notice", NOTICE_ENDS)

    sign_roles(session, case, signers, VILLAGE_STEP[:1])
    assert case.status == "in_notice"
    sign_roles(session, case, signers, VILLAGE_STEP[1:])
    assert case.status == "village_signed"
    sign_roles(session, case, signers, TOWNSHIP_STEP, at=SIGNING + dt.timedelta(days=2))

    assert case.status == "exited"
    assert session.get(Household, case.subject_id).status == "exited"
    [spell] = registry_spells(session, "poor_household", case.subject_id)
    assert spell.exited_on == dt.date(2017, 7, 12)


def test_household_shows_the_status_of_its_exit_case_at_every_step(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="proposed")
    assert session.get(Household, case.subject_id).status == "proposed"
    exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=POSTED)
    assert session.get(Household, case.subject_id).status == "in_notice"


def test_exit_after_midnight_beijing_closes_the_registry_spell_on_the_beijing_date(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP)
    # 00:30 on 13 July in Beijing is still 12 July in UTC.
    sign_roles(session, case, signers, TOWNSHIP_STEP, at=beijing(2017, 7, 13, 0, 30))
    [spell] = registry_spells(session, "poor_household", case.subject_id)
    assert spell.exited_on == dt.date(2017, 7, 13)


# ---- proposal ----------------------------------------------------------------------


def test_proposal_with_income_not_above_the_poverty_line_is_refused_naming_income(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(income_per_capita=Decimal("3335")), occurred_at=PROPOSED)
    assert refused.value.code == "criteria_not_met"
    assert refused.value.details["failed"] == ["income_per_capita"]
    assert "2017 poverty line of 3335" in refused.value.en
    assert case.status == "registered"


def test_proposal_uses_the_poverty_line_of_the_year_it_is_made(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="registered")
    assessment = passing_assessment(income_per_capita=Decimal("3400"))  # above 2017's 3335, below 2018's 3535
    with pytest.raises(DomainError) as refused:
        exits.propose(session, actor=ADMIN, case_id=case.id, assessment=assessment, occurred_at=beijing(2018, 1, 1, 0, 5))
    assert "2018 poverty line of 3535" in refused.value.en
    exits.propose(session, actor=ADMIN, case_id=case.id, assessment=assessment, occurred_at=beijing(2017, 12, 31, 23, 55))
    assert case.status == "proposed"


def test_proposal_refusal_names_every_unmet_guarantee_and_a_missing_acknowledgement(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.propose(
            session,
            actor=ADMIN,
            case_id=case.id,
            assessment=passing_assessment(housing=False, medical=False, acknowledged=False),
            occurred_at=PROPOSED,
        )
    assert refused.value.code == "criteria_not_met"
    assert refused.value.details["failed"] == ["medical", "housing", "acknowledged"]
    assert "住房安全有保障未达标" in refused.value.zh and "has not acknowledged" in refused.value.en


def test_household_proposal_without_an_assessment_is_refused(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.propose(session, actor=ADMIN, case_id=case.id, occurred_at=PROPOSED)
    assert refused.value.code == "assessment_required"


def test_the_proposal_evidence_is_kept_on_the_case(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="proposed")
    assert '"poverty_line":"3335"' in case.proposal and '"year":2017' in case.proposal


# ---- public notice -----------------------------------------------------------------


def test_signature_during_the_notice_period_is_refused_saying_when_it_ends(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        sign_roles(session, case, signers, VILLAGE_STEP[:1], at=beijing(2017, 7, 5, 10))
    assert refused.value.code == "notice_period_running"
    assert "2017-07-09 00:00 (Asia/Shanghai)" in refused.value.en


def test_notice_period_ends_at_midnight_beijing_time(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    session.commit()
    # One second before midnight in Beijing (15:59:59 UTC) the notice is still running.
    with freeze_time("2017-07-08T15:59:59Z"), pytest.raises(DomainError) as refused:
        exits.sign(session, actor=ADMIN, case_id=case.id, role="village_party_secretary", signer_id=signers["village_party_secretary"])
    assert refused.value.code == "notice_period_running"
    with freeze_time("2017-07-08T16:00:00Z"):
        signature = exits.sign(session, actor=ADMIN, case_id=case.id, role="village_party_secretary", signer_id=signers["village_party_secretary"])
    assert signature.occurred_at == NOTICE_ENDS


def test_signing_before_the_notice_is_posted_is_out_of_order(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree, through="proposed")
    with pytest.raises(DomainError) as refused:
        sign_roles(session, case, signers, VILLAGE_STEP[:1])
    assert refused.value.code == "step_out_of_order"
    assert "when the case is in_notice or village_signed" in refused.value.en


# ---- objections --------------------------------------------------------------------


def test_open_objection_blocks_signing_until_resolved(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    exits.lodge_objection(session, actor=ADMIN, case_id=case.id, lodged_by="村民张某", grounds="收入未核实", occurred_at=beijing(2017, 7, 3, 9))
    with pytest.raises(DomainError) as refused:
        sign_roles(session, case, signers, VILLAGE_STEP[:1])
    assert refused.value.code == "objection_open"
    assert "村民张某" in refused.value.en


def test_dismissed_objection_lets_the_case_go_on(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    objection = exits.lodge_objection(session, actor=ADMIN, case_id=case.id, lodged_by="村民张某", grounds="收入未核实", occurred_at=beijing(2017, 7, 3, 9))
    exits.resolve_objection(session, actor=ADMIN, objection_id=objection.id, outcome="dismissed", resolution="经核实收入属实", occurred_at=beijing(2017, 7, 9, 9))
    assert (objection.outcome, case.status) == ("dismissed", "in_notice")
    sign_roles(session, case, signers, VILLAGE_STEP)
    assert case.status == "village_signed"


def test_upheld_objection_returns_the_case_to_registered_with_the_finding_kept(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    objection = exits.lodge_objection(session, actor=ADMIN, case_id=case.id, lodged_by="村民张某", grounds="住房为危房", occurred_at=beijing(2017, 7, 3, 9))
    exits.resolve_objection(session, actor=ADMIN, objection_id=objection.id, outcome="upheld", resolution="经核实住房为C级危房", occurred_at=beijing(2017, 7, 4, 9))
    assert (case.status, case.reason, case.attempt) == ("registered", "经核实住房为C级危房", 2)
    assert session.get(Household, case.subject_id).status == "registered"


def test_objection_after_the_notice_ended_is_refused(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        exits.lodge_objection(session, actor=ADMIN, case_id=case.id, lodged_by="村民张某", grounds="迟到的异议", occurred_at=NOTICE_ENDS)
    assert refused.value.code == "notice_period_over"


def test_an_objection_is_resolved_once(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    objection = exits.lodge_objection(session, actor=ADMIN, case_id=case.id, lodged_by="村民张某", grounds="收入未核实", occurred_at=beijing(2017, 7, 3, 9))
    exits.resolve_objection(session, actor=ADMIN, objection_id=objection.id, outcome="dismissed", resolution="属实", occurred_at=beijing(2017, 7, 4, 9))
    with pytest.raises(DomainError) as refused:
        exits.resolve_objection(session, actor=ADMIN, objection_id=objection.id, outcome="upheld", resolution="改判", occurred_at=beijing(2017, 7, 5, 9))
    assert refused.value.code == "objection_closed"


# ---- opening -----------------------------------------------------------------------


def test_a_second_open_case_for_the_same_household_is_refused(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.open_case(session, actor=ADMIN, level="household", subject_id=case.subject_id, occurred_at=OPENED)
    assert refused.value.code == "case_already_open"


def test_a_record_dated_before_the_case_reached_its_step_is_refused(session):
    tree = build_tree(session)
    case = household_case(session, tree, through="proposed")
    with pytest.raises(DomainError) as refused:
        exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=PROPOSED - dt.timedelta(minutes=1))
    assert refused.value.code == "step_out_of_order"


def test_a_moment_in_the_future_is_refused(session):
    tree = build_tree(session)
    household(session, tree, "431224100201000009")
    with pytest.raises(DomainError) as refused:
        exits.open_case(session, actor=ADMIN, level="household", subject_id="431224100201000009", occurred_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    assert refused.value.code == "occurred_in_future"
