"""The sign-in form's guards: its own token (login CSRF), and failed sign-ins counted in the
database, so every server process sharing it, and a restarted one, slows the same guesser.
On both engines."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from tests.web.conftest import post_signin
from workflow import clock
from workflow.accounts import signin
from workflow.accounts.models import SignInAttempt
from workflow.db import make_engine, transaction


def _attempts(engine, name: str) -> list[bool]:
    with transaction(engine) as session:
        return list(session.execute(select(SignInAttempt.succeeded).where(SignInAttempt.name == name).order_by(SignInAttempt.attempted_at)).scalars())


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The seconds each answer was made to wait (the waiting itself skipped)."""
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("api.web.signin.pause", sleep)
    return waited


@pytest.fixture
def second_server(engine):
    """Another server process on the same database: its own engine, its own app."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    with TestClient(create_app(other), follow_redirects=False) as client:
        yield client
    other.dispose()


def test_the_sign_in_form_carries_its_own_token_in_a_field_and_an_httponly_cookie(web):
    form = web.get("/signin")
    cookie = form.headers["set-cookie"]
    token = web.cookies.get("et_signin")
    assert f'name="signin_token" value="{token}"' in form.text
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/signin" in cookie
    assert token in web.get("/signin").text  # a second tab gets the same token: the first still works


def test_a_sign_in_without_the_form_s_token_is_refused_before_the_password_is_checked(web, engine, sample):
    name = "北斗溪镇录入员"
    before = _attempts(engine, name)
    bare = web.post("/signin", data={"name": name, "password": sample[name]})
    assert bare.status_code == 403 and 'data-code="csrf_token_invalid"' in bare.text
    assert "表单已过期或来源不明" in bare.text and "et_session" not in bare.headers.get("set-cookie", "")

    web.get("/signin")  # this browser's cookie, and a token from another page: a forged form
    forged = web.post("/signin", data={"signin_token": "x" * 43, "name": name, "password": sample[name]})
    assert forged.status_code == 403 and "et_session" not in forged.headers.get("set-cookie", "")
    web.cookies.clear()
    token_without_cookie = web.post("/signin", data={"signin_token": "x" * 43, "name": name, "password": sample[name]})
    assert token_without_cookie.status_code == 403
    assert _attempts(engine, name) == before  # no password was tried

    signed_in = post_signin(web, name, sample[name])
    assert signed_in.status_code == 303 and "et_session=" in signed_in.headers["set-cookie"]


def test_failures_on_one_server_slow_the_next_answers_on_another_and_after_a_restart(web, second_server, engine, sample, waits, caplog):
    name = "怀化市审计员"
    with caplog.at_level(logging.WARNING, logger="exit_tracker.signin"):
        for _ in range(2):
            assert post_signin(web, name, "wrong-password").status_code == 401
            assert post_signin(second_server, name, "wrong-password").status_code == 401
    assert waits == [1.0]  # three failures free, the fourth (on the other server) answered a second late
    assert post_signin(second_server, name, "wrong-password").status_code == 401
    assert waits == [1.0, 2.0]
    assert "failed sign-in for user name '怀化市审计员' from testclient (5 in a row)" in caplog.text

    other = make_engine(engine.url.render_as_string(hide_password=False))  # a restarted server: no memory but the database's
    with TestClient(create_app(other), follow_redirects=False) as restarted:
        assert post_signin(restarted, name, "wrong-password").status_code == 401
        assert waits == [1.0, 2.0, 4.0]
        assert post_signin(restarted, name, sample[name]).status_code == 303
    other.dispose()
    assert waits == [1.0, 2.0, 4.0, 8.0]  # the right password waited too: the guesser cannot tell

    assert post_signin(web, name, "wrong-password").status_code == 401  # a success starts the count again
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert _attempts(engine, name)[-8:] == [False] * 6 + [True, False]  # every attempt kept, none edited


def test_failures_age_out_of_the_window(web, engine, waits, monkeypatch):
    name = "过期的猜测"
    for _ in range(5):
        post_signin(web, name, "wrong-password")
    assert waits == [1.0, 2.0]
    later = clock.now() + signin.FAILURE_WINDOW + dt.timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    post_signin(web, name, "wrong-password")
    assert waits == [1.0, 2.0]


def test_an_address_failing_over_many_user_names_is_refused_on_every_server_until_its_failures_age_out(web, second_server, engine, sample, monkeypatch, waits, caplog):
    with transaction(engine) as session:
        so_far = session.execute(
            select(func.count()).select_from(SignInAttempt).where(SignInAttempt.address == "testclient", SignInAttempt.succeeded.is_(False), SignInAttempt.attempted_at > clock.now() - signin.FAILURE_WINDOW)
        ).scalar_one()
    monkeypatch.setattr(signin, "ADDRESS_FAILURES_REFUSED", so_far + 4)
    for n in range(4):
        assert post_signin(web, f"猜测账号{n}", "password-1").status_code == 401
    with caplog.at_level(logging.WARNING, logger="exit_tracker.signin"):
        refused = post_signin(second_server, "龙潭镇录入员", sample["龙潭镇录入员"])  # even the right password
    assert refused.status_code == 429 and 'data-code="sign_in_throttled"' in refused.text
    assert "此地址登录失败次数过多,请 15 分钟后再试" in refused.text
    assert "et_session" not in refused.headers.get("set-cookie", "")
    assert "too many failures from this address" in caplog.text

    later = clock.now() + signin.FAILURE_WINDOW + dt.timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert post_signin(second_server, "龙潭镇录入员", sample["龙潭镇录入员"]).status_code == 303
