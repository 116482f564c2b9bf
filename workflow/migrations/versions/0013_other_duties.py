"""the source's other duties: deep-poverty marks, teams in villages and their members,
annual reduction plans and planned exit years (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:04:02

New tables only, each with its version twin; nothing already on file changes.
"""

from alembic import op
import sqlalchemy as sa
import workflow.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deep_poverty_version',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('known_from', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('known_until', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', 'known_from')
    )
    with op.batch_alter_table('deep_poverty_version', schema=None) as batch_op:
        batch_op.create_index('ix_deep_poverty_household_id_version', ['household_id'], unique=False)

    op.create_table('planned_exit_version',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('village_code', sa.String(length=32), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('known_from', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('known_until', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', 'known_from')
    )
    with op.batch_alter_table('planned_exit_version', schema=None) as batch_op:
        batch_op.create_index('ix_planned_exit_subject_id_version', ['subject_id'], unique=False)
        batch_op.create_index('ix_planned_exit_village_code_version', ['village_code'], unique=False)

    op.create_table('reduction_plan_version',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('people', sa.Integer(), nullable=True),
    sa.Column('villages', sa.Integer(), nullable=True),
    sa.Column('set_by', sa.String(length=32), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('known_from', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('known_until', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', 'known_from')
    )
    with op.batch_alter_table('reduction_plan_version', schema=None) as batch_op:
        batch_op.create_index('ix_reduction_plan_unit_code_version', ['unit_code'], unique=False)

    op.create_table('team_member_version',
    sa.Column('post_id', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=True),
    sa.Column('first_secretary', sa.Boolean(), nullable=True),
    sa.Column('known_from', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('known_until', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('post_id', 'known_from')
    )
    with op.batch_alter_table('team_member_version', schema=None) as batch_op:
        batch_op.create_index('ix_team_member_team_id_version', ['team_id'], unique=False)

    op.create_table('team_version',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('village_code', sa.String(length=32), nullable=True),
    sa.Column('sending_unit_code', sa.String(length=32), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('known_from', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('known_until', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', 'known_from')
    )
    with op.batch_alter_table('team_version', schema=None) as batch_op:
        batch_op.create_index('ix_team_sending_unit_code_version', ['sending_unit_code'], unique=False)
        batch_op.create_index('ix_team_village_code_version', ['village_code'], unique=False)

    op.create_table('planned_exit',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['village_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('planned_exit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planned_exit_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_planned_exit_village_code'), ['village_code'], unique=False)

    op.create_table('reduction_plan',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('villages', sa.Integer(), nullable=True),
    sa.Column('set_by', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['org_unit.code'], ),
    sa.ForeignKeyConstraint(['unit_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reduction_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reduction_plan_unit_code'), ['unit_code'], unique=False)

    op.create_table('team',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('sending_unit_code', sa.String(length=32), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['sending_unit_code'], ['org_unit.code'], ),
    sa.ForeignKeyConstraint(['village_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_sending_unit_code'), ['sending_unit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_village_code'), ['village_code'], unique=False)

    op.create_table('deep_poverty',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deep_poverty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deep_poverty_household_id'), ['household_id'], unique=False)

    op.create_table('team_member',
    sa.Column('post_id', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.String(length=64), nullable=False),
    sa.Column('first_secretary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('post_id')
    )
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_member_team_id'), ['team_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_member_team_id'))

    op.drop_table('team_member')
    with op.batch_alter_table('deep_poverty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deep_poverty_household_id'))

    op.drop_table('deep_poverty')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_village_code'))
        batch_op.drop_index(batch_op.f('ix_team_sending_unit_code'))

    op.drop_table('team')
    with op.batch_alter_table('reduction_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reduction_plan_unit_code'))

    op.drop_table('reduction_plan')
    with op.batch_alter_table('planned_exit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planned_exit_village_code'))
        batch_op.drop_index(batch_op.f('ix_planned_exit_subject_id'))

    op.drop_table('planned_exit')
    with op.batch_alter_table('team_version', schema=None) as batch_op:
        batch_op.drop_index('ix_team_village_code_version')
        batch_op.drop_index('ix_team_sending_unit_code_version')

    op.drop_table('team_version')
    with op.batch_alter_table('team_member_version', schema=None) as batch_op:
        batch_op.drop_index('ix_team_member_team_id_version')

    op.drop_table('team_member_version')
    with op.batch_alter_table('reduction_plan_version', schema=None) as batch_op:
        batch_op.drop_index('ix_reduction_plan_unit_code_version')

    op.drop_table('reduction_plan_version')
    with op.batch_alter_table('planned_exit_version', schema=None) as batch_op:
        batch_op.drop_index('ix_planned_exit_village_code_version')
        batch_op.drop_index('ix_planned_exit_subject_id_version')

    op.drop_table('planned_exit_version')
    with op.batch_alter_table('deep_poverty_version', schema=None) as batch_op:
        batch_op.drop_index('ix_deep_poverty_household_id_version')

    op.drop_table('deep_poverty_version')
