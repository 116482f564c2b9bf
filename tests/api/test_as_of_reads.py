"""Reads as of a past moment replay the log: a few at a time, each within a time limit, else a clear 503."""

from __future__ import annotations

import threading
import time

import pytest

from api import asof, limits
from tests.api.conftest import bearer
from tests.factories import build_tree, household
from workflow.audit import scratch
from workflow.db import transaction

HOUSEHOLD = "4312241002010001"
AS_OF = {"as_of": "2030-01-01T00:00:00+08:00"}


@pytest.fixture
def headers(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        household(session, tree, HOUSEHOLD)
    return bearer(engine, roles=["supervisor"], scope=tree.province)


@pytest.fixture
def one_replay_at_a_time(monkeypatch):
    monkeypatch.setattr(asof, "_replays", threading.BoundedSemaphore(1))
    monkeypatch.setattr(limits, "AS_OF_READS", 1)
    return asof._replays


def test_a_read_as_of_a_moment_waits_for_a_free_turn_and_then_is_told_the_server_is_busy(client, headers, one_replay_at_a_time, monkeypatch):
    monkeypatch.setattr(limits, "AS_OF_WAIT", 0.2)
    one_replay_at_a_time.acquire()  # another request's replay is running
    try:
        busy = client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers, params=AS_OF)
    finally:
        one_replay_at_a_time.release()
    assert busy.status_code == 503 and busy.json()["code"] == "as_of_busy" and busy.json()["field"] == "as_of"
    assert client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers).status_code == 200  # live reads do not queue
    assert client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers, params=AS_OF).status_code == 200


def test_a_replay_past_its_time_limit_is_stopped_between_two_reads_of_the_log(client, headers, one_replay_at_a_time, monkeypatch):
    monkeypatch.setattr(limits, "AS_OF_TIMEOUT", 0.3)
    log_rows = scratch.log_rows

    def slowly(source, **kwargs):  # one event at a time, 50 ms each: the log's ~12 events take 0.6 s
        for batch in log_rows(source, **kwargs, batch=1):
            time.sleep(0.05)
            yield batch

    monkeypatch.setattr(scratch, "log_rows", slowly)
    started = time.monotonic()
    stopped = client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers, params=AS_OF)
    assert stopped.status_code == 503 and stopped.json()["code"] == "as_of_timeout", stopped.text
    assert time.monotonic() - started < 0.55
    monkeypatch.setattr(limits, "AS_OF_TIMEOUT", 30)
    assert client.get(f"/api/v1/households/{HOUSEHOLD}", headers=headers, params=AS_OF).status_code == 200  # its turn was given back
