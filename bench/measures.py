"""One measurement each, run in its own process (so that its peak resident memory is its own).

Each returns figures: (label, product value, reference label, reference value, unit, note).
For a rate (unit ending in "/s") higher is better; for a time, lower is better.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import time
from pathlib import Path

from sqlalchemy import text

from bench import visit_reports
from bench.dataset import CITY
from workflow.db import make_engine, read_only, store_rows, transaction
from workflow.eventlog import Actor

ACTOR = Actor(account="bench")


def _best(function, repeat: int = 3):
    function()  # warm-up
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


# ---- 1. bulk import ----------------------------------------------------------------


def bulk_import(url: str, visits_csv: Path, **_) -> list[tuple]:
    """The year's visits through `exit-tracker import visits`' path, beside a plain insert of the
    same rows, and beside storing the very event and visit rows the import wrote (the floor)."""
    from workflow.imports import visits as visit_import

    engine = make_engine(url)
    with engine.connect() as connection:
        last_seq = connection.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM event").scalar_one()
    wal_before = _wal_position(engine)
    started = time.perf_counter()
    with transaction(engine) as session:
        # As `exit-tracker import visits` reads a file: the whole file, decoded, then its lines.
        text_ = visit_import.decode(visits_csv.read_bytes())
        outcome = visit_import.import_visits(session, actor=ACTOR, lines=visit_import.parse(text_, "csv"))
        if outcome.failures:
            raise SystemExit(f"import refused: {outcome.failures[:3]}")
    product = time.perf_counter() - started
    wal_bytes = None if wal_before is None else _wal_position(engine) - wal_before
    del text_
    # The import's own peak, before the references load their rows.
    peak = peak_mb()
    rows = list(csv.reader(visits_csv.open(encoding="utf-8")))[1:]
    plain = _plain_insert(engine, rows)
    floor = _floor_insert(engine, last_seq)
    engine.dispose()
    n = len(rows)
    label = "bulk import (event log, chain, projections)"
    return {"peak_mb": peak, "wal_bytes": wal_bytes}, [
        (label, n / product, "plain insert into a bare table", n / plain, "visits/s", f"{n:,} visits; product {product:.1f} s, plain {plain:.2f} s"),
        (
            label,
            n / product,
            "storing the import's own event and visit rows, no checks, no hashing",
            n / floor,
            "visits/s",
            f"the same event and visit rows, read back, into empty copies of both tables (same columns, keys and indexes); {floor:.2f} s",
        ),
    ]


def _wal_position(engine) -> int | None:
    """PostgreSQL's write-ahead log position in bytes (the whole server's: other databases' writes count too); None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").scalar_one())


def _plain_insert(engine, rows: list[list[str]]) -> float:
    create = "CREATE TABLE bench_plain_visit (id VARCHAR(64) PRIMARY KEY, visitor_id VARCHAR(64), target_level VARCHAR(16), target_id VARCHAR(64), occurred_at VARCHAR(40))"
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bench_plain_visit")
        connection.exec_driver_sql(create)
    seconds = _bare_store(engine, [("bench_plain_visit", ["id", "visitor_id", "target_level", "target_id", "occurred_at"], rows)])
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE bench_plain_visit")
    return seconds


