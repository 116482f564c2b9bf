"""V7 at its edges: a township cadre visits each paired household at least once a calendar month."""

import datetime as dt

import pytest
from freezegun import freeze_time

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.obligations import reports
from workflow.posts import service as posts
from workflow.visits import service as visits

D = dt.date
HOUSEHOLD = "431224100201000001"


def _setup(session, *, post_start=D(2017, 1, 1), pairing_start=D(2017, 1, 1), post_end=None, pairing_end=None):
    with freeze_time("2017-12-01T00:00:00Z"):  # recorded before every moment the tests look back to
        tree = build_tree(session)
        cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township, start=post_start, end=post_end)
        household(session, tree, HOUSEHOLD)
        posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=HOUSEHOLD, start_date=pairing_start, end_date=pairing_end)
    return tree, cadre


def _v7(session, tree, as_of, **options):
    """The V7 rows of the city's report as of `as_of`, evaluated at noon Beijing time that day.

    Each edge below is checked on the report's totals too: a one-row page takes them from the
    kept tallies, the whole report counts its rows.
    """
    with freeze_time(dt.datetime.combine(as_of, dt.time(4))):
        whole = reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=["V7"], **options)
        page = reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=["V7"], first=1, **options)
    assert (page.rows, page.total, page.townships, page.counties) == (whole.rows[:1], whole.total, whole.townships, whole.counties)
    return whole.rows


def test_a_visit_at_half_past_midnight_on_1_july_beijing_time_counts_for_july(session):
    tree, cadre = _setup(session)
    with freeze_time("2018-06-30T17:00:00Z"):  # 01:00 on 1 July in Beijing
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 1, 0, 30))
    [june_end] = _v7(session, tree, D(2018, 6, 30))
    assert (june_end.current_period, june_end.current_status, june_end.last_visit_on) == ("2018-06", "due", None)
    [july] = _v7(session, tree, D(2018, 7, 1))
    assert (july.current_period, july.current_status, july.last_visit_on) == ("2018-07", "met", D(2018, 7, 1))
    assert july.missed_periods[-1] == "2018-06"


def test_the_current_month_is_due_until_a_visit_lands_then_met(session):
    tree, cadre = _setup(session)
    for month in range(1, 7):
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, month, 10))
    [before] = _v7(session, tree, D(2018, 7, 14))
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 15))
    [on_the_day] = _v7(session, tree, D(2018, 7, 15))
    [day_before] = _v7(session, tree, D(2018, 7, 14))
    assert (before.status, on_the_day.status, day_before.status) == ("due", "met", "due")
    assert (on_the_day.periods_owed, on_the_day.periods_met, on_the_day.missed_periods) == (6, 6, ())
    assert day_before.last_visit_on == D(2018, 6, 10)


def test_a_missed_month_makes_the_obligation_overdue_until_the_next_month_closes_met(session):
    tree, cadre = _setup(session)
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 5, 20))
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    [july] = _v7(session, tree, D(2018, 7, 10))
    assert (july.status, july.current_status, july.days_overdue) == ("overdue", "met", 10)
    assert july.missed_periods == ("2018-01", "2018-02", "2018-03", "2018-04", "2018-06")
    [august] = _v7(session, tree, D(2018, 8, 10))
    assert (august.status, august.current_status, august.days_overdue) == ("due", "due", None)


def test_a_tenure_beginning_on_the_second_owes_nothing_for_that_month(session):
    tree, cadre = _setup(session, post_start=D(2018, 6, 2), pairing_start=D(2018, 6, 2))
    assert _v7(session, tree, D(2018, 6, 30)) == []
    [july] = _v7(session, tree, D(2018, 7, 10))
    assert (july.status, july.missed_periods, july.periods_owed) == ("due", (), 0)


def test_a_tenure_beginning_on_the_first_owes_that_month(session):
    tree, cadre = _setup(session, post_start=D(2018, 6, 1), pairing_start=D(2018, 6, 1))
    [june] = _v7(session, tree, D(2018, 6, 30))
    assert (june.status, june.missed_periods) == ("due", ())
    [july] = _v7(session, tree, D(2018, 7, 1))
    assert (july.status, july.missed_periods, july.days_overdue) == ("overdue", ("2018-06",), 1)


