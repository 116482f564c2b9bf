"""An auditor over a city or a county (纪检监察 below the province) reads the events of the
records in its scope and verifies the log, and learns nothing about records outside it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests.api.world import build_world


@pytest.fixture
def world(engine):
    return build_world(engine)


def all_events(client, headers, **params) -> list[dict]:
    events, cursor = [], None
    while True:
        page = client.get("/api/v1/audit/events", headers=headers, params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        events += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return events


def test_a_city_auditor_reads_every_event_of_its_city_and_none_of_another(client, world):
    seen = all_events(client, world.headers["auditor"])
    ids = {e["entity_id"] for e in seen}
    inside, outside = world.inside, world.outside
    assert {inside.city, inside.county, inside.village, inside.household, inside.post, inside.pairing, inside.link, inside.visit, inside.case, inside.cadre} <= ids
    assert not {outside.city, outside.county, outside.village, outside.household, outside.post, outside.pairing, outside.link, outside.visit, outside.case, outside.cadre} & ids
    assert "430000000000" not in ids  # the province above the city
    everything = json.dumps(seen, ensure_ascii=False)
    assert outside.county not in everything and "湘西州" not in everything
    spells = [e for e in seen if e["entity_type"] == "registry_spell"]
    assert {e["payload"]["subject_id"] for e in spells} == {inside.village}
    accounts = [e for e in seen if e["type"] == "account.created"]
    assert accounts and {e["payload"]["scope_code"] for e in accounts} == {inside.city}
    assert {e["entity_id"] for e in seen if e["entity_type"] == "account"} == {e["entity_id"] for e in accounts}  # their tokens' events too, no other


def test_a_city_auditor_filters_within_its_scope(client, world):
    households = all_events(client, world.headers["auditor"], entity_type="household")
    assert world.inside.household in {e["entity_id"] for e in households}
    assert all(e["payload"]["village_code"] == world.inside.village for e in households)
    assert all_events(client, world.headers["auditor"], entity_id=world.outside.household) == []


def test_a_city_auditor_verifies_the_chain_and_sees_a_break_anywhere(client, world, engine):
    clean = client.get("/api/v1/audit/verify", headers=world.headers["auditor"])
    assert clean.status_code == 200, clean.text
    assert clean.json()["intact"] is True
    _tamper(engine, "UPDATE event SET account = 'intruder' WHERE seq = 3")
    broken = client.get("/api/v1/audit/verify", headers=world.headers["auditor"]).json()
    assert broken["intact"] is False and broken["chain_break"]["seq"] == 3


@pytest.mark.parametrize("inside", [True, False])
def test_a_table_row_altered_is_described_only_inside_the_auditors_scope(client, world, engine, inside):
    household = world.branch(inside).household
    _tamper(engine, f"UPDATE household SET head_name = '改过' WHERE id = '{household}'")
    found = client.get("/api/v1/audit/verify", headers=world.headers["auditor"]).json()
    difference = found["projection_difference"]
    assert found["intact"] is False and found["chain_break"] is None
    assert (difference["table"], difference["problem"], difference["outside_scope"]) == ("household", "changed", not inside)
    if inside:
        assert difference["key"] == {"id": household} and difference["columns"]["head_name"] == ["改过", "户主"]
    else:
        assert difference["key"] == {} and difference["columns"] == {} and difference["last_event_seq"] is None


def _tamper(engine, statement: str) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER IF EXISTS event_append_only ON event"))
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS event_no_update")
        connection.execute(text(statement))
