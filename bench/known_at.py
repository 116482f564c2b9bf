"""Benchmark: the reads as known at a moment (issue 14's goals) at full Huaihua scale, wall clock,
each beside the same read as known now in the same run, without the rest of `bench.visit_reports`.

On the generated year with its visits (`python -m sample_data.generate --year 2025`), as of 15
December of the year: a township's every-rule 100-row page, one household read as of the day,
the city's missing signatures and the city's incidence — as known now, as known at the log's
last moment (the same answers, through the versions), and as known at the end of the day
(what a supervisor saw that evening: the log's last weeks of visits left out). Median of
--repeat runs after two warm-up runs (`bench.visit_reports.known_at_figures`).

    python -m bench.known_at --sqlite /tmp/bench/huaihua.db --pg postgresql://postgres@127.0.0.1:5432/huaihua_bench --year 2025
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from bench import engines
from bench.engines import generated
from bench.visit_reports import known_at_figures
from workflow import rulebook
from workflow.db import make_engine


def run_engine(name: str, url: str, *, year: int, repeat: int, generate_scale: float) -> list[tuple[str, float, str]]:
    engine = make_engine(url)
    generated(engine, name, scale=generate_scale, year=year)
    with engine.connect() as connection:
        township = connection.execute(text("SELECT MIN(code) FROM org_unit WHERE level = 'township'")).scalar()
    print(f"\n{name}: as of {year}-12-15, township {township}")
    figures = known_at_figures(engine, township, dt.date(year, 12, 15), repeat)
    for label, seconds, note in figures:
        print(f"  {label:72} {seconds * 1000:9.1f} ms  {note}", flush=True)
    engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    engines.main(__doc__.split("\n\n")[0], run_engine, year=rulebook.today().year - 1, year_help="the data's year (default: last year)", argv=argv)


if __name__ == "__main__":
    main()
