"""Replaying the log rebuilds exactly the projections the live writes produced."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import build_tree
from workflow.db import transaction
from workflow.errors import DomainError
from workflow.eventlog.replay import rebuild_projections, snapshot
from workflow.eventlog.verify import verify_chain
from workflow.org import service as org
from workflow.posts import service as posts
from workflow.posts.models import Pairing, Post

OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["person", "post", "end_post", "household", "pair", "end_pairing", "link", "designate", "end_designation"]), st.integers(0, 10_000)),
    min_size=5,
    max_size=40,
)


def _apply(session, actor, tree, operation: str, n: int) -> None:
    day = dt.date(2016, 1, 1) + dt.timedelta(days=n % 900)
    people = [p for p in session.execute(org.Person.__table__.select()).all()]
    households = [h.id for h in session.execute(org.Household.__table__.select()).all()]
    if operation == "person" or not people:
        org.add_person(session, actor=actor, name=f"测试{n}")
    elif operation == "post":
        role, unit = [("township_cadre", tree.township), ("county_leader", tree.county), ("village_director", tree.village)][n % 3]
        posts.assign_post(session, actor=actor, person_id=people[n % len(people)].id, role=role, unit_code=unit, start_date=day)
    elif operation == "end_post":
        open_posts = [p for p in session.execute(Post.__table__.select()).all() if p.end_date is None]
        if open_posts:
            post = open_posts[n % len(open_posts)]
            posts.end_post(session, actor=actor, post_id=post.id, end_date=max(day, post.start_date))
    elif operation == "household":
        org.register_household(session, actor=actor, household_id=f"H{n:06d}", village_code=(tree.village, tree.other_village)[n % 2], head_name=f"户主{n}", members=1 + n % 6, registered_on=day)
    elif operation == "pair" and households:
        posts.pair(session, actor=actor, cadre_id=people[n % len(people)].id, household_id=households[n % len(households)], start_date=day)
    elif operation == "end_pairing":
        pairings = [p for p in session.execute(Pairing.__table__.select()).all() if p.end_date is None]
        if pairings:
            pairing = pairings[n % len(pairings)]
            posts.end_pairing(session, actor=actor, pairing_id=pairing.id, end_date=max(day, pairing.start_date))
    elif operation == "link":
        posts.link_unit(session, actor=actor, unit_code=tree.city_unit, village_code=(tree.village, tree.other_village)[n % 2], start_date=day)
    elif operation == "designate":
        org.register_poor_unit(session, actor=actor, kind="concentrated_township", code=(tree.township, tree.other_township)[n % 2], registered_on=day)
    elif operation == "end_designation":
        org.end_unit_registration(session, actor=actor, kind="concentrated_township", code=(tree.township, tree.other_township)[n % 2], exited_on=day)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=OPERATIONS)
def test_rebuilt_projections_equal_live_ones_after_random_writes(engine, actor, operations):
    from tests.conftest import reset_database

    reset_database(engine)
    with transaction(engine) as session:
        tree = build_tree(session)
    for operation, n in operations:
        try:
            with transaction(engine) as session:
                _apply(session, actor, tree, operation, n)
        except DomainError:
            pass  # a refused write must leave nothing behind; the comparison below checks it
    with transaction(engine) as session:
        live = snapshot(session)
        rebuild_projections(session)
    with transaction(engine) as session:
        assert snapshot(session) == live
        assert verify_chain(session).intact
