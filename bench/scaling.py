"""Scaling on one PostgreSQL server: the import and the city's reports at several sizes, and a plot (issue 20, goal 5).

For each scale, in a database created on the server and dropped after (`scale_<random>`),
the same data set and the same measurements as `python -m bench.run --scale S --no-sqlite
--only reports --pg-url URL`, each measurement in its own process (`bench.run.child`):

  import    the year's visits through the product's import path, beside storing the import's
            own event and visit rows with no checks and no hashing (the floor)
  reports   the city-wide V7 overdue report and the city-wide V7 scorecard, beside the
            hand-written SQL over the `obligation` projection

and then the database's size: pg_database_size, each table's rows and bytes (heap, indexes,
TOAST) — and the load average before and after. Each scale's figures replace that scale's
in the JSON file (so scales may be run one at a time); the plot is drawn from the whole
file: import rate and report times against the events in the database, log x axis.
`docs/SCALING.md` reads the figures and carries them to a province and the country.

    python -m bench.scaling --scales 0.1 0.3 1 --pg-url postgresql://postgres@127.0.0.1:5432/postgres
    python -m bench.scaling --plot-only          # the plot again from bench/out/scaling.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from sqlalchemy import text

from bench import dataset
from bench.run import ROOT, child, machine, postgres_database, table
from bench.timing import median_seconds
from workflow.db import make_engine

JSON = dataset.OUT / "scaling.json"
PNG = ROOT / "docs" / "scaling.png"
IMPORT_FLOOR = "storing the import's own event and visit rows"  # bench.measures.bulk_import's second reference
CITY_REPORT = "city-wide V7 overdue report"
CITY_SCORECARD = "city-wide V7 scorecard"


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {message}", file=sys.stderr, flush=True)


def _figure(rows: list[dict], label: str, reference: str = "") -> dict | None:
    """The first figure named `label` whose reference starts with `reference`, as a dict; None if the measurement failed."""
    for row in rows:
        for name, value, ref_label, ref_value, unit, note in row["figures"]:
            if name.startswith(label) and (ref_label or "").startswith(reference) and value is not None:
                return {"value": value, "reference": ref_value, "reference_label": ref_label, "unit": unit, "note": note}
    return None


def database_size(url: str) -> dict:
    """The database's bytes, and each table's rows and bytes (total, heap, indexes), largest first."""
    engine = make_engine(url)
    with engine.connect() as connection:
        total = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        sizes = connection.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public' ORDER BY 2 DESC"
            )
        ).all()
        tables = {
            name: {"rows": connection.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one(), "bytes": whole, "heap": heap, "indexes": indexes}
            for name, whole, heap, indexes in sizes
        }
    engine.dispose()
    return {"database_bytes": total, "tables": tables}


def measure(pg_url: str, scale: float, year: int) -> dict:
    """One scale's point: the import and reports figures (as bench.run prints them), sizes and load."""
    started, loads = time.time(), {"start": os.getloadavg()[0]}
    _say(f"[scale {scale:g}] the year's visits (generated once per scale) …")
    visits_csv = dataset.visits_file(scale, year)
    with postgres_database(pg_url, prefix="scale") as (url, pg_version):
        _say(f"[scale {scale:g}] the setup, written in bulk …")
        setup_started = time.perf_counter()
        dataset.setup_postgres(url, scale, year)
        setup_seconds = time.perf_counter() - setup_started
        setup_size = database_size(url)
        common = {"url": url, "visits_csv": str(visits_csv), "year": year}
        rows = []
        for name in ("import", "reports"):
            loads[name] = os.getloadavg()[0]
            _say(f"[scale {scale:g}] {name} … (load average {loads[name]:.1f})")
            rows.append(child(name, common))
        loads["end"] = os.getloadavg()[0]
        size = database_size(url)
    _say(table(f"PostgreSQL, scale {scale:g}", rows) + "\n")
    return {
        "scale": scale,
        "year": year,
        "measured": "this bench",
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "minutes": round((time.time() - started) / 60, 1),
        "load_average": loads,
        "machine": machine(pg_version),
        "setup_seconds": setup_seconds,
        "setup": setup_size,
        "import_wal_bytes": rows[0].get("wal_bytes"),
        "rows": rows,
        "import": _figure(rows, "bulk import", IMPORT_FLOOR),
        "city_report": _figure(rows, CITY_REPORT),
        "city_scorecard": _figure(rows, CITY_SCORECARD),
        **size,
    }


def sizes_only(url: str, scale: float, note: str) -> dict:
    """A point of an existing database's sizes alone (no import, no reports), read from it."""
    return {
        "scale": scale,
        "measured": f"sizes only: {note}" if note else "sizes only",
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": {"start": os.getloadavg()[0]},
        "import": None,
        "city_report": None,
        "city_scorecard": None,
        **database_size(url),
    }


