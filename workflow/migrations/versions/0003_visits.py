"""visits: visit, visit_mask, obligation (issue 4)

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29 18:30:00

Written by hand: it branches off 0001 beside the exit-case and account revisions, and
`workflow.migrate.upgrade` goes to every head.
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("target_level", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("village_code", sa.String(length=32), nullable=True),
        sa.Column("township_code", sa.String(length=32), nullable=False),
        sa.Column("unit_path", sa.String(length=512), nullable=False),
        sa.Column("occurred_at", workflow.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", workflow.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("voided_at", workflow.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.String(length=64), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["visitor_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_visitor_day", ["visitor_id", "occurred_on"], unique=False)
        batch_op.create_index("ix_visit_unit_path_day", ["unit_path", "occurred_on"], unique=False)

    op.create_table(
        "visit_mask",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("target_level", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month_mask", sa.Integer(), nullable=False),
        sa.Column("first_days", sa.BigInteger(), nullable=False),
        sa.Column("last_days", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "target_level", "target_id", "year"),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "obligation",
        sa.Column("post_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("unit_path", sa.String(length=512), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=True),
        sa.Column("county_code", sa.String(length=32), nullable=True),
        sa.Column("target_level", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("last_month", sa.Integer(), nullable=True),
        sa.Column("mask_year", sa.Integer(), nullable=True),
        sa.Column("month_mask", sa.Integer(), nullable=False),
        sa.Column("first_days", sa.BigInteger(), nullable=False),
        sa.Column("last_days", sa.BigInteger(), nullable=False),
        sa.Column("prev_month_mask", sa.Integer(), nullable=False),
        sa.Column("prev_first_days", sa.BigInteger(), nullable=False),
        sa.Column("prev_last_days", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "source_id"),
    )
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.create_index("ix_obligation_scope", ["kind", "unit_path"], unique=False)
        batch_op.create_index("ix_obligation_target", ["person_id", "target_level", "target_id"], unique=False)
        batch_op.create_index("ix_obligation_source", ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.drop_index("ix_obligation_source")
        batch_op.drop_index("ix_obligation_target")
        batch_op.drop_index("ix_obligation_scope")
    op.drop_table("obligation")
    op.drop_table("visit_mask")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_unit_path_day")
        batch_op.drop_index("ix_visit_visitor_day")
    op.drop_table("visit")
