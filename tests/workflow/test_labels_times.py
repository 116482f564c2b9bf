"""The one wording of moments and days for people, and the one reading of a form's Beijing time."""

from __future__ import annotations

import datetime as dt

import pytest

from workflow import errors, labels

UTC = dt.timezone.utc


def test_a_notice_ending_at_midnight_beijing_time_reads_as_that_midnight_with_its_offset():
    assert labels.moment_text(dt.datetime(2017, 10, 19, 16, 0, tzinfo=UTC)) == "2017-10-20 00:00 +08:00"
    assert labels.moment_text(None) == ""
    assert labels.offset(dt.datetime(2017, 7, 1, tzinfo=UTC)) == "+08:00"


def test_a_day_reads_as_people_write_it():
    assert labels.day_text(dt.date(2017, 10, 20), "zh") == "2017年10月20日"
    assert labels.day_text(dt.date(2017, 10, 20), "en") == "20 Oct 2017"


def test_a_form_s_wall_clock_time_is_beijing_time_and_round_trips_through_the_field():
    read = labels.moment_from_input("2017-07-01T00:30", field="occurred_at")
    assert read == dt.datetime(2017, 6, 30, 16, 30, tzinfo=UTC)
    assert labels.moment_input(read) == "2017-07-01T00:30"
    assert labels.moment_from_input("2017-07-01T00:30:00+00:00", field="known_at") == dt.datetime(2017, 7, 1, 0, 30, tzinfo=UTC)
    assert labels.moment_from_input("", field="known_at") is None


@pytest.mark.parametrize("value", ["昨天", "2017-13-01T00:00", "0001-01-01T00:00"])
def test_a_form_s_time_that_is_not_a_moment_is_refused_naming_its_field(value):
    with pytest.raises((errors.InvalidDatetime, errors.MomentOutOfRange)) as refused:
        labels.moment_from_input(value, field="known_at")
    assert refused.value.field == "known_at"
