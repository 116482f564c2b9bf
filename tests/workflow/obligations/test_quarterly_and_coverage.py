"""V1–V6: quarterly visits to linked villages, monthly visits to any poor village, yearly coverage."""

import datetime as dt

from freezegun import freeze_time

from tests.factories import ADMIN, beijing_time, build_tree, exit_signers, household, person_in_post, visit
from workflow.exits import service as exits
from workflow.obligations import reports
from workflow.posts import service as posts

D = dt.date
HOUSEHOLD = "431224100201000001"


def _rows(session, tree, as_of, rules, **options):
    with freeze_time(dt.datetime.combine(as_of, dt.time(4))):
        return reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=rules, **options).rows


def _by_target(rows):
    return {row.target_id: row for row in rows}


def _unit_head_linked_to_both_villages(session):
    tree = build_tree(session)
    head = person_in_post(session, name="财政局长", role="city_unit_head", unit=tree.city_unit)
    for village in (tree.village, tree.other_village):
        posts.link_unit(session, actor=ADMIN, unit_code=tree.city_unit, village_code=village, start_date=D(2017, 1, 1))
    return tree, head


def test_a_city_direct_unit_linked_to_two_villages_owes_a_visit_to_each_every_quarter(session):
    tree, head = _unit_head_linked_to_both_villages(session)
    visit(session, head, tree.village, beijing_time(2018, 3, 31, 23, 30), level="village")
    visit(session, head, tree.other_village, beijing_time(2018, 4, 1, 0, 30), level="village")  # 31 March in UTC
    rows = _by_target(_rows(session, tree, D(2018, 4, 10), ["V3"]))
    first, other = rows[tree.village], rows[tree.other_village]
    assert (first.status, first.current_period, first.missed_periods) == ("due", "2018-Q2", ())
    assert (other.status, other.current_status, other.missed_periods, other.days_overdue) == ("overdue", "met", ("2018-Q1",), 10)


def test_at_the_turn_of_the_year_the_last_quarter_is_judged_and_a_new_one_begins(session):
    tree, head = _unit_head_linked_to_both_villages(session)
    visit(session, head, tree.village, beijing_time(2018, 12, 31, 23, 59), level="village")
    visit(session, head, tree.other_village, beijing_time(2018, 9, 30), level="village")
    visit(session, head, tree.other_village, beijing_time(2019, 1, 1, 0, 10), level="village")
    rows = _by_target(_rows(session, tree, D(2019, 1, 5), ["V3"]))
    assert (rows[tree.village].status, rows[tree.village].current_period) == ("due", "2019-Q1")
    other = rows[tree.other_village]
    assert (other.status, other.current_status, other.missed_periods, other.days_overdue) == ("overdue", "met", ("2018-Q4",), 5)


def test_a_village_visit_counts_for_a_household_visit_only_upwards(session):
    tree, head = _unit_head_linked_to_both_villages(session)
    household(session, tree, HOUSEHOLD)
    visit(session, head, HOUSEHOLD, beijing_time(2018, 5, 2))  # a household in the first village
    rows = _by_target(_rows(session, tree, D(2018, 5, 10), ["V3"]))
    assert (rows[tree.village].current_status, rows[tree.other_village].current_status) == ("met", "due")


def test_a_coverage_target_is_pending_until_visited_and_overdue_once_the_campaign_year_ends(session):
    tree = build_tree(session)
    secretary = person_in_post(session, name="县委书记", role="county_party_secretary", unit=tree.county, start=D(2018, 1, 1))
    household(session, tree, HOUSEHOLD)
    visit(session, secretary, HOUSEHOLD, beijing_time(2018, 3, 8))  # a household visit is a village visit
    during = _by_target(_rows(session, tree, D(2018, 10, 1), ["V4"]))
    assert (during[tree.village].status, during[tree.other_village].status) == ("met", "pending")
    after = _by_target(_rows(session, tree, D(2019, 1, 10), ["V4"]))
    unvisited = after[tree.other_village]
    assert (unvisited.status, unvisited.missed_periods, unvisited.days_overdue, unvisited.current_status) == ("overdue", ("2018",), 10, "pending")
    assert (after[tree.village].status, after[tree.village].current_period) == ("pending", "2019")


def test_the_city_secretary_covers_concentrated_townships_and_a_village_visit_counts_for_its_township(session):
    tree = build_tree(session)
    secretary = person_in_post(session, name="市委书记", role="city_party_secretary", unit=tree.city, start=D(2018, 1, 1))
    visit(session, secretary, tree.other_village, beijing_time(2018, 4, 2), level="village")
    rows = _rows(session, tree, D(2018, 6, 1), ["V1"])
    assert [(row.target_id, row.status) for row in rows] == [(tree.township, "met")]  # 龙潭镇 is not concentrated


