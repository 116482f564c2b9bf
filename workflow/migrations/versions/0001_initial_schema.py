"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 17:52:05.524148
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import workflow.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('on_behalf_of', sa.String(length=64), nullable=True),
    sa.Column('occurred_at', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', workflow.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('hash')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_account'), ['account'], unique=False)
        batch_op.create_index('ix_event_entity', ['entity_type', 'entity_id', 'seq'], unique=False)
        batch_op.create_index('ix_event_recorded_at', ['recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_type'), ['type'], unique=False)

    op.create_table('org_unit',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=32), nullable=True),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('rural_population', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_unit_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_unit_parent_code'), ['parent_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_unit_path'), ['path'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('registry_spell',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('exited_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('registry_spell', schema=None) as batch_op:
        batch_op.create_index('ix_registry_spell_subject', ['kind', 'subject_id'], unique=False)

    op.create_table('household',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('head_name', sa.String(length=128), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['village_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_village_code'), ['village_code'], unique=False)

    op.create_table('post',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['unit_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_post_unit_role', ['unit_code', 'role'], unique=False)

    op.create_table('unit_link',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('village_code', sa.String(length=32), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['unit_code'], ['org_unit.code'], ),
    sa.ForeignKeyConstraint(['village_code'], ['org_unit.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('unit_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_link_unit_code'), ['unit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_link_village_code'), ['village_code'], unique=False)

    op.create_table('pairing',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('cadre_id', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.String(length=64), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairing_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_household_id'), ['household_id'], unique=False)
    _forbid_event_edits()


def _forbid_event_edits() -> None:
    """The log is append-only: the database itself refuses UPDATE and DELETE on it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the event log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
            "FOR EACH ROW EXECUTE FUNCTION event_is_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_no_{action.lower()} BEFORE {action} ON event "
                "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS event_is_append_only()")
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairing_household_id'))
        batch_op.drop_index(batch_op.f('ix_pairing_cadre_id'))

    op.drop_table('pairing')
    with op.batch_alter_table('unit_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_link_village_code'))
        batch_op.drop_index(batch_op.f('ix_unit_link_unit_code'))

    op.drop_table('unit_link')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_unit_role')
        batch_op.drop_index(batch_op.f('ix_post_person_id'))

    op.drop_table('post')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_village_code'))

    op.drop_table('household')
    with op.batch_alter_table('registry_spell', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_spell_subject')

    op.drop_table('registry_spell')
    op.drop_table('person')
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_unit_path'))
        batch_op.drop_index(batch_op.f('ix_org_unit_parent_code'))
        batch_op.drop_index(batch_op.f('ix_org_unit_level'))

    op.drop_table('org_unit')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_type'))
        batch_op.drop_index('ix_event_recorded_at')
        batch_op.drop_index('ix_event_entity')
        batch_op.drop_index(batch_op.f('ix_event_account'))

    op.drop_table('event')
