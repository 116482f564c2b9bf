"""A fresh install as a new user makes it: the real CLI, each command in its own process.

A suite that imports everything into one process once hid a projection that every fresh
install left empty: the CLI never imported the module that kept it. These tests write only
through subprocesses, then read what they wrote.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from workflow.db import make_engine, read_only, transaction
from workflow.obligations.reports import overdue_report
from sqlmodel import Session

CLI = [sys.executable, "-c", "from api.cli import app; app()"]
ROOT = Path(__file__).resolve().parent.parent


def exit_tracker(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `exit-tracker ARGS` in a process of its own on the database at `url` (and `env`)."""
    env = os.environ | {"EXIT_TRACKER_DATABASE_URL": url} | (env or {})
    return subprocess.run([*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def report(url: str, unit_code: str, as_of: dt.date):
    engine = make_engine(url)
    try:
        with Session(read_only(engine)) as session:
            found = overdue_report(session, unit_code=unit_code, as_of=as_of)
            return [dataclasses.asdict(row) for row in found.rows], dataclasses.asdict(found.total), [dataclasses.asdict(t) for t in found.townships]
    finally:
        engine.dispose()


def test_init_db_load_sample_then_audit_verify_passes_and_reports_match_a_replay(empty_database):
    live, replayed = empty_database(), empty_database()
    for command in (["init-db"], ["load-sample"]):
        done = exit_tracker(live, *command)
        assert done.returncode == 0, done.stderr
    verified = exit_tracker(live, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "tables: match a replay of the log" in verified.stdout

    copied = exit_tracker(live, "replay", "--until", "999999", "--to", replayed)
    assert copied.returncode == 0, copied.stderr
    for unit, as_of in (("431224000000", dt.date(2017, 9, 30)), ("431200000000", dt.date(2017, 9, 30)), ("431200000000", dt.date(2017, 12, 31))):
        rows, total, townships = report(live, unit, as_of)
        assert total["instances"] > 0
        assert (rows, total, townships) == report(replayed, unit, as_of), (unit, as_of)


def test_every_projection_table_is_filled_by_a_fresh_load(empty_database):
    url = empty_database()
    assert exit_tracker(url, "init-db").returncode == 0
    assert exit_tracker(url, "load-sample").returncode == 0
    from workflow.eventlog.replay import projection_tables

    engine = make_engine(url)
    with transaction(engine) as session:
        counts = {table.name: session.execute(table.select().with_only_columns(table.c[next(iter(table.c.keys()))])).all() for table in projection_tables()}
    engine.dispose()
    # Every read model the sample's events feed holds rows; the obligation rows above all.
    for name in ("obligation", "obligation_tally", "obligation_person_year_tally", "visit_mask", "visit", "post", "pairing", "registry_spell"):
        assert counts[name], name
