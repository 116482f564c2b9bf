from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow.schema import metadata


def test_migrated_database_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
