"""accounts: account, account_token, idempotent_request (issue 5)

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-29 18:10:00

Written by hand: it branches off 0001 beside the exit-case and visit revisions, and
`workflow.migrate.upgrade` goes to every head.
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("roles", sa.String(length=128), nullable=False),
        sa.Column("scope_code", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", workflow.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", workflow.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["scope_code"], ["org_unit.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_scope_code"), ["scope_code"], unique=False)

    op.create_table(
        "account_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", workflow.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("account_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_token_account_id"), ["account_id"], unique=False)

    op.create_table(
        "idempotent_request",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=512), nullable=True),
        sa.Column("created_at", workflow.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "key", name="pk_idempotent_request"),
    )


def downgrade() -> None:
    op.drop_table("idempotent_request")
    with op.batch_alter_table("account_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_token_account_id"))
    op.drop_table("account_token")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_scope_code"))
        batch_op.drop_index(batch_op.f("ix_account_person_id"))
    op.drop_table("account")
