"""Sign-in, sessions, CSRF and scope of the web app: the same refusals as the API, on both engines."""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import select

from tests.web.conftest import post_signin, sign_in
from workflow.accounts import service as accounts
from workflow.accounts import signin
from workflow.db import transaction
from workflow.eventlog import Actor, Event

ADMIN = Actor(account="test-admin")
from workflow.org import service as org
from workflow.org.models import Household, Person
from workflow.posts.models import Post

BEIDOUXI, LONGTAN = "431224100000", "431224110000"


def _visit(csrf: str | None = None, **extra) -> dict:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return {"headers": headers, "json": {"visitor_id": extra.get("visitor", "x"), "target_level": "household", "target_id": extra.get("target", "4312241002010001"), "occurred_at": "2017-09-05T10:00:00+08:00"}}


def _cadre_of(engine, township: str) -> str:
    with transaction(engine) as session:
        return session.execute(select(Post.person_id).where(Post.unit_code == township, Post.role == "township_cadre")).scalars().first()


def test_signing_in_sets_an_httponly_lax_session_cookie_and_signing_out_ends_it_at_once(web, sample):
    answer = post_signin(web, "北斗溪镇录入员", sample["北斗溪镇录入员"])
    assert answer.status_code == 303 and answer.headers["location"] == "/recorder"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = web.get("/recorder")
    assert page.status_code == 200 and "本月待走访" in page.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    session_cookie = web.cookies.get("et_session")

    assert web.post("/signout", data={"csrf_token": csrf}).status_code == 303
    web.cookies.set("et_session", session_cookie)  # the old cookie, kept by someone
    assert web.get("/recorder").status_code == 303  # to the sign-in page
    assert web.get("/api/v1/visits").json()["code"] == "session_ended"


def test_a_wrong_password_is_refused_logged_and_the_next_tries_are_slowed(web, sample, caplog, monkeypatch):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("api.web.signin.pause", sleep)
    with caplog.at_level(logging.WARNING, logger="exit_tracker.signin"):
        for _ in range(5):
            answer = post_signin(web, "怀化市督查员", "wrong-password")
            assert answer.status_code == 401 and "et_session" not in answer.headers.get("set-cookie", "")
    assert waits == [1.0, 2.0]  # three free tries, then each answer waits longer
    assert "failed sign-in for user name '怀化市督查员'" in caplog.text
    assert post_signin(web, "怀化市督查员", sample["怀化市督查员"]).status_code == 303


def test_a_write_without_the_csrf_token_is_refused_the_page_s_form_and_the_api_alike(web, engine, sample):
    csrf = sign_in(web, sample, "北斗溪镇录入员")
    cadre = _cadre_of(engine, BEIDOUXI)
    refused = web.post("/api/v1/visits", **_visit(visitor=cadre))
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_token_invalid"
    assert web.post("/api/v1/visits", **_visit("forged", visitor=cadre)).json()["code"] == "csrf_token_invalid"
    assert web.post("/signout", data={"csrf_token": "forged"}).status_code == 403
    assert web.get("/recorder").status_code == 200  # still signed in
    assert web.post("/api/v1/visits", **_visit(csrf, visitor=cadre)).status_code == 201


def _own_account(engine, name: str, role: str, password: str) -> str:
    """A new account of the test's own, with a password: the shared demo accounts stay as they are."""
    with transaction(engine) as session:
        account, _token = accounts.create_account(session, actor=ADMIN, name=name, roles=[role], scope_code=BEIDOUXI)
        signin.set_password(session, actor=ADMIN, account_id=account.id, password=password)
        return account.id


def test_a_revoked_account_s_session_is_refused_at_once(web, engine):
    account_id = _own_account(engine, "调离的录入员", "recorder", "first-password-1")
    sign_in(web, {"调离的录入员": "first-password-1"}, "调离的录入员")
    assert web.get("/recorder").status_code == 200
    with transaction(engine) as session:
        accounts.revoke_account(session, actor=ADMIN, account_id=account_id, reason="调离")
    assert web.get("/recorder").status_code == 303
    assert web.get("/api/v1/visits").json()["code"] == "token_revoked"
    assert post_signin(web, "调离的录入员", "first-password-1").status_code == 401


def test_a_password_reset_is_an_event_and_the_old_password_stops_working(web, engine):
    account_id = _own_account(engine, "换密码的督查员", "supervisor", "first-password-1")
    with transaction(engine) as session:
        signin.set_password(session, actor=ADMIN, account_id=account_id, password="a-new-password-1")
        events = session.execute(select(Event).where(Event.type == "account.password_set", Event.entity_id == account_id)).scalars().all()
    assert [e.account for e in events] == ["test-admin", "test-admin"] and all("hash" not in e.payload for e in events)
    assert post_signin(web, "换密码的督查员", "first-password-1").status_code == 401
    assert post_signin(web, "换密码的督查员", "a-new-password-1").status_code == 303


