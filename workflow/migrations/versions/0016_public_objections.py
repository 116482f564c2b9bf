"""objections from the public notice page: an objection's channel, the objector's phone and its
receipt's hash; public_attempt, the flood control of the public form (issue 18, part 4)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:40:00

Written by hand. Objections on file were all entered by staff: their channel is `staff`,
which is also what replaying their events gives (a payload without a channel is a staff
one), in the table and in its versions. public_attempt is not a projection: it holds the
recent submissions per client address, so the limit holds across server processes.
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("exit_objection", "exit_objection_version"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "exit_objection":
                batch_op.add_column(sa.Column("channel", sa.String(length=32), nullable=False, server_default="staff"))
            else:
                batch_op.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column("contact_phone", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column("receipt_hash", sa.String(length=64), nullable=True))
    op.execute("UPDATE exit_objection_version SET channel = 'staff'")
    with op.batch_alter_table("exit_objection", schema=None) as batch_op:
        batch_op.create_index("ix_exit_objection_receipt_hash", ["receipt_hash"], unique=True)
    with op.batch_alter_table("exit_objection_version", schema=None) as batch_op:
        batch_op.create_index("ix_exit_objection_receipt_hash_version", ["receipt_hash"], unique=False)
    op.create_table(
        "public_attempt",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_public_attempt_client", "public_attempt", ["kind", "client", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_public_attempt_client", table_name="public_attempt")
    op.drop_table("public_attempt")
    with op.batch_alter_table("exit_objection_version", schema=None) as batch_op:
        batch_op.drop_index("ix_exit_objection_receipt_hash_version")
    with op.batch_alter_table("exit_objection", schema=None) as batch_op:
        batch_op.drop_index("ix_exit_objection_receipt_hash")
    for table in ("exit_objection", "exit_objection_version"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("receipt_hash")
            batch_op.drop_column("contact_phone")
            batch_op.drop_column("channel")
