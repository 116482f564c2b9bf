"""exit cases: exit_case, exit_signature, exit_objection (issue 3)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 18:00:53.613731
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import workflow.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exit_case',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('opened_at', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_since', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notice_ends_at', workflow.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('proposal', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('exited_at', workflow.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['unit_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('exit_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_case_status'), ['status'], unique=False)
        batch_op.create_index('ix_exit_case_subject', ['level', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exit_case_unit_code'), ['unit_code'], unique=False)

    op.create_table('exit_objection',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('lodged_by', sa.String(length=128), nullable=False),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('lodged_at', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_at', workflow.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['exit_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('exit_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_objection_case_id'), ['case_id'], unique=False)

    op.create_table('exit_signature',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('signer_id', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('document_ref', sa.String(length=256), nullable=True),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('on_behalf_of', sa.String(length=64), nullable=True),
    sa.Column('occurred_at', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['exit_case.id'], ),
    sa.ForeignKeyConstraint(['signer_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['unit_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'attempt', 'step', 'role', name='uq_exit_signature_role')
    )
    with op.batch_alter_table('exit_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_signature_signer_id'), ['signer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('exit_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_signature_signer_id'))

    op.drop_table('exit_signature')
    with op.batch_alter_table('exit_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_objection_case_id'))

    op.drop_table('exit_objection')
    with op.batch_alter_table('exit_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_case_unit_code'))
        batch_op.drop_index('ix_exit_case_subject')
        batch_op.drop_index(batch_op.f('ix_exit_case_status'))

    op.drop_table('exit_case')
