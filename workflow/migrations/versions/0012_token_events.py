"""token events: a bearer token is issued through the log, so the audit finds a forged one (issue 15.5)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:40:00

Written by hand. No schema changes: `account_token` becomes a projection of
`account.token_issued` events (the token's SHA-256, never the token). A database upgraded
with tokens in it gets one such event per token, recorded now by the account `migration`,
occurring when the token was issued; the token rows are then the events' own.

This runs in the revision, not after the upgrade (`migrations.after_upgrade`): a database
upgraded from before 0010 has 0010's replay of the log queued to run after the last
revision, and that replay empties `account_token` and refills it from the log, so the
tokens must be events by then.
"""

import json

from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from sqlmodel import Session

    from workflow.eventlog import Actor, append
    from workflow.types import UTCDateTime

    connection = op.get_bind()
    query = sa.text("SELECT token_hash, account_id, issued_at FROM account_token ORDER BY issued_at, token_hash")
    tokens = connection.execute(query.columns(sa.column("token_hash"), sa.column("account_id"), sa.column("issued_at", UTCDateTime()))).all()
    issued = {json.loads(payload)["token_hash"] for (payload,) in connection.execute(sa.text("SELECT payload FROM event WHERE type = 'account.token_issued'"))}
    tokens = [token for token in tokens if token.token_hash not in issued]
    if not tokens:
        return
    connection.execute(sa.text("DELETE FROM account_token WHERE token_hash IN :hashes").bindparams(sa.bindparam("hashes", expanding=True)), {"hashes": [t.token_hash for t in tokens]})
    with Session(bind=connection) as session:
        for token_hash, account_id, issued_at in tokens:
            append(
                session,
                type="account.token_issued",
                entity_type="account",
                entity_id=account_id,
                payload={"account_id": account_id, "token_hash": token_hash},
                actor=Actor(account="migration"),
                occurred_at=issued_at,
            )
        session.flush()


def downgrade() -> None:
    # The events stay: the log is append-only. The rows they keep stay usable by 0010.
    pass
