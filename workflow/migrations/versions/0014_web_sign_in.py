"""web sign-in: account_password (argon2 hashes, added never edited) and web_session (issue 17)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:40:00

Written by hand. Neither table is a projection: a password hash and a session are
credentials, kept out of the append-only log (which records `account.password_set`).
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_password",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("set_at", workflow.types.UTCDateTime(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "set_at", name="pk_account_password"),
    )
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", workflow.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_web_session_account_id", "web_session", ["account_id"], unique=False)
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_web_session_expires_at", table_name="web_session")
    op.drop_index("ix_web_session_account_id", table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("account_password")
