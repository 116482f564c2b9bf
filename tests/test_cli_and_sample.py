"""The front door: init-db, load-sample and the sample data itself."""

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app
from workflow.db import make_engine, transaction
from workflow.eventlog.verify import verify_chain
from workflow.org.models import Household, OrgUnit, Person
from workflow.posts.models import Pairing, Post
from sample_data.load import load_sample_data


def test_init_db_then_load_sample_twice_loads_once(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EXIT_TRACKER_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(app, ["init-db"]).exit_code == 0
    first = runner.invoke(app, ["load-sample", "--if-empty"])
    assert first.exit_code == 0 and "sample data loaded" in first.output
    second = runner.invoke(app, ["load-sample", "--if-empty"])
    assert second.exit_code == 0 and "not loaded" in second.output
    engine = make_engine(url)
    with transaction(engine) as session:
        assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 49  # 48 paired households, and 坪溪村's unpaired one registered in August 2017
    engine.dispose()


def test_every_command_explains_itself():
    runner = CliRunner()
    for command in (["--help"], ["init-db", "--help"], ["load-sample", "--help"], ["serve", "--help"], ["rules", "check", "--help"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, command
        assert "Usage" in result.output


def test_sample_data_has_huaihua_places_every_role_and_capped_pairings(engine):
    with transaction(engine) as session:
        load_sample_data(session)
    with transaction(engine) as session:
        names = set(session.execute(select(OrgUnit.name)).scalars())
        assert {"怀化市", "溆浦县", "北斗溪镇", "龙潭镇", "半界村", "楠木桥村", "中方县", "麻阳苗族自治县"} <= names
        assert session.execute(select(func.count()).select_from(OrgUnit).where(OrgUnit.level == "county")).scalar_one() == 13
        from workflow.rulebook import books

        held = set(session.execute(select(Post.role)).scalars())
        assert held == set(books().latest().roles)
        per_cadre = session.execute(select(Pairing.cadre_id, func.count()).group_by(Pairing.cadre_id)).all()
        assert per_cadre and max(n for _, n in per_cadre) <= books().latest().pairing_cap
        assert all(len(name) >= 2 for name in session.execute(select(Person.name)).scalars())
        assert verify_chain(session).intact


def test_sample_data_has_exits_under_way_and_visits_to_report(engine):
    from workflow.exits.reports import missing_signatures
    from workflow.visits.models import Visit

    with transaction(engine) as session:
        load_sample_data(session)
    with transaction(engine) as session:
        waiting = missing_signatures(session, scope_code="431200000000")
        assert sorted((case.level, case.step) for case in waiting) == [("household", "village"), ("village", "county")]
        assert session.get(Household, "4312241002010003").status == "exited"
        july_first = session.execute(select(Visit).where(Visit.notes.like("凌晨到户%"))).scalar_one()
        assert july_first.occurred_on.isoformat() == "2017-07-01"
