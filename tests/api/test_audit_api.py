"""The auditor's API: the log, its verification, and records read as of a past moment."""

import datetime as dt

import pytest
from freezegun import freeze_time
from sqlalchemy import text

from tests.factories import ADMIN, Tree, build_tree, household, person_in_post
from workflow.accounts import service as accounts
from workflow.db import transaction
from workflow.posts import service as posts


@pytest.fixture
def tokens(engine):
    """Headers of a province-wide auditor, a city-scoped auditor and a province-wide recorder."""
    with transaction(engine) as session:
        tree = build_tree(session)
        made = {}
        for name, roles, unit in (("auditor", ["auditor"], tree.province), ("city-auditor", ["auditor"], tree.city), ("recorder", ["recorder"], tree.province)):
            _, token = accounts.create_account(session, actor=ADMIN, name=name, roles=roles, scope_code=unit)
            made[name] = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    return made


def test_event_log_pages_in_order_with_who_and_when(client, tokens):
    first = client.get("/api/v1/audit/events", params={"limit": 5}, headers=tokens["auditor"])
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["seq"] for e in page["items"]] == [1, 2, 3, 4, 5]
    assert page["items"][0]["account"] == "test-admin" and page["items"][0]["payload"]["name"] == "湖南省"
    second = client.get("/api/v1/audit/events", params={"limit": 5, "cursor": page["next_cursor"]}, headers=tokens["auditor"]).json()
    assert [e["seq"] for e in second["items"]] == [6, 7, 8, 9, 10]
    filtered = client.get("/api/v1/audit/events", params={"type": "registry.registered"}, headers=tokens["auditor"]).json()
    assert {e["type"] for e in filtered["items"]} == {"registry.registered"} and len(filtered["items"]) == 4


def test_the_log_is_closed_to_other_roles(client, tokens):
    for path in ("/api/v1/audit/events", "/api/v1/audit/verify"):
        response = client.get(path, headers=tokens["recorder"])
        assert response.status_code == 403 and response.json()["code"] == "role_not_allowed"


def test_verify_names_the_first_altered_event(client, tokens, engine):
    clean = client.get("/api/v1/audit/verify", headers=tokens["auditor"]).json()
    assert clean["intact"] and clean["chain_break"] is None and clean["projection_difference"] is None
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER event_append_only ON event"))
        else:
            connection.exec_driver_sql("DROP TRIGGER event_no_update")
        connection.execute(text("UPDATE event SET account = 'intruder' WHERE seq = 3"))
    broken = client.get("/api/v1/audit/verify", headers=tokens["auditor"]).json()
    assert not broken["intact"]
    assert broken["chain_break"]["seq"] == 3


def test_post_read_as_known_at_a_moment_does_not_show_an_end_recorded_later(client, engine):
    with freeze_time("2017-07-01T02:00:00Z"):
        with transaction(engine) as session:
            tree = build_tree(session)
            cadre = person_in_post(session, name="舒海燕", role="township_cadre", unit=tree.township, start=dt.date(2017, 1, 1))
            (post,) = posts.posts_of(session, cadre)
            _, token = accounts.create_account(session, actor=ADMIN, name="auditor", roles=["auditor"], scope_code=tree.province)
    with freeze_time("2017-09-01T02:00:00Z"):
        with transaction(engine) as session:
            posts.end_post(session, actor=ADMIN, post_id=post.id, end_date=dt.date(2017, 6, 30))
    tokens = {"auditor": {"Authorization": f"Bearer {token}"}}
    now = client.get(f"/api/v1/posts/{post.id}", headers=tokens["auditor"]).json()
    assert now["end_date"] == "2017-06-30"
    then = client.get(f"/api/v1/posts/{post.id}", params={"known_at": "2017-08-01T00:00:00+08:00", "as_of": "2017-07-31"}, headers=tokens["auditor"]).json()
    assert (then["end_date"], then["held"]) == (None, True)  # as the log told it on 1 August
    now_on_that_day = client.get(f"/api/v1/posts/{post.id}", params={"as_of": "2017-07-31"}, headers=tokens["auditor"]).json()
    assert (now_on_that_day["end_date"], now_on_that_day["held"]) == ("2017-06-30", False)  # as known now
    before = client.get(f"/api/v1/posts/{post.id}", params={"known_at": "2017-06-01T00:00:00+08:00"}, headers=tokens["auditor"])
    assert before.status_code == 404
    naive = client.get(f"/api/v1/posts/{post.id}", params={"known_at": "2017-08-01T00:00:00"}, headers=tokens["auditor"])
    assert naive.status_code == 422
    moment_as_of = client.get(f"/api/v1/posts/{post.id}", params={"as_of": "2017-08-01T00:00:00+08:00"}, headers=tokens["auditor"])
    assert moment_as_of.status_code == 422 and moment_as_of.json()["field"] == "as_of"  # as_of is a date, everywhere


def test_household_history_shows_account_and_both_times(client, tokens, engine):
    with transaction(engine) as session:
        household(session, Tree(), "4312241002010042")
    history = client.get("/api/v1/history/household/4312241002010042", headers=tokens["auditor"]).json()
    assert [e["type"] for e in history] == ["household.registered"]
    assert history[0]["account"] == "test-admin" and history[0]["recorded_at"] and history[0]["occurred_at"]
