"""驻村工作队: poor villages and villages with 100+ poor people have a team of 2+; it stays until exit."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import ADMIN, build_tree, exit_signers, household, person_in_post
from tests.workflow.exits.steps import COUNTY_STEP, sign_roles, unit_case
from workflow.errors import Conflict, DomainError
from workflow.eventlog.models import Event
from workflow.org import service as org
from workflow.posts import service as posts
from workflow.posts.models import Post
from workflow.teams import service as teams
from workflow.teams.reports import team_gaps
from workflow.teams.withdrawal import members_of

START = dt.date(2017, 6, 1)
EXITED = dt.date(2017, 7, 10)  # the village's exit day in tests.workflow.exits.steps


def _member(session, team_id, name, *, start=START, end=None, first=False):
    person = org.add_person(session, actor=ADMIN, name=name)
    return teams.add_member(session, actor=ADMIN, team_id=team_id, person_id=person.id, start_date=start, end_date=end, first_secretary=first)


def _team(session, tree, *, village=None, kind="work_team", sender=None, start=START):
    return teams.station_team(session, actor=ADMIN, kind=kind, village_code=village or tree.village, sending_unit_code=sender or tree.county, start_date=start)


def _gaps(session, tree, on, scope=None):
    return {(g.village_code, g.problem): g for g in team_gaps(session, scope_code=scope or tree.county, on=on)}


def test_poor_village_with_a_full_team_and_a_first_secretary_has_no_gap(session):
    tree = build_tree(session)
    team = _team(session, tree)
    _member(session, team.id, "队长甲", first=True)
    _member(session, team.id, "队员乙")
    gaps = _gaps(session, tree, dt.date(2017, 9, 30))
    assert (tree.village, "no_work_team") not in gaps and (tree.village, "below_strength") not in gaps
    # The other poor village has none, since the book took effect (its registration is older).
    assert gaps[tree.other_village, "no_work_team"].since == dt.date(2014, 1, 1)


def test_team_of_one_is_below_strength_and_without_first_secretary(session):
    tree = build_tree(session)
    team = _team(session, tree)
    _member(session, team.id, "队员乙", start=dt.date(2017, 8, 15))
    gaps = _gaps(session, tree, dt.date(2017, 9, 30))
    below = gaps[tree.village, "below_strength"]
    assert (below.team_id, below.members, below.since, below.days) == (team.id, 1, START, 122)
    assert gaps[tree.village, "no_first_secretary"].since == START
    assert (tree.village, "no_work_team") not in gaps


def test_village_crossing_100_poor_people_mid_month_needs_a_work_team_from_that_day(session):
    tree = build_tree(session)
    org.add_org_unit(session, actor=ADMIN, code="431224100203", name="大坪村", level="village", parent_code=tree.township, rural_population=3000)
    village = "431224100203"
    for n in range(1, 25):  # 24 households of 4: 96 poor people
        household(session, tree, f"{village}{n:04d}", village=village, members=4)
    group = _team(session, tree, village=village, kind="township_group", sender=tree.township)
    assert group.kind == "township_group"
    assert (village, "no_work_team") not in _gaps(session, tree, dt.date(2017, 9, 14))
    household(session, tree, f"{village}0099", village=village, members=5, registered_on=dt.date(2017, 9, 15))  # 101
    assert (village, "no_work_team") not in _gaps(session, tree, dt.date(2017, 9, 14))
    gap = _gaps(session, tree, dt.date(2017, 9, 30))[village, "no_work_team"]
    assert (gap.poor_people, gap.poor_village, gap.since, gap.days) == (101, False, dt.date(2017, 9, 15), 16)


def test_non_poor_village_with_few_poor_people_needs_some_team(session):
    tree = build_tree(session)
    org.add_org_unit(session, actor=ADMIN, code="431224100203", name="大坪村", level="village", parent_code=tree.township)
    household(session, tree, "4312241002030001", village="431224100203", registered_on=dt.date(2017, 8, 1))
    gap = _gaps(session, tree, dt.date(2017, 9, 30))["431224100203", "no_team"]
    assert gap.since == dt.date(2017, 8, 1)
    _team(session, tree, village="431224100203", kind="helping_unit", sender=tree.city_unit, start=dt.date(2017, 9, 1))
    assert ("431224100203", "no_team") not in _gaps(session, tree, dt.date(2017, 9, 30))


def test_team_cannot_leave_a_poor_village_before_it_exits(session):
    tree = build_tree(session)
    team = _team(session, tree)
    _member(session, team.id, "队长甲", first=True)
    _member(session, team.id, "队员乙")
    with pytest.raises(Conflict) as caught:
        teams.end_team(session, actor=ADMIN, team_id=team.id, end_date=dt.date(2017, 12, 31), reason="任务调整")
    assert caught.value.code == "team_withdrawal_before_exit"
    assert caught.value.details["village"] == tree.village and "坪溪村" in caught.value.zh and "尚未脱贫出列" in caught.value.zh


def test_a_team_stationed_with_a_last_day_before_its_poor_village_exits_is_refused_like_ending_it_then(session):
    tree = build_tree(session)
    with pytest.raises(Conflict) as caught:
        teams.station_team(session, actor=ADMIN, kind="work_team", village_code=tree.village, sending_unit_code=tree.county, start_date=START, end_date=dt.date(2017, 12, 31))
    assert caught.value.code == "team_withdrawal_before_exit" and caught.value.details["village"] == tree.village
    group = teams.station_team(session, actor=ADMIN, kind="township_group", village_code=tree.village, sending_unit_code=tree.township, start_date=START, end_date=dt.date(2017, 12, 31))
    assert group.end_date == dt.date(2017, 12, 31)  # the rule holds resident work teams only


def test_ending_a_member_that_leaves_the_team_below_two_is_refused_unless_replaced(session):
    tree = build_tree(session)
    team = _team(session, tree)
    first = _member(session, team.id, "队长甲", first=True)
    second = _member(session, team.id, "队员乙")
    with pytest.raises(Conflict) as caught:
        posts.end_post(session, actor=ADMIN, post_id=second.post_id, end_date=dt.date(2017, 10, 31))
    assert caught.value.code == "team_below_strength_before_exit" and caught.value.details["members_after"] == 1
    _member(session, team.id, "队员丙", start=dt.date(2017, 11, 1))
    posts.end_post(session, actor=ADMIN, post_id=second.post_id, end_date=dt.date(2017, 10, 31))
    assert first.first_secretary


def test_member_whose_tenure_ends_the_day_the_village_exits_may_leave(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    team = _team(session, tree)
    _member(session, team.id, "队长甲", first=True)
    second = _member(session, team.id, "队员乙")
    with pytest.raises(Conflict):
        posts.end_post(session, actor=ADMIN, post_id=second.post_id, end_date=EXITED)
    household(session, tree, f"{tree.village}000001")
    sign_roles(session, unit_case(session, "village", tree.village), signers, COUNTY_STEP)
    with pytest.raises(Conflict):  # leaving the day before would leave the village one member short on its exit day
        posts.end_post(session, actor=ADMIN, post_id=second.post_id, end_date=EXITED - dt.timedelta(days=1))
    posts.end_post(session, actor=ADMIN, post_id=second.post_id, end_date=EXITED)
    teams.end_team(session, actor=ADMIN, team_id=team.id, end_date=EXITED)
    assert team.end_date == EXITED


def test_sending_unit_must_be_of_a_sending_level_and_above_the_village(session):
    tree = build_tree(session)
    with pytest.raises(DomainError) as caught:
        _team(session, tree, sender=tree.township)
    assert caught.value.code == "invalid_sending_unit"
    with pytest.raises(DomainError) as caught:
        _team(session, tree, kind="township_group", sender=tree.other_township)
    assert caught.value.code == "outside_sending_unit"
    assert _team(session, tree, sender=tree.city_unit).sending_unit_code == tree.city_unit


def test_a_member_added_with_a_last_day_that_leaves_the_poor_villages_team_below_two_is_refused_and_writes_nothing(session):
    tree = build_tree(session)
    team = _team(session, tree)
    _member(session, team.id, "队长甲", first=True)
    before = session.execute(select(func.count()).select_from(Event)).scalar_one()
    with pytest.raises(Conflict) as caught:  # the second member leaves on 31 October: one left, the village still poor
        _member(session, team.id, "队员乙", end=dt.date(2017, 10, 31))
    assert caught.value.code == "team_below_strength_before_exit" and caught.value.details["members_after"] == 1
    # The person was added (one event) before the refusal; the post and the membership were not.
    assert session.execute(select(func.count()).select_from(Event)).scalar_one() == before + 1
    assert len(members_of(session, team.id)) == 1
    # With a third member in post from 1 November, the seconded member may come and go.
    _member(session, team.id, "队员丙", start=dt.date(2017, 11, 1))
    seconded = _member(session, team.id, "队员乙", end=dt.date(2017, 10, 31))
    assert session.get(Post, seconded.post_id).end_date == dt.date(2017, 10, 31)


def test_a_member_added_with_a_last_day_on_the_day_the_village_exits_is_accepted(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    team = _team(session, tree)
    _member(session, team.id, "队长甲", first=True)
    household(session, tree, f"{tree.village}000001")
    sign_roles(session, unit_case(session, "village", tree.village), signers, COUNTY_STEP)
    with pytest.raises(Conflict):
        _member(session, team.id, "队员乙", end=EXITED - dt.timedelta(days=1))
    assert _member(session, team.id, "队员丁", end=EXITED).post_id
