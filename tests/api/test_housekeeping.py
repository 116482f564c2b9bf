"""The server keeps house on its own: it signs a checkpoint of the log on a schedule."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.housekeeping import Housekeeping
from tests.api.conftest import bearer
from tests.factories import build_tree
from workflow.audit.checkpoint import generate_key, load_public_key, newest_kept, verify_checkpoint
from workflow.db import transaction
from workflow.eventlog import head


def _newest_kept_seq(engine, *, reaching: int, within: float = 5.0) -> int | None:
    deadline = time.monotonic() + within
    while True:
        with Session(engine) as session:
            newest = newest_kept(session)
        if (newest and newest["seq"] >= reaching) or time.monotonic() > deadline:
            return newest and newest["seq"]
        time.sleep(0.05)


def test_the_server_signs_a_checkpoint_of_the_log_on_its_schedule_when_the_log_grew(engine, tmp_path):
    key = tmp_path / "server.key"
    generate_key(key)
    with transaction(engine) as session:
        tree = build_tree(session)
        started_at = head(session)[0]
    headers = bearer(engine, roles=["admin"], scope=tree.province)
    app = create_app(engine, Housekeeping(checkpoint_key=key, checkpoint_every=0.2))
    with TestClient(app) as client:
        assert _newest_kept_seq(engine, reaching=started_at) >= started_at  # one at start
        assert client.post("/api/v1/people", headers=headers, json={"name": "向秀英"}).status_code == 201
        with Session(engine) as session:
            grown_to = head(session)[0]
        assert _newest_kept_seq(engine, reaching=grown_to) == grown_to  # the next round covers the new event
        verified = client.get("/api/v1/audit/verify", headers=headers).json()
    assert verified["newest_checkpoint_seq"] == grown_to and verified["uncovered_events"] == 0 and verified["intact"]
    with Session(engine) as session:
        assert verify_checkpoint(session, newest_kept(session), load_public_key(key.with_name("server.key.pub"))).ok


def test_without_a_key_the_server_signs_nothing(engine):
    with TestClient(create_app(engine, Housekeeping(checkpoint_every=0.05))):
        time.sleep(0.3)
    with Session(engine) as session:
        assert newest_kept(session) is None