def checkpoint_cost(repeat: int = 2000) -> dict:
    """What a signed checkpoint (workflow/audit/checkpoint.py) costs: Ed25519 signing and verifying
    of its statement in µs, beside SHA-256 of the same bytes; and its sizes in bytes."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from workflow.audit.checkpoint import statement_of

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    statement = statement_of({"seq": 3_501_980, "head_hash": hashlib.sha256(b"head").hexdigest(), "made_at": "2018-12-31T16:00:00.000000Z"})
    signature = key.sign(statement)

    def microseconds(function) -> float:
        seconds, _ = median_seconds(lambda: [function() for _ in range(repeat)], 5, warm=1)
        return seconds / repeat * 1e6

    return {
        "sign_us": microseconds(lambda: key.sign(statement)),
        "verify_us": microseconds(lambda: public.verify(signature, statement)),
        "sha256_us": microseconds(lambda: hashlib.sha256(statement).hexdigest()),
        "statement_bytes": len(statement),
        "signature_bytes": len(signature),
    }


def _rows(point: dict, name: str) -> int:
    return point["tables"].get(name, {}).get("rows", 0)


def summary(points: list[dict]) -> str:
    """One line per scale: size, and each figure beside its reference."""

    def pair(figure: dict | None, unit: str) -> str:
        if figure is None:
            return "— | — | —"
        scale = 1000 if unit == "ms" else 1
        ratio = figure["value"] / figure["reference"] if figure["reference"] else 0
        return f"{figure['value'] * scale:,.0f} {unit} | {figure['reference'] * scale:,.0f} {unit} | {ratio:.2f}"

    lines = [
        "| scale | households | visits | events | database | the year's bytes per visit | WAL per visit | import | floor | ÷ | city V7 report | SQL | ÷ | city V7 scorecard | SQL | ÷ | load: start, import, reports, end | measured |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for point in points:
        visits = _rows(point, "visit")
        year_bytes = f"{(point['database_bytes'] - point['setup']['database_bytes']) / visits:,.0f}" if "setup" in point and visits else "—"
        wal = f"{point['import_wal_bytes'] / visits:,.0f}" if point.get("import_wal_bytes") and visits else "—"
        loads = ", ".join(f"{load:.1f}" for load in point["load_average"].values())
        lines.append(
            f"| {point['scale']:g} | {_rows(point, 'household'):,} | {visits:,} | {_rows(point, 'event'):,} | {point['database_bytes'] / 2**30:.2f} GiB"
            f" | {year_bytes} | {wal} | {pair(point['import'], 'visits/s')} | {pair(point['city_report'], 'ms')}"
            f" | {pair(point['city_scorecard'], 'ms')} | {loads} | {point['measured']}, {point['started']} |"
        )
    return "\n".join(lines)


def largest_tables(point: dict, count: int = 8) -> str:
    """The point's largest tables: rows, bytes and bytes per row."""
    lines = [f"scale {point['scale']:g}: {point['database_bytes'] / 2**20:,.0f} MiB in all"]
    for name, size in list(point["tables"].items())[:count]:
        per_row = size["bytes"] / size["rows"] if size["rows"] else 0
        lines.append(f"  {name:24} {size['rows']:>12,} rows {size['bytes'] / 2**20:>9,.1f} MiB (heap {size['heap'] / 2**20:,.1f}, indexes {size['indexes'] / 2**20:,.1f}) {per_row:>6,.0f} B/row")
    return "\n".join(lines)


