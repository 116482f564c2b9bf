"""obligation tallies per official: obligation_person_tally (issue 20: the city's scorecard)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:30:00

Written by hand. The scorecard's closed months owed and met of the monthly rules owed per
pairing or link (V7) are sums of these counts per official, where the relationship engine
worked out the bits of each of a city's 260,500 obligation rows. They are a projection of
`obligation` and `visit_mask`, kept with the other tallies: a database upgraded with rows in
those tables gets every tally counted again here (a pure function of those tables).
"""

from alembic import op
import sqlalchemy as sa

from workflow.migrations import after_upgrade, count_tallies


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'obligation_person_tally',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('unit_code', sa.String(length=32), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('unit_path', sa.String(length=512), nullable=False),
        sa.Column('starting', sa.Integer(), nullable=False),
        sa.Column('ending', sa.Integer(), nullable=False),
        sa.Column('visited', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'role', 'unit_code', 'person_id', 'month'),
    )
    op.create_index(
        'ix_obligation_person_tally_scope', 'obligation_person_tally',
        ['kind', 'unit_path', 'person_id', 'month', 'role', 'starting', 'ending', 'visited'], unique=False,
    )
    after_upgrade(op.get_bind(), count_tallies)  # every tally, this one too, once the upgrade's last revision has run


def downgrade() -> None:
    op.drop_index('ix_obligation_person_tally_scope', table_name='obligation_person_tally')
    op.drop_table('obligation_person_tally')