def _bare_store(engine, batches: list[tuple[str, list[str], list]]) -> float:
    """Seconds to store each (table, columns, rows) in one transaction by the driver alone:
    COPY on PostgreSQL, executemany on SQLite — the references' method."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        if engine.dialect.name != "postgresql":
            cursor.execute("BEGIN IMMEDIATE")
        for table, columns, rows in batches:
            store_rows(cursor, engine.dialect.name, table, columns, rows)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def _floor_insert(engine, last_seq: int) -> float:
    """Seconds to store the event and visit rows the import wrote (events after `last_seq`) again,
    as stored, into empty tables defined as `event` and `visit` are, by the plain insert's method.

    What is left is what the records themselves cost the database: their width, keys, unique
    hash, indexes and the visitor's foreign key, without any check, hashing or projection.
    """
    from sqlalchemy import MetaData

    from workflow.eventlog.models import Event
    from workflow.org.models import Person
    from workflow.visits.models import Visit

    metadata = MetaData()
    Person.__table__.to_metadata(metadata)  # what the visit copy's foreign key refers to: the real person table
    tables = [source.to_metadata(metadata, name=f"bench_floor_{source.name}") for source in (Event.__table__, Visit.__table__)]
    for table in tables:
        for number, index in enumerate(sorted(table.indexes, key=lambda index: index.name)):  # index names are per schema, not per table (and at most 63 characters on PostgreSQL)
            index.name = f"ix_{table.name}_{number}"
    event_columns = ", ".join(column.name for column in Event.__table__.columns)
    visit_columns = ", ".join(f"visit.{column.name}" for column in Visit.__table__.columns)
    with engine.connect() as connection:
        # As the driver returns them (SQLite: the stored text), so they are stored unchanged.
        stored = [
            connection.exec_driver_sql(f"SELECT {event_columns} FROM event WHERE seq > {int(last_seq)} ORDER BY seq").all(),
            connection.exec_driver_sql(
                f"SELECT {visit_columns} FROM visit JOIN event ON event.entity_id = visit.id"
                f" WHERE event.seq > {int(last_seq)} AND event.type = 'visit.recorded' ORDER BY event.seq"
            ).all(),
        ]
    with engine.begin() as connection:
        metadata.drop_all(connection, tables=tables)
        metadata.create_all(connection, tables=tables)
    seconds = _bare_store(engine, [(table.name, [column.name for column in table.columns], rows) for table, rows in zip(tables, stored, strict=True)])
    with engine.begin() as connection:
        metadata.drop_all(connection, tables=tables)
    return seconds


# ---- 3. reports ----------------------------------------------------------------------


def reports(url: str, year: int, **_) -> list[tuple]:
    """City-wide and one township's overdue reports, missing signatures and a scorecard, beside hand-written SQL."""
    from workflow.exits.reports import WAITING_STATUSES, missing_signatures
    from workflow.obligations import reports as obligation_reports

    engine = make_engine(url)
    as_of = dt.date(year, 12, 15)
    with engine.connect() as connection:
        city_path = connection.execute(text("SELECT path FROM org_unit WHERE code = :c"), {"c": CITY}).scalar()
        township, township_path = connection.execute(text("SELECT code, path FROM org_unit WHERE level = 'township' ORDER BY code LIMIT 1")).one()
    figures = []
    for label, unit, path in (("city-wide", CITY, city_path), (f"township {township}", township, township_path)):
        constants = visit_reports._constants(as_of, path) | {"lower": path}  # the unit itself and everything below it
        seconds, report = _best(lambda: visit_reports.product(engine, unit, as_of, rules=["V7"], statuses=["overdue"]))
        reference, answer = _best(lambda: visit_reports.projection_sql(engine, constants))
        agrees = visit_reports._product_answer(report)[0] == answer[0]
        figures.append((f"{label} V7 overdue report", seconds, "hand-written SQL over `obligation`", reference, "s", f"{len(report.rows):,} overdue rows; answers agree: {agrees}"))

    at = dt.datetime(year, 12, 15, 12, tzinfo=dt.timezone.utc)

    def product_missing():
        with transaction(read_only(engine)) as session:
            return missing_signatures(session, scope_code=CITY, at=at)

    statuses = ", ".join(f"'{s}'" for s in WAITING_STATUSES)
    sql = f"""SELECT c.id, c.status, COUNT(s.case_id) FROM exit_case c JOIN org_unit u ON u.code = c.unit_code
              LEFT JOIN exit_signature s ON s.case_id = c.id AND s.attempt = c.attempt AND s.decision = 'signed'
              WHERE c.status IN ({statuses}) AND (u.path = :p OR u.path LIKE :below) GROUP BY c.id, c.status"""

    def sql_missing():
        with read_only(engine).connect() as connection:
            return connection.execute(text(sql), {"p": city_path, "below": city_path + "/%"}).all()

    seconds, waiting = _best(product_missing)
    reference, rows = _best(sql_missing)
    figures.append(("city-wide missing signatures", seconds, "hand-written SQL: waiting cases and their signatures", reference, "s", f"{len(waiting):,} cases waiting (SQL: {len(rows):,})"))

    def product_scorecard():
        with transaction(read_only(engine)) as session:
            return obligation_reports.scorecard(session, unit_code=CITY, as_of=as_of, rules=["V7"])

    constants = visit_reports._constants(as_of, city_path)
    score_sql = visit_reports._sql("SELECT person_id, COUNT(*), SUM(MISSED) FROM obligation WHERE IN_SCOPE GROUP BY person_id", constants, engine.dialect.name)

    def sql_scorecard():
        with read_only(engine).connect() as connection:
            return connection.execute(text(score_sql)).all()

    seconds, card = _best(product_scorecard)
    reference, rows = _best(sql_scorecard)
    figures.append(("city-wide V7 scorecard", seconds, "hand-written SQL: owed/missed per person over `obligation`", reference, "s", f"{len(card.scores):,} officials (SQL: {len(rows):,})"))
    engine.dispose()
    return figures


# ---- 4. replay and verification ----------------------------------------------------------


def history(url: str, **_) -> list[tuple]:
    """One household's history: every event about it, oldest first."""
    from workflow.audit import history as audit_history

    engine = make_engine(url)
    with engine.connect() as connection:
        household = connection.execute(text("SELECT entity_id FROM event WHERE entity_type = 'household' ORDER BY seq LIMIT 1")).scalar()

    def product():
        with transaction(read_only(engine)) as session:
            return audit_history.history(session, "household", household)

    def sql():
        with read_only(engine).connect() as connection:
            return connection.execute(text("SELECT * FROM event WHERE entity_type = 'household' AND entity_id = :e ORDER BY seq"), {"e": household}).all()

    seconds, events = _best(product)
    reference, rows = _best(sql)
    figures = [(f"history of household {household}", seconds, "SELECT of its events", reference, "s", f"{len(events)} events")]

    engine.dispose()
    return figures


