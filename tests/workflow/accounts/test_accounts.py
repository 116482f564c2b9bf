"""Accounts: created and revoked as events, tokens kept only as hashes."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from tests.factories import ADMIN, build_tree, person_in_post
from workflow.accounts import service as accounts
from workflow.accounts.models import Account, AccountToken
from workflow.db import transaction
from workflow.errors import DomainError
from workflow.eventlog import Event
from workflow.eventlog.replay import rebuild_projections, snapshot


def test_token_is_returned_once_and_stored_only_as_its_hash(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        account, token = accounts.create_account(session, actor=ADMIN, name="北斗溪镇录入员", roles=["recorder"], scope_code=tree.township)
    with transaction(engine) as session:
        stored = session.execute(select(AccountToken)).scalars().all()
        assert [row.token_hash for row in stored] == [accounts.hash_token(token)]
        assert token not in repr([row.payload for row in session.execute(select(Event)).scalars()])
        assert accounts.account_for_token(session, token).id == account.id
        assert accounts.account_for_token(session, token + "x") is None


def test_creation_and_revocation_are_events_naming_who_gave_access(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        account, token = accounts.create_account(session, actor=ADMIN, name="溆浦县督查", roles=["supervisor"], scope_code=tree.county)
        accounts.revoke_account(session, actor=ADMIN, account_id=account.id, reason="调离")
    with transaction(engine) as session:
        events = session.execute(select(Event).where(Event.entity_type == "account").order_by(Event.seq)).scalars().all()
        assert [(e.type, e.account) for e in events] == [("account.created", ADMIN.account), ("account.token_issued", ADMIN.account), ("account.revoked", ADMIN.account)]
        assert json.loads(events[1].payload) == {"account_id": account.id, "token_hash": accounts.hash_token(token)}
        assert accounts.account_for_token(session, token) is None


def test_replay_rebuilds_accounts_and_keeps_tokens_working(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        account, token = accounts.create_account(session, actor=ADMIN, name="怀化市审计", roles=["auditor"], scope_code=tree.city)
    with transaction(engine) as session:
        before = snapshot(session)
        rebuild_projections(session)
        assert snapshot(session) == before
        assert accounts.account_for_token(session, token).id == account.id


@pytest.mark.parametrize(
    "roles, code",
    [([], "invalid_role"), (["boss"], "invalid_role"), (["auditor", "recorder"], "auditor_cannot_write"), (["auditor", "admin"], "auditor_cannot_write")],
)
def test_bad_role_sets_are_refused(engine, roles, code):
    with transaction(engine) as session:
        tree = build_tree(session)
        with pytest.raises(DomainError) as refused:
            accounts.create_account(session, actor=ADMIN, name="x", roles=roles, scope_code=tree.city)
        assert refused.value.code == code and refused.value.field == "roles"


def test_unknown_scope_person_or_second_live_account_for_a_person_is_refused(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        with pytest.raises(DomainError) as refused:
            accounts.create_account(session, actor=ADMIN, name="x", roles=["recorder"], scope_code="999")
        assert refused.value.code == "org_unit_not_found"
        secretary = person_in_post(session, name="舒德明", role="village_party_secretary", unit=tree.village)
        first, _ = accounts.create_account(session, actor=ADMIN, name="舒德明", roles=["supervisor"], scope_code=tree.village, person_id=secretary)
        with pytest.raises(DomainError) as refused:
            accounts.create_account(session, actor=ADMIN, name="舒德明2", roles=["supervisor"], scope_code=tree.village, person_id=secretary)
        assert refused.value.code == "person_has_account"
        accounts.revoke_account(session, actor=ADMIN, account_id=first.id, reason="换号")
        accounts.create_account(session, actor=ADMIN, name="舒德明", roles=["supervisor"], scope_code=tree.village, person_id=secretary)
        with pytest.raises(DomainError) as refused:
            accounts.revoke_account(session, actor=ADMIN, account_id=first.id, reason="again")
        assert refused.value.code == "already_revoked"
        assert session.execute(select(Account).where(Account.person_id == secretary)).scalars().all()


def test_a_token_names_its_account_and_scope_unit_revoked_or_not(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        account, token = accounts.create_account(session, actor=ADMIN, name="鹤城区录入员", roles=["recorder"], scope_code=tree.township)
    with transaction(engine) as session:
        holder, unit = accounts.token_holder(session, token)
        assert (holder.id, unit.code) == (account.id, tree.township)
        assert accounts.token_holder(session, token + "x") is None
        accounts.revoke_account(session, actor=ADMIN, account_id=account.id, reason="调离")
    with transaction(engine) as session:
        holder, _ = accounts.token_holder(session, token)
        assert holder.revoked_at is not None and accounts.account_for_token(session, token) is None


def test_a_token_row_no_event_issued_is_found_by_the_audit_and_named(engine):
    """A bearer token written straight into the table (a forged sign-in) fails `audit verify`."""
    from workflow.audit.verify import audit

    with transaction(engine) as session:
        tree = build_tree(session)
        account, _ = accounts.create_account(session, actor=ADMIN, name="北斗溪镇录入员", roles=["recorder"], scope_code=tree.township)
    forged = accounts.hash_token("et_forged")
    with transaction(engine) as session:
        session.add(AccountToken(token_hash=forged, account_id=account.id, issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)))
    with transaction(engine) as session:
        assert accounts.account_for_token(session, "et_forged").id == account.id  # it works until the audit finds it
        report = audit(session)
    assert report.chain.intact and not report.intact
    assert report.projection.table == "account_token"
    assert forged in str(report.projection)
