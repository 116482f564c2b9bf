"""The obligation rows follow posts, pairings, links and visits, and replay rebuilds them exactly."""

import datetime as dt

import pytest
from freezegun import freeze_time

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.errors import DomainError
from workflow.eventlog.replay import rebuild_projections, snapshot
from workflow.obligations import instances, reports
from workflow.posts import service as posts
from workflow.visits import service as visits

D = dt.date
HOUSEHOLD = "431224100201000001"


def _busy_township(session):
    """Cadres, pairings begun and ended, a linked unit, visits across two years, a void."""
    tree = build_tree(session)
    cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
    household(session, tree, HOUSEHOLD)
    other = household(session, tree, "431224100202000001", village=tree.other_village)
    pairing = posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=HOUSEHOLD, start_date=D(2017, 3, 15))
    posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=other, start_date=D(2018, 2, 1))
    head = person_in_post(session, name="局长", role="city_unit_head", unit=tree.city_unit)
    link = posts.link_unit(session, actor=ADMIN, unit_code=tree.city_unit, village_code=tree.village, start_date=D(2017, 6, 1))
    for year, month in [(2017, 11), (2018, 1), (2018, 2), (2018, 5)]:
        visit(session, cadre, HOUSEHOLD, beijing_time(year, month, 9))
    wrong = visit(session, cadre, other, beijing_time(2018, 3, 3))
    visit(session, head, HOUSEHOLD, beijing_time(2018, 4, 30, 23, 50))
    visits.void_visit(session, actor=ADMIN, visit_id=wrong, reason="重复")
    posts.end_pairing(session, actor=ADMIN, pairing_id=pairing.id, end_date=D(2018, 8, 15))
    posts.end_link(session, actor=ADMIN, link_id=link.id, end_date=D(2018, 9, 30))
    return tree, cadre, head


def test_the_live_obligation_rows_equal_rows_derived_afresh(session):
    _busy_township(session)
    session.flush()
    live = instances.snapshot_rows(session.connection())
    instances.rebuild(session.connection())
    assert instances.snapshot_rows(session.connection()) == live and len(live) == 3


def test_replaying_the_log_rebuilds_obligation_rows_masks_and_visits(session):
    _busy_township(session)
    session.commit()
    before = snapshot(session)
    rebuild_projections(session)
    session.commit()
    assert snapshot(session) == before
    assert before["obligation"] and before["visit_mask"]


def test_ending_a_pairing_shortens_what_the_obligation_owes(session):
    tree, cadre, _ = _busy_township(session)
    rows = {row.target_id: row for row in reports.overdue_report(session, unit_code=tree.township, as_of=D(2018, 8, 20), rules=["V7"]).rows}
    assert rows[HOUSEHOLD].current_status == "not_owed"  # the pairing ended on 15 August
    assert rows[HOUSEHOLD].missed_periods == ("2018-03", "2018-04", "2018-06", "2018-07")


def test_a_post_ended_after_its_obligation_rows_were_made_ends_them_too(session):
    tree, cadre, _ = _busy_township(session)
    [post] = posts.posts_of(session, cadre)
    posts.end_post(session, actor=ADMIN, post_id=post.id, end_date=D(2018, 4, 30))
    [row] = [r for r in reports.overdue_report(session, unit_code=tree.township, as_of=D(2018, 8, 20), rules=["V7"]).rows if r.target_id == HOUSEHOLD]
    assert row.missed_periods == ("2018-03", "2018-04") and row.current_status == "not_owed"


def test_the_copied_masks_answer_the_current_year_as_the_joined_masks_do(session):
    tree, _, _ = _busy_township(session)
    with freeze_time("2018-09-01T04:00:00Z"):  # the report year is the current year: one table read
        copied = reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 8, 31), rules=["V3", "V7"])
    joined = reports.overdue_report(session, unit_code=tree.city, as_of=D(2018, 8, 31), rules=["V3", "V7"])
    assert copied.rows == joined.rows and len(copied.rows) == 3


@pytest.mark.parametrize(
    "arguments, code, field",
    [
        ({"unit_code": "nowhere"}, "org_unit_not_found", "unit_code"),
        ({"rules": ["V9"]}, "unknown_rule", "rules"),
        ({"roles": ["emperor"]}, "unknown_role", "roles"),
        ({"statuses": ["late"]}, "unknown_status", "statuses"),
        ({"as_of": D(2018, 9, 2)}, "as_of_in_future", "as_of"),
        ({"as_of": D(2017, 5, 31)}, "no_rule_book", "date"),
        ({"known_at": dt.datetime(2018, 9, 2, tzinfo=dt.timezone.utc)}, "known_at_in_future", "known_at"),
        ({"known_at": dt.datetime(2018, 8, 2)}, "naive_datetime", "known_at"),
    ],
)
def test_a_report_asked_for_wrongly_is_refused_with_a_code_and_the_field(session, arguments, code, field):
    tree = build_tree(session)
    with freeze_time("2018-09-01T04:00:00Z"), pytest.raises(DomainError) as refused:
        reports.overdue_report(session, **({"unit_code": tree.city} | arguments))
    assert (refused.value.code, refused.value.field) == (code, field)
