"""A bulk load's table of the machines (`machines.Machines`) moves every case as the library's
machine built around that case (`machines.machine_for`, a command's) moves it: the same status,
the same recorded step, the same refusal, for every level, status, event and kind of fact."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal

import pytest

from tests.factories import passing_assessment
from workflow import rulebook
from workflow.errors import DomainError
from workflow.exits import machines
from workflow.exits.machines import MACHINES, HouseholdProposal, IncidenceProposal, Signing
from workflow.exits.models import ExitCase

MOMENT = dt.datetime(2017, 9, 1, 2, tzinfo=dt.timezone.utc)
BOOK = rulebook.in_force(dt.date(2017, 9, 1))
HOUR = dt.timedelta(hours=1)


def _case(level: str, status: str, *, notice_ends_at: dt.datetime | None) -> ExitCase:
    return ExitCase(id=f"C-{level}-{status}", level=level, subject_id="S", unit_code="U", status=status, attempt=1,
                    opened_at=MOMENT - 30 * HOUR, status_since=MOMENT - 30 * HOUR, notice_ends_at=notice_ends_at)


def _outcome(case: ExitCase, event: str, table: machines.Machines | None, facts: dict) -> tuple:
    """What `event` does to `case`: the steps recorded and the status after, or the refusal's code and both messages."""
    recorded: list[str] = []
    try:
        machines.run(case, event, moment=MOMENT, book=BOOK, record=recorded.append, machines=table, **facts)
    except DomainError as refused:
        return ("refused", refused.code, refused.en, refused.zh, refused.details, recorded, case.status)
    return ("taken", recorded, case.status)


def _signings(level: str, status: str) -> list[Signing]:
    """Signings of every kind a case in `status` can meet: each role, in post or not, alone or
    after others, the same person twice, objections open."""
    steps = machines.procedure(BOOK, level)
    step = machines.step_ahead(steps, status)
    roles = [role for s in steps for role in s.roles] + ["township_cadre"]
    found = []
    for role, in_post, signed_by, objections in itertools.product(roles, ("signer", "other", None), ("none", "partner", "self"), ((), ("P9",))):
        partners = [r for r in (step.roles if step else ()) if r != role]
        signed = {} if signed_by == "none" or not partners else {partners[0]: "P1" if signed_by == "self" else "P2"}
        if signed_by == "self" and role in (step.roles if step else ()):
            signed[role] = "P1"
        holders = {"P1": "甲"} if in_post == "signer" else {"P3": "丙"} if in_post == "other" else {}
        found.append(Signing(role=role, signer_id="P1", signer_name="甲", moment=MOMENT, book=BOOK, steps=steps, step=step, unit_code="U",
                             unit_name="某村", holders=holders, signed=signed, open_objections=objections))
    return found


def _facts(level: str, status: str, event: str) -> list[dict]:
    if event == "propose":
        if level == "household":
            return [{"proposal": HouseholdProposal(assessment=a, year=2017, poverty_line=Decimal("3335"))}
                    for a in (passing_assessment(), passing_assessment(income_per_capita=Decimal("3000"), housing=False))]
        return [{"proposal": IncidenceProposal(poor_population=poor, rural_population=1000, threshold=Decimal("0.02"))} for poor in (5, 20, 300)]
    if event == "resolve_objection":
        return [{"outcome": "upheld"}, {"outcome": "dismissed"}]
    if event in ("sign", "reject"):
        return [{"signing": signing} for signing in _signings(level, status)]
    return [{}]


EVENTS = ("propose", "post_notice", "lodge_objection", "resolve_objection", "sign", "reject", "relapse")


@pytest.mark.parametrize("level", [level.value for level in MACHINES])
def test_the_table_moves_every_case_as_the_library_s_machine_does(level):
    table = machines.Machines()  # one table for the whole run, as a bulk load keeps it
    compared = taken = 0
    for state, event in itertools.product(MACHINES[machines.ExitLevel(level)].states, EVENTS):
        notices = (None,) if state.id in ("registered", "proposed") else (MOMENT - HOUR, MOMENT + HOUR)  # running or over
        for notice_ends_at, facts in itertools.product(notices, _facts(level, state.id, event)):
            by_library = _outcome(_case(level, state.id, notice_ends_at=notice_ends_at), event, None, dict(facts))
            by_table = _outcome(_case(level, state.id, notice_ends_at=notice_ends_at), event, table, dict(facts))
            assert by_table == by_library, (level, state.id, event, notice_ends_at, facts)
            compared += 1
            taken += by_library[0] == "taken"
    # Every kind of outcome was met: steps taken, refused by a validator, refused for the status.
    assert compared > 500 and 20 < taken < compared


def test_after_a_case_relapses_the_table_still_takes_the_next_case():
    # The library's machine takes no event once it has entered a final state (relapsed is one); the table keeps none.
    table = machines.Machines()
    relapsing = _case("household", "exited", notice_ends_at=None)
    assert _outcome(relapsing, "relapse", table, {}) == ("taken", ["relapsed"], "relapsed")
    following = _case("household", "proposed", notice_ends_at=None)
    assert _outcome(following, "post_notice", table, {}) == ("taken", ["in_notice"], "in_notice")


def test_the_table_refuses_a_machine_whose_callbacks_it_would_not_call():
    class Noisy(machines.HouseholdExit):
        def on_enter_exited(self):  # the library would call this; the table would not
            pass

    with pytest.raises(TypeError, match="on_enter_exited"):
        machines._Table(Noisy)


def test_a_step_refused_by_the_table_leaves_the_case_as_it_was():
    table = machines.Machines()
    case = _case("household", "in_notice", notice_ends_at=MOMENT - HOUR)
    signing = dataclasses.replace(_signings("household", "in_notice")[0], holders={})
    before = dict(case.model_dump())
    outcome = _outcome(case, "sign", table, {"signing": signing})
    assert outcome[:2] == ("refused", "signer_not_in_post") and outcome[5] == [] and case.model_dump() == before
