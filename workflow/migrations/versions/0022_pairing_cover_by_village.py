"""the pairing cover indexed by village (issue 20: the city's report over every rule)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 10:05:00

The jurisdiction rule over poor households (V6) reads, for the villages below the posts,
each household's poor periods: from the pairing cover's runs (the poor-household spells cut
where pairings begin and end) by this index, which holds every column that read needs, in
the order it groups them — one pass over a city's 260,500 households, where a look-up of
each household's spells cost about 4 µs each.
"""

from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_pairing_cover_village', 'pairing_cover', ['village_code', 'household_id', 'start_date', 'end_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pairing_cover_village', table_name='pairing_cover')
