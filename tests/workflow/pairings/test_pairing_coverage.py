"""结对帮扶全覆盖: every registered poor household paired; deep poverty with a party leading cadre."""

import datetime as dt

import pytest
from freezegun import freeze_time

from tests.factories import ADMIN, build_tree, household, person_in_post
from workflow.errors import Conflict
from workflow.eventlog.versions import known_records
from workflow.pairings import service as pairings
from workflow.pairings.reports import deep_poverty_advisories, pairing_coverage, unpaired_households
from workflow.posts import service as posts

DAY = dt.date(2017, 9, 30)


def _world(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
    busy = person_in_post(session, name="向满", role="township_cadre", unit=tree.township)
    paired = household(session, tree, "4312241002010001")
    alone = household(session, tree, "4312241002010002", registered_on=dt.date(2017, 3, 1))
    left = household(session, tree, "4312241002020003", village=tree.other_village)
    posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=paired, start_date=dt.date(2017, 1, 1))
    posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=left, start_date=dt.date(2017, 1, 1), end_date=dt.date(2017, 8, 31))
    for n in range(5):
        number = household(session, tree, f"43122410020200{n + 10}", village=tree.other_village)
        posts.pair(session, actor=ADMIN, cadre_id=busy, household_id=number, start_date=dt.date(2017, 1, 1))
    return tree, cadre, busy, paired, alone, left


def test_unpaired_household_is_listed_with_since_when_and_the_cadres_with_room(session):
    tree, cadre, busy, paired, alone, left = _world(session)
    rows = {row.household_id: row for row in unpaired_households(session, scope_code=tree.county, on=DAY)}
    assert set(rows) == {alone, left}
    assert rows[alone].unpaired_since == dt.date(2017, 3, 1) and rows[alone].days_unpaired == 214
    assert rows[left].unpaired_since == dt.date(2017, 9, 1) and rows[left].days_unpaired == 30
    assert rows[left].township_code == tree.township and rows[left].village_code == tree.other_village
    # 舒春生 has one household on the day (the other pairing ended): room for 4; 向满 has 5, none.
    assert [(c.name, c.paired, c.room) for c in rows[alone].cadres_with_room] == [("舒春生", 1, 4)]


def test_household_paired_the_day_it_is_evaluated_is_covered(session):
    tree, cadre, busy, paired, alone, left = _world(session)
    posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=alone, start_date=DAY)
    assert alone not in {row.household_id for row in unpaired_households(session, scope_code=tree.township, on=DAY)}
    assert alone in {row.household_id for row in unpaired_households(session, scope_code=tree.township, on=DAY - dt.timedelta(days=1))}


def test_coverage_is_paired_over_registered_per_unit(session):
    tree, *_ = _world(session)
    rows = {row.unit_code: row for row in pairing_coverage(session, scope_code=tree.county, on=DAY)}
    assert rows[tree.county].registered == 8 and rows[tree.county].paired == 6
    assert str(rows[tree.county].rate) == "0.7500"
    assert (rows[tree.village].registered, rows[tree.village].paired) == (2, 1)
    assert (rows[tree.other_village].registered, rows[tree.other_village].paired) == (6, 5)
    assert pairing_coverage(session, scope_code=tree.county, on=DAY)[0].unit_code == tree.county


def test_deep_poverty_household_paired_with_an_ordinary_cadre_is_an_advisory_not_a_refusal(session):
    tree, cadre, busy, paired, alone, left = _world(session)
    pairings.mark_deep_poverty(session, actor=ADMIN, household_id=paired, start_date=dt.date(2017, 7, 1))
    [advice] = deep_poverty_advisories(session, scope_code=tree.county, on=DAY)
    assert (advice.household_id, advice.cadre_name, advice.cadre_roles) == (paired, "舒春生", ("township_cadre",))
    # Before the mark, nothing to advise; a cadre who is also township head is a party leading cadre.
    assert deep_poverty_advisories(session, scope_code=tree.county, on=dt.date(2017, 6, 30)) == []
    posts.assign_post(session, actor=ADMIN, person_id=cadre, role="township_head", unit_code=tree.township, start_date=dt.date(2017, 9, 1))
    assert deep_poverty_advisories(session, scope_code=tree.county, on=DAY) == []


def test_an_advisory_lists_every_post_the_cadre_holds_that_day_and_none_that_ended_the_day_before(session):
    tree, cadre, busy, paired, alone, left = _world(session)
    pairings.mark_deep_poverty(session, actor=ADMIN, household_id=paired, start_date=dt.date(2017, 7, 1))
    posts.assign_post(session, actor=ADMIN, person_id=cadre, role="township_head", unit_code=tree.township, start_date=dt.date(2017, 1, 1), end_date=DAY - dt.timedelta(days=1))
    posts.assign_post(session, actor=ADMIN, person_id=cadre, role="village_director", unit_code=tree.village, start_date=DAY)
    posts.assign_post(session, actor=ADMIN, person_id=cadre, role="village_director", unit_code=tree.other_village, start_date=DAY)
    [advice] = deep_poverty_advisories(session, scope_code=tree.county, on=DAY)
    assert advice.cadre_roles == ("township_cadre", "village_director")  # sorted, each role once
    assert deep_poverty_advisories(session, scope_code=tree.county, on=DAY - dt.timedelta(days=1)) == []  # a township head that day


def test_overlapping_deep_poverty_marks_are_refused(session):
    tree, cadre, busy, paired, *_ = _world(session)
    pairings.mark_deep_poverty(session, actor=ADMIN, household_id=paired, start_date=dt.date(2017, 6, 1))
    with pytest.raises(Conflict) as caught:
        pairings.mark_deep_poverty(session, actor=ADMIN, household_id=paired, start_date=dt.date(2017, 7, 1))
    assert caught.value.code == "already_deep_poverty"


def test_as_known_at_a_moment_the_later_pairing_is_not_yet_there(session):
    with freeze_time("2017-10-01T02:00:00Z"):
        tree, cadre, busy, paired, alone, left = _world(session)
        session.commit()
    with freeze_time("2017-10-20T02:00:00Z"):
        posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=alone, start_date=dt.date(2017, 9, 15))  # back-filled
        session.commit()
    now = {row.household_id for row in unpaired_households(session, scope_code=tree.county, on=DAY)}
    with known_records(session, dt.datetime(2017, 10, 10, tzinfo=dt.timezone.utc)) as then:
        before = {row.household_id for row in unpaired_households(then, scope_code=tree.county, on=DAY)}
    assert alone not in now and alone in before
