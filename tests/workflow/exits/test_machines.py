"""One machine pointed at case after case (`machines.Machines`, a bulk load's) judges each as a
machine built around that case alone (`machines.machine_for`, a command's) judges it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import passing_assessment
from workflow.errors import DomainError
from workflow.exits import machines
from workflow.exits.machines import HouseholdProposal
from workflow.exits.models import ExitCase

MOMENT = dt.datetime(2017, 9, 1, 2, tzinfo=dt.timezone.utc)


def _case(case_id: str, status: str) -> ExitCase:
    return ExitCase(id=case_id, level="household", subject_id=f"H-{case_id}", unit_code="V", status=status, attempt=1,
                    opened_at=MOMENT, status_since=MOMENT)


def _send(case: ExitCase, event: str, machine=None, **facts) -> str:
    """The status `event` leads `case` to, or the code it is refused with; the case's status is left as it was."""
    recorded: list[str] = []
    before = case.status
    try:
        machines.run(case, event, moment=MOMENT, book=None, record=recorded.append, machine=machine, **facts)
        return recorded[0]
    except DomainError as refused:
        return refused.code
    finally:
        case.status = before


@pytest.mark.parametrize("event", ["propose", "post_notice", "relapse"])
def test_a_reused_machine_judges_each_case_by_its_own_status_as_a_fresh_one_does(event):
    proposal = HouseholdProposal(assessment=passing_assessment(), year=2017, poverty_line=Decimal("3335"))
    facts = {"proposal": proposal} if event == "propose" else {}
    reused = machines.Machines()
    for n, status in enumerate(["registered", "proposed", "exited", "registered", "relapsed", "in_notice", "exited", "proposed"]):
        case = _case(f"C{n}", status)
        assert _send(case, event, reused.at(case), **facts) == _send(case, event, **facts), (status, event)


def test_after_a_case_relapses_the_reused_machine_still_takes_the_next_case():
    # The library takes no event once its machine has entered a final state (relapsed is one).
    reused = machines.Machines()
    relapsing = _case("C1", "exited")
    machines.run(relapsing, "relapse", moment=MOMENT, book=None, record=lambda after: None, machine=reused.at(relapsing))
    assert relapsing.status == "relapsed"
    following = _case("C2", "proposed")
    machines.run(following, "post_notice", moment=MOMENT, book=None, record=lambda after: None, machine=reused.at(following))
    assert following.status == "in_notice"