def replay(url: str, **_) -> list[tuple]:
    """The whole log replayed into a scratch database, beside just reading it."""
    from sqlmodel import Session

    from workflow.audit.scratch import replay_log, scratch_engine
    from workflow.eventlog.replay import log_rows

    engine = make_engine(url)
    with transaction(read_only(engine)) as session:
        started = time.perf_counter()
        count = sum(len(batch) for batch in log_rows(session))
        read = time.perf_counter() - started
    with transaction(read_only(engine)) as session, scratch_engine() as scratch, Session(scratch) as target:
        started = time.perf_counter()
        replayed = replay_log(session, target)
        target.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    assert replayed == count
    return [("whole-database replay into scratch SQLite", count / seconds, "reading the log (log_rows)", count / read, "events/s", f"{count:,} events; replay {seconds:.1f} s, read {read:.1f} s")]


def verify(url: str, **_) -> list[tuple]:
    """verify_chain in events/s, beside SHA-256 over the same canonical bytes in a bare loop, and beside reading and hashing them."""
    from workflow.eventlog.replay import log_rows
    from workflow.eventlog.verify import verify_chain

    engine = make_engine(url)
    with transaction(read_only(engine)) as session:
        started = time.perf_counter()
        report = verify_chain(session)
        seconds = time.perf_counter() - started
        assert report.intact, report.first_break
        bare = 0.0
        for batch in log_rows(session, canonical=True):  # a batch at a time, so the reference holds no more than the product
            blobs = [bytes(row.canonical) for row in batch]  # the bytes each hash is of (checked equal to the columns' canonical form by the product)
            started = time.perf_counter()
            for blob in blobs:
                hashlib.sha256(blob).hexdigest()
            bare += time.perf_counter() - started
        floor = _read_and_hash(session)
    engine.dispose()
    n = report.events
    return [
        ("chain verification (verify_chain)", n / seconds, "SHA-256 of the same bytes, bare loop", n / bare, "events/s", f"{n:,} events; {seconds:.2f} s vs {bare:.2f} s"),
        (
            "chain verification (verify_chain)",
            n / seconds,
            "reading each event's seq, links, bytes and time, and hashing the bytes",
            n / floor,
            "events/s",
            f"the floor of any check that reads the log: {floor:.2f} s (no comparison of the bytes with the columns)",
        ),
    ]


def _read_and_hash(session) -> float:
    """Seconds to read what verify_chain reads but the agreement of bytes and columns, and hash the bytes, through the driver."""
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    cursor = connection.connection.cursor(binary=True) if postgresql else connection.connection.cursor()
    mark = "%s" if postgresql else "?"
    started, last = time.perf_counter(), 0
    while True:
        cursor.execute(f"SELECT seq, prev_hash, hash, canonical, recorded_at FROM event WHERE seq > {mark} ORDER BY seq LIMIT 50000", (last,))
        rows = cursor.fetchall()
        if not rows:
            break
        for row in rows:
            hashlib.sha256(row[3]).hexdigest()
        last = rows[-1][0]
    cursor.close()
    return time.perf_counter() - started


def audit(url: str, **_) -> list[tuple]:
    """The full audit: chain, then every projection compared with a replay of the log."""
    from workflow.audit.verify import audit as full_audit

    engine = make_engine(url)
    with transaction(read_only(engine)) as session:
        started = time.perf_counter()
        report = full_audit(session)
        seconds = time.perf_counter() - started
    engine.dispose()
    return [("full audit (chain + projections vs replay)", seconds, None, None, "s", f"intact: {report.intact}; {report.chain.events:,} events")]


def chain(url: str, **_) -> list[tuple]:
    from bench.chain_ceiling import chain_ceiling

    return chain_ceiling(url)


MEASURES = {"import": bulk_import, "reports": reports, "history": history, "replay": replay, "verify": verify, "audit": audit, "chain": chain}


def run_child(name: str, arguments: dict) -> None:
    """Entry point of a measurement process: prints its figures and peak memory as one JSON line."""
    if name == "http":
        from bench.http_load import http_load

        figures, extra = http_load(**arguments)
    elif name == "import":  # its peak is taken before the references load their own copy of the rows
        extra, figures = bulk_import(**arguments)
    else:
        figures, extra = MEASURES[name](**arguments), {}
    print(json.dumps({"figures": figures, "peak_mb": peak_mb(), **extra}, default=str))


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (VmHWM: ru_maxrss would also count the parent's size at fork)."""
    import resource

    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
