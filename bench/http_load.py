"""HTTP load: uvicorn on a free loopback port (`workers` processes), 32 concurrent clients POSTing single visits.

Every request carries an Idempotency-Key; one in ten is sent a second time with the same
key, as a client retries after a lost answer. Afterwards the visits carrying this run's
note are counted: exactly one per distinct key, or the run fails.
"""

from __future__ import annotations

import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.dataset import CITY
from workflow.db import make_engine, transaction
from workflow.eventlog import Actor

CLIENTS = 32
TIME_LIMIT = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("uvicorn did not come up within 60 s")


async def _load(base: str, requests: list[tuple[str, str, dict | None, dict]]) -> tuple[list[float], int, int]:
    """Send `requests` (method, path, body, headers) from CLIENTS workers; latencies, errors, sent."""
    queue: asyncio.Queue = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + TIME_LIMIT
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty() and time.monotonic() < deadline:
            method, path, body, headers = queue.get_nowait()
            started = time.perf_counter()
            response = await _answer(http, method, base + path, body, headers)
            while response.status_code == 409 and response.json().get("code") == "idempotency_key_in_flight":
                # The first request with this key is still running: ask again, as the answer says.
                await asyncio.sleep(0.05)
                response = await _answer(http, method, base + path, body, headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 400:
                errors += 1
                if errors <= 3:
                    print(f"  HTTP {response.status_code}: {response.text[:300]}", file=sys.stderr)

    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
    return latencies, errors, len(latencies)


async def _answer(http: httpx.AsyncClient, method: str, url: str, body: dict | None, headers: dict) -> httpx.Response:
    """The server's answer, sending the request again while the connection fails (a kept-alive
    connection the server closed, say): with its Idempotency-Key a write takes effect once."""
    for _ in range(4):
        try:
            return await http.request(method, url, json=body, headers=headers)
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    return await http.request(method, url, json=body, headers=headers)


def _summary(latencies: list[float], seconds: float) -> dict:
    ordered = sorted(latencies)
    return {"rps": len(ordered) / seconds, "p50": statistics.median(ordered), "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]}


def _server_peak_mb(pid: int) -> float | None:
    """The largest peak resident memory of the server's process and its workers, in MB."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    peaks = [peak for process in (pid, *map(int, children)) if (peak := _peak_mb(process)) is not None]
    return max(peaks, default=None)


def _peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def http_load(url: str, visits_csv: Path, count: int = 2000, workers: int = 1, **_) -> tuple[list[tuple], dict]:
    from workflow.accounts import service as accounts

    engine = make_engine(url)
    with transaction(engine) as session:
        _, token = accounts.create_account(session, actor=Actor(account="bench"), name=f"bench-{uuid.uuid4().hex[:8]}", roles=["recorder"], scope_code=CITY)
    note = f"bench-http-{uuid.uuid4().hex[:12]}"
    with visits_csv.open(encoding="utf-8") as file:
        reader = csv.DictReader(file)
        lines = [row for _, row in zip(range(count), reader)]
    auth = {"Authorization": f"Bearer {token}"}
    posts, retries = [], []
    for n, row in enumerate(lines):
        body = {"visitor_id": row["visitor_id"], "target_level": row["target_level"], "target_id": row["target_id"], "occurred_at": row["occurred_at"], "notes": note}
        request = ("POST", "/api/v1/visits", body, {**auth, "Idempotency-Key": f"{note}-{n}"})
        posts.append(request)
        if n % 10 == 0:
            retries.append(request)  # a retry with the same key, once the first answer is in: must take effect once
    posts += retries
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "EXIT_TRACKER_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers)],
        env=environment,
    )
    try:
        _wait_until_up(base, server)
        health = [("GET", "/api/v1/health", None, {})] * len(posts)
        started = time.perf_counter()
        latencies, health_errors, _ = asyncio.run(_load(base, health))
        health_figures = _summary(latencies, time.perf_counter() - started)
        started = time.perf_counter()
        latencies, post_errors, sent = asyncio.run(_load(base, posts))
        post_figures = _summary(latencies, time.perf_counter() - started)
        server_peak = _server_peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT COUNT(*) FROM visit WHERE notes = :n"), {"n": note}).scalar()
    engine.dispose()
    distinct = len({request[3]["Idempotency-Key"] for request in posts[:sent]})
    verdict = "nothing lost or doubled" if stored == distinct and not post_errors else f"MISMATCH: {stored} stored for {distinct} keys, {post_errors} errors"
    figures = [
        (f"POST /visits, {CLIENTS} clients, {workers} worker{'s' if workers > 1 else ''}", post_figures["rps"], "GET /health, same load", health_figures["rps"], "req/s", f"{sent:,} requests ({distinct:,} keys, {sent - distinct} retries); {stored:,} visits stored: {verdict}"),
        ("POST /visits p50 latency", post_figures["p50"], "GET /health p50", health_figures["p50"], "s", ""),
        ("POST /visits p99 latency", post_figures["p99"], "GET /health p99", health_figures["p99"], "s", f"health errors: {health_errors}"),
    ]
    return figures, {"server_peak_mb": server_peak}
