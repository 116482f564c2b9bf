"""A record read in its two times (api/asof.py): `as_of` a day (its state then) and
`known_at` a moment (what the log held then), from the versions, with no replay."""

from __future__ import annotations

import datetime as dt

from freezegun import freeze_time

from tests.api.conftest import bearer
from tests.factories import ADMIN, build_tree, exit_signers, household, passing_assessment, person_in_post
from tests.workflow.exits.steps import TOWNSHIP_STEP, VILLAGE_STEP, sign_roles
from workflow.db import transaction
from workflow.exits import service as exits
from workflow.visits import service as visits

BEIJING = dt.timezone(dt.timedelta(hours=8))
HOUSEHOLD = "431224100201000001"


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2018, month, day, hour, tzinfo=BEIJING)


def _exited_on_10_september(engine):
    """A household registered in 2014 (entered in January 2018) whose exit is signed on 10 September 2018,
    each step entered the hour it happened; a visit entered on 1 August and voided ten days later.
    Everything is entered in the order it happened: the log as known at a moment is its prefix."""
    with freeze_time(at(1, 5)), transaction(engine) as session:
        tree = build_tree(session)
        signers = exit_signers(session, tree)
        household(session, tree, HOUSEHOLD, registered_on=dt.date(2014, 10, 1))
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
    with freeze_time(at(8, 1)), transaction(engine) as session:
        visit = visits.record_visit(session, actor=ADMIN, visitor_id=cadre, target_level="household", target_id=HOUSEHOLD, occurred_at=at(8, 1, 9)).id
    with freeze_time(at(8, 10)), transaction(engine) as session:
        visits.void_visit(session, actor=ADMIN, visit_id=visit, reason="走错户")
    steps = [
        (at(8, 20), lambda s: exits.open_case(s, actor=ADMIN, level="household", subject_id=HOUSEHOLD, occurred_at=at(8, 20, 9))),
        (at(8, 21), lambda s: exits.propose(s, actor=ADMIN, case_id=case_id, assessment=passing_assessment(), occurred_at=at(8, 21, 9))),
        (at(8, 22), lambda s: exits.post_notice(s, actor=ADMIN, case_id=case_id, occurred_at=at(8, 22, 9))),
        (at(9, 1), lambda s: sign_roles(s, exits.get_case(s, case_id), signers, VILLAGE_STEP, at=at(9, 1, 9))),
        (at(9, 10), lambda s: sign_roles(s, exits.get_case(s, case_id), signers, TOWNSHIP_STEP, at=at(9, 10, 9))),
    ]
    case_id = None
    for moment, step in steps:
        with freeze_time(moment), transaction(engine) as session:
            made = step(session)
            case_id = case_id or made.id
    return tree, case_id, visit


def test_a_household_reads_registered_before_its_exit_and_exited_after_it(client, engine):
    tree, case_id, _ = _exited_on_10_september(engine)
    headers = bearer(engine, roles=["auditor"], scope=tree.county)

    def household_on(**params):
        response = client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    july, notice, after = household_on(as_of="2018-07-31"), household_on(as_of="2018-08-25"), household_on(as_of="2018-09-11")
    assert (july["status"], july["on_registry"]) == ("registered", True)
    assert (notice["status"], notice["on_registry"]) == ("in_notice", True)
    assert (after["status"], after["on_registry"]) == ("exited", False)
    assert household_on()["status"] == "exited" and household_on()["registry"][0]["exited_on"] == "2018-09-10"
    # As the log held it on 5 September: the township's approval was not entered yet.
    known = household_on(known_at="2018-09-05T00:00:00+08:00")
    assert known["status"] == "village_signed" and known["registry"][0]["exited_on"] is None
    # Before it was entered at all, there is no such household.
    assert client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers, params={"known_at": "2018-01-01T00:00:00+08:00"}).status_code == 404


def test_an_exit_case_reads_as_it_stood_at_the_end_of_a_day(client, engine):
    tree, case_id, _ = _exited_on_10_september(engine)
    headers = bearer(engine, roles=["auditor"], scope=tree.county)

    def case_on(**params):
        return client.get(f"/api/v1/exit-cases/{case_id}", headers=headers, params=params)

    waiting = case_on(as_of="2018-09-05").json()
    assert waiting["status"] == "village_signed"
    assert [step["status"] for step in waiting["steps"]] == ["complete", "waiting"]
    assert len(waiting["history"]) == 2
    assert case_on(as_of="2018-09-10").json()["status"] == "exited"
    assert case_on(as_of="2018-08-19").status_code == 404  # not opened yet
    known = case_on(known_at="2018-08-21T12:00:00+08:00").json()
    assert (known["status"], known["history"]) == ("proposed", [])


def test_a_visit_voided_after_known_at_is_listed_unvoided_as_known_then(client, engine):
    tree, _, visit = _exited_on_10_september(engine)
    headers = bearer(engine, roles=["auditor"], scope=tree.county)

    def listed(**params):
        return [item["id"] for item in client.get("/api/v1/visits", headers=headers, params={"unit": tree.county, **params}).json()["items"]]

    assert listed() == []
    assert listed(known_at="2018-08-05T00:00:00+08:00") == [visit]
    assert listed(known_at="2018-07-31T00:00:00+08:00") == []  # not recorded yet