def test_a_month_is_owed_only_when_both_the_pairing_and_the_post_cover_it_whole(session):
    tree, cadre = _setup(session, post_end=D(2018, 8, 31), pairing_start=D(2018, 3, 1), pairing_end=D(2018, 6, 29))
    [row] = _v7(session, tree, D(2018, 8, 20))
    assert row.missed_periods == ("2018-03", "2018-04", "2018-05")
    assert (row.status, row.current_status) == ("not_owed", "not_owed")


def test_february_of_a_leap_year_ends_on_the_29th(session):
    tree, cadre = _setup(session, post_end=D(2020, 2, 28))
    leap_holder = person_in_post(session, name="李四", role="township_cadre", unit=tree.township, start=D(2017, 1, 1), end=D(2020, 2, 29))
    other = household(session, tree, "431224100201000002")
    posts.pair(session, actor=ADMIN, cadre_id=leap_holder, household_id=other, start_date=D(2017, 1, 1))
    visit(session, leap_holder, other, beijing_time(2020, 2, 29, 23, 59))
    by_person = {row.person_id: row for row in _v7(session, tree, D(2020, 2, 29))}
    assert by_person[cadre].current_status == "not_owed"  # a tenure ending on the 28th misses the 29th
    assert (by_person[leap_holder].current_status, by_person[leap_holder].last_visit_on) == ("met", D(2020, 2, 29))
    [open_on_the_28th] = [row for row in _v7(session, tree, D(2020, 2, 28)) if row.person_id == leap_holder]
    assert open_on_the_28th.current_status == "due"


def test_a_voided_visit_stops_counting(session):
    tree, cadre = _setup(session)
    wrong = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    assert _v7(session, tree, D(2018, 7, 10))[0].current_status == "met"
    visits.void_visit(session, actor=ADMIN, visit_id=wrong, reason="走错户")
    [row] = _v7(session, tree, D(2018, 7, 10))
    assert (row.current_status, row.last_visit_on) == ("due", None)


def test_a_back_filled_visit_changes_as_of_results_but_not_results_as_known_before_it_was_recorded(session):
    tree, cadre = _setup(session)
    with freeze_time("2018-07-02T04:00:00Z"):
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 2))
    seen_then = dt.datetime(2018, 7, 10, 4, tzinfo=dt.timezone.utc)
    [then] = _v7(session, tree, D(2018, 7, 10))
    with freeze_time("2018-07-25T02:00:00Z"):
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, 6, 15))  # recorded forty days late
    with freeze_time("2018-07-26T02:00:00Z"):
        report = reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 7, 10), rules=["V7"])
        as_known = reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 7, 10), rules=["V7"], known_at=seen_then)
    assert (then.status, "2018-06" in then.missed_periods) == ("overdue", True)
    [now] = report.rows
    assert (now.status, "2018-06" in now.missed_periods) == ("met", False)
    assert as_known.rows == [then] and as_known.known_at == seen_then


def test_a_void_recorded_later_still_counts_as_known_before_it(session):
    tree, cadre = _setup(session)
    with freeze_time("2018-07-03T02:00:00Z"):
        wrong = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    with freeze_time("2018-07-20T02:00:00Z"):
        visits.void_visit(session, actor=ADMIN, visit_id=wrong, reason="走错户")
    known = dt.datetime(2018, 7, 10, tzinfo=dt.timezone.utc)
    assert _v7(session, tree, D(2018, 7, 10), known_at=known)[0].current_status == "met"
    assert _v7(session, tree, D(2018, 7, 10))[0].current_status == "due"


