"""V6 as the jurisdiction engine reads it (the households' poor periods from the pairing cover)
after an exit and a relapse recorded through the exit procedure itself, not the spells'
helpers: a household is owed in every campaign year it was poor at some time in (SPEC §3),
the year it left the registry included, and again from its relapse."""

from __future__ import annotations

import datetime as dt

from tests.factories import ADMIN, beijing_time, build_tree, exit_signers, household, visit
from tests.workflow.exits.steps import HOUSEHOLD, SIGNING, TOWNSHIP_STEP, VILLAGE_STEP, beijing, household_case, sign_roles
from workflow.exits import service as exits
from workflow.obligations import planner, reports
from workflow.obligations.jurisdiction import COUNTED, JURISDICTION
from workflow.obligations.question import ROWS, SCORES, TOTALS, Question
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


def test_v6_counted_by_village_equals_v6_read_household_by_household_through_an_exit_and_a_relapse(session):
    """The counts (`jurisdiction_counted`: a village's households by their poor days, less those
    the holder visited) give the totals and scores reading each household gives, on the edges of
    the years in Beijing time; a window reaching into the 2017 campaign year (from 1 June) is
    left to the household-by-household engine, which says why."""
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    sign_roles(session, case, signers, VILLAGE_STEP)
    sign_roles(session, case, signers, TOWNSHIP_STEP, at=SIGNING + dt.timedelta(days=2))
    secretary, head = signers["township_party_secretary"], signers["township_head"]
    other = household(session, tree, "431224100201000009", registered_on=dt.date(2017, 1, 1))
    visit(session, secretary, other, beijing_time(2017, 9, 30, 23, 30))
    exits.relapse(session, actor=ADMIN, household_id=HOUSEHOLD, reason="因病返贫", occurred_at=beijing(2018, 2, 10, 9))
    visit(session, secretary, HOUSEHOLD, beijing_time(2018, 12, 31, 23, 59))  # the year's last minute
    visit(session, head, other, beijing_time(2019, 1, 1, 0, 1))  # the next year's first
    visit(session, secretary, other, beijing_time(2019, 12, 31, 23, 59))
    session.commit()
    scope = get_unit(session, tree.city)

    def question(as_of):
        rule = rulebook.in_force(as_of).visit_rule("V6")
        return Question(window(as_of, rule), scope, frozenset(rule.roles))

    assert planner.explain(question(dt.date(2018, 3, 1)), TOTALS)[1] == ("jurisdiction_counted", "the visits are counted by calendar year: the window is not as_of's year and the one before")
    found = {}
    for as_of in (dt.date(2019, 1, 1), dt.date(2019, 12, 30), dt.date(2019, 12, 31), dt.date(2020, 1, 1)):
        asked = question(as_of)
        assert planner.plan(asked, TOTALS) is COUNTED and planner.plan(asked, SCORES) is COUNTED
        totals, scores = COUNTED.totals(session, asked), {person: (owed, met) for person, owed, met in COUNTED.scores(session, asked)}
        assert sorted(totals) == sorted(JURISDICTION.totals(session, asked)), as_of
        assert scores == {person: (owed, met) for person, owed, met in JURISDICTION.scores(session, asked)}, as_of
        found[as_of] = ({status: n for _, by_status, _ in totals for status, n in by_status.items()}, scores)
    # On the first day of 2019, 2018 is closed: both households were owed it (the relapsed one
    # from 10 February), the secretary met it for the relapsed one in its last minute, the head
    # for neither; a missed 2018 makes the head's visit a minute into 2019 count as overdue still.
    assert found[dt.date(2019, 1, 1)] == ({"overdue": 3, "pending": 1}, {secretary: (2, 1), head: (2, 0)})
    # On 1 January 2020, 2019 is closed: each met it for the other household alone (the
    # secretary in its last minute, the head in its first), neither for the relapsed one.
    assert found[dt.date(2020, 1, 1)] == ({"overdue": 2, "pending": 2}, {secretary: (2, 1), head: (2, 1)})
