"""On its last day a period is still the current one (SPEC §3): `as_of` is read as the end of
that day, but the rest of the day is still to come. It is `due` (`pending` for a coverage
rule) until a visit lands, and `missed` only from the next day on — in the rows, the totals
(from the rows and from the kept tallies), the scorecard and the exported files."""

from __future__ import annotations

import datetime as dt

import pytest
from freezegun import freeze_time

from rules import RuleBooks, default_books
from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow import rulebook
from workflow.obligations import reports
from workflow.posts import service as posts

D = dt.date
HOUSEHOLD = "431224100201000001"


def _report(session, tree, as_of, rules, **options):
    """The whole report and a one-row page of it (whose totals come from other paths)."""
    with freeze_time(dt.datetime.combine(as_of, dt.time(4))):
        whole = reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=rules, **options)
        page = reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=rules, first=1, **options)
        card = reports.scorecard(session, unit_code=tree.city, as_of=as_of, rules=rules)
    assert (page.rows, page.total, page.townships, page.counties) == (whole.rows[:1], whole.total, whole.townships, whole.counties)
    return whole, card


def paired_cadre_visiting_january_to_may(session):
    """A cadre in post and paired with one household from 1 January 2018, visiting it on the 10th of January to May."""
    with freeze_time("2018-01-01T00:00:00Z"):
        tree = build_tree(session)
        cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township, start=D(2018, 1, 1))
        household(session, tree, HOUSEHOLD)
        posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=HOUSEHOLD, start_date=D(2018, 1, 1))
    for month in range(1, 6):
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, month, 10))
    return tree, cadre


def test_on_the_last_day_of_a_month_an_unvisited_month_is_due_in_rows_totals_and_scorecard(session):
    tree, cadre = paired_cadre_visiting_january_to_may(session)
    report, card = _report(session, tree, D(2018, 6, 30), ["V7"])
    [row] = report.rows
    assert (row.status, row.current_period, row.current_status, row.missed_periods, row.days_overdue) == ("due", "2018-06", "due", (), None)
    assert (report.total.overdue, report.total.due, report.total.missed_periods) == (0, 1, 0)
    [score] = card.scores
    assert (score.periods_owed, score.periods_met, score.periods_missed) == (5, 5, 0)

    report, card = _report(session, tree, D(2018, 7, 1), ["V7"])
    [row] = report.rows
    assert (row.status, row.current_status, row.missed_periods, row.days_overdue) == ("overdue", "due", ("2018-06",), 1)
    assert (report.total.overdue, report.total.due, report.total.missed_periods) == (1, 0, 1)
    [score] = card.scores
    assert (score.periods_owed, score.periods_met, score.periods_missed) == (6, 5, 1)


def test_a_visit_late_on_the_last_day_of_the_month_meets_it(session):
    tree, cadre = paired_cadre_visiting_january_to_may(session)
    visit(session, cadre, HOUSEHOLD, beijing_time(2018, 6, 30, 23, 59))
    for as_of in (D(2018, 6, 30), D(2018, 7, 1)):
        report, _ = _report(session, tree, as_of, ["V7"])
        assert report.rows[0].missed_periods == () and report.total.overdue == 0, as_of


def test_on_the_last_day_of_a_quarter_the_quarter_is_still_due(session):
    with freeze_time("2018-01-01T00:00:00Z"):
        tree = build_tree(session)
        head = person_in_post(session, name="财政局长", role="city_unit_head", unit=tree.city_unit, start=D(2018, 1, 1))
        posts.link_unit(session, actor=ADMIN, unit_code=tree.city_unit, village_code=tree.village, start_date=D(2018, 1, 1))
    on_the_day, _ = _report(session, tree, D(2018, 3, 31), ["V3"])
    assert [(r.status, r.current_period, r.missed_periods) for r in on_the_day.rows] == [("due", "2018-Q1", ())]
    after, _ = _report(session, tree, D(2018, 4, 1), ["V3"])
    assert [(r.status, r.current_period, r.missed_periods, r.days_overdue) for r in after.rows] == [("overdue", "2018-Q2", ("2018-Q1",), 1)]


def test_on_new_years_eve_an_unvisited_coverage_target_is_pending_and_overdue_on_new_years_day(session):
    with freeze_time("2018-01-01T00:00:00Z"):
        tree = build_tree(session)
        secretary = person_in_post(session, name="县委书记", role="county_party_secretary", unit=tree.county, start=D(2018, 1, 1))
    visit(session, secretary, tree.village, beijing_time(2018, 5, 2), level="village")
    eve, eve_card = _report(session, tree, D(2018, 12, 31), ["V4"])
    assert {r.target_id: r.status for r in eve.rows} == {tree.village: "met", tree.other_village: "pending"}
    assert (eve.total.overdue, eve.total.pending, eve_card.scores[0].periods_owed) == (0, 1, 0)
    new_year, card = _report(session, tree, D(2019, 1, 1), ["V4"])
    late = {r.target_id: r for r in new_year.rows}[tree.other_village]
    assert (late.status, late.missed_periods, late.days_overdue, late.current_period) == ("overdue", ("2018",), 1, "2019")
    assert (card.scores[0].periods_owed, card.scores[0].periods_met) == (2, 1)


@pytest.fixture
def newer_book():
    """Hunan's rules again, as a second book taking effect on 15 March 2019: March 2019 is cut in two."""
    hunan = default_books().books[0]
    newer = hunan.model_copy(update={"id": "hunan-2019", "effective_from": D(2019, 3, 15)})
    with rulebook.using(RuleBooks([hunan, newer])):
        yield newer


def test_on_the_last_day_of_a_period_clipped_by_a_newer_book_it_is_still_due(session, newer_book):
    tree, cadre = paired_cadre_visiting_january_to_may(session)
    for month in range(6, 13):
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, month, 10))
    visit(session, cadre, HOUSEHOLD, beijing_time(2019, 1, 10))
    visit(session, cadre, HOUSEHOLD, beijing_time(2019, 2, 10))
    last_day, _ = _report(session, tree, D(2019, 3, 14), ["V7"])
    [row] = last_day.rows
    assert (row.status, row.current_period, row.missed_periods) == ("due", "2019-03[03-01..03-14]", ())
    next_day, _ = _report(session, tree, D(2019, 3, 15), ["V7"])
    [row] = next_day.rows
    assert (row.status, row.current_period, row.missed_periods, row.days_overdue) == ("overdue", "2019-03[03-15..03-31]", ("2019-03[03-01..03-14]",), 1)
