"""registry spells carry the events that opened and ended them (issue 13, "as known at")

Revision ID: 0006
Revises: 0002, 0004, 0005
Create Date: 2026-12-06 18:00:00

Written by hand; it also joins the three heads into one. A report as known at a past
moment must see a registry spell as the log told it then: absent before its registration
was recorded, open before its end was. The seqs of those two events are kept on the row;
a database upgraded with spells in it gets them from its own log here.
"""

import json

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = ("0002", "0004", "0005")
branch_labels = None
depends_on = None

REGISTRY_KIND = {"household": "poor_household", "village": "poor_village", "county": "poor_county"}


def _seqs_from_the_log(connection) -> dict[str, list]:
    """Each spell's [registered_seq, exited_seq], as the projectors set them, from the log."""
    cases = {case_id: (level, subject) for case_id, level, subject in connection.execute(sa.text("SELECT id, level, subject_id FROM exit_case"))}
    seqs, open_spells = {}, {}
    events = connection.execute(sa.text(
        "SELECT seq, type, payload FROM event WHERE type IN ('registry.registered', 'registry.ended', 'household.registered', 'exit_case.relapsed') "
        "OR type LIKE 'exit_case.%' ORDER BY seq"
    ))
    for seq, type, payload in events:
        data = json.loads(payload)
        if type == "registry.registered":
            spell, key = data["id"], (data["kind"], data["subject_id"])
        elif type == "household.registered":
            spell, key = data["spell_id"], ("poor_household", data["id"])
        elif type == "registry.ended":
            if open_spells.pop((data["kind"], data["subject_id"]), None) == data["id"]:
                seqs[data["id"]][1] = seq
            continue
        elif type == "exit_case.relapsed":
            spell, key = data["spell_id"], ("poor_household", data["household_id"])
        else:
            if data.get("status_after") == "exited" and data.get("case_id") in cases:
                level, subject = cases[data["case_id"]]
                ended = open_spells.pop((REGISTRY_KIND[level], subject), None)
                if ended is not None:
                    seqs[ended][1] = seq
            continue
        seqs[spell] = [seq, None]
        open_spells[key] = spell
    return seqs


def upgrade() -> None:
    op.add_column("registry_spell", sa.Column("registered_seq", sa.BigInteger(), nullable=True))
    op.add_column("registry_spell", sa.Column("exited_seq", sa.BigInteger(), nullable=True))
    connection = op.get_bind()
    seqs = _seqs_from_the_log(connection)
    if seqs:
        connection.execute(
            sa.text("UPDATE registry_spell SET registered_seq = :registered, exited_seq = :exited WHERE id = :id"),
            [{"id": spell, "registered": registered, "exited": exited} for spell, (registered, exited) in seqs.items()],
        )
    with op.batch_alter_table("registry_spell") as batch:
        batch.alter_column("registered_seq", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("registry_spell") as batch:
        batch.drop_column("exited_seq")
        batch.drop_column("registered_seq")
