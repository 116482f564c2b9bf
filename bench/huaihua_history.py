"""The published Huaihua figures beside the product's own incidence report on a generated history (docs/HUAIHUA.md).

    python -m bench.huaihua_history --url sqlite:///history.db --scale 0.02 --last 2018            # generate, time, report
    python -m bench.huaihua_history --url sqlite:///history.db --scale 0.02 --last 2018 --report-only

Prints Markdown: the city per year (product and published, the published scaled to the run),
each county per year, and the counties' exit cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sample_data import history

CITY = "431200000000"


def report(engine, *, scale: float, last: int) -> str:
    from sqlalchemy import select

    from api.reports import incidence_rows
    from workflow.db import transaction
    from workflow.exits.models import ExitCase
    from workflow.org.models import OrgUnit

    with transaction(engine) as session:
        rows = incidence_rows(session, unit=CITY, as_of=dt.date(last, 12, 31), start=dt.date(2014, 1, 1), every="year")
        exits = session.execute(
            select(OrgUnit.name, ExitCase.exited_at).join(OrgUnit, OrgUnit.code == ExitCase.subject_id)
            .where(ExitCase.level == "county", ExitCase.status == "exited").order_by(ExitCase.exited_at)
        ).all()
    lines = [f"### City (怀化市), scale {scale:g}: the product's report, published figures × {scale:g} in brackets", "",
             "| year end | poor households | poor people | poor villages | rural population | incidence |", "|---|---|---|---|---|---|"]
    city = [r for r in rows if r.level == "city"]
    village_scale = city[0].poor_villages / history.PUBLISHED[2014]["poor_villages"]  # at least one poor village a county
    for row in city:
        published = history.PUBLISHED.get(row.date.year)
        people = f"{row.poor_population:,}" + (f" ({published['poor_people'] * scale:,.0f})" if published else "")
        villages = f"{row.poor_villages:,}" + (f" ({published['poor_villages'] * village_scale:,.1f})" if published else "")
        incidence = f"{row.incidence:.2%}" + (f" ({published['incidence']:.2%})" if published else "")
        lines.append(f"| {row.date} | {row.poor_households:,} | {people} | {villages} | {row.rural_population:,} | {incidence} |")
    years = sorted({r.date.year for r in rows})
    lines += ["", "### Counties: incidence (poor people / poor villages) at each year end", "",
              "| county | " + " | ".join(map(str, years)) + " |", "|---|" + "---|" * len(years)]
    by = {(r.unit_name, r.date.year): r for r in rows if r.level == "county"}
    for name in dict.fromkeys(r.unit_name for r in rows if r.level == "county"):
        cells = [f"{by[(name, y)].incidence:.2%} ({by[(name, y)].poor_population:,} / {by[(name, y)].poor_villages})" for y in years]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "### County exits (exit cases signed by the city and the province)", "", "| county | exited |", "|---|---|"]
    lines += [f"| {name} | {moment.astimezone(history.BEIJING).date()} |" for name, moment in exits]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--last", type=int, default=2018)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--mode", choices=["bulk", "service"], default="bulk", help="household registrations and exits in bulk (default) or by command")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    from workflow.db import make_engine
    from workflow.migrate import upgrade

    engine = make_engine(args.url)
    if not args.report_only:
        upgrade(engine)
        started = time.perf_counter()
        plan = history.History(scale=args.scale, seed=args.seed, last=args.last)
        events = history.write(engine, plan, bulk=args.mode == "bulk", progress=lambda message: print(f"{time.perf_counter() - started:6.0f} s  {message}", flush=True))
        print(f"generated {events:,} events ({len(plan.households):,} households) in {time.perf_counter() - started:.0f} s\n")
    print(report(engine, scale=args.scale, last=args.last))


if __name__ == "__main__":
    main()
