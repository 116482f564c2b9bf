"""the pairing cover: each poor-household spell cut into runs of days paired and unpaired, and its tally per village and day (issue 18)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 03:50:00

A derived read model (`workflow/pairings/cover.py`) the pairing and work-team reports sum per
village (its tally by village and day) instead of joining every household to its spells and
pairings; derived here from the records on file, as a replay would.
"""

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
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
    op.create_table('pairing_cover_tally',
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('paired', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('village_code', 'day')
    )

    from workflow.pairings import cover

    cover.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table('pairing_cover_tally')
    op.drop_table('pairing_cover')
