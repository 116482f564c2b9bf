"""Huaihua-scale benchmarks on SQLite and PostgreSQL, each figure beside a reference from the same run.

Per engine: the setup of the generated data set is written in bulk; then, each in its own
process (so that each peak resident memory is its own):

  import    a year of visits through the product's import path, beside a plain insert
  http      uvicorn on loopback (2 workers on PostgreSQL, 1 on SQLite), 32 clients POSTing
            single visits, beside GET /health
  reports   city-wide and township overdue reports, missing signatures, scorecard, beside SQL
  history   one household's history and its record rebuilt as of now
  replay    the whole log replayed into scratch SQLite, beside reading it
  verify    chain verification, beside SHA-256 over the same bytes in a bare loop, and beside
            reading those bytes and hashing them
  audit     the full audit (chain and every projection against a replay)
  chain     the hash chain's ceiling: events/s appended by 1…32 concurrent writers, beside one

The import always runs (the others measure the database it fills). Data sets are cached
under bench/out/. PostgreSQL runs in a database created for the run and dropped after.

    python -m bench.run --scale 0.1 --pg-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench import dataset

NAMES = ["import", "http", "reports", "history", "replay", "verify", "audit", "chain"]
ROOT = Path(__file__).resolve().parent.parent


def child(name: str, arguments: dict) -> dict:
    command = [sys.executable, "-m", "bench.run", "--child", name, "--arguments", json.dumps(arguments, default=str)]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        return {"figures": [(name, None, None, None, "", f"FAILED (exit {done.returncode})")], "peak_mb": None}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratio(product, reference) -> str:
    if product is None or reference is None:
        return ""
    return f"{product / reference:.2f}" if reference else ""


def _value(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 10 else f"{value:,.1f} s"
    return f"{value:,.0f} {unit}"


def table(engine: str, rows: list[dict]) -> str:
    lines = [f"| {engine} | product | reference | product ÷ reference | peak RSS | notes |", "|---|---:|---|---:|---:|---|"]
    for row in rows:
        for label, value, ref_label, ref_value, unit, note in row["figures"]:
            reference = f"{_value(ref_value, unit)} ({ref_label})" if ref_label else "—"
            peak = f"{row['peak_mb']:,.0f} MB" if row.get("peak_mb") else "—"
            if row.get("server_peak_mb"):
                peak += f" (server {row['server_peak_mb']:,.0f} MB)"
            lines.append(f"| {label} | {_value(value, unit)} | {reference} | {_ratio(value, ref_value)} | {peak} | {note} |")
    return "\n".join(lines)


def _run_engine(engine: str, url: str, args, visits_csv: Path) -> list[dict]:
    rows = []
    common = {"url": url, "visits_csv": str(visits_csv), "year": args.year}
    for name in NAMES:
        if name != "import" and args.only and name not in args.only:
            continue
        workers = args.http_workers or (2 if engine == "PostgreSQL" else 1)
        arguments = {**common, "count": args.http_count, "workers": workers} if name == "http" else common
        print(f"[{engine}] {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        rows.append(child(name, arguments))
        print(f"[{engine}] {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return rows


@contextlib.contextmanager
def postgres_database(pg_url: str, prefix: str = "exit_tracker_bench") -> Iterator[tuple[str, str]]:
    """A database `<prefix>_<random>` created on the server at `pg_url` for a run, dropped after
    (whatever happens): its URL and the server's version."""
    from sqlalchemy import create_engine, make_url, text

    server = create_engine(make_url(pg_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        pg_version = connection.execute(text("SHOW server_version")).scalar().split()[0]
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(pg_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False), pg_version
    finally:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


def machine(pg_version: str | None) -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    parts = [f"{os.cpu_count()} CPUs (nproc)", f"{memory:.0f} GiB RAM", f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    if pg_version:
        parts.append(f"PostgreSQL {pg_version}")
    return ", ".join(parts) + f", {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of Huaihua's size, in (0, 1] (default 1)")
    parser.add_argument("--year", type=int, default=2018, help="the year of the visits")
    parser.add_argument("--pg-url", help="a PostgreSQL server's URL: a database is created there for the run and dropped after")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="only these measurements (the import always runs)")
    parser.add_argument("--http-count", type=int, default=2000, help="distinct visits POSTed in the HTTP load (default 2000)")
    parser.add_argument("--http-workers", type=int, help="uvicorn worker processes in the HTTP load (default: 2 on PostgreSQL, 1 on SQLite)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--arguments", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        from bench.measures import run_child

        arguments = json.loads(args.arguments)
        arguments["visits_csv"] = Path(arguments["visits_csv"])
        run_child(args.child, arguments)
        return

    started = time.perf_counter()
    visits_csv = dataset.visits_file(args.scale, args.year)
    print(f"data set: scale {args.scale:g}, year {args.year}: {visits_csv} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    tables, pg_version = [], None
    if not args.no_sqlite:
        target = dataset.folder(args.scale, args.year) / "run-sqlite.db"
        url = dataset.setup_sqlite(target, args.scale, args.year)
        tables.append(table("SQLite", _run_engine("SQLite", url, args, visits_csv)))
        print(tables[-1] + "\n", file=sys.stderr, flush=True)
    if args.pg_url:
        with postgres_database(args.pg_url) as (url, pg_version):
            dataset.setup_postgres(url, args.scale, args.year)
            tables.append(table("PostgreSQL", _run_engine("PostgreSQL", url, args, visits_csv)))
            print(tables[-1] + "\n", file=sys.stderr, flush=True)
    print(f"\nScale {args.scale:g} of Huaihua, year {args.year}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine(pg_version)}")
    print("Rates: higher is better; times: the best of 3 after a warm-up (the import, replay, verification and audit: one run).\n")
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
