import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.factories import ADMIN
from workflow.schema import metadata


def test_migrated_database_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_upgrading_a_database_with_records_gives_them_the_versions_their_log_implies(engine):
    """Migration 0010 gives records already on file the versions, and visits the seqs, the projections would have written."""
    from alembic import command
    from sqlalchemy import select

    from sample_data.load import load_sample_data
    from workflow.db import transaction
    from workflow.eventlog.versions import versioned_tables
    from workflow.migrate import alembic_config, upgrade
    from workflow.org import service as org
    from workflow.org.models import RegistrySpell
    from workflow.visits import service as visits
    from workflow.visits.models import Visit

    with transaction(engine) as session:
        load_sample_data(session)
        township = session.execute(select(RegistrySpell.subject_id).where(RegistrySpell.kind == "concentrated_township")).scalars().first()
        org.end_unit_registration(session, actor=ADMIN, kind="concentrated_township", code=township, exited_on=dt.date(2018, 6, 15))
        visits.void_visit(session, actor=ADMIN, visit_id=session.execute(select(Visit.id).limit(1)).scalar_one(), reason="录入错误")
    kept = [Visit.__table__, *versioned_tables().values()]

    def stored():
        with engine.connect() as connection:
            return {table.name: sorted(connection.execute(select(table)).all(), key=repr) for table in kept}

    projected = stored()
    filled = ("visit", "org_unit_version", "person_version", "household_version", "registry_spell_version", "post_version", "pairing_version", "exit_case_version", "exit_signature_version")
    assert all(projected[name] for name in filled) and any(row.voided_seq for row in projected["visit"])
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0009")
    finally:
        upgrade(engine)
    assert stored() == projected


def test_upgrading_a_log_on_file_gives_each_event_the_canonical_bytes_of_its_columns(engine):
    """Migration 0014 fills event.canonical from the columns exactly as `seal` does, and puts the log's guard back."""
    import pytest
    from alembic import command
    from sqlalchemy import inspect, select, text
    from sqlmodel import Session

    from sample_data.load import load_sample_data
    from workflow.db import transaction
    from workflow.eventlog import Event
    from workflow.eventlog.verify import verify_chain
    from workflow.migrate import alembic_config, upgrade

    with transaction(engine) as session:
        load_sample_data(session)

    def stored():
        with engine.connect() as connection:
            return connection.execute(select(Event.seq, Event.hash, Event.canonical).order_by(Event.seq)).all()

    written = stored()
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0010")
        with engine.connect() as connection:
            assert "canonical" not in {column["name"] for column in inspect(connection).get_columns("event")}
    finally:
        upgrade(engine)
    assert stored() == written and len(written) > 100
    with Session(engine) as session:
        assert verify_chain(session).intact
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE event SET account = 'x' WHERE seq = 1"))
