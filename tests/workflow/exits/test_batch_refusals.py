"""A bulk load's household exit steps (`exits.batch.HouseholdExits`, the history generator's path)
refuse what the commands of `exits.service` refuse, with the same codes: each wrong step is
tried both ways on the same records, each in a savepoint rolled back after."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import ADMIN, build_tree, exit_signers, household, passing_assessment
from tests.workflow.exits.steps import HOUSEHOLD, OPENED, POSTED, PROPOSED, SIGNING, TOWNSHIP_STEP, VILLAGE_STEP, household_case, sign_roles
from workflow.errors import DomainError
from workflow.eventlog import Actor
from workflow.exits import service as exits
from workflow.exits.batch import HouseholdExits

UNKNOWN = "431224100201999999"
OTHER = "431224100201000002"
LATER = SIGNING + dt.timedelta(days=30)


def _refusal(session, step) -> str:
    """The code `step` is refused with (it must be refused), nothing it wrote kept."""
    savepoint = session.begin_nested()
    try:
        with pytest.raises(DomainError) as refused:
            step()
    finally:
        savepoint.rollback()
    return refused.value.code


def _world(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    proposed = household_case(session, tree, through="proposed")  # HOUSEHOLD: proposed, not yet in notice
    household(session, tree, OTHER)
    exited = exits.open_case(session, actor=ADMIN, level="household", subject_id=OTHER, occurred_at=OPENED)
    exits.propose(session, actor=ADMIN, case_id=exited.id, assessment=passing_assessment(), occurred_at=PROPOSED)
    exits.post_notice(session, actor=ADMIN, case_id=exited.id, occurred_at=POSTED)
    sign_roles(session, exited, signers, VILLAGE_STEP)
    sign_roles(session, exited, signers, TOWNSHIP_STEP, at=SIGNING + dt.timedelta(days=2))
    assert exited.status == "exited"
    return signers, proposed, exited


def _batch(session, loaded: bool) -> HouseholdExits:
    """A batch that reads each household the first time a step names it, or that read them all first, by set."""
    batch = HouseholdExits(session)
    if loaded:
        batch.load([HOUSEHOLD, OTHER, UNKNOWN])
    return batch


@pytest.mark.parametrize("loaded", [False, True], ids=["one by one", "by set"])
def test_the_batch_refuses_each_wrong_step_as_the_command_does(session, loaded):
    signers, proposed, exited = _world(session)
    village_head = signers[VILLAGE_STEP[0]]
    someone_else = Actor(account="clerk", on_behalf_of=signers[VILLAGE_STEP[1]])
    steps = {
        "an unknown household's case": (
            lambda: exits.open_case(session, actor=ADMIN, level="household", subject_id=UNKNOWN, occurred_at=LATER),
            lambda batch: batch.open_case(actor=ADMIN, level="household", subject_id=UNKNOWN, occurred_at=LATER, case_id="b-1"),
            "household_not_found",
        ),
        "a second open case": (
            lambda: exits.open_case(session, actor=ADMIN, level="household", subject_id=HOUSEHOLD, occurred_at=LATER),
            lambda batch: batch.open_case(actor=ADMIN, level="household", subject_id=HOUSEHOLD, occurred_at=LATER, case_id="b-2"),
            "case_already_open",
        ),
        "a case for a household off the registry": (
            lambda: exits.open_case(session, actor=ADMIN, level="household", subject_id=OTHER, occurred_at=LATER),
            lambda batch: batch.open_case(actor=ADMIN, level="household", subject_id=OTHER, occurred_at=LATER, case_id="b-3"),
            "not_on_registry",
        ),
        "a signature before the notice": (
            lambda: exits.sign(session, actor=ADMIN, case_id=proposed.id, role=VILLAGE_STEP[0], signer_id=village_head, occurred_at=LATER),
            lambda batch: batch.sign(actor=ADMIN, case_id=proposed.id, role=VILLAGE_STEP[0], signer_id=village_head, occurred_at=LATER, document_ref=None, signature_id="s-1"),
            None,  # whichever code the machine gives: the same both ways
        ),
        "a signature recorded for someone else": (
            lambda: exits.sign(session, actor=someone_else, case_id=proposed.id, role=VILLAGE_STEP[0], signer_id=village_head, occurred_at=LATER),
            lambda batch: batch.sign(actor=someone_else, case_id=proposed.id, role=VILLAGE_STEP[0], signer_id=village_head, occurred_at=LATER, document_ref=None, signature_id="s-2"),
            "on_behalf_of_mismatch",
        ),
        "a proposal without its assessment": (
            lambda: exits.propose(session, actor=ADMIN, case_id=exited.id, assessment=None, occurred_at=LATER),
            lambda batch: batch.propose(actor=ADMIN, case_id=exited.id, assessment=None, occurred_at=LATER),
            "assessment_required",
        ),
        "a relapse of a household never exited": (
            lambda: exits.relapse(session, actor=ADMIN, household_id=HOUSEHOLD, reason="因病返贫", occurred_at=LATER),
            lambda batch: batch.relapse(actor=ADMIN, household_id=HOUSEHOLD, reason="因病返贫", occurred_at=LATER, spell_id="r-1"),
            None,
        ),
        "a relapse with no reason": (
            lambda: exits.relapse(session, actor=ADMIN, household_id=OTHER, reason="  ", occurred_at=LATER),
            lambda batch: batch.relapse(actor=ADMIN, household_id=OTHER, reason="  ", occurred_at=LATER, spell_id="r-2"),
            "reason_required",
        ),
        "a relapse of an unknown household": (
            lambda: exits.relapse(session, actor=ADMIN, household_id=UNKNOWN, reason="因病返贫", occurred_at=LATER),
            lambda batch: batch.relapse(actor=ADMIN, household_id=UNKNOWN, reason="因病返贫", occurred_at=LATER, spell_id="r-3"),
            "household_not_found",
        ),
    }
    found = {}
    for name, (command, batch_step, expected) in steps.items():
        by_command = _refusal(session, command)
        by_batch = _refusal(session, lambda: batch_step(_batch(session, loaded)))
        found[name] = (by_command, by_batch)
        assert by_command == by_batch, (name, by_command, by_batch)
        if expected is not None:
            assert by_command == expected, (name, by_command)
    assert len(found) == len(steps), found


def test_the_batch_refuses_a_signature_id_it_has_given_already(session):
    signers, proposed, _ = _world(session)
    batch = HouseholdExits(session)
    batch.post_notice(actor=ADMIN, case_id=proposed.id, occurred_at=POSTED)
    batch.sign(actor=ADMIN, case_id=proposed.id, role=VILLAGE_STEP[0], signer_id=signers[VILLAGE_STEP[0]], occurred_at=SIGNING, document_ref=None, signature_id="same")
    with pytest.raises(DomainError) as refused:
        batch.sign(actor=ADMIN, case_id=proposed.id, role=VILLAGE_STEP[1], signer_id=signers[VILLAGE_STEP[1]], occurred_at=SIGNING + dt.timedelta(minutes=1), document_ref=None, signature_id="same")
    assert refused.value.code == "duplicate_id"


def test_a_batch_that_read_its_households_by_set_holds_what_it_reads_one_by_one(session):
    signers, proposed, exited = _world(session)
    exits.post_notice(session, actor=ADMIN, case_id=proposed.id, occurred_at=POSTED)
    exits.lodge_objection(session, actor=ADMIN, case_id=proposed.id, lodged_by="村民甲", grounds="收入未核实", occurred_at=POSTED + dt.timedelta(hours=2))
    exits.relapse(session, actor=ADMIN, household_id=OTHER, reason="因病返贫", occurred_at=LATER)

    def held(batch: HouseholdExits) -> dict:
        return {
            "cases": {h: [case.model_dump() for case in cases] for h, cases in batch.subject_cases.items()},
            "decisions": {c: [tuple(getattr(d, name) for name in d.__slots__) for d in ds] for c, ds in batch.decisions.items()},
            "objecting": batch.objecting, "on_registry": batch.on_registry, "villages": batch.villages,
        }

    by_set = HouseholdExits(session)
    by_set.load([HOUSEHOLD, UNKNOWN, OTHER, HOUSEHOLD])
    one_by_one = HouseholdExits(session)
    for household_id in (HOUSEHOLD, OTHER):
        one_by_one._history(household_id), one_by_one._on_registry(household_id), one_by_one._village(household_id)
    assert held(by_set) == held(one_by_one)
    found = held(by_set)
    assert found["objecting"][proposed.id] == ("村民甲",) and len(found["decisions"][exited.id]) == 4
    assert found["on_registry"] == {HOUSEHOLD: True, OTHER: True}  # OTHER back on the registry by its relapse
    assert [case["status"] for case in found["cases"][OTHER]] == ["relapsed"] and UNKNOWN not in found["cases"]
