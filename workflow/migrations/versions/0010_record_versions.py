"""record versions: every state of a projected record, by the event that gave it (issue 14.3)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 20:30:00

Written by hand. Reads "as known at a moment" come from these tables (workflow.eventlog.
versions) instead of a replay of the log into a scratch database per request. A visit keeps
the seqs of the events that recorded and voided it instead (too many rows to version); a
registry spell is versioned like the rest, and drops the two seq columns of 0006.

A database upgraded with events in it gets its versions by replaying its own log into its
projections (workflow.eventlog.replay.rebuild_projections), once. The replay uses the models
of the newest revision, so it runs after the last revision of the upgrade (env.py), not
here: later revisions may add tables and columns the models write. `visit.recorded_seq`
becomes NOT NULL there too, once the replay has filled it.
"""

from alembic import op
import sqlalchemy as sa
import workflow.types
from workflow.migrations import after_upgrade


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("roles", sa.String(length=128), nullable=True),
        sa.Column("scope_code", sa.String(length=32), nullable=True),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_account_person_id_version", "account_version", ["person_id"], unique=False)
    op.create_index("ix_account_scope_code_version", "account_version", ["scope_code"], unique=False)
    op.create_table(
        "exit_case_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("opened_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("status_since", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("notice_ends_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("proposal", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("exited_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_exit_case_status_version", "exit_case_version", ["status"], unique=False)
    op.create_index("ix_exit_case_subject_version", "exit_case_version", ["level", "subject_id"], unique=False)
    op.create_index("ix_exit_case_unit_code_version", "exit_case_version", ["unit_code"], unique=False)
    op.create_table(
        "exit_objection_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("lodged_by", sa.String(length=128), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=True),
        sa.Column("lodged_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_exit_objection_case_id_version", "exit_objection_version", ["case_id"], unique=False)
    op.create_table(
        "exit_signature_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("signer_id", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("document_ref", sa.String(length=256), nullable=True),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("on_behalf_of", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("recorded_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_exit_signature_signer_id_version", "exit_signature_version", ["signer_id"], unique=False)
    op.create_table(
        "household_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("village_code", sa.String(length=32), nullable=True),
        sa.Column("head_name", sa.String(length=128), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_household_village_code_version", "household_version", ["village_code"], unique=False)
    op.create_table(
        "org_unit_version",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("name_en", sa.String(length=128), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("path", sa.String(length=512), nullable=True),
        sa.Column("rural_population", sa.Integer(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", "known_from"),
    )
    op.create_index("ix_org_unit_level_version", "org_unit_version", ["level"], unique=False)
    op.create_index("ix_org_unit_parent_code_version", "org_unit_version", ["parent_code"], unique=False)
    op.create_index("ix_org_unit_path_version", "org_unit_version", ["path"], unique=False)
    op.create_table(
        "pairing_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("cadre_id", sa.String(length=64), nullable=True),
        sa.Column("household_id", sa.String(length=64), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_pairing_cadre_id_version", "pairing_version", ["cadre_id"], unique=False)
    op.create_index("ix_pairing_household_id_version", "pairing_version", ["household_id"], unique=False)
    op.create_table(
        "person_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("gender", sa.String(length=8), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_table(
        "post_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_post_person_id_version", "post_version", ["person_id"], unique=False)
    op.create_index("ix_post_unit_role_version", "post_version", ["unit_code", "role"], unique=False)
    op.create_table(
        "registry_spell_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_registry_spell_subject_version", "registry_spell_version", ["kind", "subject_id"], unique=False)
    op.create_table(
        "unit_link_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("village_code", sa.String(length=32), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_unit_link_unit_code_version", "unit_link_version", ["unit_code"], unique=False)
    op.create_index("ix_unit_link_village_code_version", "unit_link_version", ["village_code"], unique=False)
    op.create_table(
        "visit_import_version",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("visits", sa.Integer(), nullable=True),
        sa.Column("imported_at", workflow.types.UTCDateTime(), nullable=True),
        sa.Column("imported_by", sa.String(length=64), nullable=True),
        sa.Column("known_from", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("known_until", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", workflow.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "known_from"),
    )
    op.create_index("ix_visit_import_content_sha256_version", "visit_import_version", ["content_sha256"], unique=False)

    with op.batch_alter_table("registry_spell") as batch:
        batch.drop_column("exited_seq")
        batch.drop_column("registered_seq")
    op.add_column("visit", sa.Column("recorded_seq", sa.BigInteger(), nullable=True))
    op.add_column("visit", sa.Column("voided_seq", sa.BigInteger(), nullable=True))

    connection = op.get_bind()
    if connection.execute(sa.text("SELECT 1 FROM event LIMIT 1")).first() is None:
        _require_recorded_seq(op)
    else:
        # Replaying uses the models of the newest revision: after the upgrade's last revision.
        after_upgrade(connection, _replay_then_require_recorded_seq)


def _replay_then_require_recorded_seq(connection, operations) -> None:
    from sqlmodel import Session

    from workflow.eventlog.replay import rebuild_projections

    with Session(bind=connection) as session:
        rebuild_projections(session)
        session.flush()
    _require_recorded_seq(operations)


def _require_recorded_seq(operations) -> None:
    with operations.batch_alter_table("visit") as batch:
        batch.alter_column("recorded_seq", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("visit") as batch:
        batch.drop_column("voided_seq")
        batch.drop_column("recorded_seq")
    op.add_column("registry_spell", sa.Column("registered_seq", sa.BigInteger(), nullable=True))
    op.add_column("registry_spell", sa.Column("exited_seq", sa.BigInteger(), nullable=True))
    op.drop_table("account_version")
    op.drop_table("exit_case_version")
    op.drop_table("exit_objection_version")
    op.drop_table("exit_signature_version")
    op.drop_table("household_version")
    op.drop_table("org_unit_version")
    op.drop_table("pairing_version")
    op.drop_table("person_version")
    op.drop_table("post_version")
    op.drop_table("registry_spell_version")
    op.drop_table("unit_link_version")
    op.drop_table("visit_import_version")