def test_pages_refuse_as_the_api_does_without_the_role_or_outside_the_scope(web, engine, sample):
    csrf = sign_in(web, sample, "怀化市审计员")
    page, api = web.get("/recorder"), web.post("/api/v1/visits", **_visit(csrf))
    assert page.status_code == api.status_code == 403
    assert 'data-code="role_not_allowed"' in page.text and api.json()["code"] == "role_not_allowed"
    assert api.json()["detail"] in page.text

    sign_in(web, sample, "北斗溪镇录入员")
    page, api = web.get(f"/supervisor/overdue?unit={LONGTAN}"), web.get(f"/api/v1/reports/overdue-visits?unit={LONGTAN}")
    assert page.status_code == api.status_code == 404
    assert 'data-code="org_unit_not_found"' in page.text and api.json()["code"] == "org_unit_not_found"


def test_sibling_townships_pages_never_show_each_other_s_records(web, engine, sample):
    with transaction(engine) as session:
        ids = {
            township: {h for h in session.execute(select(Household.id).where(Household.village_code.like(township[:9] + "%"))).scalars()}
            | set(session.execute(select(Post.person_id).where(Post.unit_code.like(township[:9] + "%"))).scalars())
            for township in (BEIDOUXI, LONGTAN)
        }
        names = {township: set(session.execute(select(Person.name).join(Post, Post.person_id == Person.id).where(Post.unit_code.like(township[:9] + "%"))).scalars()) for township in (BEIDOUXI, LONGTAN)}
    pages = ["/recorder", "/recorder/due", "/recorder/households?q=村", "/recorder/households?q=4312", "/supervisor/overdue", "/supervisor/signatures", "/supervisor/scorecard", "/supervisor/incidence"]
    for me, other, name in ((BEIDOUXI, LONGTAN, "北斗溪镇录入员"), (LONGTAN, BEIDOUXI, "龙潭镇录入员")):
        sign_in(web, sample, name)
        shown = ""
        for path in pages:
            answer = web.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
            shown += answer.text
        for surname_given in names[other]:
            shown_people = web.get("/recorder/visitors", params={"q": surname_given}).text
            assert surname_given not in shown_people or surname_given in names[me]
        assert any(i in shown for i in ids[me])
        assert not [i for i in ids[other] if i in shown]


def test_a_household_head_named_like_a_script_shows_as_text(web, engine, sample):
    with transaction(engine) as session:
        org.register_household(session, actor=ADMIN, household_id="4312241002019999", village_code="431224100201", head_name="<script>alert(1)</script>", members=3, registered_on=dt.date(2014, 10, 1))
    sign_in(web, sample, "北斗溪镇录入员")
    for path in ("/recorder/households?q=4312241002019999", "/recorder/households?q=script"):
        text = web.get(path).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_busy_township_s_list_shows_one_official_at_a_time_with_every_official_s_count(web, sample, monkeypatch):
    monkeypatch.setattr("api.web.recorder.ROWS_SHOWN", 5)
    sign_in(web, sample, "北斗溪镇录入员")
    whole = web.get("/recorder").text
    people = re.findall(r'hx-get="/recorder/due\?person=([0-9a-f]+)"', whole)
    assert len(people) > 1
    shown = set(re.findall(r'data-visitor-id="([0-9a-f]+)"', whole))
    assert shown == {people[0]}
    other = web.get(f"/recorder/due?person={people[1]}").text
    assert set(re.findall(r'data-visitor-id="([0-9a-f]+)"', other)) == {people[1]}


def test_the_cli_gives_an_account_a_password_to_sign_in_with(web, engine, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app as cli

    monkeypatch.setenv("EXIT_TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    made = CliRunner().invoke(cli, ["accounts", "create", "--name", "命令行督查员", "--role", "supervisor", "--scope", BEIDOUXI, "--password"], input="cli-password-1\ncli-password-1\n")
    assert made.exit_code == 0, made.output
    assert "web sign-in: user name '命令行督查员'" in made.output
    assert post_signin(web, "命令行督查员", "cli-password-1").status_code == 303
    account_id = re.search(r"account (\S+) created", made.output).group(1)
    reset = CliRunner().invoke(cli, ["accounts", "set-password", account_id], input="cli-password-2\ncli-password-2\n")
    assert reset.exit_code == 0, reset.output
    assert post_signin(web, "命令行督查员", "cli-password-1").status_code == 401
    assert post_signin(web, "命令行督查员", "cli-password-2").status_code == 303
