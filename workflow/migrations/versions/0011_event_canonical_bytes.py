"""event.canonical: the bytes each event's hash is the SHA-256 of, stored beside its columns (issue 20.2)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:30:00

Written by hand. Verifying the chain then hashes stored bytes instead of rebuilding each
event's canonical JSON in Python, and checks in SQL that the bytes agree with the columns
(workflow.eventlog.verify). Events already on file get their bytes from their columns,
exactly as `log.seal` makes them: an event edited before this upgrade still fails
verification, since its bytes then do not hash to its stored hash.

The log refuses UPDATE: its guard is lifted for the fill and put back, in this
transaction. About 50,000 events a second on SQLite; a log of 3.5 million takes minutes.

Order: any later migration that appends events through `workflow.eventlog.append` writes
this column, so it must come after this one (0012, token events, does). Migrations that only replay the log (`log_rows`) may come before:
the replay never reads the column.
"""

from alembic import op
import sqlalchemy as sa

from workflow.db import update_rows
from workflow.eventlog.log import canonical_event
from workflow.types import UTCDateTime


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_BATCH = 20_000
_HASHED = ("seq", "type", "entity_type", "entity_id", "payload", "account", "on_behalf_of", "occurred_at", "recorded_at", "prev_hash")
_EVENT = sa.table(
    "event",
    sa.column("seq", sa.BigInteger()),
    *(sa.column(name, sa.Text()) for name in ("type", "entity_type", "entity_id", "payload", "account", "on_behalf_of")),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("recorded_at", UTCDateTime()),
    sa.column("prev_hash", sa.Text()),
    sa.column("canonical", sa.LargeBinary()),
)
_SQLITE_GUARD = "CREATE TRIGGER event_no_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"


def upgrade() -> None:
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        op.add_column("event", sa.Column("canonical", sa.LargeBinary(), nullable=True))
        op.execute("ALTER TABLE event DISABLE TRIGGER event_append_only")
    else:
        # SQLite adds a NOT NULL column only with a default; every row gets its bytes below.
        op.execute("ALTER TABLE event ADD COLUMN canonical BLOB NOT NULL DEFAULT x''")
        op.execute("DROP TRIGGER IF EXISTS event_no_update")
    _fill(connection)
    if postgresql:
        op.execute("ALTER TABLE event ENABLE TRIGGER event_append_only")
        op.alter_column("event", "canonical", nullable=False)
    else:
        op.execute(_SQLITE_GUARD)


def _fill(connection) -> None:
    last = 0
    while True:
        rows = connection.execute(
            sa.select(*(_EVENT.c[name] for name in _HASHED)).where(_EVENT.c.seq > last).order_by(_EVENT.c.seq).limit(_BATCH)
        ).all()
        if not rows:
            return
        update_rows(connection, _EVENT, keys=["seq"], values=["canonical"], rows=[(canonical_event(*row).encode("utf-8"), row[0]) for row in rows])
        last = rows[-1][0]


def downgrade() -> None:
    # SQLite drops a column in place (3.35+): the event table and its triggers stay as they are.
    op.execute("ALTER TABLE event DROP COLUMN canonical")
