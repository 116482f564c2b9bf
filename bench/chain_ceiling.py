"""The hash chain's own ceiling: events appended per second by N concurrent writers.

Each writer is a process of its own with its own engine, committing one small event per
transaction (`org.add_person`: the chain, one projected row and its version) as fast as it
can for a few seconds. Every append waits for the one head of the chain (PostgreSQL: an
advisory lock held to commit; SQLite: the one write lock), so the rate with N writers is
what the chain allows, whatever the work before the append. Each writer also times how long
it holds the chain (from taking its lock to the commit): one event per that time is the
ceiling no number of writers passes. Afterwards the log must have grown by exactly the
writers' count and still verify.
"""

from __future__ import annotations

import multiprocessing
import time

from workflow.db import make_engine, read_only, transaction
from workflow.eventlog import Actor, head

WRITERS = {"postgresql": (1, 2, 4, 8, 16, 32), "sqlite": (1, 2, 4, 8)}  # SQLite's writers poll one file lock: more only wait
SECONDS = 4.0
ACTOR = Actor(account="bench-chain")


def _writer(url: str, ready, seconds: float, results) -> None:
    from sqlalchemy import event

    from workflow.org import service as org

    engine = make_engine(url, pool_size=1)
    locked = [0.0]

    @event.listens_for(engine, "after_cursor_execute")
    def _took_the_chain(_connection, _cursor, statement, *_):
        # The moment this writer holds the chain: PostgreSQL's advisory lock, SQLite's write lock.
        if "pg_advisory_xact_lock" in statement or statement == "BEGIN IMMEDIATE":
            locked[0] = time.perf_counter()

    def one() -> float:
        """Append one event; the seconds the chain was held, from its lock to the commit."""
        with transaction(engine) as session:
            org.add_person(session, actor=ACTOR, name="链压测")
        return time.perf_counter() - locked[0]

    one()  # warm: modules, mappers and the connection, before the clock starts
    ready.wait()
    latencies, holds = [], []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        holds.append(one())
        latencies.append(time.perf_counter() - started)
    engine.dispose()
    results.put((latencies, holds))


def _round(url: str, writers: int) -> tuple[float, int, float, float]:
    """(events/s, events appended, p99 seconds of a commit, mean seconds the chain is held per event)
    with `writers` concurrent writers.

    Each writer appends one event before the round starts (counted in the log's growth, not the rate)."""
    context = multiprocessing.get_context("fork")
    results, ready = context.Queue(), context.Barrier(writers)
    processes = [context.Process(target=_writer, args=(url, ready, SECONDS, results)) for _ in range(writers)]
    for process in processes:
        process.start()
    latencies, holds = [], []
    for _ in processes:
        mine, held = results.get(timeout=SECONDS + 300)
        latencies += mine
        holds += held
    for process in processes:
        process.join()
    ordered = sorted(latencies)
    return len(ordered) / SECONDS, len(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], sum(holds) / len(holds)


def chain_ceiling(url: str, **_) -> list[tuple]:
    from workflow.eventlog.verify import verify_chain

    engine = make_engine(url)
    rounds = WRITERS[engine.dialect.name]
    with transaction(engine) as session:
        before, _ = head(session)
    engine.dispose()  # no connection of the parent's crosses a fork
    figures, appended, single = [], 0, None
    for writers in rounds:
        rate, count, p99, held = _round(url, writers)
        appended += count + writers  # and each writer's warm-up
        if single is None:
            single, ceiling = rate, 1 / held
        figures.append(
            (
                f"hash chain, {writers} concurrent writer{'s' if writers > 1 else ''}",
                rate,
                "1 writer",
                single,
                "events/s",
                f"{count:,} events in {SECONDS:g} s; p99 of a transaction {p99 * 1000:,.0f} ms; the chain held {held * 1000:,.1f} ms per event",
            )
        )
    figures.append(
        ("hash chain's ceiling: 1 ÷ the time it is held per event, uncontended", ceiling, "1 writer", single, "events/s", "from the lock to the commit (PostgreSQL: the advisory lock; SQLite: BEGIN IMMEDIATE), with 1 writer")
    )
    with transaction(read_only(engine)) as session:
        after, _ = head(session)
        report = verify_chain(session)
    engine.dispose()
    verdict = "chain intact" if report.intact else f"CHAIN BROKEN at {report.first_break}"
    grown = "nothing lost or doubled" if after - before == appended else f"MISMATCH: the log grew by {after - before:,} for {appended:,} commits"
    figures.append(("hash chain after every round", after - before, "commits counted by the writers", appended, "events", f"{grown}; {verdict}"))
    return figures