def test_a_person_holding_two_posts_owes_both_and_one_visit_counts_for_both(session):
    tree, cadre = _setup(session)
    posts.assign_post(session, actor=ADMIN, person_id=cadre, role="township_head", unit_code=tree.township, start_date=D(2017, 1, 1))
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    with freeze_time("2018-07-10T04:00:00Z"):
        rows = reports.overdue_report(session, unit_code=tree.township, as_of=D(2018, 7, 10), person_id=cadre).rows
    by_rule = {(row.rule_id, row.role): row for row in rows}
    assert set(by_rule) == {("V6", "township_head"), ("V7", "township_cadre")}
    assert by_rule[("V7", "township_cadre")].current_status == "met"
    assert by_rule[("V6", "township_head")].current_status == "met"
    assert by_rule[("V6", "township_head")].post_id != by_rule[("V7", "township_cadre")].post_id


def test_a_cadre_moved_to_another_township_owes_nothing_there_for_a_household_paired_here(session):
    tree, cadre = _setup(session, post_end=D(2018, 6, 30))
    posts.assign_post(session, actor=ADMIN, person_id=cadre, role="township_cadre", unit_code=tree.other_township, start_date=D(2018, 7, 1))
    rows = _v7(session, tree, D(2018, 7, 20))
    assert [(row.unit_code, row.current_status) for row in rows] == [(tree.township, "not_owed")]


@pytest.mark.parametrize(("as_of", "expected"), [
    # New Year's Eve: December is still running; November was met, June to October were not.
    (D(2017, 12, 31), ("due", "due", ("2017-06", "2017-07", "2017-08", "2017-09", "2017-10"), None)),
    (D(2018, 1, 10), ("overdue", "met", ("2017-12",), 10)),
    (D(2018, 1, 31), ("overdue", "met", ("2017-12",), 31)),
    (D(2018, 2, 1), ("due", "due", (), None)),  # January met; last December is out of the window
])
def test_in_january_a_missed_december_still_makes_the_obligation_overdue(session, as_of, expected):
    tree, cadre = _setup(session)
    visit(session, cadre, HOUSEHOLD, beijing_time(2017, 11, 5))
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 1, 5))
    [row] = _v7(session, tree, as_of)
    assert (row.status, row.current_status, row.missed_periods, row.days_overdue) == expected


def test_a_tenure_and_a_pairing_end_recorded_later_are_ignored_as_known_before_they_were_recorded(session):
    tree, cadre = _setup(session)
    [pairing] = posts.pairings_of(session, cadre)
    with freeze_time("2018-07-25T02:00:00Z"):
        late = person_in_post(session, name="李四", role="township_cadre", unit=tree.township, start=D(2018, 1, 1))
        other = household(session, tree, "431224100201000002")
        posts.pair(session, actor=ADMIN, cadre_id=late, household_id=other, start_date=D(2018, 1, 1))
        posts.end_pairing(session, actor=ADMIN, pairing_id=pairing.id, end_date=D(2018, 5, 31))
    then = dt.datetime(2018, 7, 20, tzinfo=dt.timezone.utc)
    with freeze_time("2018-07-26T02:00:00Z"):
        as_known = reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 7, 10), rules=["V7"], known_at=then).rows
        now = {row.person_id: row for row in reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 7, 10), rules=["V7"]).rows}
    assert [(row.person_id, "2018-06" in row.missed_periods) for row in as_known] == [(cadre, True)]
    assert set(now) == {cadre, late} and "2018-06" not in now[cadre].missed_periods


def test_a_pairing_end_alone_recorded_later_is_ignored_as_known_before_it(session):
    # The same posts then and now: only the pairing's versions tell the obligation rows apart.
    tree, cadre = _setup(session)
    [pairing] = posts.pairings_of(session, cadre)
    with freeze_time("2018-07-25T02:00:00Z"):
        posts.end_pairing(session, actor=ADMIN, pairing_id=pairing.id, end_date=D(2018, 5, 31))
    then = dt.datetime(2018, 7, 20, tzinfo=dt.timezone.utc)
    with freeze_time("2018-07-26T02:00:00Z"):
        as_known = reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 7, 10), rules=["V7"], known_at=then).rows
        now = reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 7, 10), rules=["V7"]).rows
    assert [(row.person_id, "2018-06" in row.missed_periods) for row in as_known] == [(cadre, True)]
    assert [(row.person_id, "2018-06" in row.missed_periods) for row in now] == [(cadre, False)]
