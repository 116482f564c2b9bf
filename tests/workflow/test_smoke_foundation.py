import datetime as dt

from tests.factories import build_tree, household, person_in_post
from workflow.eventlog.replay import rebuild_projections, snapshot
from workflow.posts import service as posts


def test_tree_people_posts_pairings_round_trip(session, actor):
    tree = build_tree(session)
    cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
    for n in range(3):
        hh = household(session, tree, f"4312241002010000{n:02d}")
        posts.pair(session, actor=actor, cadre_id=cadre, household_id=hh, start_date=dt.date(2017, 1, 1))
    session.commit()
    before = snapshot(session)
    rebuild_projections(session)
    session.commit()
    assert snapshot(session) == before
