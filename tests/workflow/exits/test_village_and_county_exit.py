"""Villages and counties exit on poverty incidence below the threshold and their signers' signatures."""

import datetime as dt

import pytest

from tests.factories import ADMIN, build_tree, exit_signers, household, passing_assessment, person_in_post
from tests.workflow.exits.steps import (
    CITY_STEP,
    COUNTY_STEP,
    PROPOSED,
    PROVINCE_STEP,
    SIGNING,
    TOWNSHIP_STEP,
    VILLAGE_STEP,
    household_case,
    sign_roles,
    unit_case,
)
from workflow.errors import DomainError
from workflow.exits import service as exits
from workflow.org import service as org
from workflow.org.service import registry_spells


def _households(session, tree, count, *, village=None, first=1):
    """`count` households of 4 people in `village` (the tree's first village by default)."""
    village = village or tree.village
    for n in range(first, first + count):
        household(session, tree, f"{village}{n:06d}", village=village)


def test_village_exits_on_the_county_secretarys_and_county_heads_signatures(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    _households(session, tree, 1)
    case = unit_case(session, "village", tree.village)
    assert '"poor_population":4' in case.proposal and '"rural_population":1200' in case.proposal
    sign_roles(session, case, signers, COUNTY_STEP[:1])
    assert case.status == "in_notice"
    sign_roles(session, case, signers, COUNTY_STEP[1:])
    assert case.status == "exited"
    [spell] = registry_spells(session, "poor_village", tree.village)
    assert spell.exited_on == dt.date(2017, 7, 10)


def test_village_proposal_is_refused_when_poverty_incidence_is_not_below_the_threshold(session):
    tree = build_tree(session)
    _households(session, tree, 6)  # 24 of 1200 rural residents: exactly 2 %
    case = unit_case(session, "village", tree.village, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.propose(session, actor=ADMIN, case_id=case.id, occurred_at=PROPOSED)
    assert refused.value.code == "criteria_not_met"
    assert refused.value.details["failed"] == ["poverty_incidence"]
    assert refused.value.en == "poverty incidence is 2.00% (24 registered poor of 1200 rural residents); an exit needs it below 2.00%"


def test_incidence_counts_only_households_still_on_the_registry(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    _households(session, tree, 5, first=2)
    exited = household_case(session, tree, number=f"{tree.village}000001")
    sign_roles(session, exited, signers, VILLAGE_STEP)
    sign_roles(session, exited, signers, TOWNSHIP_STEP, at=SIGNING + dt.timedelta(hours=1))
    case = unit_case(session, "village", tree.village, through="registered")
    exits.propose(session, actor=ADMIN, case_id=case.id, occurred_at=SIGNING + dt.timedelta(days=1))
    assert case.status == "proposed"  # 20 of 1200 once the sixth household has exited


def test_village_proposal_takes_no_household_assessment(session):
    tree = build_tree(session)
    case = unit_case(session, "village", tree.village, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(), occurred_at=PROPOSED)
    assert refused.value.code == "assessment_not_applicable"


def test_county_exits_after_the_city_signatures_then_the_provincial_approval(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = unit_case(session, "county", tree.county)
    sign_roles(session, case, signers, CITY_STEP)
    assert case.status == "city_signed"
    sign_roles(session, case, signers, PROVINCE_STEP, at=SIGNING + dt.timedelta(days=5))
    assert case.status == "exited"
    [spell] = registry_spells(session, "poor_county", tree.county)
    assert spell.exited_on == dt.date(2017, 7, 15)


def test_provincial_approval_before_the_city_signatures_is_out_of_order(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = unit_case(session, "county", tree.county)
    with pytest.raises(DomainError) as refused:
        sign_roles(session, case, signers, PROVINCE_STEP[:1])
    assert refused.value.code == "step_out_of_order"
    assert "still needs: City party secretary, Mayor" in refused.value.en


def test_county_incidence_sums_over_its_villages(session):
    tree = build_tree(session)
    _households(session, tree, 5)  # 20 of 1200 in one village
    _households(session, tree, 6, village=tree.other_village)  # 24 of 900 in the other
    case = unit_case(session, "county", tree.county, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.propose(session, actor=ADMIN, case_id=case.id, occurred_at=PROPOSED)
    assert "(44 registered poor of 2100 rural residents)" in refused.value.en


def test_incidence_needs_every_villages_rural_population(session):
    tree = build_tree(session)
    org.add_org_unit(session, actor=ADMIN, code="431224200201", name="龙潭村", level="village", parent_code=tree.other_township)
    case = unit_case(session, "county", tree.county, through="registered")
    with pytest.raises(DomainError) as refused:
        exits.propose(session, actor=ADMIN, case_id=case.id, occurred_at=PROPOSED)
    assert refused.value.code == "rural_population_unknown"
    assert "龙潭村" in refused.value.en


def test_village_signer_must_hold_the_role_in_the_villages_own_county(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    org.add_org_unit(session, actor=ADMIN, code="431225000000", name="会同县", level="county", parent_code=tree.city)
    neighbour = person_in_post(session, name="会同县长邓", role="county_head", unit="431225000000")
    case = unit_case(session, "village", tree.village)
    sign_roles(session, case, signers, COUNTY_STEP[:1])
    with pytest.raises(DomainError) as refused:
        exits.sign(session, actor=ADMIN, case_id=case.id, role="county_head", signer_id=neighbour, occurred_at=SIGNING + dt.timedelta(hours=1))
    assert refused.value.code == "signer_not_in_post"
    assert "of 溆浦县" in refused.value.en


def test_unit_off_the_registry_cannot_open_an_exit_case(session):
    tree = build_tree(session)
    org.add_org_unit(session, actor=ADMIN, code="431224200201", name="龙潭村", level="village", parent_code=tree.other_township, rural_population=800)
    with pytest.raises(DomainError) as refused:
        unit_case(session, "village", "431224200201", through="registered")
    assert refused.value.code == "not_on_registry"


def test_exit_case_subject_must_be_a_unit_of_its_level(session):
    tree = build_tree(session)
    with pytest.raises(DomainError) as refused:
        unit_case(session, "county", tree.village, through="registered")
    assert refused.value.code == "invalid_subject"


def test_exited_village_takes_no_more_records(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = unit_case(session, "village", tree.village)
    sign_roles(session, case, signers, COUNTY_STEP)
    with pytest.raises(DomainError) as refused:
        exits.reject(session, actor=ADMIN, case_id=case.id, role="county_head", signer_id=signers["county_head"], reason="重新核查", occurred_at=SIGNING + dt.timedelta(days=1))
    assert refused.value.code == "case_closed"
    with pytest.raises(DomainError) as refused:  # and, off the registry, it cannot open another
        exits.open_case(session, actor=ADMIN, level="village", subject_id=tree.village, occurred_at=SIGNING + dt.timedelta(days=1))
    assert refused.value.code == "not_on_registry"


def test_a_county_of_a_city_at_the_top_waits_for_a_province_the_tree_does_not_hold(session):
    from workflow.exits.reports import missing_signatures

    org.add_top_unit(session, actor=ADMIN, code="431200000000", name="怀化市", level="city")
    org.add_org_unit(session, actor=ADMIN, code="431224000000", name="溆浦县", level="county", parent_code="431200000000")
    org.register_poor_unit(session, actor=ADMIN, kind="poor_county", code="431224000000", registered_on=dt.date(2014, 10, 1))
    org.add_org_unit(session, actor=ADMIN, code="431224100000", name="北斗溪镇", level="township", parent_code="431224000000")
    org.add_org_unit(session, actor=ADMIN, code="431224100201", name="坪溪村", level="village", parent_code="431224100000", rural_population=1000)
    signers = {role: person_in_post(session, name=role, role=role, unit="431200000000") for role in CITY_STEP}
    case = unit_case(session, "county", "431224000000")
    sign_roles(session, case, signers, CITY_STEP)
    [waiting] = missing_signatures(session, scope_code="431200000000", at=SIGNING + dt.timedelta(days=1))
    assert (waiting.step, [(m.role, m.unit_code, m.holders) for m in waiting.missing]) == ("province", [("provincial_party_secretary", None, ()), ("governor", None, ())])
    with pytest.raises(DomainError):
        exits.sign(session, actor=ADMIN, case_id=case.id, role="governor", signer_id=signers["mayor"], occurred_at=SIGNING + dt.timedelta(days=2))
