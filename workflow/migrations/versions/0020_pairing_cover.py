"""the pairing cover: each poor-household spell cut into runs of days paired and unpaired (issue 18)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07 03:50:00

A derived read model (`workflow/pairings/cover.py`) the pairing and work-team reports count
per village instead of joining every household to its spells and pairings; derived here
from the records on file, as a replay would.
"""

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pairing_cover',
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('paired', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('household_id', 'start_date')
    )
    op.create_index('ix_pairing_cover_village', 'pairing_cover', ['village_code', 'start_date', 'end_date', 'paired', 'members'], unique=False)

    from workflow.pairings import cover

    cover.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_pairing_cover_village', table_name='pairing_cover')
    op.drop_table('pairing_cover')
