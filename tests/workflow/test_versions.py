"""Every record as known at any point of the log, read from the versions, equals a replay of
the log up to that point: each projection hands back every row it writes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import exc, func, select, text
from sqlmodel import Session

from sample_data.load import load_sample_data
from tests.factories import ADMIN
from workflow.accounts import service as accounts
from workflow.audit.rebuild import replay_database
from workflow.db import make_engine, transaction
from workflow.eventlog.log import head
from workflow.eventlog.versions import as_known, versioned_tables
from workflow.org import service as org
from workflow.eventlog.models import Event
from workflow.org.models import Household, OrgUnit, RegistrySpell
from workflow.pairings import service as pairings
from workflow.pairings.models import DeepPoverty
from workflow.posts import service as posts
from workflow.teams import service as teams
from workflow.teams.models import TeamMember
from workflow.visits import service as visits
from workflow.visits.models import Visit, VisitMask


def _rows(session: Session, name: str) -> list[tuple]:
    table = Visit.__table__ if name == "visit" else versioned_tables()[name].metadata.tables[name]
    return sorted((tuple(row) for row in session.execute(select(table))), key=repr)


def test_every_record_as_known_at_any_seq_equals_a_replay_up_to_it(engine, tmp_path):
    with transaction(engine) as session:
        load_sample_data(session)
        # Changes the sample does not make: an end of a post, of a pairing, of a designation;
        # a void; a rural population; a first secretary designated; a deep-poverty mark ended;
        # an account revoked.
        post = session.execute(select(posts.Post).limit(1)).scalar_one()
        posts.end_post(session, actor=ADMIN, post_id=post.id, end_date=max(post.start_date, dt.date(2018, 3, 31)))
        pairing = session.execute(select(posts.Pairing).limit(1)).scalar_one()
        posts.end_pairing(session, actor=ADMIN, pairing_id=pairing.id, end_date=max(pairing.start_date, dt.date(2018, 5, 31)))
        township = session.execute(select(RegistrySpell.subject_id).where(RegistrySpell.kind == "concentrated_township")).scalars().first()
        org.end_unit_registration(session, actor=ADMIN, kind="concentrated_township", code=township, exited_on=dt.date(2018, 6, 15))
        visits.void_visit(session, actor=ADMIN, visit_id=session.execute(select(Visit.id).limit(1)).scalar_one(), reason="录入错误")
        org.set_rural_population(session, actor=ADMIN, code=session.execute(select(Household.village_code).limit(1)).scalar_one(), rural_population=1234)
        member = session.execute(select(TeamMember).where(TeamMember.first_secretary.is_(False)).limit(1)).scalar_one()
        teams.designate_first_secretary(session, actor=ADMIN, team_id=member.team_id, post_id=member.post_id)
        mark = session.execute(select(DeepPoverty).limit(1)).scalar_one()
        pairings.end_deep_poverty(session, actor=ADMIN, mark_id=mark.id, end_date=dt.date(2018, 2, 28))
        account, _ = accounts.create_account(session, actor=ADMIN, name="临时", roles=["auditor"], scope_code=township)
        accounts.revoke_account(session, actor=ADMIN, account_id=account.id, reason="调离")
        last = head(session)[0]
    names = [*versioned_tables(), "visit"]
    for seq in sorted({1, 40, 120, 300, last // 2, last - 7, last}):
        target = make_engine(f"sqlite:///{tmp_path / f'at-{seq}.db'}")
        with Session(engine) as source:
            replay_database(source, target, until_seq=seq)
        with Session(target) as replayed, Session(engine) as live, as_known(live, seq) as known:
            for name in names:
                assert _rows(known, name) == _rows(replayed, name), (name, seq)
        target.dispose()


def _temporary_views(session: Session) -> set[str]:
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT table_name FROM information_schema.views WHERE table_schema LIKE 'pg_temp%'"
    else:
        query = "SELECT name FROM sqlite_temp_master WHERE type = 'view'"
    return {name for (name,) in session.exec(text(query))}


def test_as_known_makes_the_views_its_reads_need_and_a_read_model_fails(engine):
    with transaction(engine) as session:
        load_sample_data(session)
        household = session.execute(select(Household).limit(1)).scalar_one()
        seq = head(session)[0]
        org.set_rural_population(session, actor=ADMIN, code=household.village_code, rural_population=4321)
    for _ in range(2):  # a second block, on the pooled connection the first one used, makes its views again
        with Session(engine) as live:
            with as_known(live, seq) as known:
                assert _temporary_views(live) == set()
                assert known.execute(select(Household).where(Household.id == household.id)).scalar_one().village_code == household.village_code
                assert known.execute(select(OrgUnit.rural_population).where(OrgUnit.code == household.village_code)).scalar_one() != 4321
                # org_unit changed since: read from its versions; household did not: read as the table
                assert _temporary_views(live) == {"household", "org_unit"}
                assert known.execute(select(func.count()).select_from(Event)).scalar_one() == seq
                with pytest.raises(exc.DBAPIError):  # a read model has no view as known then: no answer rather than today's
                    with known.begin_nested():
                        known.execute(select(VisitMask).limit(1)).all()
            assert _temporary_views(live) == set()
            assert live.execute(select(OrgUnit.rural_population).where(OrgUnit.code == household.village_code)).scalar_one() == 4321


def test_an_error_inside_as_known_is_the_error_raised_and_leaves_the_connection_clean(engine):
    with transaction(engine) as session:
        load_sample_data(session)
        seq = head(session)[0]
    with Session(engine) as live:
        with pytest.raises(exc.DBAPIError) as refused:
            with as_known(live, seq) as known:
                known.execute(select(Household).limit(1)).all()  # a view made
                known.execute(select(VisitMask).limit(1)).all()  # no view: the statement fails (PostgreSQL: and the transaction)
        assert "visit_mask" in str(refused.value)  # not the failed drop of the views after it
        live.rollback()
        with as_known(live, seq) as known:  # the pooled connection holds nothing of the failed block
            assert known.execute(select(func.count()).select_from(Household)).scalar_one() > 0
        assert _temporary_views(live) == set()
