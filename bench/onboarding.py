"""Benchmark: a city onboarded from its own sheets, beside a plain insert of the same rows.

The Huaihua-scale world of `sample_data.generate.Plan` (SPEC §6) at `--scale`, written as
the office's sheets (CSV, Chinese headers and labels, as `exit-tracker templates` names
them): units (with their 建档立卡 dates), people, posts, households, pairings, links.
The top unit (the province) is made by `workflow.setup.set_up`, as `exit-tracker setup`
makes it; everything under it comes from the sheets. Per engine, in one run:

  product     each sheet in turn through `workflow.imports.onboarding.onboard` in one
              transaction, as `exit-tracker import records KIND FILE` runs it: the file's
              bytes parsed, every row checked as its command checks it and its events
              appended to the log (a chunk of rows at a time: `eventlog.append_many`)
  reference   the rows that import projected (read back from its tables), inserted with
              one executemany INSERT per table into an empty database migrated the same
              way: no parsing, no checks, no events

Sheets are cached under bench/out/ (or --out). SQLite: files beside them; PostgreSQL: two
databases created for the run on the server at --pg-url and dropped after.

    python -m bench.onboarding --scale 0.05 --pg-url postgresql://postgres@127.0.0.1:5432/postgres
    python -m bench.onboarding --xlsx          # the units and people sheets as XLSX as well
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, insert, inspect, make_url, select, text
from sqlalchemy.engine import Engine

from bench.dataset import OUT
from bench.run import machine
from sample_data.generate import Plan
from workflow import rulebook
from workflow.db import make_engine, transaction
from workflow.eventlog import Actor
from workflow.eventlog.models import Event
from workflow.imports import onboarding
from workflow.labels import LEVELS
from workflow.migrate import upgrade
from workflow.setup import set_up

ORDER = ["units", "people", "posts", "households", "pairings", "links"]
OFFICE = Actor(account="怀化市扶贫办")
# Tables every write touches whatever its kind: the log and its bookkeeping.
NOT_THE_RECORDS = {"event", "alembic_version"}
TOP_ROW: dict = {}  # the top unit's row, made by the set-up before the sheets
PG_PREFIX = "onb_bench_"  # the databases a run creates on the server, and drops after


def _day(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def sheets(plan: Plan) -> dict[str, list[list[str]]]:
    """The plan's setup as the office's sheets: kind → rows, the Chinese header first."""
    books = rulebook.books()
    out = {kind: [[column.zh for column in onboarding.KINDS[kind].columns]] for kind in ORDER}
    registered: dict[str, str] = {}
    for spec in plan.setup:
        if spec.type == "registry.registered":
            registered[spec.payload["subject_id"]] = _day(spec.payload["registered_on"])
    top = None
    for spec in plan.setup:
        p = spec.payload
        if spec.type == "org_unit.added":
            if p["parent_code"] is None:
                top = p
                continue
            rural = "" if p["rural_population"] is None else str(p["rural_population"])
            out["units"].append([p["code"], p["name"], LEVELS[p["level"]].zh, p["parent_code"], rural, registered.get(p["code"], ""), ""])
        elif spec.type == "person.added":
            out["people"].append([p["id"], p["name"], ""])
        elif spec.type == "post.assigned":
            out["posts"].append([p["person_id"], books.role(p["role"]).zh, p["unit_code"], _day(p["start_date"]), _day(p["end_date"])])
        elif spec.type == "household.registered":
            out["households"].append([p["id"], p["village_code"], p["head_name"], str(p["members"]), _day(p["registered_on"])])
        elif spec.type == "pairing.started":
            out["pairings"].append([p["cadre_id"], p["household_id"], _day(p["start_date"]), _day(p["end_date"])])
        elif spec.type == "unit_link.started":
            out["links"].append([p["unit_code"], p["village_code"], _day(p["start_date"]), _day(p["end_date"])])
    assert top is not None and top["code"] not in registered
    out["top"] = [[top["code"], top["name"], top["level"]]]
    return out


def sheet_files(scale: float, out: Path = OUT) -> dict[str, Path]:
    """kind → its CSV file (and "top" → the top unit's), written once per scale under `out` (bench/out/)."""
    folder = out / f"onboarding-s{scale:g}"
    paths = {kind: folder / f"{kind}.csv" for kind in ["top", *ORDER]}
    if not all(path.exists() for path in paths.values()):
        folder.mkdir(parents=True, exist_ok=True)
        for kind, rows in sheets(Plan(scale=scale)).items():
            partial = paths[kind].with_suffix(".partial")
            with partial.open("w", newline="", encoding="utf-8") as file:
                csv.writer(file).writerows(rows)
            partial.rename(paths[kind])
    return paths


def xlsx_file(csv_path: Path) -> Path:
    """The same sheet as an XLSX workbook beside the CSV (written once)."""
    path = csv_path.with_suffix(".xlsx")
    if not path.exists():
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        with csv_path.open(encoding="utf-8", newline="") as file:
            for row in csv.reader(file):
                sheet.append(row)
        book.save(path.with_suffix(".partial.xlsx"))
        path.with_suffix(".partial.xlsx").rename(path)
    return path


# ---- the product ------------------------------------------------------------------


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name not in NOT_THE_RECORDS]
        return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() for name in names}


