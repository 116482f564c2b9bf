"""poor households counted by their poor days, and those each person visited (issue 20 goal 4: V6 over a city)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 13:10:00

A derived read model (`workflow/obligations/poor_counts.py`): each poor household's poor days
as one text, per village how many households share them, and per person, year and village how
many of them the person visited (by the first day in the year and whether in the year before).
The rule owed per poor household below a post (V6) counts a city's half a million instances
from these instead of reading each household; derived here from the pairing cover and the
visit masks on file, as a replay would. The masks gain an index by target: who visited a
household, when its poor days change.
"""

from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('poor_household',
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('spells', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('household_id')
    )
    op.create_table('poor_spells_tally',
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('spells', sa.Text(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('village_code', 'spells')
    )
    op.create_table('poor_visit_tally',
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('spells', sa.Text(), nullable=False),
    sa.Column('visited_before', sa.Boolean(), nullable=False),
    sa.Column('first_visit', sa.Date(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'year', 'village_code', 'spells', 'visited_before', 'first_visit'),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_visit_mask_target', 'visit_mask', ['target_level', 'target_id'], unique=False)

    from workflow.obligations import poor_counts

    poor_counts.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_visit_mask_target', table_name='visit_mask')
    op.drop_table('poor_visit_tally')
    op.drop_table('poor_spells_tally')
    op.drop_table('poor_household')
