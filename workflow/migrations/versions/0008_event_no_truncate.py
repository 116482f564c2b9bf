"""PostgreSQL refuses TRUNCATE on the event log, as it refuses UPDATE and DELETE (issue 15.5)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 12:00:00

Written by hand. The row-level trigger of 0001 never fires on TRUNCATE, which empties a
table without touching its rows: a statement-level trigger does. It raises through the
same function. SQLite has no TRUNCATE: its DELETE without WHERE runs the row trigger.
"""

from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Also run by tests/conftest.py, which empties the log between tests with the guard off.
CREATE_TRIGGER = (
    "CREATE OR REPLACE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
    "FOR EACH STATEMENT EXECUTE FUNCTION event_is_append_only()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_no_truncate ON event")
