"""Alembic environment: migrates the database the caller hands over, or the configured URL."""

from alembic import context
from alembic.operations import Operations

from workflow.db import make_engine
from workflow.migrations import run_after_upgrade
from workflow.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            run_after_upgrade(connection, Operations(context.get_context()))
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            run_after_upgrade(connection, Operations(context.get_context()))
    engine.dispose()


run()
