"""Benchmark: one township's every-rule 100-row page as known now and as known at the end of the
report's day, and the city's, in CPU seconds of the process (median), for a shared machine.

On SQLite the database's work runs in the process, so its CPU time is the read's whole cost
and moves far less with other processes' load than the wall clock does. The data: a
generated set (`python -m sample_data.generate --url sqlite:////tmp/h14/s05.db --year 2025
--scale 0.05`), as of 15 December of its year:

    python -m bench.known_at_cpu --url sqlite:////tmp/h14/s05.db --year 2025 --repeat 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sqlalchemy import text

from bench.timing import median_seconds
from workflow import clock, rulebook
from workflow.db import make_engine, read_only, transaction
from workflow.obligations import reports

CITY = "431200000000"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--year", type=int, required=True, help="the data's year")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--city", action="store_true", help="the city's page as known at the day's end too")
    arguments = parser.parse_args(argv)
    engine = make_engine(arguments.url)
    with engine.connect() as connection:
        township = connection.execute(text("SELECT MIN(code) FROM org_unit WHERE level = 'township'")).scalar()
    as_of = dt.date(arguments.year, 12, 15)
    end = clock.end_of_day(as_of, rulebook.books().zone)

    def page(unit: str, **options):
        with transaction(read_only(engine)) as session:
            return reports.overdue_report(session, unit_code=unit, as_of=as_of, first=101, **options)

    asked = [(f"township {township}, every rule, 100-row page, as known now", lambda: page(township), 3)]
    asked.append((f"township {township}, every rule, 100-row page, known_at the day's end", lambda: page(township, known_at=end), 3))
    if arguments.city:
        asked.append(("city, every rule, 100-row page, known_at the day's end", lambda: page(CITY, known_at=end), 1))
    for label, function, warm in asked:
        seconds, report = median_seconds(function, arguments.repeat, warm=warm, clock=time.process_time)
        print(f"{label}: {seconds * 1000:.1f} ms CPU ({report.total.instances:,} instances, {report.total.overdue:,} overdue)")


if __name__ == "__main__":
    main()
