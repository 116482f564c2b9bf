"""Benchmark: the city's overdue report over every rule (a 100-row page with its totals) and the
city's scorecard over every rule (issue 20, goal 4), at full Huaihua scale, wall clock.

On the generated year with its visits (`python -m sample_data.generate --year 2025`, generated
here when the database is empty), as of 15 December of the year, each engine in turn:

  product     the report and the scorecard as the API serves them (`obligations.reports`),
              and each rule's part of them alone (V6, 521,000 instances, is most of it)
  reference   the same calls in the same run with Python's cyclic collector left running
              (what `workflow/gcpause.py` pauses): its passes over the instances held

Median of --repeat runs after one warm-up run (the reference: as many, alternated with the
product's). The goal (issue 20): both under 500 ms on both engines.

    python -m bench.city_reports --sqlite /tmp/bench/huaihua.db --pg postgresql+psycopg://postgres@127.0.0.1:5432/huaihua_bench --year 2025
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
import time
from unittest import mock

from bench import engines
from bench.engines import generated
from workflow import gcpause, rulebook
from workflow.db import make_engine, read_only, transaction
from workflow.obligations import reports

CITY = "431200000000"
RULES = ("V1", "V2", "V3", "V4", "V5", "V6", "V7")


def _timed_pair(function, repeat: int) -> tuple[float, float, object]:
    """Median seconds of `function` as the product runs it and with the collector left running,
    alternated run by run so that a busy machine slows both alike; and the product's answer."""
    function()
    product, reference, answer = [], [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = function()
        product.append(time.perf_counter() - started)
        with mock.patch.object(gcpause, "paused", contextlib.nullcontext):
            started = time.perf_counter()
            function()
            reference.append(time.perf_counter() - started)
    return statistics.median(product), statistics.median(reference), answer


def run_engine(name: str, url: str, *, year: int, repeat: int, generate_scale: float) -> None:
    engine = make_engine(url)
    generated(engine, name, scale=generate_scale, year=year)
    as_of = dt.date(year, 12, 15)

    def report(rules=None):
        with transaction(read_only(engine)) as session:
            return reports.overdue_report(session, unit_code=CITY, as_of=as_of, first=100, rules=rules)

    def scorecard(rules=None):
        with transaction(read_only(engine)) as session:
            return reports.scorecard(session, unit_code=CITY, as_of=as_of, rules=rules)

    print(f"\n{name}: the city {CITY}, as of {as_of}; product beside the collector left running (reference)")
    seconds, reference, answer = _timed_pair(report, repeat)
    print(f"  {'report over every rule, 100-row page':52} {seconds * 1000:8.0f} ms   reference {reference * 1000:8.0f} ms   {answer.total.instances:,} instances", flush=True)
    seconds, reference, answer = _timed_pair(scorecard, repeat)
    print(f"  {'scorecard over every rule':52} {seconds * 1000:8.0f} ms   reference {reference * 1000:8.0f} ms   {len(answer.scores):,} officials", flush=True)
    for rule in RULES:
        report_seconds, _, _ = _timed_pair(lambda: report([rule]), max(1, repeat // 2))
        score_seconds, _, _ = _timed_pair(lambda: scorecard([rule]), max(1, repeat // 2))
        print(f"    {rule}: report {report_seconds * 1000:6.0f} ms, scorecard {score_seconds * 1000:6.0f} ms", flush=True)
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    engines.main(__doc__.split("\n\n")[0], run_engine, year=rulebook.today().year - 1, year_help="the data's year (default: last year)", argv=argv)


if __name__ == "__main__":
    main()
