"""Recording a visit: what is kept, and what is refused with which code."""

import datetime as dt
import json

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.errors import DomainError
from workflow.eventlog import Actor, Event
from workflow.visits import service as visits

HOUSEHOLD = "431224100201000001"


@pytest.fixture
def place(session):
    with freeze_time("2017-01-01T00:00:00Z"):  # entered before every visit the tests record
        tree = build_tree(session)
        cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township, start=dt.date(2017, 1, 1), end=dt.date(2019, 12, 31))
        household(session, tree, HOUSEHOLD)
    return tree, cadre


def _refusal(session, **changes):
    arguments = dict(actor=ADMIN, target_level="household", target_id=HOUSEHOLD, occurred_at=beijing_time(2018, 7, 1)) | changes
    with pytest.raises(DomainError) as refused:
        visits.record_visit(session, **arguments)
    return refused.value


def test_a_visit_keeps_both_times_the_recording_account_and_the_places_above_its_target(session, place):
    tree, cadre = place
    with freeze_time("2018-07-03T02:00:00Z"):
        recorded = visits.record_visit(
            session, actor=Actor(account="clerk-1", on_behalf_of=cadre), visitor_id=cadre, target_level="household",
            target_id=HOUSEHOLD, occurred_at=beijing_time(2018, 7, 1, 0, 30), notes="入户走访", latitude=27.55, longitude=109.98,
        )
    assert recorded.occurred_at == dt.datetime(2018, 6, 30, 16, 30, tzinfo=dt.timezone.utc)
    assert recorded.occurred_on == dt.date(2018, 7, 1)  # the Beijing date, though 30 June in UTC
    assert recorded.recorded_at == dt.datetime(2018, 7, 3, 2, 0, tzinfo=dt.timezone.utc)
    assert (recorded.recorded_by, recorded.on_behalf_of) == ("clerk-1", cadre)
    assert (recorded.village_code, recorded.township_code) == (tree.village, tree.township)
    assert (recorded.notes, recorded.latitude, recorded.longitude) == ("入户走访", 27.55, 109.98)


def test_a_visit_to_a_village_or_a_township_is_recorded_at_that_level(session, place):
    tree, cadre = place
    to_village = visits.get_visit(session, visit(session, cadre, tree.village, beijing_time(2018, 7, 2), level="village"))
    to_township = visits.get_visit(session, visit(session, cadre, tree.township, beijing_time(2018, 7, 2), level="township"))
    assert (to_village.village_code, to_village.township_code) == (tree.village, tree.township)
    assert (to_township.village_code, to_township.township_code) == (None, tree.township)


def test_a_visit_in_the_future_is_refused(session, place):
    _, cadre = place
    with freeze_time("2018-07-01T02:00:00Z"):
        refused = _refusal(session, visitor_id=cadre, occurred_at=beijing_time(2018, 7, 1, 10, 1))
    assert (refused.code, refused.field) == ("occurred_in_future", "occurred_at")


def test_a_visit_without_an_offset_is_refused(session, place):
    _, cadre = place
    refused = _refusal(session, visitor_id=cadre, occurred_at=dt.datetime(2018, 7, 1, 10))
    assert (refused.code, refused.field) == ("naive_datetime", "occurred_at")


def test_a_visit_before_the_visitors_first_day_in_post_is_refused(session, place):
    _, cadre = place
    refused = _refusal(session, visitor_id=cadre, occurred_at=beijing_time(2016, 12, 31, 23, 59))
    assert (refused.code, refused.field, refused.details["date"]) == ("visitor_not_in_post", "visitor_id", "2016-12-31")


def test_a_visit_on_the_last_day_in_post_is_kept_and_the_day_after_refused(session, place):
    _, cadre = place
    visit(session, cadre, HOUSEHOLD, beijing_time(2019, 12, 31, 23, 59))
    refused = _refusal(session, visitor_id=cadre, occurred_at=beijing_time(2020, 1, 1, 0, 1))
    assert refused.code == "visitor_not_in_post"


