"""Reports as known at a moment read the poverty registry as the log told it then (SPEC §3):
a registration recorded later is absent, an exit recorded later has not yet ended the spell."""

from __future__ import annotations

import datetime as dt

from freezegun import freeze_time

from tests.factories import build_tree, exit_signers, household, person_in_post, visit
from tests.workflow.exits.steps import COUNTY_STEP, sign_roles, unit_case
from workflow.obligations import reports

D = dt.date
BEIJING = dt.timezone(dt.timedelta(hours=8))
LATE_HOUSEHOLD = "431224100201000009"


def _report(session, tree, as_of, rules, known_at=None):
    return reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=rules, known_at=known_at)


def test_a_household_whose_registration_was_recorded_late_is_absent_as_known_before_it(session):
    with freeze_time("2018-01-01T00:00:00Z"):
        tree = build_tree(session)
        person_in_post(session, name="镇党委书记", role="township_party_secretary", unit=tree.township, start=D(2018, 1, 1))
    with freeze_time("2018-04-15T02:00:00Z"):
        household(session, tree, LATE_HOUSEHOLD, registered_on=D(2018, 3, 1))
    known_then = dt.datetime(2018, 4, 1, tzinfo=BEIJING)
    then = _report(session, tree, D(2018, 3, 31), ["V6"], known_at=known_then)
    now = _report(session, tree, D(2018, 3, 31), ["V6"])
    assert LATE_HOUSEHOLD not in {row.target_id for row in then.rows}
    assert {row.target_id: row.status for row in now.rows}[LATE_HOUSEHOLD] == "pending"
    assert now.total.instances == then.total.instances + 1
    card_then = reports.scorecard(session, unit_code=tree.city, as_of=D(2019, 1, 5), rules=["V6"], known_at=known_then)
    card_now = reports.scorecard(session, unit_code=tree.city, as_of=D(2019, 1, 5), rules=["V6"])
    assert card_then.scores == []  # no poor household in the township yet, as far as anyone knew
    assert [(score.periods_owed, score.periods_met) for score in card_now.scores] == [(1, 0)]


def test_a_village_exit_recorded_late_still_leaves_the_village_owed_as_known_before_it(session):
    with freeze_time("2017-07-01T04:00:00Z"):
        tree = build_tree(session)
        signers = exit_signers(session, tree)
        secretary = signers["county_party_secretary"]
        case = unit_case(session, "village", tree.village)
    with freeze_time("2017-08-01T04:00:00Z"):
        visit(session, secretary, tree.village, dt.datetime(2017, 8, 1, 10, tzinfo=BEIJING), level="village")
    with freeze_time("2018-01-20T02:00:00Z"):  # the exit of 10 July 2017 is entered from paper in January
        sign_roles(session, case, signers, COUNTY_STEP)
    assert case.status == "exited"
    before_it = dt.datetime(2018, 1, 15, tzinfo=BEIJING)
    then = {row.target_id: row for row in _report(session, tree, D(2018, 1, 10), ["V4"], known_at=before_it).rows if row.person_id == secretary}
    now = {row.target_id: row for row in _report(session, tree, D(2018, 1, 10), ["V4"]).rows if row.person_id == secretary}
    # Poor in part of 2017 either way, and visited then; 2018 is owed only while the exit is unknown.
    assert (then[tree.village].current_status, now[tree.village].current_status) == ("pending", "not_owed")
    assert then[tree.village].periods_met == now[tree.village].periods_met == 1
    assert then[tree.other_village].current_status == now[tree.other_village].current_status == "pending"
