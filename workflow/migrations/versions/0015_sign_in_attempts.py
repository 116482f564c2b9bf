"""sign_in_attempt: every web sign-in, failed or not, shared by all server processes (issue 17)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:30:00

Written by hand. Failed sign-ins were counted in each server process's memory, so a server
run with `--workers N` let a guesser try N times as fast, and a restart forgot them. The
attempts now live in the database, a row added per attempt and never edited. Not a
projection: an attempt is an operational record, not an event of the domain (docs/SECURITY.md).
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", workflow.types.UTCDateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_attempt_name", "sign_in_attempt", ["name", "attempted_at"], unique=False)
    op.create_index("ix_sign_in_attempt_address", "sign_in_attempt", ["address", "attempted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempt_address", table_name="sign_in_attempt")
    op.drop_index("ix_sign_in_attempt_name", table_name="sign_in_attempt")
    op.drop_table("sign_in_attempt")