def _new_rows(engine: Engine, names: list[str], seen: dict[str, set]) -> dict[str, list[dict]]:
    """The rows of these tables whose keys are not in `seen` (which takes them), per table."""
    from sqlmodel import SQLModel

    found = {}
    with engine.connect() as connection:
        for name in names:
            table = SQLModel.metadata.tables[name]
            key = [column.name for column in table.primary_key.columns]
            known = seen.setdefault(name, set())
            rows = []
            for row in connection.execute(select(table)):
                identity = tuple(row._mapping[k] for k in key)
                if identity not in known:
                    known.add(identity)
                    rows.append(dict(row._mapping))
            found[name] = rows
    return found


def _set_up_top(engine: Engine, top: Path) -> None:
    with top.open(encoding="utf-8", newline="") as file:
        code, name, level = next(csv.reader(file))
    with transaction(engine) as session:
        set_up(session, actor=OFFICE, level=level, code=code, name=name, admin_name="怀化市扶贫办")


def product(engine: Engine, files: dict[str, Path], say) -> tuple[list[dict], dict[str, dict[str, list[dict]]]]:
    """Each kind's file through `onboard` in its own transaction; its figures, and the rows it wrote per table (the log aside)."""
    _set_up_top(engine, files["top"])
    figures, written, seen = [], {}, {}
    counts = _counts(engine)
    _new_rows(engine, list(counts), seen)  # what the set-up wrote is not the sheets'
    for kind in ORDER:
        with engine.connect() as connection:
            events_before = connection.execute(select(func.count()).select_from(Event)).scalar()
        path = files[kind]
        started, cpu = time.perf_counter(), time.process_time()
        data = path.read_bytes()
        with transaction(engine) as session:
            done = onboarding.onboard(session, actor=OFFICE, kind=kind, data=data, file_name=path.name)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        before, counts = counts, _counts(engine)
        written[kind] = _new_rows(engine, [name for name in counts if counts[name] != before.get(name)], seen)
        with engine.connect() as connection:
            events = connection.execute(select(func.count()).select_from(Event)).scalar() - events_before
        assert done.added == done.rows, (kind, done)
        figures.append({"kind": kind, "rows": done.rows, "seconds": seconds, "cpu": cpu, "events": events, "file": path.name})
        say(f"  {kind}: {done.rows:,} rows, {events:,} events in {seconds:.1f} s, {cpu:.1f} s CPU ({done.rows / seconds:,.0f} rows/s)")
    return figures, written


def product_xlsx(engine: Engine, files: dict[str, Path], kinds: list[str]) -> list[dict]:
    """The given kinds' sheets as XLSX through `onboard`, into a fresh database (the kinds before them from CSV, untimed)."""
    _set_up_top(engine, files["top"])
    figures = []
    for kind in ORDER[: max(ORDER.index(k) for k in kinds) + 1]:
        path = xlsx_file(files[kind]) if kind in kinds else files[kind]
        started = time.perf_counter()
        with transaction(engine) as session:
            done = onboarding.onboard(session, actor=OFFICE, kind=kind, data=path.read_bytes(), file_name=path.name)
        if kind in kinds:
            figures.append({"kind": kind, "rows": done.rows, "seconds": time.perf_counter() - started, "file": path.name})
    return figures


# ---- the reference ------------------------------------------------------------------


def reference(target: Engine, written: dict[str, dict[str, list[dict]]], say) -> list[dict]:
    """Per kind: the rows its import wrote, inserted into the same tables of `target` by one executemany INSERT per table."""
    from sqlmodel import SQLModel

    order = [table.name for table in SQLModel.metadata.sorted_tables]  # parents before children
    with target.begin() as connection:  # the set-up's top unit, which the sheets' units hang from
        connection.execute(insert(SQLModel.metadata.tables["org_unit"]), [TOP_ROW])
    figures = []
    for kind in ORDER:
        batches = [(SQLModel.metadata.tables[name], written[kind][name]) for name in order if written[kind].get(name)]
        started = time.perf_counter()
        with target.begin() as connection:
            for table, rows in batches:
                connection.execute(insert(table), rows)
        seconds = time.perf_counter() - started
        figures.append({"kind": kind, "seconds": seconds, "tables": {table.name: len(rows) for table, rows in batches}})
        say(f"  {kind}: {sum(len(rows) for _, rows in batches):,} table rows in {seconds:.2f} s")
    return figures


# ---- the engines -------------------------------------------------------------------


@contextmanager
def sqlite_databases(folder: Path, count: int) -> Iterator[list[str]]:
    urls = []
    for n in range(count):
        path = folder / f"onboarding-{n}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        urls.append(f"sqlite:///{path}")
    yield urls


