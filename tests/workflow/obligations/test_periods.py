"""Calendar periods in the rule book's zone, clipped to the book's validity, and report windows."""

import datetime as dt

import pytest

from rules import RuleBooks, default_books
from rules.schema import Period
from workflow import rulebook
from workflow.errors import DomainError
from workflow.obligations.spec import period_on, window

D = dt.date
HUNAN = default_books().books[0]


def _rule(rule_id, on=D(2018, 1, 1)):
    return rulebook.in_force(on).visit_rule(rule_id)


def _labels(as_of, rule_id):
    found = window(as_of, _rule(rule_id, as_of))
    return [p.label for p in found.periods], found.latest_closed.label if found.latest_closed else None


@pytest.fixture
def newer_book():
    """Hunan's rules again, as a second book taking effect on 15 March 2019."""
    newer = HUNAN.model_copy(update={"id": "hunan-2019", "effective_from": D(2019, 3, 15)})
    with rulebook.using(RuleBooks([HUNAN, newer])):
        yield newer


def test_under_a_book_effective_1_june_2017_the_2017_campaign_year_runs_june_to_december():
    year = period_on(D(2017, 9, 1), Period.campaign_year)
    assert (year.first, year.last, year.label) == (D(2017, 6, 1), D(2017, 12, 31), "2017[06-01..12-31]")
    assert period_on(D(2017, 5, 31), Period.month) is None


def test_the_first_month_owed_is_june_2017_and_nothing_before_it_is_looked_back_at():
    assert _labels(D(2017, 6, 10), "V7") == (["2017-06"], None)
    assert _labels(D(2017, 6, 30), "V7") == (["2017-06"], None)
    assert _labels(D(2017, 7, 1), "V7") == (["2017-06", "2017-07"], "2017-06")
    assert _labels(D(2017, 6, 10), "V3") == (["2017-Q2[06-01..06-30]"], None)


def test_on_its_last_day_a_month_is_still_the_current_one_and_closes_the_day_after():
    assert _labels(D(2018, 7, 31), "V7")[1] == "2018-06"
    assert _labels(D(2018, 8, 1), "V7")[1] == "2018-07"


def test_on_the_last_day_of_february_in_a_leap_year_february_is_current():
    assert _labels(D(2020, 2, 28), "V7")[0][-1] == "2020-02"
    assert _labels(D(2020, 2, 29), "V7") == (["2020-01", "2020-02"], "2020-01")
    assert _labels(D(2020, 3, 1), "V7")[1] == "2020-02"


def test_in_the_first_month_of_a_year_the_latest_closed_month_is_last_december():
    assert _labels(D(2018, 1, 10), "V7") == (["2017-12", "2018-01"], "2017-12")


def test_quarters_roll_over_at_the_end_of_march_and_at_the_end_of_the_year():
    assert _labels(D(2018, 3, 31), "V3") == (["2017-Q4", "2018-Q1"], "2017-Q4")
    assert _labels(D(2018, 4, 1), "V3") == (["2018-Q1", "2018-Q2"], "2018-Q1")
    assert _labels(D(2019, 1, 1), "V3") == (["2018-Q4", "2019-Q1"], "2018-Q4")


def test_a_coverage_window_holds_this_campaign_year_and_the_last_one():
    assert _labels(D(2018, 5, 1), "V4") == (["2017[06-01..12-31]", "2018"], "2017[06-01..12-31]")
    assert _labels(D(2018, 12, 31), "V4") == (["2017[06-01..12-31]", "2018"], "2017[06-01..12-31]")
    assert _labels(D(2019, 1, 1), "V4") == (["2018", "2019"], "2018")


def test_a_newer_book_ends_the_older_ones_periods_the_day_before_it_takes_effect(newer_book):
    old_march, new_march = period_on(D(2019, 3, 14), Period.month), period_on(D(2019, 3, 15), Period.month)
    assert (old_march.first, old_march.last, old_march.book_id) == (D(2019, 3, 1), D(2019, 3, 14), "hunan-2017")
    assert (new_march.first, new_march.last, new_march.book_id) == (D(2019, 3, 15), D(2019, 3, 31), "hunan-2019")
    old_year = period_on(D(2019, 1, 5), Period.campaign_year)
    assert (old_year.first, old_year.last) == (D(2019, 1, 1), D(2019, 3, 14))


def test_on_the_last_day_of_a_clipped_period_it_is_still_current(newer_book):
    periods, latest = _labels(D(2019, 3, 14), "V7")
    assert periods[-1] == "2019-03[03-01..03-14]" and latest == "2019-02"
    assert _labels(D(2019, 3, 15), "V7")[1] == "2019-03[03-01..03-14]"


def test_the_first_period_under_a_newer_book_looks_back_at_the_older_books_last(newer_book):
    periods, latest = _labels(D(2019, 3, 20), "V7")
    assert periods == ["2019-03[03-01..03-14]", "2019-03[03-15..03-31]"] and latest == "2019-03[03-01..03-14]"
    assert not window(D(2019, 3, 20), _rule("V7", D(2019, 3, 20))).whole_months


def test_a_date_before_any_rule_book_has_no_window():
    with pytest.raises(DomainError) as refused:
        rulebook.in_force(D(2017, 5, 31))
    assert refused.value.code == "no_rule_book"
