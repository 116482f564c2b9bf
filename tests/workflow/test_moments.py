"""Reading moments and dates from outside: ISO 8601 text only, with an offset, within the accepted years."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow import clock
from workflow.errors import DomainError

MOMENT_CODES = {"invalid_datetime", "naive_datetime", "moment_out_of_range"}
DATE_CODES = {"invalid_date", "date_out_of_range"}

# Any offset a client may write (±23:59), on any date Python can hold.
OFFSETS = st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23, minutes=59)).map(
    lambda delta: dt.timezone(dt.timedelta(minutes=delta // dt.timedelta(minutes=1)))
)
ANY_MOMENT = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59), timezones=OFFSETS)
NOT_TEXT = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
ISO_LIKE = st.from_regex(r"\A[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\Z")


def _refused(parse, value, field: str) -> DomainError:
    with pytest.raises(DomainError) as refused:
        parse(value, field=field)
    assert refused.value.field == field
    return refused.value


def _read(parse, value, field: str, codes: set[str]):
    """What `parse` reads from `value`, or None when it refuses it with one of `codes`, naming `field`."""
    try:
        return parse(value, field=field)
    except DomainError as refused:
        assert refused.code in codes and refused.field == field
        return None


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59+00:00", "3000-01-01T00:00:00Z"])
def test_a_moment_beyond_the_accepted_years_is_refused_naming_the_field(text):
    assert _refused(clock.parse_moment, text, "occurred_at").code == "moment_out_of_range"


@pytest.mark.parametrize("value", [12345, 12345.0, "12345", "0", True, None, "yesterday"])
def test_a_moment_is_iso_text_never_a_number(value):
    assert _refused(clock.parse_moment, value, "occurred_at").code == "invalid_datetime"


@pytest.mark.parametrize("text", ["2017-07-01T00:30:00", "2017-07-01"])
def test_a_moment_without_an_offset_is_refused_as_naive(text):
    assert _refused(clock.parse_moment, text, "known_at").code == "naive_datetime"


@pytest.mark.parametrize("value", [0, "0", 0.5, "0.5", "2017-13-01", "9999-12-31", "0001-01-01", "2017-07-01T00:00:00+08:00"])
def test_a_date_is_an_iso_date_in_the_accepted_years(value):
    assert _refused(clock.parse_date, value, "to").code in DATE_CODES


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=40), ISO_LIKE, NOT_TEXT))
def test_any_value_is_a_moment_in_range_or_refused_with_a_stable_code(value):
    moment = _read(clock.parse_moment, value, "occurred_at", MOMENT_CODES)
    if moment is None:
        return
    assert isinstance(value, str)
    assert moment.utcoffset() is not None
    assert clock.EARLIEST_DATE <= moment.astimezone(clock.UTC).date() <= clock.LATEST_DATE
    for zone in (clock.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-14))):
        moment.astimezone(zone) + dt.timedelta(days=1)  # a day either side, anywhere, still holds


@settings(max_examples=400)
@given(ANY_MOMENT)
def test_a_moment_with_any_offset_reads_back_as_the_same_instant_or_is_out_of_range(moment):
    try:
        in_utc = moment.astimezone(clock.UTC)
        in_range = clock.EARLIEST_DATE <= in_utc.date() <= clock.LATEST_DATE
    except OverflowError:
        in_range = False
    if in_range:
        assert clock.parse_moment(moment.isoformat(), field="as_of") == moment
    else:
        assert _refused(clock.parse_moment, moment.isoformat(), "as_of").code == "moment_out_of_range"


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=20), st.dates().map(dt.date.isoformat), NOT_TEXT))
def test_any_value_is_a_date_in_range_or_refused_with_a_stable_code(value):
    day = _read(clock.parse_date, value, "on", DATE_CODES)
    assert day is None or (isinstance(value, str) and clock.EARLIEST_DATE <= day <= clock.LATEST_DATE)
