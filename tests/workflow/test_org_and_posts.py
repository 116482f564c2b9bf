import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import build_tree, household, person_in_post
from workflow.errors import Conflict, DomainError, NotFound
from workflow.org import service as org
from workflow.org.models import OrgUnit
from workflow.posts import service as posts
from workflow.org.places import Subtree


def test_units_hang_under_the_level_above_and_keep_chinese_names(session, actor):
    tree = build_tree(session)
    session.commit()
    village = session.get(OrgUnit, tree.village)
    assert village.name == "坪溪村"
    assert org.ancestor_at(session, village, "county").name == "溆浦县"
    township = session.get(OrgUnit, tree.township)
    below = session.execute(select(OrgUnit.name).where(Subtree.of(township).clause(OrgUnit.path))).scalars().all()
    assert sorted(below) == sorted(["北斗溪镇", "坪溪村", "金中村"])
    assert Subtree.of(session.get(OrgUnit, tree.city)).contains(village.path)
    assert not Subtree.of(session.get(OrgUnit, tree.other_township)).contains(village.path)
    assert not Subtree("430000000000/431200000000/431224000000/4312241").contains("430000000000/431200000000/431224000000/431224100000")


@pytest.mark.parametrize(
    "level, parent, code",
    [("village", "431224000000", "invalid_parent"), ("county", None, "invalid_parent"), ("hamlet", "431224100000", "invalid_level")],
)
def test_unit_at_the_wrong_place_in_the_tree_is_refused(session, actor, level, parent, code):
    build_tree(session)
    with pytest.raises(DomainError) as caught:
        org.add_org_unit(session, actor=actor, code="431224100299", name="错村", level=level, parent_code=parent)
    assert caught.value.code == code


def test_reused_unit_code_is_refused(session, actor):
    tree = build_tree(session)
    with pytest.raises(Conflict) as caught:
        org.add_org_unit(session, actor=actor, code=tree.village, name="重复村", level="village", parent_code=tree.township)
    assert caught.value.code == "duplicate_code"


def test_registry_spell_makes_a_village_poor_for_a_period_it_touches(session, actor):
    tree = build_tree(session, registered_on=dt.date(2017, 6, 15))
    assert org.was_registered_during(session, "poor_village", tree.village, dt.date(2017, 6, 1), dt.date(2017, 6, 30))
    assert not org.was_registered_during(session, "poor_village", tree.village, dt.date(2017, 5, 1), dt.date(2017, 5, 31))


def test_post_must_be_a_known_role_at_a_unit_of_its_level(session, actor):
    tree = build_tree(session)
    person = org.add_person(session, actor=actor, name="向德明")
    with pytest.raises(DomainError) as caught:
        posts.assign_post(session, actor=actor, person_id=person.id, role="county_head", unit_code=tree.township, start_date=dt.date(2017, 1, 1))
    assert caught.value.code == "role_unit_mismatch"
    with pytest.raises(DomainError) as caught:
        posts.assign_post(session, actor=actor, person_id=person.id, role="emperor", unit_code=tree.county, start_date=dt.date(2017, 1, 1))
    assert caught.value.code == "invalid_role"
    with pytest.raises(NotFound):
        posts.assign_post(session, actor=actor, person_id="nobody", role="county_head", unit_code=tree.county, start_date=dt.date(2017, 1, 1))


def test_single_holder_post_is_refused_until_the_predecessor_leaves(session, actor):
    tree = build_tree(session)
    first = person_in_post(session, name="舒光辉", role="township_head", unit=tree.township, start=dt.date(2016, 1, 1))
    successor = org.add_person(session, actor=actor, name="瞿爱民")
    with pytest.raises(Conflict) as caught:
        posts.assign_post(session, actor=actor, person_id=successor.id, role="township_head", unit_code=tree.township, start_date=dt.date(2017, 7, 15))
    assert caught.value.code == "post_taken"
    (first_post,) = posts.posts_of(session, first)
    posts.end_post(session, actor=actor, post_id=first_post.id, end_date=dt.date(2017, 7, 14))
    posts.assign_post(session, actor=actor, person_id=successor.id, role="township_head", unit_code=tree.township, start_date=dt.date(2017, 7, 15))
    assert [p.person_id for p in posts.holders(session, unit_code=tree.township, role="township_head", on=dt.date(2017, 7, 14))] == [first]
    assert [p.person_id for p in posts.holders(session, unit_code=tree.township, role="township_head", on=dt.date(2017, 7, 15))] == [successor.id]


