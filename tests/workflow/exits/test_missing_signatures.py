"""The missing-signatures report: per jurisdiction and moment, what each waiting case lacks and whom to call."""

import datetime as dt

from tests.factories import ADMIN, build_tree, exit_signers, household
from tests.workflow.exits.steps import CITY_STEP, COUNTY_STEP, NOTICE_ENDS, SIGNING, TOWNSHIP_STEP, VILLAGE_STEP, beijing, household_case, sign_roles, unit_case
from workflow.exits import service as exits
from workflow.exits.reports import missing_signatures
from workflow.posts import service as posts

REPORT_AT = beijing(2017, 7, 12)


def test_report_names_the_waiting_step_the_missing_roles_their_holders_and_the_wait(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    waiting = household_case(session, tree)
    sign_roles(session, waiting, signers, VILLAGE_STEP[:1])

    [row] = missing_signatures(session, scope_code=tree.township, at=REPORT_AT)

    assert (row.case_id, row.status, row.step, row.signed) == (waiting.id, "in_notice", "village", ("village_party_secretary",))
    [missing] = row.missing
    assert (missing.role, missing.unit_name, [h.name for h in missing.holders]) == ("village_director", "坪溪村", ["村主任王"])
    assert (row.waiting_since, row.waited, row.blocked_by) == (NOTICE_ENDS, dt.timedelta(days=3), None)


def test_report_lists_each_level_at_its_own_step_longest_wait_first(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    household_step_two = household_case(session, tree)
    sign_roles(session, household_step_two, signers, VILLAGE_STEP, at=beijing(2017, 7, 11, 9))
    county = unit_case(session, "county", tree.county)
    sign_roles(session, county, signers, CITY_STEP, at=beijing(2017, 7, 10, 9))

    rows = missing_signatures(session, scope_code=tree.city, at=REPORT_AT)

    assert [(r.case_id, r.step, [m.role for m in r.missing]) for r in rows] == [
        (county.id, "province", ["provincial_party_secretary", "governor"]),
        (household_step_two.id, "township", TOWNSHIP_STEP),
    ]
    assert rows[0].waited == dt.timedelta(days=1, hours=14, minutes=59)  # since the mayor signed at 09:01 on 10 July


def test_report_covers_only_the_jurisdictions_subtree(session):
    tree = build_tree(session)
    exit_signers(session, tree)
    household_case(session, tree)
    unit_case(session, "village", tree.village)
    unit_case(session, "county", tree.county)

    assert sorted(r.level for r in missing_signatures(session, scope_code=tree.township, at=REPORT_AT)) == ["household", "village"]
    assert len(missing_signatures(session, scope_code=tree.county, at=REPORT_AT)) == 3
    assert missing_signatures(session, scope_code=tree.other_township, at=REPORT_AT) == []


def test_report_says_what_keeps_a_case_from_being_signed(session):
    tree = build_tree(session)
    exit_signers(session, tree)
    in_notice = household_case(session, tree)
    objected = household_case(session, tree, number="431224100201000002")
    exits.lodge_objection(session, actor=ADMIN, case_id=objected.id, lodged_by="村民张某", grounds="收入未核实", occurred_at=beijing(2017, 7, 3))

    during = {r.case_id: (r.blocked_by, r.waited) for r in missing_signatures(session, scope_code=tree.village, at=beijing(2017, 7, 5))}
    after = {r.case_id: r.blocked_by for r in missing_signatures(session, scope_code=tree.village, at=REPORT_AT)}

    assert during[in_notice.id] == ("notice_period_running", dt.timedelta(0))
    assert after == {in_notice.id: None, objected.id: "objection_open"}


def test_vacant_post_is_reported_with_nobody_to_call(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    posts.end_post(session, actor=ADMIN, post_id=posts.posts_of(session, signers["county_head"])[0].id, end_date=dt.date(2017, 7, 10))
    case = unit_case(session, "village", tree.village)
    sign_roles(session, case, signers, COUNTY_STEP[:1])

    [row] = missing_signatures(session, scope_code=tree.county, at=REPORT_AT)
    assert [(m.role, m.holders) for m in row.missing] == [("county_head", ())]


def test_cases_not_waiting_for_signatures_are_left_out(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    household_case(session, tree, through="proposed")
    household(session, tree, "431224100201000003")
    exits.open_case(session, actor=ADMIN, level="household", subject_id="431224100201000003", occurred_at=beijing(2017, 7, 1))
    done = unit_case(session, "village", tree.village)
    sign_roles(session, done, signers, COUNTY_STEP)
    assert missing_signatures(session, scope_code=tree.province, at=REPORT_AT) == []
    assert missing_signatures(session, scope_code=tree.province, at=SIGNING) == []
