"""Benchmark: the city-wide V7 overdue report and one township's report, beside two references.

For each engine, in one run, on the Huaihua-scale data set (generated first if the database
is empty), as of 15 December of the data's year:

  product     workflow.obligations.reports.overdue_report for the city, rule V7, overdue rows,
              as GET /api/v1/reports/overdue-visits serves its largest page: the first 500
              rows (with names, missed months, last visit, days overdue) and one more (is
              there a next page?), and the totals per township and county (instances by
              status, missed months) over every row
  projection  the same answer from hand-written SQL over the product's own projections: the
              first rows in the report's order from `obligation`, with names; the totals
              from `obligation_tally` and `obligation_day_tally`
  raw         the answer aggregated from the raw `visit` table (one GROUP BY over the year's
              visits, joined to pairings and posts; statuses derived from its rows); it
              yields every overdue row, and holds the page's

Then the same for every overdue row at once (what a CSV or Excel file holds), beside
hand-written SQL over `obligation` alone; one township's report (every rule as a 100-row
page and whole, V7 whole); and the city's report over every rule as a 100-row page. The
answers are checked to agree before any figure is printed. Each figure is the median of
--repeat runs after 11 warm-up runs, as a long-running server would run them (the raw
aggregation, the city's every-rule page and "every row": one run after one warm-up run).

    python -m bench.visit_reports --sqlite /tmp/huaihua.db --pg postgresql://postgres@127.0.0.1:5432/huaihua
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench import engines
from bench.engines import generated
from bench.timing import median_seconds
from workflow import rulebook
from workflow.db import make_engine, read_only, transaction
from workflow.obligations import reports

CITY = "431200000000"


# Warm-up runs of a query timed several times: past psycopg's threshold for preparing a
# statement (5) and PostgreSQL's first five plans of a prepared one, so the figures are what a
# long-running server pays once PostgreSQL may have switched to a generic plan.
STEADY = 11


def _timed(function, repeat: int):
    return median_seconds(function, repeat, warm=STEADY if repeat > 1 else 1)


# ---- the product ------------------------------------------------------------------


def product(engine: Engine, unit: str, as_of: dt.date, **options):
    with transaction(read_only(engine)) as session:
        return reports.overdue_report(session, unit_code=unit, as_of=as_of, **options)


PAGE = 500  # the API's largest page


def _product_answer(report, ordered: bool = False) -> tuple[set | list, dict]:
    rows = [(row.post_id, row.target_id) for row in report.rows] if ordered else {(row.post_id, row.target_id) for row in report.rows}
    totals = {t.unit_code: (t.counts.instances, t.counts.overdue, t.counts.due, t.counts.met, t.counts.missed_periods) for t in report.townships}
    return rows, totals


# ---- hand-written SQL over the product's projection ---------------------------------


def _constants(as_of: dt.date, city_path: str) -> dict:
    year, month, day = as_of.year, as_of.month, as_of.day
    assert month > 1 and day < calendar.monthrange(year, month)[1], "the references assume a day inside February–December"
    low = year * 12
    return dict(
        year=year, next_year=year + 1, low=low, high=low + month - 1, latest_month=low + month - 2, current_month=low + month - 1,
        upto=f"{as_of:%Y-%m}-{calendar.monthrange(year, month)[1]:02d}", first=f"{year}-01-01",
        closed=(1 << (month - 1)) - 1, current=1 << (month - 1), latest=1 << (month - 2),
        # The unit and everything below it (its own posts included, as the product counts them).
        day_shift=5 * (month - 1), day=day, lower=city_path, upper=city_path + "0",
    )


# This year's month mask and first days, from the two years copied into each row.
MONTHS = "(CASE WHEN mask_year = {year} THEN month_mask WHEN mask_year = {next_year} THEN prev_month_mask ELSE 0 END)"
FIRST_DAYS = "(CASE WHEN mask_year = {year} THEN first_days WHEN mask_year = {next_year} THEN prev_first_days ELSE 0 END)"
OWES = "first_month <= {m} AND (last_month IS NULL OR last_month >= {m})"
IN_SCOPE = """kind = 'paired' AND role = 'township_cadre' AND unit_path >= '{lower}' AND unit_path < '{upper}'
  AND start_date <= '{upto}' AND (end_date IS NULL OR end_date >= '{first}')"""

PROJECTION_ROWS = """
SELECT o.post_id, o.person_id, person.name, o.target_id, household.head_name, o.township_code, o.county_code,
       CASE WHEN hi >= lo THEN ((CAST(1 AS BIGINT) << CAST(hi - lo + 1 AS INTEGER)) - 1) << CAST(lo - {low} AS INTEGER) ELSE 0 END AS owed,
       (MONTHS & {closed}) | CASE WHEN (FIRST_DAYS >> {day_shift}) & 31 BETWEEN 1 AND {day} THEN {current} ELSE 0 END AS met,
       o.month_mask, o.first_days, o.last_days, o.prev_month_mask, o.prev_first_days, o.prev_last_days
