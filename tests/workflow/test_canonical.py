"""The canonical form an event is hashed in: the fast builder writes what the dict-based definition wrote."""

import datetime as dt
import decimal
import hashlib
import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow import clock
from workflow.eventlog.log import canonical_event, canonical_json, chain_hash, format_moment

_FIELDS = ("seq", "type", "entity_type", "entity_id", "payload", "account", "on_behalf_of", "occurred_at", "recorded_at", "prev_hash")


def _reference_default(value):
    if isinstance(value, dt.datetime):
        return _reference_moment(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__} in an event")


def _reference_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_reference_default)


def _reference_moment(moment: dt.datetime) -> str:
    return clock.require_aware(moment, "moment").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _reference_event(**event) -> str:
    """The definition of the canonical form, as chain_hash first wrote it: a dict through json.dumps."""
    body = {name: event[name] for name in _FIELDS}
    body["occurred_at"] = _reference_moment(event["occurred_at"])
    body["recorded_at"] = _reference_moment(event["recorded_at"])
    return _reference_json(body)


# Every character json escapes (quotes, backslashes, controls), CJK, and beyond the BMP.
_TEXT = st.text(st.characters(codec="utf-8")) | st.sampled_from(['"', "\\", "\n\t\x00\x1f\x7f", "\u2028\u2029", "张三 🀄 𠀀", "é\u0301"])
_OFFSETS = st.sampled_from([clock.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-3, minutes=-30))])
_MOMENTS = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=_OFFSETS)
_PAYLOADS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT | _MOMENTS | st.dates() | st.decimals(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
_EVENTS = st.fixed_dictionaries(
    {
        "seq": st.integers(min_value=-(2**63), max_value=2**63),
        "type": _TEXT,
        "entity_type": _TEXT,
        "entity_id": _TEXT | st.none(),
        "payload": _PAYLOADS.map(_reference_json) | _TEXT | st.none(),
        "account": _TEXT,
        "on_behalf_of": _TEXT | st.none(),
        "occurred_at": _MOMENTS,
        "recorded_at": _MOMENTS,
        "prev_hash": st.sampled_from(["0" * 64, hashlib.sha256(b"x").hexdigest()]) | _TEXT,
    }
)


@settings(max_examples=300, deadline=None)
@given(_EVENTS)
def test_the_fast_canonical_form_is_the_dict_serialization_for_any_event(event):
    assert canonical_event(*(event[name] for name in _FIELDS)) == _reference_event(**event)


@settings(max_examples=200, deadline=None)
@given(_PAYLOADS)
def test_canonical_json_of_a_payload_is_json_dumps_sorted_and_compact(payload):
    assert canonical_json(payload) == _reference_json(payload)


@settings(max_examples=200, deadline=None)
@given(_MOMENTS)
def test_a_moment_is_written_as_strftime_writes_it_in_utc(moment):
    assert format_moment(moment) == _reference_moment(moment)


def test_a_moment_without_an_offset_is_refused():
    with pytest.raises(ValueError, match="must carry a UTC offset"):
        format_moment(dt.datetime(2018, 7, 1, 0, 30))
    with pytest.raises(ValueError, match="must carry a UTC offset"):
        canonical_event(1, "t", "e", "id", "{}", "a", None, dt.datetime(2018, 7, 1), clock.now(), "0" * 64)


def test_values_the_log_never_holds_are_written_as_json_writes_them():
    moment = dt.datetime(2018, 6, 30, 16, 30, tzinfo=clock.UTC)
    event = dict(zip(_FIELDS, (True, None, "e", 7, {"a": [1]}, "a", None, moment, moment, "0" * 64)))
    assert canonical_event(*event.values()) == _reference_event(**event)
    event["seq"] = 2.5
    assert canonical_event(*event.values()) == _reference_event(**event)


def test_chain_hash_is_sha256_of_the_canonical_utf8_bytes():
    moment = dt.datetime(2018, 7, 1, 0, 30, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    fields = dict(zip(_FIELDS, (3, "person.added", "person", "abc", '{"name":"张三"}', "admin", "张\n三", moment, moment, "0" * 64)))
    expected = hashlib.sha256(_reference_event(**fields).encode("utf-8")).hexdigest()
    assert chain_hash(SimpleNamespace(**fields)) == expected