def test_post_ending_before_it_starts_is_refused(session, actor):
    tree = build_tree(session)
    person = org.add_person(session, actor=actor, name="唐永红")
    with pytest.raises(DomainError) as caught:
        posts.assign_post(session, actor=actor, person_id=person.id, role="township_cadre", unit_code=tree.township, start_date=dt.date(2017, 3, 1), end_date=dt.date(2017, 2, 28))
    assert caught.value.code == "invalid_dates"


def _cadre_with_households(session, tree, count: int) -> tuple[str, list[str]]:
    cadre = person_in_post(session, name="谭红梅", role="township_cadre", unit=tree.township)
    return cadre, [household(session, tree, f"43122410020100{n:02d}") for n in range(count)]


def test_sixth_pairing_of_one_cadre_is_refused_with_the_cap(session, actor):
    tree = build_tree(session)
    cadre, households = _cadre_with_households(session, tree, 6)
    for hh in households[:5]:
        posts.pair(session, actor=actor, cadre_id=cadre, household_id=hh, start_date=dt.date(2016, 3, 1))
    with pytest.raises(Conflict) as caught:
        posts.pair(session, actor=actor, cadre_id=cadre, household_id=households[5], start_date=dt.date(2017, 1, 1))
    assert caught.value.code == "pairing_cap_reached"
    assert caught.value.details["cap"] == 5
    assert "5" in caught.value.en and "不超过 5 户" in caught.value.zh


def test_pairing_after_an_earlier_one_ended_fits_under_the_cap(session, actor):
    tree = build_tree(session)
    cadre, households = _cadre_with_households(session, tree, 6)
    pairings = [posts.pair(session, actor=actor, cadre_id=cadre, household_id=hh, start_date=dt.date(2016, 3, 1)) for hh in households[:5]]
    posts.end_pairing(session, actor=actor, pairing_id=pairings[0].id, end_date=dt.date(2016, 12, 31))
    posts.pair(session, actor=actor, cadre_id=cadre, household_id=households[5], start_date=dt.date(2017, 1, 1))
    # ...but not one reaching back into the time when five were running.
    other = household(session, tree, "4312241002019999")
    with pytest.raises(Conflict):
        posts.pair(session, actor=actor, cadre_id=cadre, household_id=other, start_date=dt.date(2016, 6, 1), end_date=dt.date(2016, 6, 30))


def test_pairing_needs_a_cadre_post_in_the_households_township(session, actor):
    tree = build_tree(session)
    outsider = person_in_post(session, name="邓小平", role="township_cadre", unit=tree.other_township)
    hh = household(session, tree, "4312241002010001")
    with pytest.raises(DomainError) as caught:
        posts.pair(session, actor=actor, cadre_id=outsider, household_id=hh, start_date=dt.date(2017, 1, 1))
    assert caught.value.code == "not_a_cadre_here"


def test_city_unit_links_only_to_villages_of_its_city(session, actor):
    tree = build_tree(session)
    link = posts.link_unit(session, actor=actor, unit_code=tree.city_unit, village_code=tree.village, start_date=dt.date(2017, 1, 1))
    assert link.village_code == tree.village
    with pytest.raises(Conflict):
        posts.link_unit(session, actor=actor, unit_code=tree.city_unit, village_code=tree.village, start_date=dt.date(2017, 2, 1))
    with pytest.raises(DomainError) as caught:
        posts.link_unit(session, actor=actor, unit_code=tree.county, village_code=tree.village, start_date=dt.date(2017, 1, 1))
    assert caught.value.code == "invalid_unit"


@pytest.mark.parametrize(
    "level, scope_level, within",
    [
        ("village", "township", True),
        ("village", "city", True),
        ("township", "township", True),
        ("city_unit", "city", True),
        ("county", "township", False),
        ("city_unit", "county", False),
        ("county", "city_unit", False),
        ("province", "city", False),
    ],
)
def test_a_level_lies_within_a_subtree_only_at_or_below_the_subtree_root(level, scope_level, within):
    assert org.lies_within(level, scope_level) is within
