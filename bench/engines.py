"""What the benches over a generated Huaihua data set share: its arguments, and a data set
generated into an empty database before it is measured, on each engine asked for."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine


def generated(engine: Engine, name: str, *, scale: float, year: int, **options) -> None:
    """Migrate `engine`'s database and, when it holds no event, generate the data set into it
    (`sample_data.generate.generate` with `options`), saying how long it took."""
    from workflow.migrate import upgrade

    upgrade(engine)
    with engine.connect() as connection:
        if connection.execute(text("SELECT COUNT(*) FROM event")).scalar() != 0:
            return
    from sample_data.generate import generate

    started = time.perf_counter()
    counts = generate(engine, scale=scale, year=year, progress=lambda m: print(f"  [{name}] {m}", file=sys.stderr, flush=True), **options)
    print(f"  [{name}] generated {counts} in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def main(description: str, run_engine: Callable[..., object], *, year: int, year_help: str, argv: list[str] | None = None) -> None:
    """Parse --sqlite/--pg/--year/--repeat/--scale and run `run_engine(name, url, year=, repeat=, generate_scale=)` on each engine given."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sqlite", help="SQLite database file (generated when empty)")
    parser.add_argument("--pg", help="PostgreSQL URL of a database (generated when empty)")
    parser.add_argument("--year", type=int, default=year, help=year_help)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="scale of a generated data set (default 1: Huaihua)")
    args = parser.parse_args(argv)
    if not (args.sqlite or args.pg):
        parser.error("give --sqlite FILE and/or --pg URL")
    for name, url in (("SQLite", args.sqlite and f"sqlite:///{args.sqlite}"), ("PostgreSQL", args.pg)):
        if url:
            run_engine(name, url, year=args.year, repeat=args.repeat, generate_scale=args.scale)
