"""Reports on PostgreSQL plan each statement for its own scope and dates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.factories import build_tree
from workflow.obligations import reports


def _plan_cache_mode(session: Session) -> str:
    return session.execute(text("SHOW plan_cache_mode")).scalar_one()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # plan caching is PostgreSQL's
@pytest.mark.parametrize("report", ["overdue", "scorecard"])
def test_a_report_plans_each_statement_for_its_own_values_within_its_transaction_alone(engine, actor, report):
    # A generic plan would serve a township and the whole city alike: psycopg prepares a
    # statement run five times, and PostgreSQL then may stop looking at the values.
    with Session(engine) as session:
        tree = build_tree(session, actor=actor)
        session.commit()
        assert _plan_cache_mode(session) == "auto"
        ask = reports.overdue_report if report == "overdue" else reports.scorecard
        ask(session, unit_code=tree.city, as_of=dt.date(2018, 7, 15))
        assert _plan_cache_mode(session) == "force_custom_plan"
        session.rollback()
        assert _plan_cache_mode(session) == "auto"
