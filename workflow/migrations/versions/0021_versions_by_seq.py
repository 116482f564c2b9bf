"""the versions of households, registry spells and pairings indexed by the seq that gave them (issues 14, 18)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:45:00

Read as known at an earlier point of the log, the pairing cover's tally (and the reports that
count it: pairing coverage, unpaired households, work-team gaps, incidence) is corrected by
the households whose records changed since that point (`cover.by_village`): this index
finds them without reading every version.
"""

from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

TABLES = ('household_version', 'registry_spell_version', 'pairing_version')


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f'ix_{table}_known_from', table, ['known_from'], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_known_from', table_name=table)