def test_a_visit_to_an_unknown_household_or_unit_is_refused(session, place):
    _, cadre = place
    assert _refusal(session, visitor_id=cadre, target_id="no-such-household").code == "household_not_found"
    refused = _refusal(session, visitor_id=cadre, target_level="village", target_id="000000000000")
    assert (refused.code, refused.field) == ("org_unit_not_found", "target_id")


def test_a_target_of_another_level_than_named_is_refused(session, place):
    tree, cadre = place
    refused = _refusal(session, visitor_id=cadre, target_level="village", target_id=tree.township)
    assert (refused.code, refused.field) == ("target_level_mismatch", "target_level")
    assert _refusal(session, visitor_id=cadre, target_level="county").code == "invalid_target_level"


def test_an_unknown_visitor_is_refused(session, place):
    assert _refusal(session, visitor_id="nobody").code == "person_not_found"


def test_coordinates_come_in_pairs_and_in_range(session, place):
    _, cadre = place
    assert _refusal(session, visitor_id=cadre, latitude=27.5).code == "invalid_coordinates"
    assert _refusal(session, visitor_id=cadre, latitude=91.0, longitude=110.0).field == "latitude"
    assert _refusal(session, visitor_id=cadre, latitude=27.0, longitude=181.0).field == "longitude"


def test_overlong_notes_are_refused(session, place):
    _, cadre = place
    assert _refusal(session, visitor_id=cadre, notes="字" * (visits.MAX_NOTES + 1)).code == "notes_too_long"


def test_a_refused_visit_writes_nothing(session, place):
    _, cadre = place
    before = session.execute(select(Event.seq).order_by(Event.seq.desc())).scalars().first()
    _refusal(session, visitor_id=cadre, target_id="no-such-household")
    assert session.execute(select(Event.seq).order_by(Event.seq.desc())).scalars().first() == before
    assert visits.list_visits(session) == []


def test_voiding_appends_an_event_and_leaves_the_recorded_event_as_it_was(session, place):
    _, cadre = place
    with freeze_time("2018-07-02T04:00:00Z"):
        visit_id = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 2))
    [recorded_event] = session.execute(select(Event).where(Event.entity_id == visit_id)).scalars()
    recorded_hash = recorded_event.hash
    with freeze_time("2018-07-05T01:00:00Z"):
        voided = visits.void_visit(session, actor=Actor(account="supervisor"), visit_id=visit_id, reason="重复登记")
    events = session.execute(select(Event).where(Event.entity_id == visit_id).order_by(Event.seq)).scalars().all()
    assert [e.type for e in events] == ["visit.recorded", "visit.voided"]
    assert events[0].hash == recorded_hash and json.loads(events[1].payload) == {"id": visit_id, "reason": "重复登记"}
    assert (voided.voided_at, voided.voided_by, voided.void_reason) == (dt.datetime(2018, 7, 5, 1, tzinfo=dt.timezone.utc), "supervisor", "重复登记")


def test_a_void_needs_a_reason_an_existing_visit_and_happens_once(session, place):
    _, cadre = place
    visit_id = visit(session, cadre, HOUSEHOLD, beijing_time(2018, 7, 2))
    with pytest.raises(DomainError) as refused:
        visits.void_visit(session, actor=ADMIN, visit_id=visit_id, reason="  ")
    assert refused.value.code == "reason_required"
    with pytest.raises(DomainError) as refused:
        visits.void_visit(session, actor=ADMIN, visit_id="no-such-visit", reason="错误")
    assert (refused.value.code, refused.value.status) == ("visit_not_found", 404)
    visits.void_visit(session, actor=ADMIN, visit_id=visit_id, reason="错误")
    with pytest.raises(DomainError) as refused:
        visits.void_visit(session, actor=ADMIN, visit_id=visit_id, reason="错误")
    assert (refused.value.code, refused.value.status) == ("visit_already_voided", 409)
