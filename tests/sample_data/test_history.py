"""The history mode of the generator: Huaihua 2014–2017 through the product's own exits,
reproducing the published figures in proportion, with exactly the planted irregularities."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from sqlmodel import Session

from sample_data import history
from tests.test_fresh_install import exit_tracker
from workflow.db import make_engine, transaction
from workflow.migrate import upgrade

SCALE = 0.005  # the smallest scale with a poor village in every county
CITY = "431200000000"


@pytest.fixture(scope="module")
def lived(tmp_path_factory):
    """One generated history, 2014–2017, shared by the tests of this module (SQLite)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('history') / 'history.db'}")
    upgrade(engine)
    plan = history.History(scale=SCALE, seed=2018, last=2017)
    history.write(engine, plan)
    yield engine, plan
    engine.dispose()


def test_the_plan_registers_the_published_2014_figures_and_plants_each_kind_of_irregularity():
    """The plan alone (no database): fast, at the scale the tests below live through."""
    from workflow.audit.irregularities import KINDS

    plan = history.History(scale=SCALE, seed=2018, last=2017)
    registered = [h for h in plan.households.values() if h.registered_on == history.REGISTERED_ON]
    assert sum(h.members for h in registered) == round(history.PUBLISHED[2014]["poor_people"] * SCALE)
    assert plan.rural_total == pytest.approx(history.RURAL_POPULATION * SCALE, rel=0.01)
    assert len(plan.poor_villages) == 13 and {plan.county_of[v] for v in plan.poor_villages} == set(history.PROFILE)
    assert sum(1 for year in plan.poor_villages.values() if year is None or year > 2017) == round(13 * 503 / 1024)
    assert {kind for kind, _ in plan.planted} == set(KINDS) and len(plan.planted) == history.PLANTED_EACH * len(KINDS)


def test_each_village_has_a_rural_population_a_year_drifting_a_little_about_the_same_city_total():
    plan = history.History(scale=SCALE, seed=2018, last=2017)
    assert sorted(plan.populations) == [2014, 2015, 2016, 2017]
    for year, figures in plan.populations.items():
        assert sum(figures.values()) == pytest.approx(history.RURAL_POPULATION * SCALE, rel=0.001)
        if year > 2014:
            before = plan.populations[year - 1]
            assert any(figures[v] != before[v] for v in figures)
            assert all(abs(figures[v] - before[v]) <= 0.02 * before[v] + 1 for v in figures)


def _year_ends(engine):
    from api.reports import incidence_rows

    with transaction(engine) as session:
        rows = incidence_rows(session, unit=CITY, as_of=dt.date(2017, 12, 31), start=dt.date(2014, 1, 1), every="year")
    return {(row.unit_name, row.date.year): row for row in rows}


# The tests below live through the whole history once (a few minutes on a busy machine:
# every exit is the product's own commands), hence `slow`.
@pytest.mark.slow
def test_the_year_by_year_table_reproduces_the_published_figures_in_proportion(lived):
    engine, plan = lived
    table = _year_ends(engine)
    for year, published in history.PUBLISHED.items():
        city = table[("怀化市", year)]
        assert city.poor_population == pytest.approx(published["poor_people"] * SCALE, rel=0.005)
        assert city.incidence == pytest.approx(published["incidence"], abs=Decimal("0.001"))
        # Villages come in whole numbers: within one village of the published share.
        assert abs(city.poor_villages - published["poor_villages"] * 13 / 1024) <= 1
        assert city.rural_population == pytest.approx(history.RURAL_POPULATION * SCALE, rel=0.01)
    for year in range(2014, 2018):  # incidence divides by the year's figures
        assert table[("怀化市", year)].rural_population == sum(plan.populations[year].values())