def plot(points: list[dict], png: Path) -> None:
    """Import rate, report times and database size against the events in the database (log x axes)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot, ticker

    points = sorted(points, key=lambda point: _rows(point, "event"))
    events = [_rows(point, "event") for point in points]
    figure, (rates, times, sizes) = pyplot.subplots(1, 3, figsize=(16, 4.8), sharex=True)

    def pair(axes, key: str, label: str, reference: str, color: str, factor: float = 1.0) -> None:
        """The product's figure (solid) and its reference (dashed, same colour) at each scale measured."""
        measured = [(x, point[key]) for x, point in zip(events, points, strict=True) if point[key]]
        if measured:
            xs = [x for x, _ in measured]
            axes.plot(xs, [figure["value"] * factor for _, figure in measured], "o-", color=color, label=label)
            axes.plot(xs, [figure["reference"] * factor for _, figure in measured], "s--", color=color, alpha=0.6, label=reference)

    pair(rates, "import", "the import path", "floor: storing its event and visit rows", "C0")
    rates.set(title="Import on PostgreSQL", ylabel="visits per second", ylim=(0, None))
    pair(times, "city_report", "city V7 overdue report", "its SQL over `obligation`", "C0", 1000)
    pair(times, "city_scorecard", "city V7 scorecard", "its SQL over `obligation`", "C1", 1000)
    times.set(title="City reports (best of 3)", ylabel="milliseconds", ylim=(0, None))
    for mine, style, suffix in ((True, "-", ""), (False, "", " (hollow: sizes only, --add-database)")):
        chosen = [(x, point) for x, point in zip(events, points, strict=True) if (point["measured"] == "this bench") == mine]
        if chosen:
            xs = [x for x, _ in chosen]
            options = {} if mine else {"markersize": 10, "fillstyle": "none"}
            sizes.plot(xs, [point["database_bytes"] / 2**30 for _, point in chosen], "o" + style, color="C0", label="pg_database_size" + suffix, **options)
            sizes.plot(xs, [point["tables"]["event"]["bytes"] / 2**30 for _, point in chosen], "s" + style.replace("-", "--"), color="C1", label="event, with its indexes" + suffix, **options)
    sizes.set(title="Database size", ylabel="GiB", ylim=(0, None))
    for axes in (rates, times, sizes):
        axes.set(xscale="log", xlabel="events in the database (log)")
        axes.xaxis.set_minor_formatter(ticker.NullFormatter())
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
        for x, point in zip(events, points, strict=True):
            axes.annotate(f"{point['scale']:g}", (x, 0), xycoords=("data", "axes fraction"), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8, color="grey")
    figure.suptitle(f"exit-tracker on one PostgreSQL server, by scale of Huaihua (grey: the scale); {next((p['machine'] for p in points if 'machine' in p), '')}", fontsize=9)
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=100)
    pyplot.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 0.3, 1.0], help="fractions of Huaihua's size, each in (0, 1] (default 0.1 0.3 1)")
    parser.add_argument("--year", type=int, default=2018, help="the year of the visits (default 2018, as bench.run)")
    parser.add_argument("--pg-url", help="a PostgreSQL server's URL: a database is created there for each scale and dropped after")
    parser.add_argument("--json", type=Path, default=JSON, help=f"the figures, kept across runs by scale (default {JSON.relative_to(ROOT)})")
    parser.add_argument("--png", type=Path, default=PNG, help=f"the plot (default {PNG.relative_to(ROOT)})")
    parser.add_argument("--plot-only", action="store_true", help="draw the plot and print the tables from the JSON file, measuring nothing")
    parser.add_argument("--add-database", metavar="URL", help="add an existing database's sizes (read only: bytes and row counts) as the point of --as-scale, measuring nothing else")
    parser.add_argument("--as-scale", type=float, help="with --add-database: the scale of its data")
    parser.add_argument("--note", default="", help="with --add-database: where its data came from")
    args = parser.parse_args(argv)
    kept = json.loads(args.json.read_text()) if args.json.exists() else {}
    points, checkpoint = kept.get("points", []), kept.get("checkpoint")

    def keep(point: dict) -> None:
        nonlocal points
        points = sorted([p for p in points if p["scale"] != point["scale"]] + [point], key=lambda p: p["scale"])
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"points": points, "checkpoint": checkpoint}, indent=1, default=str))

    if args.add_database:
        if args.as_scale is None:
            parser.error("--add-database needs --as-scale")
        keep(sizes_only(args.add_database, args.as_scale, args.note))
    elif not args.plot_only:
        if not args.pg_url:
            parser.error("give --pg-url (or --plot-only, or --add-database)")
        checkpoint = checkpoint_cost()
        for scale in args.scales:
            keep(measure(args.pg_url, scale, args.year))
    if not points:
        parser.error(f"no figures in {args.json}")
    plot(points, args.png)
    print(f"\nScaling on PostgreSQL, {len(points)} scales of Huaihua; figures in {args.json}, plot in {args.png}")
    print("Import: one run; its floor stores the import's own event and visit rows with no checks and no hashing. Reports: the best of 3 after a warm-up, beside hand-written SQL.\n")
    print(summary(points))
    if checkpoint:
        print(
            f"\nA signed checkpoint ({checkpoint['statement_bytes']} bytes of statement, {checkpoint['signature_bytes']}-byte Ed25519 signature):"
            f" signing {checkpoint['sign_us']:,.1f} µs, verifying {checkpoint['verify_us']:,.1f} µs,"
            f" beside SHA-256 of the same bytes {checkpoint['sha256_us']:,.2f} µs (median of 5 × 2,000 after a warm-up)"
        )
    print("\n" + "\n\n".join(largest_tables(point) for point in points))


if __name__ == "__main__":
    main()