@contextmanager
def postgres_databases(server_url: str, count: int) -> Iterator[list[str]]:
    server = create_server(server_url)
    names = [f"{PG_PREFIX}{uuid.uuid4().hex[:8]}" for _ in range(count)]
    try:
        with server.connect() as connection:
            for name in names:
                connection.execute(text(f"CREATE DATABASE {name}"))
        yield [make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with server.connect() as connection:
            for name in names:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


def create_server(server_url: str) -> Engine:
    from sqlalchemy import create_engine

    return create_engine(make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def run_engine(label: str, urls: list[str], files: dict[str, Path], xlsx: bool, say) -> str:
    say(f"[{label}] product: onboarding from the sheets")
    source, target = _engine(urls[0]), _engine(urls[1])
    try:
        started = time.perf_counter()
        figures, written = product(source, files, say)
        total_product = time.perf_counter() - started
        with source.connect() as connection:
            TOP_ROW.update(connection.execute(text("SELECT * FROM org_unit WHERE parent_code IS NULL")).one()._mapping)
        say(f"[{label}] reference: the same rows by executemany INSERT")
        references = reference(target, written, say)
        del written
    finally:
        source.dispose()
        target.dispose()
    extra = []
    if xlsx:
        say(f"[{label}] product: units and people from XLSX")
        engine = _engine(urls[2])
        try:
            extra = product_xlsx(engine, files, ["units", "people"])
        finally:
            engine.dispose()
    return _table(label, figures, references, total_product, extra)


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds else "—"


def _table(label: str, figures: list[dict], references: list[dict], total: float, extra: list[dict]) -> str:
    lines = [
        f"| {label} | rows | events | product | its CPU (this process) | product rows/s | reference | reference rows/s | product ÷ reference (time) | tables the rows went to |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = events = 0
    reference_total = 0.0
    for figure, ref in zip(figures, references, strict=True):
        rows, events, reference_total = rows + figure["rows"], events + figure["events"], reference_total + ref["seconds"]
        tables = ", ".join(f"{name} {n:,}" for name, n in ref["tables"].items())
        lines.append(
            f"| {figure['kind']} ({figure['file']}) | {figure['rows']:,} | {figure['events']:,} | {figure['seconds']:,.2f} s | {figure['cpu']:,.1f} s | {_rate(figure['rows'], figure['seconds'])} "
            f"| {ref['seconds']:,.2f} s | {_rate(figure['rows'], ref['seconds'])} | {figure['seconds'] / ref['seconds']:,.0f} | {tables} |"
        )
    onboarded, cpu = sum(figure["seconds"] for figure in figures), sum(figure["cpu"] for figure in figures)
    lines.append(f"| **all six sheets** | {rows:,} | {events:,} | {onboarded:,.1f} s | {cpu:,.1f} s | {_rate(rows, onboarded)} | {reference_total:,.2f} s | {_rate(rows, reference_total)} | {onboarded / reference_total:,.0f} | |")
    for figure in extra:
        csv_figure = next(f for f in figures if f["kind"] == figure["kind"])
        lines.append(f"| {figure['kind']} ({figure['file']}) | {figure['rows']:,} | | {figure['seconds']:,.2f} s | | {_rate(figure['rows'], figure['seconds'])} | {csv_figure['seconds']:,.2f} s (the CSV) | | {figure['seconds'] / csv_figure['seconds']:,.2f} (÷ CSV) | |")
    return "\n".join(lines) + f"\n\nSet-up of the top unit and the whole onboarding, wall clock: {total:,.1f} s."


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of Huaihua's size, in (0, 1] (default 1)")
    parser.add_argument("--pg-url", help="a PostgreSQL server's URL: databases are created there for the run and dropped after")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--out", type=Path, default=OUT, help="where the sheets and the SQLite files go (default bench/out/)")
    parser.add_argument("--xlsx", action="store_true", help="also time the units and people sheets as XLSX (a third database)")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started, load = time.perf_counter(), os.getloadavg()[0]
    files = sheet_files(args.scale, args.out)
    say(f"sheets: scale {args.scale:g} in {files['units'].parent} ({time.perf_counter() - started:.0f} s)")
    count = 3 if args.xlsx else 2
    tables, pg_version = [], None
    if not args.no_sqlite:
        with sqlite_databases(files["units"].parent, count) as urls:
            tables.append(run_engine("SQLite", urls, files, args.xlsx, say))
        say(tables[-1] + "\n")
    if args.pg_url:
        with create_server(args.pg_url).connect() as connection:
            pg_version = connection.execute(text("SHOW server_version")).scalar().split()[0]
        with postgres_databases(args.pg_url, count) as urls:
            tables.append(run_engine("PostgreSQL", urls, files, args.xlsx, say))
        say(tables[-1] + "\n")
    print(f"\nOnboarding from sheets: scale {args.scale:g} of Huaihua; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine(pg_version)}")
    print(f"Load average (1 min) {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: on a shared machine the wall-clock figures stretch with it, the CPU seconds less.")
    print("Each sheet imported once, in its own transaction; the reference: the same rows into the same tables of an empty database, one executemany INSERT per table.\n")
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
