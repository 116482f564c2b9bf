"""Benchmark: the other duties' seven reports (issue 18) over the whole city, beside reading their inputs.

For each engine, in one run, on the Huaihua-scale world without visits (the duty reports read
none: `python -m sample_data.generate --no-visits`, generated here when the database is
empty), on 31 December of the data's year:

  product     each report as the API and the CLI serve it (`api.reports.on_day_rows`) over the
              city: unpaired households, pairing coverage, deep-poverty advisories, work-team
              gaps, plan results, the bonus list and the accountability list; then the same
              as known at the log's last moment (`known_at`: nothing was recorded after it,
              so the records read as now and the pairing reports count the pairing cover's
              tally); and as known at an earlier moment (the end of the log's first nine
              tenths), where the tally is corrected by the households changed since, or the
              records are read when too many have
  reference   one plain SELECT of the rows the report starts from, in the same run: the
              registered poor households with their spells and pairings (the three pairing
              reports), the villages with their spells, teams and members (team gaps), the
              plans and planned exits with the exits' spells (the three plan reports)

Each figure is the median of --repeat runs after two warm-up runs. The goal (issue 18): every
report under 1 s on both engines at full scale.

    python -m bench.duties --sqlite /tmp/bench/duties.db --pg postgresql://postgres@127.0.0.1:5432/duties
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.reports import on_day_rows
from bench import engines
from bench.engines import generated
from bench.timing import median_seconds
from workflow.db import make_engine, read_only, transaction
from workflow.pairings.reports import deep_poverty_advisories, pairing_coverage, unpaired_households
from workflow.plans.reports import accountability_list, bonus_list, plan_results
from workflow.teams.reports import team_gaps

CITY = "431200000000"

_HOUSEHOLDS = """
SELECT h.id, h.village_code, s.registered_on, s.exited_on, p.cadre_id, p.start_date, p.end_date
FROM household h JOIN registry_spell s ON s.subject_id = h.id AND s.kind = 'poor_household'
LEFT JOIN pairing p ON p.household_id = h.id
"""
_VILLAGES = """
SELECT u.code, s.registered_on, s.exited_on, t.id, t.kind, t.start_date, t.end_date, m.post_id, po.start_date, po.end_date
FROM org_unit u LEFT JOIN registry_spell s ON s.subject_id = u.code AND s.kind = 'poor_village'
LEFT JOIN team t ON t.village_code = u.code LEFT JOIN team_member m ON m.team_id = t.id LEFT JOIN post po ON po.id = m.post_id
WHERE u.level = 'village'
"""
_PLANS = """
SELECT x.id, x.year, x.subject_id, s.registered_on, s.exited_on FROM planned_exit x
LEFT JOIN registry_spell s ON s.subject_id = x.subject_id AND s.kind = x.kind
UNION ALL SELECT r.id, r.year, r.unit_code, NULL, NULL FROM reduction_plan r
"""

# (label, the report's read, its reference query)
REPORTS = (
    ("unpaired households 未结对贫困户", unpaired_households, _HOUSEHOLDS),
    ("pairing coverage 结对覆盖率", pairing_coverage, _HOUSEHOLDS),
    ("deep-poverty advisories 深度贫困户结对提示", deep_poverty_advisories, _HOUSEHOLDS),
    ("work-team gaps 驻村工作队缺口", team_gaps, _VILLAGES),
    ("plan results 减贫计划完成情况", plan_results, _PLANS),
    ("bonus list 两委绩效奖励名单", bonus_list, _PLANS),
    ("accountability list 问责名单", accountability_list, _PLANS),
)


def _timed(function, repeat: int):
    return median_seconds(function, repeat, warm=2)


def _product(engine: Engine, read, day: dt.date, known_at: dt.datetime | None) -> list:
    with transaction(read_only(engine)) as session:
        return on_day_rows(read, session, unit=CITY, as_of=day, known_at=known_at)


def _aware(found) -> dt.datetime:
    moment = found if isinstance(found, dt.datetime) else dt.datetime.fromisoformat(str(found))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def _reference(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return len(connection.execute(text(sql)).all())


def run_engine(name: str, url: str, *, year: int, repeat: int, generate_scale: float) -> list[tuple[str, float, float, float, float | None, int]]:
    engine = make_engine(url)
    generated(engine, name, scale=generate_scale, year=year, visits=False)
    with engine.connect() as connection:
        sizes = {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() for table in ("household", "pairing", "team", "team_member", "reduction_plan", "planned_exit", "event")}
        last_recorded = connection.execute(text("SELECT MAX(recorded_at) FROM event")).scalar()
        # An earlier moment: the end of the log's first nine tenths (in a world with visits, a
        # moment among them: the records then are the records now, corrected by no household).
        earlier_recorded = connection.execute(text("SELECT recorded_at FROM event WHERE seq <= (SELECT MAX(seq) * 9 / 10 FROM event) ORDER BY seq DESC LIMIT 1")).scalar()
    known_at, earlier = (_aware(found) for found in (last_recorded, earlier_recorded))
    day = dt.date(year, 12, 31)
    print(f"\n{name}: {', '.join(f'{n:,} {t}' for t, n in sizes.items())}; as of {day}, known at {known_at.isoformat()} and {earlier.isoformat()}")
    print(f"  {'report':44} {'rows':>8} {'product':>10} {'known_at':>10} {'earlier':>10} {'reference':>10} {'÷ ref':>6}")
    figures = []
    references: dict[str, float] = {}
    for label, read, sql in REPORTS:
        seconds, rows = _timed(functools.partial(_product, engine, read, day, None), repeat)
        known_seconds, known_rows = _timed(functools.partial(_product, engine, read, day, known_at), repeat)
        if known_rows != rows:
            raise SystemExit(f"[{name}] {label}: as known at the log's end it differs from the report itself")
        earlier_seconds, _ = _timed(functools.partial(_product, engine, read, day, earlier), repeat)
        if sql not in references:
            references[sql], _ = _timed(functools.partial(_reference, engine, sql), repeat)
        reference = references[sql]
        figures.append((label, seconds, known_seconds, earlier_seconds, reference, len(rows)))
        print(f"  {label:44} {len(rows):>8,} {seconds * 1000:>8.1f}ms {known_seconds * 1000:>8.1f}ms {earlier_seconds * 1000:>8.1f}ms {reference * 1000:>8.1f}ms {seconds / reference:>6.2f}", flush=True)
    slowest = max(max(f[1], f[2], f[3]) for f in figures)
    print(f"  slowest: {slowest * 1000:,.1f} ms — goal: every report under 1 s: {'met' if slowest < 1 else 'NOT met'}")
    engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    engines.main(__doc__.split("\n\n")[0], run_engine, year=2018, year_help="the data's year (default 2018): plans of that year and the one before", argv=argv)


if __name__ == "__main__":
    main()
