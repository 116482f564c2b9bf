"""the visitor-and-day index on visits carries the seqs that recorded and voided each visit (issue 14)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:05:00

As known at a moment, a report finds the visits of its officials in the window recorded or
voided since (`sources.changed_visits`): with `recorded_seq` and `voided_seq` in the index it
reads them from the index alone instead of fetching every visit of the window. The index
keeps its name and its first two columns, so every other read by it is unchanged.
"""

from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_visitor_day')
        batch_op.create_index('ix_visit_visitor_day', ['visitor_id', 'occurred_on', 'recorded_seq', 'voided_seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_visitor_day')
        batch_op.create_index('ix_visit_visitor_day', ['visitor_id', 'occurred_on'], unique=False)
