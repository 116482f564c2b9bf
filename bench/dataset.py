"""The benchmark's data: a Huaihua-scale plan's setup in a database, and its year of visits as a CSV file.

The setup (org tree, people, households, posts, pairings) is written in bulk by
`sample_data.bulk`; the visits are left out of the database and written to a file that
the product then imports through its own path. Both are cached under bench/out/.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from sample_data import bulk
from sample_data.generate import BEIJING, Plan
from workflow.db import make_engine
from workflow.migrate import upgrade

OUT = Path(__file__).resolve().parent / "out"
CITY = "431200000000"


def folder(scale: float, year: int) -> Path:
    return OUT / f"huaihua-s{scale:g}-y{year}"


def visits_file(scale: float, year: int) -> Path:
    """The CSV of the year's recorded visits (voids left out), generated once per scale and year."""
    path = folder(scale, year) / "visits.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["id", "visitor_id", "target_level", "target_id", "occurred_at"])
            for spec in Plan(scale=scale, year=year).visits():
                if spec.type == "visit.recorded":
                    p = spec.payload
                    writer.writerow([p["id"], p["visitor_id"], p["target_level"], p["target_id"], spec.occurred_at.astimezone(BEIJING).isoformat()])
        partial.rename(path)
    return path


def _write_setup(url: str, scale: float, year: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    plan = Plan(scale=scale, year=year)
    plan.visits = lambda: iter(())  # the setup only: the visits are what the benchmark imports
    bulk.write(engine, plan)
    engine.dispose()


def setup_sqlite(target: Path, scale: float, year: int) -> str:
    """A fresh SQLite file at `target` holding the plan's setup; its URL."""
    template = folder(scale, year) / "setup.db"
    if not template.exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        partial = template.with_suffix(".partial.db")
        partial.unlink(missing_ok=True)
        _write_setup(f"sqlite:///{partial}", scale, year)
        partial.rename(template)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    upgrade(engine)  # a template cached by an older revision gets the migrations since
    engine.dispose()
    return url


def setup_postgres(url: str, scale: float, year: int) -> None:
    """Write the plan's setup into the empty PostgreSQL database at `url`."""
    _write_setup(url, scale, year)
