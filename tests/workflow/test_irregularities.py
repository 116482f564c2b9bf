"""The irregularity report: each kind found, and clean records left alone."""

import datetime as dt

from freezegun import freeze_time

from tests.factories import ADMIN, build_tree, exit_signers, person_in_post
from tests.workflow.exits.steps import HOUSEHOLD, SIGNING, beijing, household_case
from workflow.audit.irregularities import irregularities
from workflow.eventlog import Actor
from workflow.exits import service as exits
from workflow.posts import service as posts
from workflow.visits import service as visits


def _kinds(session, tree, first=dt.date(2017, 6, 1), last=dt.date(2017, 12, 31)):
    return sorted((row.kind, row.record_id) for row in irregularities(session, scope_code=tree.county, first=first, last=last))


# Records entered days, not years, after they happened: nothing counts as back-filled.
entered_promptly = freeze_time("2017-07-25T02:00:00Z")


@entered_promptly
def test_signature_without_a_visit_before_it_and_proxy_signature_without_document(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    # The village secretary visited the household beforehand; the director never did.
    visits.record_visit(session, actor=ADMIN, visitor_id=signers["village_party_secretary"], target_level="household", target_id=HOUSEHOLD, occurred_at=beijing(2017, 7, 5, 9))
    first = exits.sign(session, actor=ADMIN, case_id=case.id, role="village_party_secretary", signer_id=signers["village_party_secretary"], occurred_at=SIGNING, document_ref="北斗溪镇〔2017〕12号")
    proxy = exits.sign(session, actor=Actor("clerk", on_behalf_of=signers["village_director"]), case_id=case.id, role="village_director", signer_id=signers["village_director"], occurred_at=SIGNING + dt.timedelta(minutes=5))
    found = _kinds(session, tree)
    assert found == sorted([("proxy_signature_without_document", proxy.id), ("signature_without_visit", proxy.id)])
    assert first.id not in {record for _, record in found}


@entered_promptly
def test_visit_after_the_signature_does_not_excuse_it(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    case = household_case(session, tree)
    signature = exits.sign(session, actor=ADMIN, case_id=case.id, role="village_party_secretary", signer_id=signers["village_party_secretary"], occurred_at=SIGNING)
    visits.record_visit(session, actor=ADMIN, visitor_id=signers["village_party_secretary"], target_level="household", target_id=HOUSEHOLD, occurred_at=SIGNING + dt.timedelta(hours=1))
    assert ("signature_without_visit", signature.id) in _kinds(session, tree)


def test_backfilled_visit_is_flagged_past_the_threshold_only(engine):
    from workflow.db import transaction

    with freeze_time("2017-06-01T02:00:00Z"), transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="向春生", role="township_cadre", unit=tree.township)
    with freeze_time("2017-08-10T02:00:00Z"):  # 41 days after 1 July
        with transaction(engine) as session:
            late = visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="village", target_id=tree.village, occurred_at=beijing(2017, 7, 1, 9)).id
            timely = visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="village", target_id=tree.village, occurred_at=beijing(2017, 7, 20, 9)).id
    with transaction(engine) as session:
        found = _kinds(session, tree)
    assert ("backfilled_visit", late) in found
    assert ("backfilled_visit", timely) not in found


@entered_promptly
def test_visit_left_outside_tenure_by_a_later_correction_is_flagged(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="瞿金秀", role="township_cadre", unit=tree.township, start=dt.date(2017, 1, 1))
    visit = visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="village", target_id=tree.village, occurred_at=beijing(2017, 7, 20, 9))
    (post,) = posts.posts_of(session, cadre)
    posts.end_post(session, actor=ADMIN, post_id=post.id, end_date=dt.date(2017, 6, 30))
    assert ("visit_outside_tenure", visit.id) in _kinds(session, tree)


@entered_promptly
def test_a_day_of_visits_hundreds_of_kilometres_apart_is_implausible(session):
    tree = build_tree(session)
    cadre = person_in_post(session, name="梁翠兰", role="township_cadre", unit=tree.township)

    def at(hour, lat, lon):
        return visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="village", target_id=tree.village, occurred_at=beijing(2017, 7, 20, hour), latitude=lat, longitude=lon).id

    at(8, 27.91, 110.59)  # 溆浦
    at(10, 27.92, 110.60)
    far = at(12, 30.59, 114.30)  # 武汉, some 450 km away
    nearby_day = visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="village", target_id=tree.village, occurred_at=beijing(2017, 7, 21, 9), latitude=27.9, longitude=110.6).id
    found = _kinds(session, tree)
    assert ("implausible_travel", far) in found
    assert all(record != nearby_day for _, record in found)
