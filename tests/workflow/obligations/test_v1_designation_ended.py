"""V1 when a township's concentrated-poverty designation ends mid-year (SPEC §3: a target for a
campaign year if it was on the registry at any time in it)."""

import datetime as dt

from freezegun import freeze_time

from tests.factories import ADMIN, beijing_time, build_tree, person_in_post, visit
from workflow.obligations import reports
from workflow.org import service as org

D = dt.date


def _setup(session):
    with freeze_time("2017-12-01T00:00:00Z"):  # recorded before every moment the tests look back to
        tree = build_tree(session)
        secretary = person_in_post(session, name="市委书记", role="city_party_secretary", unit=tree.city, start=D(2018, 1, 1))  # owes from 2018
    with freeze_time("2018-06-20T02:00:00Z"):  # the decision reaches the records a few days later
        org.end_unit_registration(session, actor=ADMIN, kind="concentrated_township", code=tree.township, exited_on=D(2018, 6, 15))
    return tree, secretary


def _v1(session, tree, as_of):
    """The V1 rows of the city's report as of `as_of`, evaluated at noon Beijing time that day, by target.

    The same rows as known now: the evaluation from the log reads the ended designation too.
    """
    noon = dt.datetime.combine(as_of, dt.time(4), tzinfo=dt.timezone.utc)
    with freeze_time(noon):
        report = reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=["V1"])
        known_now = reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=["V1"], known_at=noon)
    assert known_now.rows == report.rows
    return {row.target_id: row for row in report.rows}


def test_a_designation_ended_mid_year_still_owes_that_year_and_is_overdue_once_it_ends_unvisited(session):
    tree, _ = _setup(session)
    summer = _v1(session, tree, D(2018, 7, 1))
    assert (summer[tree.township].status, summer[tree.township].current_period) == ("pending", "2018")
    assert _v1(session, tree, D(2018, 12, 31))[tree.township].status == "pending"  # New Year's Eve: 2018 still runs
    january = _v1(session, tree, D(2019, 1, 10))[tree.township]
    assert (january.status, january.missed_periods, january.days_overdue) == ("overdue", ("2018",), 10)
    assert (january.current_period, january.current_status) == ("2019", "not_owed")


def test_the_year_after_a_designation_ended_owes_nothing_for_that_township(session):
    tree, _ = _setup(session)
    # All through 2019 the row shows 2018's miss (the latest closed year); 2019 itself is not owed.
    last_day = _v1(session, tree, D(2019, 12, 31))[tree.township]
    assert [status for _, status in last_day.periods] == ["missed", "not_owed"]
    assert tree.township not in _v1(session, tree, D(2020, 1, 1))


def test_a_visit_later_in_the_year_the_designation_ended_meets_that_year(session):
    tree, secretary = _setup(session)
    with freeze_time("2018-09-03T02:00:00Z"):
        visit(session, secretary, tree.village, beijing_time(2018, 9, 3), level="village")  # counts for its township
    assert _v1(session, tree, D(2018, 9, 30))[tree.township].status == "met"
    january = _v1(session, tree, D(2019, 1, 10))[tree.township]
    assert (january.status, january.missed_periods) == ("not_owed", ())
