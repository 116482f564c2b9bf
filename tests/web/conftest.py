"""The web app's fixtures: the sample with its demo accounts, a real server, one browser.

Browser tests drive Debian's chromium through Playwright against the server as `make run`
starts it (init-db, load-sample, serve) on a temporary SQLite database: one server per
module, one browser per session. They skip when /usr/bin/chromium is missing, unless
EXIT_TRACKER_REQUIRE_BROWSER=1 (CI), which fails them instead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sqlalchemy.engine import Engine

from api.app import create_app
from tests.conftest import ENGINES, reset_database
from sample_data.load import demo_accounts, load_sample_data
from workflow.db import make_engine, transaction

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
CLI = Path(sys.executable).with_name("exit-tracker")


@pytest.fixture(scope="module", params=ENGINES)
def sample_database(request, tmp_path_factory) -> Iterator[tuple[Engine, dict[str, str]]]:
    """One database per module and engine with the sample and its demo accounts, and their
    passwords by user name. Tests share it: one that changes a record uses its own."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("web") / "web.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(request.getfixturevalue("pg_server_url"))
        reset_database(engine)
    with transaction(engine) as session:
        load_sample_data(session)
        passwords = {name: password for name, _role, _scope, password in demo_accounts(session)}
    yield engine, passwords
    engine.dispose()


@pytest.fixture
def engine(sample_database) -> Engine:
    return sample_database[0]


@pytest.fixture
def sample(sample_database) -> dict[str, str]:
    return sample_database[1]


@pytest.fixture
def web(engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine), follow_redirects=False) as client:
        yield client


def post_signin(client: TestClient, name: str, password: str, **extra: str):
    """The answer to the sign-in form as a browser sends it: the form's token from its page first."""
    form = client.get("/signin")
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text).group(1)
    return client.post("/signin", data={"signin_token": token, "name": name, "password": password, **extra})


def sign_in(client: TestClient, passwords: dict[str, str], name: str) -> str:
    """Sign `client` in as `name`; the session's CSRF token."""
    answer = post_signin(client, name, passwords[name])
    assert answer.status_code == 303, answer.text
    page = client.get("/supervisor/scorecard")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


# ---- the browser and the server ------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("EXIT_TRACKER_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Server:
    def __init__(self, url: str, database_url: str, passwords: dict[str, str]):
        self.url, self.database_url, self.passwords = url, database_url, passwords

    def sign_in(self, page, name: str) -> None:
        page.goto(self.url + "/signin")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", self.passwords[name])
        page.click("button[type=submit]")
        page.wait_for_load_state()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser, sqlite_template) -> Iterator[Server]:
    """`make run`'s server (`exit-tracker serve`) on a fresh SQLite database with the sample and its demo accounts.

    The database is the migrated template with the sample loaded in this process, as
    `init-db` and `load-sample` would leave it, without two more interpreters starting.
    """
    folder = tmp_path_factory.mktemp("server")
    path = folder / "web.db"
    shutil.copy(sqlite_template, path)
    database_url = f"sqlite:///{path}"
    engine = make_engine(database_url)
    with transaction(engine) as session:
        load_sample_data(session)
        passwords = {name: password for name, _role, _scope, password in demo_accounts(session)}
    engine.dispose()
    env = {**os.environ, "EXIT_TRACKER_DATABASE_URL": database_url}
    port = _free_port()
    log = open(folder / "serve.log", "w")
    process = subprocess.Popen([str(CLI), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield Server(url, database_url, passwords)
    finally:
        process.terminate()
        process.wait(10)
        log.close()


PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


def screenshot(page, name: str) -> None:
    """A picture of the page for the docs, in a folder the tests and git ignore."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A phone's picture is its screen; a desktop's, the whole page.
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=page.viewport_size["width"] > PHONE["width"])
