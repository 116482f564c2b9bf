"""The poor counts (`obligations.poor_counts`): kept event by event through registrations, exits
before the product, visits and voids, they are the counts derived afresh;
and the poor days of a household read as one text whatever spells and runs they came in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.obligations import poor_counts
from workflow.obligations.models import PoorHousehold, PoorSpellsTally, PoorVisitTally
from workflow.org import service as org
from workflow.posts import service as posts
from workflow.visits import service as visits

D = dt.date
TABLES = (PoorHousehold.__table__, PoorSpellsTally.__table__, PoorVisitTally.__table__)


def test_poor_days_are_one_text_whatever_spans_they_came_in():
    """Households are grouped by this text: the same days give the same text."""
    assert poor_counts.spells_text([(D(2017, 6, 1), D(2017, 8, 31)), (D(2014, 10, 1), D(2017, 5, 31))]) == "2014-10-01:2017-08-31"
    assert poor_counts.spells_text([(D(2014, 10, 1), D(2016, 12, 20)), (D(2018, 3, 1), None), (D(2018, 5, 1), D(2018, 6, 1))]) == "2014-10-01:2016-12-20;2018-03-01:"
    assert poor_counts.spells_text([(D(2014, 10, 1), None), (D(2015, 1, 1), D(2015, 1, 31))]) == "2014-10-01:"
    text = "2014-10-01:2016-12-20;2016-12-22:"
    assert poor_counts.spells_text(poor_counts.spells_of(text)) == text and poor_counts.spells_of(text)[1] == (D(2016, 12, 22), None)


def _kept(session) -> list[list[tuple]]:
    session.flush()
    return [[tuple(row) for row in session.execute(select(*table.c).order_by(*table.primary_key.columns)).all()] for table in TABLES]


def test_the_counts_kept_event_by_event_are_the_counts_derived_again(session):
    tree = build_tree(session)
    leader = person_in_post(session, name="张书记", role="township_party_secretary", unit=tree.township)
    cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
    numbers = [household(session, tree, f"4312241002010000{n + 10}", village=(tree.village, tree.other_village)[n % 2], registered_on=D(2017, 1, 1) + dt.timedelta(days=40 * n)) for n in range(6)]
    posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=numbers[0], start_date=D(2017, 6, 1))  # cuts the cover's runs, not the poor days
    at = [beijing_time(2017, 3, 5), beijing_time(2017, 12, 31, 23, 30), beijing_time(2018, 1, 1, 0, 5), beijing_time(2018, 7, 9)]
    for household_id, when in zip(numbers, at):
        visit(session, leader, household_id, when)
    visit(session, cadre, numbers[0], at[1])
    voided = visit(session, leader, numbers[1], beijing_time(2018, 2, 1))
    kept = _kept(session)
    assert len(kept[0]) == 6 and kept[2]
    # A household's poor days change: it leaves the registry; another is registered.
    org.record_exit_before_product(session, actor=ADMIN, household_id=numbers[1], exited_on=D(2017, 12, 31))
    late = household(session, tree, "431224100201000099", registered_on=D(2018, 3, 1))
    visit(session, leader, late, beijing_time(2018, 3, 1))
    visits.void_visit(session, actor=ADMIN, visit_id=voided, reason="录入错误")
    changed = _kept(session)
    assert changed != kept
    assert (numbers[1], tree.other_village, "2017-02-10:2017-12-31") in changed[0] and len(changed[0]) == 7
    poor_counts.rebuild(session.connection())
    assert _kept(session) == changed
    # The leader's 2018 row of the household visited in the last minute of 2017: visited the year before, not yet this year.
    assert (leader, 2018, tree.other_village, "2017-02-10:2017-12-31", True, poor_counts.NOT_VISITED, 1) in changed[2]
