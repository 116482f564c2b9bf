"""Listing visits, and the per-person masks that count a visit for every unit above its target."""

import datetime as dt

from freezegun import freeze_time
from sqlalchemy import select

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.eventlog.replay import rebuild_projections, snapshot
from workflow.eventlog.versions import as_known_at
from workflow.visits import service as visits
from workflow.visits.masks import YearMask
from workflow.visits.models import VisitMask

HOUSEHOLD = "431224100201000001"
OTHER = "431224100202000001"


def _masks(session, person):
    rows = session.execute(select(VisitMask).where(VisitMask.person_id == person)).scalars()
    return {(m.target_level, m.target_id, m.year): YearMask(m.month_mask, m.first_days, m.last_days) for m in rows}


def test_a_household_visit_counts_for_its_village_and_township_but_not_for_other_units(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
    household(session, tree, HOUSEHOLD)
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 9))
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    visit(session, cadre, tree.township, beijing_time(2018, 8, 20), level="township")
    masks = _masks(session, cadre)
    assert set(masks) == {("household", HOUSEHOLD, 2018), ("village", tree.village, 2018), ("township", tree.township, 2018)}
    for key in [("household", HOUSEHOLD, 2018), ("village", tree.village, 2018)]:
        assert (masks[key].month_mask, masks[key].first_day(7), masks[key].last_day(7)) == (1 << 6, 3, 9)
    township = masks[("township", tree.township, 2018)]
    assert township.month_mask == (1 << 6) | (1 << 7) and township.first_day(8) == township.last_day(8) == 20


def test_voiding_recomputes_the_masks_and_drops_an_emptied_one(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
    household(session, tree, HOUSEHOLD)
    household(session, tree, OTHER, village=tree.other_village)
    first = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 9))
    lone = visit(session, cadre, OTHER, beijing_time(2018, 7, 5))
    visits.void_visit(session, actor=ADMIN, visit_id=first, reason="日期登记错误")
    visits.void_visit(session, actor=ADMIN, visit_id=lone, reason="重复")
    masks = _masks(session, cadre)
    assert masks[("household", HOUSEHOLD, 2018)].first_day(7) == 9
    assert ("household", OTHER, 2018) not in masks and ("village", tree.other_village, 2018) not in masks
    assert masks[("township", tree.township, 2018)].first_day(7) == 9


def test_listing_filters_by_subtree_visitor_target_and_dates_and_leaves_voided_visits_out(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
    other = person_in_post(session, name="李四", role="township_cadre", unit=tree.township)
    household(session, tree, HOUSEHOLD)
    household(session, tree, OTHER, village=tree.other_village)
    a = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    b = visit(session, other, OTHER, beijing_time(2018, 7, 4))
    c = visit(session, cadre, tree.township, beijing_time(2018, 8, 1), level="township")
    visits.void_visit(session, actor=ADMIN, visit_id=b, reason="错误")
    ids = lambda **filters: [v.id for v in visits.list_visits(session, **filters)]  # noqa: E731
    assert ids() == [c, a]
    assert ids(include_voided=True) == [c, b, a]
    assert ids(unit_code=tree.village) == [a] and ids(unit_code=tree.township) == [c, a]
    assert ids(visitor_id=other, include_voided=True) == [b]
    assert ids(target_level="village", target_id=tree.village) == [a]
    assert ids(target_level="township", target_id=tree.township) == [c, a]
    assert ids(occurred_from=dt.date(2018, 7, 4), occurred_to=dt.date(2018, 7, 31)) == []


def test_listing_as_known_at_a_moment_shows_neither_later_visits_nor_later_voids(session):
    with freeze_time("2018-07-01T00:00:00Z"):
        tree = build_tree(session)
        cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
        household(session, tree, HOUSEHOLD)
    with freeze_time("2018-07-05T00:00:00Z"):
        early = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 3))
    with freeze_time("2018-07-20T00:00:00Z"):
        late = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 4))
        visits.void_visit(session, actor=ADMIN, visit_id=early, reason="错误")
    known = dt.datetime(2018, 7, 10, tzinfo=dt.timezone.utc)
    with as_known_at(session, known) as then:
        assert [v.id for v in visits.list_visits(then)] == [early]
    assert [v.id for v in visits.list_visits(session)] == [late]


def test_replaying_the_log_rebuilds_visits_and_masks_exactly(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
    household(session, tree, HOUSEHOLD)
    for day in (3, 9, 28):
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, day))
    wrong = visit(session, cadre, tree.village, beijing_time(2018, 12, 31, 23, 59), level="village")
    visits.void_visit(session, actor=ADMIN, visit_id=wrong, reason="错误")
    session.commit()
    before = snapshot(session)
    rebuild_projections(session)
    session.commit()
    assert snapshot(session) == before
