"""V6 as the jurisdiction engine reads it (the households' poor periods from the pairing cover)
after an exit and a relapse recorded through the exit procedure itself, not the spells'
helpers: a household is owed in every campaign year it was poor at some time in (SPEC §3),
the year it left the registry included, and again from its relapse."""

from __future__ import annotations

import datetime as dt

from tests.factories import ADMIN, build_tree, exit_signers
from tests.workflow.exits.steps import HOUSEHOLD, SIGNING, TOWNSHIP_STEP, VILLAGE_STEP, beijing, household_case, sign_roles
from workflow.exits import service as exits
from workflow.obligations import planner, reports
from workflow.obligations.question import ROWS, Question
from workflow.obligations.spec import window
from workflow import rulebook
from workflow.org.service import get_unit


def _v6_rows(session, tree, as_of: dt.date):
    found = reports.overdue_report(session, unit_code=tree.township, as_of=as_of, rules=["V6"], roles=["township_party_secretary"])
    return {row.target_id: row for row in found.rows}


def test_a_household_exited_and_relapsed_through_its_case_is_owed_in_the_years_it_was_poor(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP)
    sign_roles(session, case, signers, TOWNSHIP_STEP, at=SIGNING + dt.timedelta(days=2))
    assert case.status == "exited"  # off the registry from 12 July 2017, Beijing time

    as_of = dt.date(2018, 3, 1)
    rule = next(rule for rule in rulebook.in_force(as_of).visit_rules if rule.id == "V6")
    question = Question(window(as_of, rule), get_unit(session, tree.township), frozenset({"township_party_secretary"}))
    assert planner.plan(question, ROWS).name == "jurisdiction"

    row = _v6_rows(session, tree, as_of)[HOUSEHOLD]
    assert (row.periods_owed, row.status) == (1, "overdue")  # 2017 owed (poor until July), never visited
    assert dict(row.periods)["2018"] == "not_owed"  # off the registry all of 2018 so far

    exits.relapse(session, actor=ADMIN, household_id=HOUSEHOLD, reason="因病返贫", occurred_at=beijing(2018, 2, 10, 9))
    row = _v6_rows(session, tree, as_of)[HOUSEHOLD]
    assert dict(row.periods)["2018"] == "pending"  # poor again from 10 February: 2018 owed, not yet visited
    assert _v6_rows(session, tree, dt.date(2018, 2, 9))[HOUSEHOLD].current_status == "not_owed"  # the day before the relapse