def test_a_township_head_covers_each_poor_household_including_one_registered_late_in_the_year(session):
    tree = build_tree(session)
    head = person_in_post(session, name="镇长", role="township_head", unit=tree.township, start=D(2018, 1, 1))
    household(session, tree, HOUSEHOLD)
    late = household(session, tree, "431224100202000009", village=tree.other_village, registered_on=D(2018, 9, 1))
    visit(session, head, HOUSEHOLD, beijing_time(2018, 2, 2))
    early = _by_target(_rows(session, tree, D(2018, 8, 31), ["V6"]))
    assert set(early) == {HOUSEHOLD}  # not yet on the registry by 31 August
    rows = _by_target(_rows(session, tree, D(2018, 9, 1), ["V6"]))
    assert (rows[HOUSEHOLD].status, rows[late].status) == ("met", "pending")


def test_a_yearly_coverage_visit_belongs_to_the_campaign_year_of_its_beijing_date_and_counts_from_that_day(session):
    tree = build_tree(session)
    head = person_in_post(session, name="镇长", role="township_head", unit=tree.township, start=D(2018, 1, 1))
    late_evening, small_hours = HOUSEHOLD, "431224100202000009"
    household(session, tree, late_evening)
    household(session, tree, small_hours, village=tree.other_village)
    visit(session, head, late_evening, beijing_time(2018, 12, 31, 23, 59))  # 15:59 UTC
    visit(session, head, small_hours, beijing_time(2019, 1, 1, 0, 10))  # still 31 December in UTC
    visit(session, head, late_evening, beijing_time(2019, 1, 20, 9))
    rows = _by_target(_rows(session, tree, D(2019, 1, 10), ["V6"]))
    assert (rows[late_evening].status, rows[late_evening].current_status) == ("pending", "pending")  # 2018 met; 20 January is after as_of
    assert (rows[small_hours].status, rows[small_hours].missed_periods, rows[small_hours].current_status) == ("overdue", ("2018",), "met")
    later = _by_target(_rows(session, tree, D(2019, 1, 20), ["V6"]))
    assert later[late_evening].current_status == "met"  # as_of is the end of its day


def test_a_township_visit_is_not_a_visit_to_its_villages(session):
    tree = build_tree(session)
    leader = person_in_post(session, name="副县长", role="county_leader", unit=tree.county)
    visit(session, leader, tree.township, beijing_time(2018, 7, 3), level="township")
    [row] = _rows(session, tree, D(2018, 7, 10), ["V5"])
    assert (row.current_status, row.target_id, row.last_visit_on) == ("due", None, None)
    visit(session, leader, tree.village, beijing_time(2018, 7, 4), level="village")
    [row] = _rows(session, tree, D(2018, 7, 10), ["V5"])
    assert (row.current_status, row.last_visit_on) == ("met", D(2018, 7, 4))


def _exit_village(session, signers, village, signed_on):
    """`village` leaves the registry through its exit procedure, the last signature on `signed_on`."""
    start = beijing_time(signed_on.year, signed_on.month, signed_on.day, 9) - dt.timedelta(days=10)
    case = exits.open_case(session, actor=ADMIN, level="village", subject_id=village, occurred_at=start)
    exits.propose(session, actor=ADMIN, case_id=case.id, occurred_at=start + dt.timedelta(minutes=1))
    exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=start + dt.timedelta(minutes=2))
    for n, role in enumerate(["county_party_secretary", "county_head"]):
        exits.sign(session, actor=ADMIN, case_id=case.id, role=role, signer_id=signers[role], occurred_at=beijing_time(signed_on.year, signed_on.month, signed_on.day, 10, n))


def test_a_village_that_exited_mid_month_is_still_poor_for_that_month_and_a_month_without_poor_villages_owes_nothing(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    leader = person_in_post(session, name="副县长", role="county_leader", unit=tree.county, start=D(2018, 6, 1))
    for village in (tree.village, tree.other_village):
        _exit_village(session, signers, village, D(2018, 6, 15))
    visit(session, leader, tree.village, beijing_time(2018, 6, 20), level="village")  # after the exit
    [june] = _rows(session, tree, D(2018, 6, 30), ["V5"], roles=["county_leader"])
    assert (june.status, june.current_period, june.missed_periods) == ("met", "2018-06", ())
    [july] = _rows(session, tree, D(2018, 7, 20), ["V5"], roles=["county_leader"])
    assert (july.current_status, july.status) == ("not_owed", "not_owed")
    [august] = _rows(session, tree, D(2018, 8, 5), ["V5"], roles=["county_leader"])
    assert (august.status, august.days_overdue) == ("not_owed", None)
    coverage = _by_target(_rows(session, tree, D(2018, 8, 5), ["V4"], roles=["county_party_secretary"]))
    assert set(coverage) == {tree.village, tree.other_village}  # both were poor at some time in 2018
