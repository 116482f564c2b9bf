"""visit_import: each accepted file of visits, by its content's SHA-256 (issue 15.4)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00

Written by hand. A projection of the `visits.imported` events: an import of the same
file a second time is refused (unless asked for) by finding its hash here. A database
upgraded with imports already in it has no such events, so nothing to fill in.
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_import",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("imported_at", workflow.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_import_content_sha256"), ["content_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_import_content_sha256"))
    op.drop_table("visit_import")
