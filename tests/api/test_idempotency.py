"""Retried POSTs with the same Idempotency-Key take effect once, within the retention period."""

import contextlib
import datetime as dt

from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import func, select

from api.app import create_app
from api.housekeeping import Housekeeping, purge_responses
from tests.api.conftest import bearer
from tests.factories import build_tree
from workflow.db import transaction
from workflow.accounts.models import IdempotentRequest
from workflow.eventlog import Event


def _events(engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


def _setup(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
    return tree, bearer(engine, roles=["admin"], scope=tree.county)


def test_a_retry_with_the_same_key_and_body_returns_the_first_response_and_writes_nothing(client, engine):
    tree, headers = _setup(engine)
    keyed = {**headers, "Idempotency-Key": "c0ffee-1"}
    first = client.post("/api/v1/people", headers=keyed, json={"name": "向秀英"})
    assert first.status_code == 201
    written = _events(engine)
    again = client.post("/api/v1/people", headers=keyed, json={"name": "向秀英"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert _events(engine) == written


def test_the_same_key_with_another_body_is_refused(client, engine):
    tree, headers = _setup(engine)
    keyed = {**headers, "Idempotency-Key": "c0ffee-2"}
    assert client.post("/api/v1/people", headers=keyed, json={"name": "向秀英"}).status_code == 201
    written = _events(engine)
    other = client.post("/api/v1/people", headers=keyed, json={"name": "舒春生"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert other.json()["field"] == "Idempotency-Key"
    assert _events(engine) == written


def test_without_a_key_each_post_takes_effect(client, engine):
    tree, headers = _setup(engine)
    ids = {client.post("/api/v1/people", headers=headers, json={"name": "向秀英"}).json()["id"] for _ in range(2)}
    assert len(ids) == 2


def test_a_failed_request_is_not_remembered_so_a_corrected_retry_runs(client, engine):
    tree, headers = _setup(engine)
    keyed = {**headers, "Idempotency-Key": "c0ffee-3"}
    body = {"id": "H-1", "village_code": tree.village, "head_name": "向秀英", "members": 3, "registered_on": "2014-10-01"}
    refused = client.post("/api/v1/households", headers=keyed, json={**body, "village_code": tree.township})
    assert refused.status_code == 422
    accepted = client.post("/api/v1/households", headers=keyed, json=body)
    assert accepted.status_code == 201


def test_keys_belong_to_their_account(client, engine):
    tree, headers = _setup(engine)
    other = bearer(engine, roles=["admin"], scope=tree.county, name="另一管理员")
    first = client.post("/api/v1/people", headers={**headers, "Idempotency-Key": "shared"}, json={"name": "向秀英"})
    second = client.post("/api/v1/people", headers={**other, "Idempotency-Key": "shared"}, json={"name": "向秀英"})
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


def test_a_malformed_key_is_an_input_problem(client, engine):
    tree, headers = _setup(engine)
    response = client.post("/api/v1/people", headers={**headers, "Idempotency-Key": "has space"}, json={"name": "向秀英"})
    assert response.status_code == 422 and response.json()["field"] == "Idempotency-Key"


def test_concurrent_retries_with_one_key_write_once(engine):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from api.app import create_app

    tree, headers = _setup(engine)
    keyed = {**headers, "Idempotency-Key": "c0ffee-race"}
    app = create_app(engine)

    def post(_):
        with TestClient(app) as client:
            return client.post("/api/v1/people", headers=keyed, json={"name": "向秀英"})

    before = _events(engine)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(post, range(4)))
    assert _events(engine) == before + 1
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert all(r.status_code == 201 or r.json()["code"] in ("idempotency_key_in_flight", "concurrent_change") for r in responses)


def test_a_remembered_response_serves_retries_for_its_retention_then_is_forgotten_and_purged(engine):
    tree, headers = _setup(engine)
    retention = dt.timedelta(hours=24)
    keyed = {**headers, "Idempotency-Key": "c0ffee-retention"}
    with _retaining(engine, retention) as (clock, client):
        first = client.post("/api/v1/people", headers=keyed, json={"name": "向秀英"})
        assert first.status_code == 201
        written = _events(engine)
        clock.tick(retention - dt.timedelta(minutes=1))
        purge_responses(engine, retention)  # nothing is old enough yet
        retry = client.post("/api/v1/people", headers=keyed, json={"name": "向秀英"})
        assert retry.headers.get("idempotent-replayed") == "true" and retry.json() == first.json()
        assert _events(engine) == written
        clock.tick(dt.timedelta(minutes=2))
        purge_responses(engine, retention)
        assert _remembered(engine) == 0
        # Past its retention the key is free: a new request with it runs.
        reused = client.post("/api/v1/people", headers=keyed, json={"name": "舒春生"})
        assert reused.status_code == 201 and "idempotent-replayed" not in reused.headers


def test_a_response_past_its_retention_but_not_yet_purged_is_not_replayed(engine):
    tree, headers = _setup(engine)
    retention = dt.timedelta(hours=1)
    keyed = {**headers, "Idempotency-Key": "c0ffee-unpurged"}
    with _retaining(engine, retention) as (clock, client):
        assert client.post("/api/v1/people", headers=keyed, json={"name": "向秀英"}).status_code == 201
        clock.tick(dt.timedelta(hours=2))
        other = client.post("/api/v1/people", headers=keyed, json={"name": "舒春生"})
        assert other.status_code == 201 and other.json()["name"] == "舒春生"
        assert _remembered(engine) == 1  # the new response took the forgotten one's place


def _remembered(engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(IdempotentRequest)).scalar_one()


@contextlib.contextmanager
def _retaining(engine, retention: dt.timedelta):
    """A frozen clock, and a client of an app remembering responses for `retention` (purged when the test says)."""
    app = create_app(engine, Housekeeping(idempotency_retention=retention, purge_every=float("inf")))
    with freeze_time("2026-12-01T08:00:00Z") as clock, TestClient(app) as client:
        yield clock, client
