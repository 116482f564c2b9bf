"""every version table indexed by the seq that gave its versions (issues 14, 18)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:45:00

What changed after a point of the log, found by index: a session reading as known at that
point reads a table none of whose records changed since as the table itself, not through its
versions (`versions.as_known`); the pairing cover's tally is corrected by the households
changed since (`cover.by_village`).
"""

from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

TABLES = (
    'account_version', 'deep_poverty_version', 'exit_case_version', 'exit_objection_version', 'exit_signature_version',
    'household_version', 'org_unit_version', 'pairing_version', 'person_version', 'planned_exit_version', 'post_version',
    'record_import_version', 'reduction_plan_version', 'registry_spell_version', 'team_member_version', 'team_version',
    'unit_link_version', 'unit_population_version', 'visit_import_version',
)


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f'ix_{table}_known_from', table, ['known_from'], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_known_from', table_name=table)
