"""The public notice pages under a year-end peak: thousands of households in notice at once.

Huaihua exited about 65,000 households a year (SPEC §6); at the year-end peak several
thousand are in their 7-day notice together. On the sample's tree, this registers
`--notices` households spread over its villages, takes each to its notice (posted now),
then times, in this process through the app (routing, the domain call, rendering, gzip):
the city's page (the index of villages), one village's page, one objection lodged from the
form (the flood counter, the exit machine, the event), its receipt page, and the proof page.

    python -m bench.public_notices                                   # SQLite in a temporary folder
    python -m bench.public_notices --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlmodel import Session

from api.app import create_app
from workflow.db import make_engine, transaction
from workflow.eventlog import Actor
from workflow.exits import service as exits
from workflow.exits.machines import Assessment
from workflow.migrate import upgrade
from workflow.notices import service as notices
from workflow.org import service as org
from workflow.org.models import OrgUnit

BENCH = Actor(account="bench")
OPENED = dt.datetime(2020, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
PASSING = Assessment(income_per_capita=4500, food=True, clothing=True, education=True, medical=True, housing=True, acknowledged=True)


def _fill(engine, count: int) -> str:
    """The sample, and `count` households in notice now across its villages; a village with some."""
    from sample_data.load import load_sample_data

    with transaction(engine) as session:
        load_sample_data(session)
        villages = list(session.execute(select(OrgUnit.code).where(OrgUnit.level == "village").order_by(OrgUnit.code)).scalars())
    started = time.perf_counter()
    for first in range(0, count, 500):
        with transaction(engine) as session:
            for n in range(first, min(count, first + 500)):
                village = villages[n % len(villages)]
                number = f"{village}9{n:05d}"
                org.register_household(session, actor=BENCH, household_id=number, village_code=village, head_name=f"户主{n}", members=3, registered_on=dt.date(2014, 1, 1))
                case = exits.open_case(session, actor=BENCH, level="household", subject_id=number, occurred_at=OPENED)
                exits.propose(session, actor=BENCH, case_id=case.id, assessment=PASSING, occurred_at=OPENED + dt.timedelta(hours=1))
                exits.post_notice(session, actor=BENCH, case_id=case.id)
    print(f"setup: {count} households in notice in {time.perf_counter() - started:.0f} s")
    return villages[0]


def _time(call, repeat: int) -> tuple[float, object]:
    call()  # warm-up: templates compiled, caches filled
    times, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def run(url: str, count: int, repeat: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    village = _fill(engine, count)
    with Session(engine) as session:
        notice = next(n for n in notices.notices_running(session, scope_code=village))
    rows = []
    with TestClient(create_app(engine), follow_redirects=False) as client:
        gz = {"Accept-Encoding": "gzip"}
        ms, answer = _time(lambda: client.get("/public/notices", headers=gz), repeat)
        rows.append(("city page (index of villages)", ms, len(answer.content)))
        ms, answer = _time(lambda: client.get(f"/public/notices/{village}", headers=gz), repeat)
        shown = answer.text.count('class="card notice"')
        rows.append((f"one village's page ({shown} notices)", ms, len(answer.content)))
        notices.OBJECTIONS_PER_WINDOW = 10**9  # one test client lodges them all: measure the work, not the limit's refusals
        ms, answer = _time(lambda: client.post(f"/public/notices/case/{notice.case_id}/objection", data={"grounds": "该户收入测算有误"}), repeat)
        assert answer.status_code == 303, answer.text
        rows.append(("lodge an objection (form → receipt)", ms, 0))
        location = answer.headers["location"]
        ms, answer = _time(lambda: client.get(location, headers=gz), repeat)
        rows.append(("receipt page", ms, len(answer.content)))
        ms, answer = _time(lambda: client.get("/public/proof", params={"seq": notice.event_seq, "hash": notice.event_hash}, headers=gz), repeat)
        rows.append(("proof page", ms, len(answer.content)))
    engine.dispose()
    print(f"| {engine.dialect.name}, {count} notices | median server time | page bytes (before gzip) |")
    print("|---|---:|---:|")
    for name, ms, size in rows:
        print(f"| {name} | {ms:,.1f} ms | {size:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", help="a PostgreSQL server URL: the bench makes (and drops) a database of its own there")
    args = parser.parse_args()
    if args.pg:
        from sqlalchemy.engine import make_url

        name = f"bench_public_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(make_url(args.pg).set(database=name).render_as_string(hide_password=False), args.notices, args.repeat)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'public.db'}", args.notices, args.repeat)


if __name__ == "__main__":
    main()
