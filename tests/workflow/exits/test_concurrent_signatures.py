"""Concurrent signers on one case (threads, each with its own connection): no signature is lost,
none is taken twice, the case advances once, and the hash chain stays whole."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from tests.factories import ADMIN, build_tree, exit_signers, household
from tests.workflow.exits.steps import SIGNING, VILLAGE_STEP, beijing, household_case, sign_roles
from workflow.db import transaction
from workflow.errors import DomainError
from workflow.eventlog import Event, chain_hash
from workflow.eventlog.models import GENESIS_HASH
from workflow.exits import service as exits
from workflow.exits.models import ExitCase, Signature
from workflow.org.service import registry_spells

COPIES = 3  # threads per role


def _race(engine, attempts):
    """Run each attempt in its own thread and transaction, all released at once; their outcomes."""
    barrier = threading.Barrier(len(attempts))

    def run(attempt):
        barrier.wait()
        try:
            with transaction(engine) as session:
                attempt(session)
            return "ok"
        except DomainError as refused:
            return refused.code

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(run, attempts))


def _signing(case_id, role, signer_id, at=SIGNING):
    return lambda session: exits.sign(session, actor=ADMIN, case_id=case_id, role=role, signer_id=signer_id, occurred_at=at)


def _assert_chain_intact(session):
    previous = GENESIS_HASH
    for seq, event in enumerate(session.execute(select(Event).order_by(Event.seq)).scalars(), start=1):
        assert (event.seq, event.prev_hash, event.hash) == (seq, previous, chain_hash(event))
        previous = event.hash


def _transitions(session, case_id):
    events = session.execute(select(Event).where(Event.entity_id == case_id).order_by(Event.seq)).scalars()
    return [json.loads(e.payload).get("status_after") for e in events]


def test_concurrent_cosigners_are_all_recorded_once_and_the_case_advances_once(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        signers = exit_signers(session, tree)
        case_id = household_case(session, tree).id

    outcomes = _race(engine, [_signing(case_id, role, signers[role]) for role in VILLAGE_STEP for _ in range(COPIES)])

    assert sorted(outcomes) == ["ok", "ok"] + ["role_already_signed"] * (2 * COPIES - 2)
    with transaction(engine) as session:
        assert session.get(ExitCase, case_id).status == "village_signed"
        assert sorted(s.role for s in session.execute(select(Signature)).scalars()) == sorted(VILLAGE_STEP)
        assert _transitions(session, case_id).count("village_signed") == 1
        _assert_chain_intact(session)


def test_concurrent_final_approvals_exit_the_household_once(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        signers = exit_signers(session, tree)
        case = household_case(session, tree)
        sign_roles(session, case, signers, VILLAGE_STEP)
        case_id, household_id = case.id, case.subject_id
    later = beijing(2017, 7, 11, 9)

    outcomes = _race(engine, [_signing(case_id, role, signers[role], later) for role in ("township_party_secretary", "township_head") for _ in range(COPIES)])

    assert outcomes.count("ok") == 2
    with transaction(engine) as session:
        assert session.get(ExitCase, case_id).status == "exited"
        assert _transitions(session, case_id).count("exited") == 1
        [spell] = registry_spells(session, "poor_household", household_id)
        assert spell.exited_on is not None
        _assert_chain_intact(session)


def test_concurrent_openings_for_one_household_open_one_case(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        number = household(session, tree, "431224100201000001")

    def opening(session):
        exits.open_case(session, actor=ADMIN, level="household", subject_id=number, occurred_at=beijing(2017, 7, 1))

    outcomes = _race(engine, [opening] * 4)

    assert sorted(outcomes) == ["case_already_open"] * 3 + ["ok"]
    with transaction(engine) as session:
        assert len(exits.cases_of(session, level="household", subject_id=number)) == 1
        _assert_chain_intact(session)
