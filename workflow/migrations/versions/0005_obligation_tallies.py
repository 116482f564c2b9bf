"""obligation tallies: obligation_tally, obligation_day_tally (issue 4, report totals)

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30 00:10:00

Written by hand. The tallies are a projection of `obligation` and `visit_mask`: a database
upgraded with rows in those tables gets its tallies counted here.
"""

from alembic import op
import sqlalchemy as sa

from workflow.migrations import after_upgrade, count_tallies


revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "obligation_tally",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_path", sa.String(length=512), nullable=False),
        sa.Column("starting", sa.Integer(), nullable=False),
        sa.Column("ending", sa.Integer(), nullable=False),
        sa.Column("visited", sa.Integer(), nullable=False),
        sa.Column("visited_ending", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "role", "unit_code", "month"),
    )
    op.create_index("ix_obligation_tally_scope", "obligation_tally", ["kind", "unit_path", "month"], unique=False)
    op.create_table(
        "obligation_day_tally",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_path", sa.String(length=512), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "role", "unit_code", "month", "day"),
    )
    op.create_index("ix_obligation_day_tally_scope", "obligation_day_tally", ["kind", "month", "unit_path"], unique=False)

    # Counted once the upgrade's last revision has run: `tallies` writes the newest revision's tally tables.
    after_upgrade(op.get_bind(), count_tallies)


def downgrade() -> None:
    op.drop_index("ix_obligation_day_tally_scope", table_name="obligation_day_tally")
    op.drop_table("obligation_day_tally")
    op.drop_index("ix_obligation_tally_scope", table_name="obligation_tally")
    op.drop_table("obligation_tally")
