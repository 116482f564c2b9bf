"""yearly rural population, and imports marked as migrations with their run of events (issue 16)

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-07 00:23:29

New tables `unit_population` (a village's rural population per year) and `record_import`
(onboarding files that changed something), each with its version twin; `visit_import` gains
`migration` and the run of events an import appended. Nothing already on file changes: an
import recorded before this revision was no migration, and its run is unknown (NULL).
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_import',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('migration', sa.Boolean(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('imported_at', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_import_content_sha256'), ['content_sha256'], unique=False)

    op.create_table('record_import_version',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('added', sa.Integer(), nullable=True),
    sa.Column('changed', sa.Integer(), nullable=True),
    sa.Column('migration', sa.Boolean(), nullable=True),
    sa.Column('first_seq', sa.BigInteger(), nullable=True),
    sa.Column('last_seq', sa.BigInteger(), nullable=True),
    sa.Column('imported_at', workflow.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('imported_by', sa.String(length=64), nullable=True),
    sa.Column('known_from', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('known_until', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', 'known_from')
    )
    with op.batch_alter_table('record_import_version', schema=None) as batch_op:
        batch_op.create_index('ix_record_import_content_sha256_version', ['content_sha256'], unique=False)

    op.create_table('unit_population_version',
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rural_population', sa.Integer(), nullable=True),
    sa.Column('known_from', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('known_until', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('unit_code', 'year', 'known_from')
    )
    op.create_table('unit_population',
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rural_population', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('unit_code', 'year')
    )
    with op.batch_alter_table('visit_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('migration', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('first_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('last_seq', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('visit_import_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('migration', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('first_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('last_seq', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('visit_import_version', schema=None) as batch_op:
        batch_op.drop_column('last_seq')
        batch_op.drop_column('first_seq')
        batch_op.drop_column('migration')

    with op.batch_alter_table('visit_import', schema=None) as batch_op:
        batch_op.drop_column('last_seq')
        batch_op.drop_column('first_seq')
        batch_op.drop_column('migration')

    op.drop_table('unit_population')
    op.drop_table('unit_population_version')
    with op.batch_alter_table('record_import_version', schema=None) as batch_op:
        batch_op.drop_index('ix_record_import_content_sha256_version')

    op.drop_table('record_import_version')
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_import_content_sha256'))

    op.drop_table('record_import')