FROM (SELECT o.*, CASE WHEN first_month > {low} THEN first_month ELSE {low} END AS lo,
             CASE WHEN last_month IS NULL OR last_month > {high} THEN {high} ELSE last_month END AS hi
      FROM obligation o
      WHERE IN_SCOPE AND OWES_LATEST AND (MONTHS & {latest}) = 0) o
LEFT JOIN person ON person.id = o.person_id
LEFT JOIN household ON household.id = o.target_id
"""

PROJECTION_TOTALS = """
SELECT township_code,
       CASE WHEN OWES_LATEST AND (MONTHS & {latest}) = 0 THEN 'overdue'
            WHEN NOT (OWES_CURRENT) THEN 'not_owed'
            WHEN (FIRST_DAYS >> {day_shift}) & 31 BETWEEN 1 AND {day} THEN 'met' ELSE 'due' END AS status,
       COUNT(*), SUM(MISSED)
FROM obligation
WHERE IN_SCOPE
  AND (CASE WHEN first_month > {low} THEN first_month ELSE {low} END) <= (CASE WHEN last_month IS NULL OR last_month > {high} THEN {high} ELSE last_month END)
GROUP BY township_code, status
"""


# The first rows of the report's order (code point order; a missing code or name first), names joined after the cut.
PAGE_ROWS = """
SELECT page.*, household.head_name
FROM (SELECT o.post_id, o.person_id, person.name, o.target_id, o.township_code, o.county_code, o.unit_code,
             o.month_mask, o.first_days, o.last_days, o.prev_month_mask, o.prev_first_days, o.prev_last_days
      FROM obligation o LEFT JOIN person ON person.id = o.person_id
      WHERE IN_SCOPE AND OWES_LATEST AND (MONTHS & {latest}) = 0
      ORDER BY o.county_code{C} NULLS FIRST, o.township_code{C} NULLS FIRST, o.unit_code{C}, person.name{C} NULLS FIRST, o.person_id{C}, o.target_id{C}, o.post_id{C}
      LIMIT {page_size}) page
LEFT JOIN household ON household.id = page.target_id
"""

# Per unit from the tallies: owed(m) = rows started by m less rows ended before m; the sum of
# owed(m) over the closed months weighs each start and end by the closed months it covers.
TALLY_TOTALS = """
SELECT unit_code,
       SUM(starting) - SUM(CASE WHEN month < {low} THEN ending ELSE 0 END) AS instances,
       SUM(CASE WHEN month <= {latest_month} THEN starting ELSE 0 END) - SUM(CASE WHEN month < {latest_month} THEN ending ELSE 0 END)
         - SUM(CASE WHEN month = {latest_month} THEN visited ELSE 0 END) AS overdue,
       SUM(starting) - SUM(CASE WHEN month <= {latest_month} THEN ending ELSE 0 END)
         - (SUM(CASE WHEN month <= {latest_month} THEN starting ELSE 0 END) - SUM(CASE WHEN month <= {latest_month} THEN ending ELSE 0 END)
            - SUM(CASE WHEN month = {latest_month} THEN visited - visited_ending ELSE 0 END)) AS owed_now_not_overdue,
       SUM(starting * {MAX}(0, {latest_month} - {MAX}(month, {low}) + 1)) - SUM(ending * {MAX}(0, {latest_month} - {MAX}(month + 1, {low}) + 1))
         - SUM(CASE WHEN month >= {low} AND month <= {latest_month} THEN visited ELSE 0 END) AS missed