@pytest.mark.slow
def test_counties_differ_and_exit_in_the_published_years(lived):
    engine, _ = lived
    table = _year_ends(engine)
    autonomous = ["麻阳苗族自治县", "新晃侗族自治县", "芷江侗族自治县", "靖州苗族侗族自治县", "通道侗族自治县"]
    least = table[("鹤城区", 2014)].incidence
    assert all(least < row.incidence for (name, year), row in table.items() if year == 2014 and name not in ("鹤城区", "怀化市"))
    assert all(table[(name, 2014)].incidence > table[("怀化市", 2014)].incidence for name in autonomous)
    from sqlalchemy import select

    from workflow.exits.models import ExitCase
    from workflow.org.models import OrgUnit

    with transaction(engine) as session:
        exited = dict(session.execute(
            select(OrgUnit.name, ExitCase.exited_at).join(OrgUnit, OrgUnit.code == ExitCase.subject_id).where(ExitCase.level == "county", ExitCase.status == "exited")
        ).all())
    assert {name: moment.year for name, moment in exited.items()} == {"洪江区": 2016, "中方县": 2017, "洪江市": 2017, "鹤城区": 2017}


@pytest.mark.slow
def test_audit_verify_passes_on_the_history(lived):
    from workflow.audit.verify import audit

    engine, _ = lived
    with Session(engine) as session:
        report = audit(session)
    assert report.intact, report


@pytest.mark.slow
def test_the_irregularities_report_finds_exactly_the_planted_ones(lived):
    from workflow.audit.irregularities import KINDS, irregularities

    engine, plan = lived
    with transaction(engine) as session:
        found = {(item.kind, item.record_id) for item in irregularities(session, scope_code=CITY, first=dt.date(2014, 1, 1), last=dt.date(2018, 3, 31))}
    assert found == plan.planted
    assert {kind for kind, _ in plan.planted} == set(KINDS)


@pytest.mark.slow
def test_a_supervisor_sees_some_overdue_visits_and_cases_waiting_at_each_signature_step(lived):
    """The year-end reports as a supervisor pulls them, the CLI in its own process: household
    cases waiting for the village's and for the township's signatures, with whom to call, and
    visits overdue — a minority of the obligations, as in a year where most are kept."""
    engine, _ = lived
    url = engine.url.render_as_string(hide_password=False)

    def rows(report: str) -> list[dict[str, str]]:
        done = exit_tracker(url, "report", report, "--unit", CITY, "--as-of", "2017-12-31", "--format", "csv", "--lang", "en")
        assert done.returncode == 0, done.stderr
        return list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff"))))

    waiting = rows("missing-signatures")
    steps = Counter(row["Status"] for row in waiting if row["Level"] == "household")
    assert steps["in public notice"] >= 1 and steps["signed by the village"] >= 1, steps
    assert all(row["Missing signatures (current holders)"] and "vacant" not in row["Missing signatures (current holders)"] for row in waiting)

    statuses = Counter(row["Status"] for row in rows("overdue"))
    assert 0 < statuses["overdue"] < 0.1 * sum(statuses.values()) < statuses["met"], statuses


def test_each_year_end_holds_its_poor_village_target_and_exiting_counties_leave_none():
    """The plan alone, at a scale (0.1) where the earlier plan missed 2016's target (64 for 70):
    each year end holds the year's share of poor villages, while every poor village of a county
    that exits is gone by that county's year."""
    plan = history.History(scale=0.1, seed=2018, last=2018)
    n = len(plan.poor_villages)
    for year in range(2014, 2018):
        left = sum(1 for exited in plan.poor_villages.values() if exited is None or exited > year)
        assert left == round(n * history.POOR_VILLAGES[year] / 1024), year
    for village, exited in plan.poor_villages.items():
        county_year = history.COUNTY_EXITS.get(plan.county_of[village])
        if county_year is not None:  # every exit year is within 2018
            assert exited is not None and exited <= county_year, village


def test_the_history_cache_is_what_the_machine_can_spare_beside_the_plan():
    from workflow.db import SQLITE_BULK_CACHE_KIB

    gib = 1024 * 1024
    assert history.history_cache_kib(64 * gib) == history.HISTORY_CACHE_KIB == 16 * gib
    assert history.history_cache_kib(24 * gib) == 16 * gib  # this machine: every page of scale 1
    assert history.history_cache_kib(16 * gib) == 8 * gib
    assert history.history_cache_kib(8 * gib) == history.history_cache_kib(4 * gib) == SQLITE_BULK_CACHE_KIB
    assert SQLITE_BULK_CACHE_KIB <= history.history_cache_kib() <= history.HISTORY_CACHE_KIB
