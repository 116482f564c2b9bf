"""Rejection returns a case to registered with its reason; relapse (返贫) re-registers a household;
every transition is an event, and replaying the log reproduces the cases."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from tests.factories import ADMIN, build_tree, exit_signers, passing_assessment, person_in_post
from tests.workflow.exits.steps import SIGNING, TOWNSHIP_STEP, VILLAGE_STEP, beijing, household_case, sign_roles
from workflow.errors import DomainError
from workflow.eventlog import Event
from workflow.eventlog.replay import rebuild_projections, snapshot
from workflow.exits import service as exits
from workflow.org.models import Household
from workflow.org.service import registry_spells

LATER = SIGNING + dt.timedelta(days=3)


def _reject(session, case, signers, role, *, at=LATER, reason="两不愁三保障未核实到位"):
    return exits.reject(session, actor=ADMIN, case_id=case.id, role=role, signer_id=signers[role], reason=reason, occurred_at=at)


def test_required_signer_may_reject_and_the_case_returns_to_registered_with_the_reason_kept(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP)
    rejection = _reject(session, case, signers, "township_head", reason="住房安全未核实")
    assert (case.status, case.reason, case.attempt) == ("registered", "住房安全未核实", 2)
    assert (rejection.decision, rejection.reason, rejection.step) == ("rejected", "住房安全未核实", "township")
    assert session.get(Household, case.subject_id).status == "registered"
    assert [s.decision for s in exits.signatures_of(session, case.id)] == ["signed", "signed", "rejected"]


def test_after_a_rejection_earlier_signatures_no_longer_count(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP)
    _reject(session, case, signers, "township_party_secretary")
    exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(), occurred_at=beijing(2017, 8, 1, 9))
    exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=beijing(2017, 8, 1, 10))
    sign_roles(session, case, signers, VILLAGE_STEP[:1], at=beijing(2017, 8, 10, 9))
    assert case.status == "in_notice"  # the director's signature of the first attempt is not carried over
    sign_roles(session, case, signers, VILLAGE_STEP[1:], at=beijing(2017, 8, 10, 10))
    assert case.status == "village_signed"


def test_signer_may_reject_during_the_notice(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    _reject(session, case, signers, "village_director", at=beijing(2017, 7, 4, 9))
    assert case.status == "registered"


def test_rejection_without_a_reason_is_refused(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        _reject(session, case, signers, "village_director", reason="  ")
    assert refused.value.code == "reason_required"


def test_only_a_signer_of_the_step_the_case_waits_at_may_reject(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        _reject(session, case, signers, "township_head")
    assert refused.value.code == "step_out_of_order"


def test_rejection_by_someone_not_in_the_post_is_refused(session):
    tree = build_tree(session)
    exit_signers(session, tree)
    outsider = person_in_post(session, name="金中村支书马", role="village_party_secretary", unit=tree.other_village)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        _reject(session, case, {"village_party_secretary": outsider}, "village_party_secretary")
    assert refused.value.code == "signer_not_in_post"
    assert case.status == "in_notice"


def _exit(session, tree, signers):
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP)
    sign_roles(session, case, signers, TOWNSHIP_STEP, at=SIGNING + dt.timedelta(days=1))
    return case


def test_relapse_re_registers_the_household_and_its_history_keeps_the_earlier_case(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = _exit(session, tree, signers)
    exits.relapse(session, actor=ADMIN, household_id=case.subject_id, reason="因病返贫", occurred_at=beijing(2018, 3, 2, 9))
    assert (case.status, case.reason, case.exited_at) == ("relapsed", "因病返贫", SIGNING + dt.timedelta(days=1, minutes=1))
    assert session.get(Household, case.subject_id).status == "registered"
    spells = registry_spells(session, "poor_household", case.subject_id)
    assert [(s.registered_on, s.exited_on) for s in spells] == [(dt.date(2014, 1, 1), dt.date(2017, 7, 11)), (dt.date(2018, 3, 2), None)]

    again = exits.open_case(session, actor=ADMIN, level="household", subject_id=case.subject_id, occurred_at=beijing(2018, 3, 3, 9))
    assert [c.id for c in exits.cases_of(session, level="household", subject_id=case.subject_id)] == [case.id, again.id]


def test_relapsed_household_can_exit_again_in_its_new_case(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    first = _exit(session, tree, signers)
    exits.relapse(session, actor=ADMIN, household_id=first.subject_id, reason="因灾返贫", occurred_at=beijing(2018, 3, 2, 9))
    second = exits.open_case(session, actor=ADMIN, level="household", subject_id=first.subject_id, occurred_at=beijing(2018, 3, 3, 9))
    exits.propose(session, actor=ADMIN, case_id=second.id, assessment=passing_assessment(), occurred_at=beijing(2018, 9, 1, 9))
    exits.post_notice(session, actor=ADMIN, case_id=second.id, occurred_at=beijing(2018, 9, 1, 10))
    sign_roles(session, second, signers, VILLAGE_STEP, at=beijing(2018, 9, 10, 9))
    sign_roles(session, second, signers, TOWNSHIP_STEP, at=beijing(2018, 9, 11, 9))
    assert (first.status, second.status) == ("relapsed", "exited")
    assert [s.exited_on for s in registry_spells(session, "poor_household", first.subject_id)] == [dt.date(2017, 7, 11), dt.date(2018, 9, 11)]


def test_new_case_cannot_be_dated_before_the_relapse_that_allows_it(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    first = _exit(session, tree, signers)
    exits.relapse(session, actor=ADMIN, household_id=first.subject_id, reason="因病返贫", occurred_at=beijing(2018, 3, 2, 9))
    with pytest.raises(DomainError) as refused:
        exits.open_case(session, actor=ADMIN, level="household", subject_id=first.subject_id, occurred_at=beijing(2018, 3, 1, 9))
    assert refused.value.code == "step_out_of_order"
    assert "closed at 2018-03-02 09:00 (Asia/Shanghai)" in refused.value.en


def test_relapse_of_a_household_that_has_not_exited_is_refused(session):
    tree = build_tree(session)
    case = household_case(session, tree)
    with pytest.raises(DomainError) as refused:
        exits.relapse(session, actor=ADMIN, household_id=case.subject_id, reason="因病返贫", occurred_at=beijing(2017, 7, 20))
    assert refused.value.code == "step_out_of_order"
    assert "that comes when the case is exited" in refused.value.en


def test_every_transition_is_an_event_naming_the_status_it_led_to(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = _exit(session, tree, signers)
    events = session.execute(select(Event).where(Event.entity_type == "exit_case", Event.entity_id == case.id).order_by(Event.seq)).scalars()
    assert [(e.type, json.loads(e.payload).get("status_after")) for e in events] == [
        ("exit_case.opened", None),
        ("exit_case.proposed", "proposed"),
        ("exit_case.notice_posted", "in_notice"),
        ("exit_case.signed", "in_notice"),
        ("exit_case.signed", "village_signed"),
        ("exit_case.signed", "village_signed"),
        ("exit_case.signed", "exited"),
    ]


def test_replaying_the_log_reproduces_cases_signatures_objections_and_registry(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    rejected = household_case(session, tree, number="431224100201000002")
    objection = exits.lodge_objection(session, actor=ADMIN, case_id=rejected.id, lodged_by="村民张某", grounds="收入未核实", occurred_at=beijing(2017, 7, 3))
    _reject(session, rejected, signers, "village_director", at=beijing(2017, 7, 4))
    assert objection.outcome == "moot"
    relapsed = _exit(session, tree, signers)
    exits.relapse(session, actor=ADMIN, household_id=relapsed.subject_id, reason="因病返贫", occurred_at=beijing(2018, 3, 2, 9))
    exits.open_case(session, actor=ADMIN, level="household", subject_id=relapsed.subject_id, occurred_at=beijing(2018, 3, 3, 9))
    session.commit()
    live = snapshot(session)
    rebuild_projections(session)
    session.commit()
    assert snapshot(session) == live