FROM obligation_tally
WHERE kind = 'paired' AND role = 'township_cadre' AND unit_path >= '{lower}' AND unit_path < '{upper}' AND month <= {current_month}
GROUP BY unit_code
"""
TALLY_MET = """
SELECT unit_code, SUM(met) FROM obligation_day_tally
WHERE kind = 'paired' AND month = {current_month} AND day BETWEEN 1 AND {day} AND role = 'township_cadre'
  AND unit_path >= '{lower}' AND unit_path < '{upper}'
GROUP BY unit_code
"""


def page_sql(engine: Engine, constants: dict, first: int):
    """The first rows of the overdue report and the totals per township, by hand, from the projections."""
    dialect = engine.dialect.name
    collate = ' COLLATE "C"' if dialect == "postgresql" else ""
    with read_only(engine).connect() as connection:
        rows = [(row.post_id, row.target_id) for row in connection.execute(text(_sql(PAGE_ROWS.replace("{C}", collate), constants | {"page_size": first}, dialect)))]
        met = dict(connection.execute(text(_sql(TALLY_MET, constants, dialect))).all())
        totals = {}
        for unit, instances, overdue, owed_now_not_overdue, missed in connection.execute(text(_sql(TALLY_TOTALS, constants, dialect))):
            if instances:
                met_now = met.get(unit, 0)
                totals[unit] = (instances, overdue, owed_now_not_overdue - met_now, met_now, missed)
    return rows, totals


# The closed months a row owed (whole months inside its span, from January to last month) and missed.
OWED_CLOSED = "((1 << {MAX}({MIN}(COALESCE(last_month, {latest_month}), {latest_month}) - {low} + 1, 0)) - (1 << ({MAX}(first_month, {low}) - {low})))"
MISSED = "{POPCOUNT}(CASE WHEN OWED_CLOSED > 0 THEN OWED_CLOSED & ~MONTHS ELSE 0 END)"


def _sql(template: str, constants: dict, dialect: str) -> str:
    postgres = dialect == "postgresql"
    template = template.replace("MISSED", MISSED).replace("OWED_CLOSED", OWED_CLOSED).replace("{POPCOUNT}(", "bit_count(CAST(" if postgres else "popcount(")
    if postgres:  # bit_count takes a bit string
        template = template.replace("& ~MONTHS ELSE 0 END)", "& ~MONTHS ELSE 0 END AS BIT(64)))")
    template = template.replace("{MAX}", "GREATEST" if postgres else "max").replace("{MIN}", "LEAST" if postgres else "min")
    for name, part in (("MONTHS", MONTHS), ("FIRST_DAYS", FIRST_DAYS), ("IN_SCOPE", IN_SCOPE)):
        template = template.replace(name, part)
    template = template.replace("OWES_LATEST", OWES.replace("{m}", "{latest_month}")).replace("OWES_CURRENT", OWES.replace("{m}", "{current_month}"))
    return template.format(**constants)


def projection_sql(engine: Engine, constants: dict):
    """Overdue rows (with their masks) and status counts per township, by hand, from `obligation`."""
    with read_only(engine).connect() as connection:
        rows = {(row.post_id, row.target_id) for row in connection.execute(text(_sql(PROJECTION_ROWS, constants, engine.dialect.name)))}
        totals = {}
        for township, status, count, missed in connection.execute(text(_sql(PROJECTION_TOTALS, constants, engine.dialect.name))):
            counts = totals.setdefault(township, {"overdue": 0, "due": 0, "met": 0, "not_owed": 0, "missed": 0})
            counts[status] += count
            counts["missed"] += missed
    return rows, {t: (c["overdue"] + c["due"] + c["met"] + c["not_owed"], c["overdue"], c["due"], c["met"], c["missed"]) for t, c in totals.items()}


# ---- hand-written aggregation over the raw visits ------------------------------------


RAW = """
WITH visited AS (
  SELECT visitor_id, target_id, {month_bits} AS met
  FROM visit
  WHERE target_level = 'household' AND voided_at IS NULL AND occurred_on >= '{first}' AND occurred_on <= '{as_of}'
  GROUP BY visitor_id, target_id
)
SELECT p.id, q.household_id, p.unit_code, {owed} AS owed, COALESCE(visited.met, 0) AS met
FROM pairing q
JOIN household h ON h.id = q.household_id
JOIN org_unit v ON v.code = h.village_code
JOIN post p ON p.person_id = q.cadre_id AND p.unit_code = v.parent_code AND p.role = 'township_cadre'
JOIN org_unit t ON t.code = p.unit_code
LEFT JOIN visited ON visited.visitor_id = p.person_id AND visited.target_id = q.household_id
WHERE t.path >= '{lower}' AND t.path < '{upper}'
"""


def raw_sql(engine: Engine, constants: dict, as_of: dt.date):
    year = as_of.year
    owed_terms = []
    for month in range(1, as_of.month + 1):
        first, last = f"{year}-{month:02d}-01", f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"
        owed_terms.append(
            f"CASE WHEN p.start_date <= '{first}' AND (p.end_date IS NULL OR p.end_date >= '{last}') "
            f"AND q.start_date <= '{first}' AND (q.end_date IS NULL OR q.end_date >= '{last}') THEN {1 << (month - 1)} ELSE 0 END"
        )
    if engine.dialect.name == "postgresql":
        month_bits = "bit_or(CAST(1 AS BIGINT) << CAST(EXTRACT(MONTH FROM occurred_on) AS INTEGER) - 1)"
    else:
        month_bits = "SUM(DISTINCT 1 << (CAST(strftime('%m', occurred_on) AS INTEGER) - 1))"
    sql = RAW.format(month_bits=month_bits, owed=" + ".join(owed_terms), as_of=as_of.isoformat(), **constants)
    latest, current, closed = constants["latest"], constants["current"], constants["closed"]
    rows, totals = set(), {}
    with read_only(engine).connect() as connection:
        for post, household, township, owed, met in connection.execute(text(sql)):
            if not owed:
                continue
            overdue = bool(owed & latest) and not met & latest
            due = not overdue and bool(owed & current) and not met & current
            met_now = not overdue and bool(owed & current) and bool(met & current)
            counts = totals.setdefault(township, [0, 0, 0, 0, 0])
            counts[0] += 1
            counts[1] += overdue
            counts[2] += due
            counts[3] += met_now
            counts[4] += (owed & closed & ~met).bit_count()
            if overdue:
                rows.add((post, household))
    return rows, {township: tuple(counts) for township, counts in totals.items()}


# ---- one engine -------------------------------------------------------------------


def run_engine(name: str, url: str, *, year: int, repeat: int, generate_scale: float) -> list[tuple[str, float | None, str]]:
    engine = make_engine(url)
    generated(engine, name, scale=generate_scale, year=year)
    with engine.connect() as connection:
        visits = connection.execute(text("SELECT COUNT(*) FROM visit")).scalar()
        pairings = connection.execute(text("SELECT COUNT(*) FROM pairing")).scalar()
        city_path = connection.execute(text("SELECT path FROM org_unit WHERE code = :c"), {"c": CITY}).scalar()
        township = connection.execute(text("SELECT MIN(code) FROM org_unit WHERE level = 'township'")).scalar()
    as_of = dt.date(year, 12, 15)
    constants = _constants(as_of, city_path)
    figures = []

    seconds, report = _timed(lambda: product(engine, CITY, as_of, rules=["V7"], statuses=["overdue"], first=PAGE + 1), repeat)
    answer = _product_answer(report, ordered=True)
    figures.append((f"product: city-wide V7 overdue report, {PAGE}-row page", seconds, f"{len(report.rows):,} rows built; totals: {report.total.overdue:,} overdue of {report.total.instances:,}"))
    seconds_sql, by_sql = _timed(lambda: page_sql(engine, constants, PAGE + 1), repeat)
    figures.append(("(a) hand-written SQL over the projections", seconds_sql, f"product ÷ (a) = {seconds / seconds_sql:.2f}"))
    seconds_raw, by_raw = _timed(lambda: raw_sql(engine, constants, as_of), 1)
    figures.append(("(b) raw aggregation over the visits table", seconds_raw, f"(b) ÷ product = {seconds_raw / seconds:.1f}"))
    if by_sql != answer:
        raise SystemExit(f"[{name}] the page's hand-written SQL disagrees with the product: rows equal: {by_sql[0] == answer[0]}, totals equal: {by_sql[1] == answer[1]}")
    if not set(answer[0]) <= by_raw[0] or by_raw[1] != answer[1]:
        raise SystemExit(f"[{name}] the raw aggregation disagrees with the product: page rows held: {set(answer[0]) <= by_raw[0]}, totals equal: {by_raw[1] == answer[1]}")

    seconds_every, every_overdue = _timed(lambda: product(engine, CITY, as_of, rules=["V7"], statuses=["overdue"]), repeat)
    figures.append(("product: every overdue row (as a file holds them)", seconds_every, f"{len(every_overdue.rows):,} rows"))
    seconds_every_sql, by_every_sql = _timed(lambda: projection_sql(engine, constants), repeat)
    figures.append(("(a') hand-written SQL over `obligation`", seconds_every_sql, f"product ÷ (a') = {seconds_every / seconds_every_sql:.2f}; (b) ÷ product = {seconds_raw / seconds_every:.1f}"))
    every_answer = _product_answer(every_overdue)
    for label, other in (("projection SQL", by_every_sql), ("raw aggregation", by_raw)):
        if other != every_answer:
            missing, extra = every_answer[0] - other[0], other[0] - every_answer[0]
            raise SystemExit(f"[{name}] the {label} disagrees with the product: {len(missing)} rows missing, {len(extra)} extra, totals equal: {other[1] == every_answer[1]}")

    seconds_page, town_page = _timed(lambda: product(engine, township, as_of, first=101), repeat)
    figures.append((f"product: township {township}, every rule, 100-row page", seconds_page, f"{len(town_page.rows):,} rows built; {town_page.total.instances:,} instances in the totals"))
    seconds_town, town = _timed(lambda: product(engine, township, as_of), repeat)
    figures.append((f"product: township {township}, every rule and row", seconds_town, f"{len(town.rows):,} rows"))
    seconds_town7, town7 = _timed(lambda: product(engine, township, as_of, rules=["V7"]), repeat)
    figures.append((f"product: township {township}, V7, every row", seconds_town7, f"{len(town7.rows):,} rows"))
    seconds_city, city_page = _timed(lambda: product(engine, CITY, as_of, first=101), 1)
    figures.append(("product: city-wide, every rule, 100-row page", seconds_city, f"{len(city_page.rows):,} rows built; {city_page.total.instances:,} instances in the totals"))
    seconds_all, every = _timed(lambda: product(engine, CITY, as_of, rules=["V7"]), 1)
    figures.append(("product: city-wide V7, every row", seconds_all, f"{len(every.rows):,} rows; {dict(Counter(r.status for r in every.rows))}"))
    figures += known_at_figures(engine, township, as_of, repeat)
    print(f"\n{name}: {visits:,} visits, {pairings:,} pairings; as of {as_of}; median of {repeat} runs (raw and 'every row': one run)")
    for label, seconds_, note in figures:
        print(f"  {label:<48} {seconds_ * 1000:>9.1f} ms   {note}")
    engine.dispose()
    return figures


def known_at_figures(engine: Engine, township: str, as_of: dt.date, repeat: int) -> list[tuple[str, float, str]]:
    """Reads as known at a moment (from the record versions) beside the same reads as known now."""
    from workflow import clock
    from sqlalchemy import func, select

    from workflow.eventlog.models import Event
    from workflow.eventlog.versions import known_records
    from workflow.exits.reports import missing_signatures
    from workflow.exits.service import household_status_on
    from workflow.incidence.report import incidence_report
    from workflow.org.models import Household
    from workflow.org.service import on_registry, registry_spells

    moment = clock.now()  # everything recorded: the same answers, read through the versions
    with engine.connect() as connection:
        household_id = connection.execute(text("SELECT MIN(id) FROM household")).scalar()
    end = clock.end_of_day(as_of, rulebook.books().zone)

    def household_read(known_at):
        with transaction(read_only(engine)) as session, known_records(session, known_at) as records:
            household = records.get(Household, household_id)
            spells = registry_spells(records, "poor_household", household_id)
            return household.status, household_status_on(records, household_id, end), on_registry(spells, as_of)

    def city(read, known_at):
        with transaction(read_only(engine)) as session, known_records(session, known_at) as records:
            return read(records)

    figures = []
    now_town, town = _timed(lambda: product(engine, township, as_of, first=101), repeat)
    known_town, town_known = _timed(lambda: product(engine, township, as_of, first=101, known_at=moment), repeat)
    figures.append((f"township {township}, every rule, 100-row page, known_at", known_town, f"as known now: {now_town * 1000:.1f} ms; same rows: {town_known.rows == town.rows}"))
    now_read, by_now = _timed(lambda: household_read(None), repeat)
    known_read, by_known = _timed(lambda: household_read(moment), repeat)
    figures.append(("one household read as of a day, known_at", known_read, f"as of the day alone: {now_read * 1000:.1f} ms; same: {by_now == by_known}"))
    signatures = lambda records: missing_signatures(records, scope_code=CITY, at=end)  # noqa: E731
    now_sign, signed = _timed(lambda: city(signatures, None), repeat)
    known_sign, signed_known = _timed(lambda: city(signatures, moment), repeat)
    figures.append(("city-wide missing signatures, known_at", known_sign, f"as known now: {now_sign * 1000:.1f} ms; {len(signed):,} cases; same: {len(signed) == len(signed_known)}"))
    incidence = lambda records: incidence_report(records, unit_code=CITY, dates=[as_of])  # noqa: E731
    now_inc, inc = _timed(lambda: city(incidence, None), repeat)
    known_inc, inc_known = _timed(lambda: city(incidence, moment), repeat)
    figures.append(("city-wide incidence, known_at", known_inc, f"as known now: {now_inc * 1000:.1f} ms; same: {inc == inc_known}"))

    # As known at the end of the report's day: what a supervisor saw that evening, through the
    # record versions and with the visits recorded since (the log's last weeks) left out.
    with engine.connect() as connection:
        since = connection.execute(select(func.count()).select_from(Event).where(Event.recorded_at > end)).scalar()
    then_town, town_then = _timed(lambda: product(engine, township, as_of, first=101, known_at=end), repeat)
    figures.append((f"township {township}, every rule, 100-row page, known_at the day's end", then_town, f"{since:,} events recorded since; {town_then.total.instances:,} instances"))
    then_read, _ = _timed(lambda: household_read(end), repeat)
    figures.append(("one household read as of a day, known_at the day's end", then_read, ""))
    then_sign, _ = _timed(lambda: city(signatures, end), repeat)
    figures.append(("city-wide missing signatures, known_at the day's end", then_sign, ""))
    then_inc, inc_then = _timed(lambda: city(incidence, end), repeat)
    figures.append(("city-wide incidence, known_at the day's end", then_inc, f"same as now: {inc == inc_then}"))
    return figures


def main(argv: list[str] | None = None) -> None:
    engines.main(__doc__.split("\n\n")[0], run_engine, year=rulebook.today().year - 1, year_help="the data's year (default: last year)", argv=argv)


if __name__ == "__main__":
    main()
