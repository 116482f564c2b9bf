"""obligation tallies per official and year: obligation_person_year_tally (issue 20 goal 4: the city's scorecard)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 15:40:00

Written by hand. The scorecard's V7 scores summed `obligation_person_tally`, a row per official
and month (678,076 at Huaihua's scale, twelve a year per official, most only a month's
visits): the same counts are kept a row per official and year, a column per month, with the
year's rows starting and ending beside them. Derived here from `obligation` and
`visit_mask` as the projection keeps it (every tally counted again, once the upgrade's last
revision has run); going down, the monthly rows are the year rows' columns, one month at a time.
"""

from alembic import op
import sqlalchemy as sa

from workflow.migrations import after_upgrade, count_tallies


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

MONTHS = range(1, 13)
COUNTS = ('starting', 'ending', 'visited')


def upgrade() -> None:
    op.create_table(
        'obligation_person_year_tally',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('unit_code', sa.String(length=32), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('unit_path', sa.String(length=512), nullable=False),
        sa.Column('starting', sa.Integer(), nullable=False),
        sa.Column('ending', sa.Integer(), nullable=False),
        *(sa.Column(f'{name}_{month}', sa.Integer(), nullable=False) for name in COUNTS for month in MONTHS),
        sa.PrimaryKeyConstraint('kind', 'unit_path', 'person_id', 'year', 'role', 'unit_code'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_obligation_person_year_tally_unit', 'obligation_person_year_tally', ['unit_code', 'year'], unique=False)
    op.drop_index('ix_obligation_person_tally_scope', table_name='obligation_person_tally')
    op.drop_table('obligation_person_tally')
    after_upgrade(op.get_bind(), count_tallies)  # every tally, this one too, once the upgrade's last revision has run


def downgrade() -> None:
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
    for month in MONTHS:  # month numbers count from January of year 0: year · 12 + month − 1
        op.execute(
            'INSERT INTO obligation_person_tally (kind, role, unit_code, person_id, month, unit_path, starting, ending, visited) '
            f'SELECT kind, role, unit_code, person_id, year * 12 + {month - 1}, unit_path, starting_{month}, ending_{month}, visited_{month} '
            f'FROM obligation_person_year_tally WHERE starting_{month} <> 0 OR ending_{month} <> 0 OR visited_{month} <> 0'
        )
    op.drop_index('ix_obligation_person_year_tally_unit', table_name='obligation_person_year_tally')
    op.drop_table('obligation_person_year_tally')
