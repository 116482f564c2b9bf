import datetime as dt

import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.factories import ADMIN
from workflow.schema import metadata


def test_migrated_database_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_upgrading_a_database_with_records_gives_them_the_versions_their_log_implies(engine):
    """Migration 0010 gives records already on file the versions, and visits the seqs, the projections would have written."""
    from sqlalchemy import select

    from sample_data.load import load_sample_data
    from workflow.db import transaction
    from workflow.eventlog.versions import versioned_tables
    from workflow.migrate import upgrade
    from workflow.org import service as org
    from workflow.org.models import RegistrySpell
    from workflow.visits import service as visits
    from workflow.visits.models import Visit

    with transaction(engine) as session:
        load_sample_data(session)
        township = session.execute(select(RegistrySpell.subject_id).where(RegistrySpell.kind == "concentrated_township")).scalars().first()
        org.end_unit_registration(session, actor=ADMIN, kind="concentrated_township", code=township, exited_on=dt.date(2018, 6, 15))
        visits.void_visit(session, actor=ADMIN, visit_id=session.execute(select(Visit.id).limit(1)).scalar_one(), reason="录入错误")
    kept = [Visit.__table__, *versioned_tables().values()]

    def stored():
        with engine.connect() as connection:
            return {table.name: sorted(connection.execute(select(table)).all(), key=repr) for table in kept}

    projected = stored()
    filled = ("visit", "org_unit_version", "person_version", "household_version", "registry_spell_version", "post_version", "pairing_version", "exit_case_version", "exit_signature_version")
    assert all(projected[name] for name in filled) and any(row.voided_seq for row in projected["visit"])
    try:
        _downgrade(engine, "0009")
    finally:
        upgrade(engine)
    assert stored() == projected


@pytest.mark.parametrize("before", ["0011", "0009"])  # 0009: 0010's replay of the log, queued after the upgrade, must keep the token
def test_upgrading_a_database_with_tokens_issued_before_the_log_kept_them_turns_each_into_an_event(engine, before):
    """Migration 0012: a token stored before 0012 (a row, no event) gets its `account.token_issued`
    event, occurring when it was issued; tokens already issued through the log are left alone;
    the audit then passes, and every token still signs in."""
    import json

    from sqlalchemy import select, text

    from tests.factories import build_tree
    from workflow.accounts import service as accounts
    from workflow.audit.verify import audit
    from workflow.db import transaction
    from workflow.eventlog.models import Event
    from workflow.migrate import upgrade

    with transaction(engine) as session:
        tree = build_tree(session)
        account, token = accounts.create_account(session, actor=ADMIN, name="溆浦县督查", roles=["supervisor"], scope_code=tree.county)
    _downgrade(engine, before)
    legacy = accounts.hash_token("et_legacy")
    with engine.begin() as connection:  # as the code before 0012 issued a token: a row only
        connection.execute(text("INSERT INTO account_token (token_hash, account_id, issued_at) VALUES (:h, :a, :t)"), {"h": legacy, "a": account.id, "t": dt.datetime(2017, 9, 1, 2, 0)})
    upgrade(engine)
    with transaction(engine) as session:
        issued = session.execute(select(Event).where(Event.type == "account.token_issued").order_by(Event.seq)).scalars().all()
        assert [(json.loads(e.payload)["token_hash"], e.account) for e in issued] == [(accounts.hash_token(token), ADMIN.account), (legacy, "migration")]
        assert issued[1].occurred_at == dt.datetime(2017, 9, 1, 2, 0, tzinfo=dt.timezone.utc)
        assert accounts.account_for_token(session, token).id == accounts.account_for_token(session, "et_legacy").id == account.id
        assert audit(session).intact


def test_upgrading_a_log_on_file_gives_each_event_the_canonical_bytes_of_its_columns(engine):
    """Migration 0011 fills event.canonical from the columns exactly as `seal` does, and puts the log's guard back."""
    import pytest
    from sqlalchemy import inspect, select, text
    from sqlmodel import Session

    from sample_data.load import load_sample_data
    from workflow.db import transaction
    from workflow.eventlog import Event
    from workflow.eventlog.verify import verify_chain
    from workflow.migrate import upgrade

    with transaction(engine) as session:
        load_sample_data(session)

    def stored():
        with engine.connect() as connection:
            return connection.execute(select(Event.seq, Event.hash, Event.canonical).order_by(Event.seq)).all()

    written = stored()
    try:
        _downgrade(engine, "0010")
        with engine.connect() as connection:
            assert "canonical" not in {column["name"] for column in inspect(connection).get_columns("event")}
    finally:
        upgrade(engine)
    assert stored() == written and len(written) > 100
    with Session(engine) as session:
        assert verify_chain(session).intact
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE event SET account = 'x' WHERE seq = 1"))


def test_upgrading_a_database_with_obligation_rows_counts_their_tallies_per_official(engine):
    """Migrations 0023 and 0025: a database with obligation rows and visit masks on file gets the
    counts per official (and year) the projection would have kept (the other tallies counted
    afresh alike); going down to 0024, the counts per official and month are the year rows'
    columns, month by month."""
    from sqlalchemy import inspect, select, text

    from sample_data.load import load_sample_data
    from workflow.db import transaction
    from workflow.migrate import upgrade
    from workflow.obligations.models import MONTHS, ObligationDayTally, ObligationPersonYearTally, ObligationTally

    with transaction(engine) as session:
        load_sample_data(session)
    kept = (ObligationTally.__table__, ObligationDayTally.__table__, ObligationPersonYearTally.__table__)

    def stored():
        with engine.connect() as connection:
            return {table.name: sorted(connection.execute(select(table)).all()) for table in kept}

    projected = stored()
    by_year = projected["obligation_person_year_tally"]
    assert all(projected.values()) and any(row._mapping[f"visited_{month}"] for row in by_year for month in MONTHS)
    by_month = sorted(
        (row.kind, row.role, row.unit_code, row.person_id, row.year * 12 + month - 1, row.unit_path, *counts)
        for row in by_year for month in MONTHS
        if any(counts := tuple(row._mapping[f"{name}_{month}"] for name in ("starting", "ending", "visited")))
    )
    try:
        _downgrade(engine, "0024")
        with engine.connect() as connection:
            assert "obligation_person_year_tally" not in inspect(connection).get_table_names()
            assert sorted(connection.execute(text("SELECT kind, role, unit_code, person_id, month, unit_path, starting, ending, visited FROM obligation_person_tally")).all()) == by_month
        _downgrade(engine, "0022")
        with engine.connect() as connection:
            assert "obligation_person_tally" not in inspect(connection).get_table_names()
    finally:
        upgrade(engine)
    assert stored() == projected


def _downgrade(engine, revision: str) -> None:
    """Take `engine`'s database down to `revision` (`workflow.migrate.upgrade` brings it back)."""
    from alembic import command

    from workflow.migrate import alembic_config

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
