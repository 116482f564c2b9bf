"""The obligation tallies (`obligations.tallies`): kept event by event through pairings, visits,
voids and the ends of pairings and posts, they are the tallies counted afresh from the rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.obligations import tallies
from workflow.obligations.models import ObligationDayTally, ObligationPersonYearTally, ObligationTally
from workflow.posts import service as posts
from workflow.visits import service as visits

D = dt.date
TABLES = (ObligationTally.__table__, ObligationDayTally.__table__, ObligationPersonYearTally.__table__)


def _kept(session) -> list[list[tuple]]:
    session.flush()
    return [[tuple(row) for row in session.execute(select(*table.c).order_by(*table.primary_key.columns)).all()] for table in TABLES]


def _counted_afresh(session) -> list[list[tuple]]:
    tallies.rebuild(session.connection())
    return _kept(session)


def test_the_tallies_kept_event_by_event_are_the_tallies_counted_afresh(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township, start=D(2016, 3, 1))
    other = person_in_post(session, name="李四", role="township_cadre", unit=tree.township, start=D(2017, 7, 1), end=D(2018, 2, 28))
    numbers = [household(session, tree, f"4312241002010000{n + 10}") for n in range(4)]
    changes = [
        # Pairings starting in different years and months (an official's rows of two years), one ending.
        lambda: posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=numbers[0], start_date=D(2016, 3, 1)),
        lambda: posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=numbers[1], start_date=D(2017, 5, 2)),
        lambda: posts.pair(session, actor=ADMIN, cadre_id=other, household_id=numbers[2], start_date=D(2017, 7, 1), end_date=D(2018, 1, 31)),
        # Visits across a year's end in Beijing time, and in the first month owed.
        lambda: visit(session, cadre, numbers[0], beijing_time(2017, 12, 31, 23, 30)),
        lambda: visit(session, cadre, numbers[1], beijing_time(2018, 1, 1, 0, 5)),
        lambda: visit(session, other, numbers[2], beijing_time(2017, 7, 1)),
        lambda: visit(session, other, numbers[2], beijing_time(2018, 1, 20)),
        lambda: visit(session, cadre, numbers[0], beijing_time(2018, 6, 9)),
    ]
    kept_before = None
    for change in changes:
        change()
        kept = _kept(session)
        assert kept != kept_before and kept == _counted_afresh(session)
        kept_before = kept
    # The year rows hold each month in its column: the cadre's pairings start in 2016 and 2017; in 2018, January and June visited.
    y = ObligationPersonYearTally.__table__.c
    rows = {row.year: row for row in session.execute(select(ObligationPersonYearTally.__table__).where(y.person_id == cadre))}
    assert (rows[2016].starting, rows[2016].starting_3, rows[2017].starting, rows[2017].starting_6, rows[2017].visited_12) == (1, 1, 1, 1, 1)
    assert [rows[2018]._mapping[f"visited_{month}"] for month in range(1, 13)] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    # Voids, a pairing ended early, a post ended: each kept as a fresh count would have it.
    voided = visit(session, cadre, numbers[1], beijing_time(2018, 3, 3))
    assert _kept(session) == _counted_afresh(session)
    visits.void_visit(session, actor=ADMIN, visit_id=voided, reason="录入错误")
    assert _kept(session) == _counted_afresh(session)
    [pairing] = [p for p in posts.pairings_of(session, cadre) if p.household_id == numbers[1]]
    posts.end_pairing(session, actor=ADMIN, pairing_id=pairing.id, end_date=D(2018, 4, 30))
    assert _kept(session) == _counted_afresh(session)
    [post] = posts.posts_of(session, other)
    posts.end_post(session, actor=ADMIN, post_id=post.id, end_date=D(2017, 12, 31))
    assert _kept(session) == _counted_afresh(session)
