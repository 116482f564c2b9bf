"""A server of several worker processes takes concurrent writes, retried with Idempotency-Key, exactly once each."""

import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select
from sqlmodel import Session

from tests.api.conftest import bearer
from tests.factories import build_tree, household, person_in_post
from workflow.db import DATABASE_URL_ENV, transaction
from workflow.eventlog.verify import verify_chain
from workflow.visits.models import Visit

WORKERS = 2
KEYS = 40
CLIENTS = 8


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(url: str, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS), "--log-level", "warning"]
    return subprocess.Popen(command, env={**os.environ, DATABASE_URL_ENV: url})


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server exited with {server.returncode}"
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not come up within 120 s")


def _post_until_answered(base: str, headers: dict, body: dict) -> httpx.Response:
    """POST as a client does: while the first request with its key is still running, ask again."""
    while True:
        response = httpx.post(f"{base}/api/v1/visits", headers=headers, json=body, timeout=120)
        if response.status_code == 409 and response.json().get("code") == "idempotency_key_in_flight":
            time.sleep(0.05)
            continue
        return response


def test_two_workers_store_each_keyed_visit_once_under_concurrent_retries(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        household(session, tree, "4312241002010001")
    headers = bearer(engine, roles=["recorder"], scope=tree.township)
    note = f"workers-{uuid.uuid4().hex[:8]}"
    requests = []
    for n in range(KEYS):
        body = {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": f"2017-08-{1 + n % 28:02d}T09:{n % 60:02d}:00+08:00", "notes": note}
        keyed = {**headers, "Idempotency-Key": f"{note}-{n}"}
        requests += [(keyed, body), (keyed, body)]  # each sent twice at once, as a client retrying a request that timed out
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(engine.url.render_as_string(hide_password=False), port)
    try:
        _wait_until_up(base, server)
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(lambda request: _post_until_answered(base, *request), requests))
            later = list(pool.map(lambda request: _post_until_answered(base, *request), requests[::8]))  # and again, long after
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert all(answer.status_code == 201 for answer in answers + later), [answer.text for answer in answers + later if answer.status_code != 201][:3]
    by_key: dict[str, set[str]] = {}
    for (keyed, _), answer in zip(requests + requests[::8], answers + later, strict=True):
        by_key.setdefault(keyed["Idempotency-Key"], set()).add(answer.json()["id"])
    assert len(by_key) == KEYS and all(len(ids) == 1 for ids in by_key.values())  # every answer to a key names one visit
    with Session(engine) as session:
        stored = session.execute(select(Visit.id).where(Visit.notes == note)).scalars().all()
        assert sorted(stored) == sorted(ids.pop() for ids in by_key.values())  # nothing lost, nothing doubled
        assert session.execute(select(func.count()).select_from(Visit)).scalar_one() == KEYS
        chain = verify_chain(session)
    assert chain.intact, chain.first_break
