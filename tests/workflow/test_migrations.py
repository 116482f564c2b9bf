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


def test_upgrading_a_database_with_spells_takes_their_event_seqs_from_its_log(engine):
    """Migration 0006 gives spells already on file the seqs their projectors would have set."""
    from alembic import command
    from sqlalchemy import select

    from sample_data.load import load_sample_data
    from workflow.db import transaction
    from workflow.migrate import alembic_config, upgrade
    from workflow.org import service as org
    from workflow.org.models import RegistrySpell

    with transaction(engine) as session:
        load_sample_data(session)
        township = session.execute(select(RegistrySpell.subject_id).where(RegistrySpell.kind == "concentrated_township")).scalars().first()
        org.end_unit_registration(session, actor=ADMIN, kind="concentrated_township", code=township, exited_on=dt.date(2018, 6, 15))
    spells = RegistrySpell.__table__

    def stored():
        with engine.connect() as connection:
            return sorted(connection.execute(select(spells)).all())

    projected = stored()
    assert any(row.exited_seq for row in projected) and all(row.registered_seq for row in projected)
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
    finally:
        upgrade(engine)
    assert stored() == projected
