"""年度减贫计划: plans set by the level above, results from the product's own exits, and after
the year the bonus and accountability lists (不摘贫帽摘官帽), as of a day and as known at a moment."""

import datetime as dt

import pytest
from freezegun import freeze_time

from tests.factories import ADMIN, build_tree, exit_signers, household, passing_assessment, person_in_post
from tests.workflow.exits.steps import TOWNSHIP_STEP, VILLAGE_STEP, beijing, sign_roles
from workflow.errors import DomainError
from workflow.eventlog.versions import known_records
from workflow.exits import service as exits
from workflow.plans import service as plans
from workflow.plans.reports import accountability_list, bonus_list, plan_results



def _exit_household(session, number, signers, day: dt.date):
    """The household's exit case, from opening ten days before to the township's approval on `day`."""
    start = beijing(*(day - dt.timedelta(days=10)).timetuple()[:3], 9)
    case = exits.open_case(session, actor=ADMIN, level="household", subject_id=number, occurred_at=start)
    exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(), occurred_at=start + dt.timedelta(hours=1))
    exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=start + dt.timedelta(hours=2))
    sign_roles(session, case, signers, VILLAGE_STEP + TOWNSHIP_STEP, at=beijing(day.year, day.month, day.day, 10))


def _world(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    numbers = [household(session, tree, f"43122410020100{n:02d}", members=3) for n in range(1, 5)]
    return tree, signers, numbers


def test_a_plan_is_set_by_the_unit_above_and_nobody_else(session):
    tree, *_ = _world(session)
    plan = plans.set_plan(session, actor=ADMIN, unit_code=tree.village, year=2017, households=2, people=6, set_by=tree.township)
    assert (plan.revision, plan.set_by) == (1, tree.township)
    with pytest.raises(DomainError) as caught:
        plans.set_plan(session, actor=ADMIN, unit_code=tree.village, year=2017, households=2, people=6, set_by=tree.county)
    assert caught.value.code == "invalid_plan_setter"


def test_results_count_the_exits_of_the_year_against_the_plan(session):
    tree, signers, numbers = _world(session)
    plans.set_plan(session, actor=ADMIN, unit_code=tree.village, year=2017, households=2, people=6, set_by=tree.township)
    plans.set_plan(session, actor=ADMIN, unit_code=tree.township, year=2017, households=3, people=9, villages=0, set_by=tree.county)
    _exit_household(session, numbers[0], signers, dt.date(2017, 9, 20))
    rows = {r.unit_code: r for r in plan_results(session, scope_code=tree.county, on=dt.date(2017, 10, 1))}
    assert (rows[tree.village].exited_households, rows[tree.village].exited_people, rows[tree.village].completed) == (1, 3, None)
    _exit_household(session, numbers[1], signers, dt.date(2017, 12, 31))
    rows = {r.unit_code: r for r in plan_results(session, scope_code=tree.county, on=dt.date(2018, 1, 5), year=2017)}
    assert rows[tree.village].completed is True and rows[tree.township].completed is False


def test_a_plan_revised_mid_year_reads_as_it_was_known_before_the_revision(session):
    with freeze_time("2017-03-01T02:00:00Z"):
        tree, *_ = _world(session)
        plans.set_plan(session, actor=ADMIN, unit_code=tree.village, year=2017, households=4, people=12, set_by=tree.township)
        session.commit()
    with freeze_time("2017-07-15T02:00:00Z"):
        plans.set_plan(session, actor=ADMIN, unit_code=tree.village, year=2017, households=2, people=6, set_by=tree.township)
        session.commit()
    [now] = plan_results(session, scope_code=tree.village, on=dt.date(2017, 8, 1))
    with known_records(session, dt.datetime(2017, 5, 1, tzinfo=dt.timezone.utc)) as then:
        [before] = plan_results(then, scope_code=tree.village, on=dt.date(2017, 8, 1))
    assert (now.planned_households, now.revision) == (2, 2) and (before.planned_households, before.revision) == (4, 1)


def test_the_bonus_list_names_the_committee_members_of_that_year(session):
    tree, signers, numbers = _world(session)
    plans.set_plan(session, actor=ADMIN, unit_code=tree.village, year=2017, households=1, people=3, set_by=tree.township)
    plans.set_plan(session, actor=ADMIN, unit_code=tree.other_village, year=2017, households=1, people=3, set_by=tree.township)
    person_in_post(session, name="金中村支书", role="village_party_secretary", unit=tree.other_village, end=dt.date(2017, 4, 30))
    _exit_household(session, numbers[0], signers, dt.date(2017, 11, 2))
    with pytest.raises(DomainError) as caught:
        bonus_list(session, scope_code=tree.county, on=dt.date(2017, 12, 30), year=2017)
    assert caught.value.code == "year_not_closed"
    rows = {r.village_code: r for r in bonus_list(session, scope_code=tree.county, on=dt.date(2018, 1, 2))}
    assert rows[tree.village].outcome == "bonus" and {m.name for m in rows[tree.village].members} == {"村支书李", "村主任王"}
    assert rows[tree.other_village].outcome == "forfeited" and [m.name for m in rows[tree.other_village].members] == ["金中村支书"]


def test_a_household_exited_one_day_after_its_planned_year_is_on_the_accountability_list(session):
    tree, signers, numbers = _world(session)
    late, on_time = numbers[0], numbers[1]
    for number in (late, on_time):
        plans.set_planned_exit(session, actor=ADMIN, kind="poor_household", subject_id=number, year=2017)
    plans.set_planned_exit(session, actor=ADMIN, kind="poor_village", subject_id=tree.other_village, year=2017)
    _exit_household(session, on_time, signers, dt.date(2017, 12, 31))
    _exit_household(session, late, signers, dt.date(2018, 1, 1))
    rows = {r.subject_id: r for r in accountability_list(session, scope_code=tree.county, on=dt.date(2018, 1, 31))}
    assert set(rows) == {late, tree.other_village}
    assert rows[late].exited_on == dt.date(2018, 1, 1) and rows[tree.other_village].exited_on is None
    roles = {(o.role, o.name) for o in rows[late].officials}
    assert roles == {("township_party_secretary", "镇党委书记赵"), ("township_head", "镇长钱"), ("village_party_secretary", "村支书李"), ("village_director", "村主任王")}
