"""A bulk load's household exit steps (`exits.batch.HouseholdExits`), appended together and
applied in one mixed run (`EXITS.mixes`, `rows.RunRows`), leave the rows the commands leave."""

from __future__ import annotations

import datetime as dt

from tests.factories import ADMIN, build_tree, exit_signers, household, passing_assessment
from tests.workflow.exits.steps import OPENED, POSTED, PROPOSED, SIGNING, TOWNSHIP_STEP, VILLAGE_STEP, beijing
from workflow.eventlog import append_many
from workflow.eventlog.projection import deferred
from workflow.exits.batch import HouseholdExits
from workflow.exits.models import ExitCase
from workflow.org.models import Household
from workflow.org.service import registry_spells

LATE_EVENING = "431224100201000011"  # exits at 23:30 on 12 July in Beijing: 15:30 UTC, the same date
AFTER_MIDNIGHT = "431224100201000012"  # exits at 00:30 on 13 July in Beijing: still 12 July in UTC


def test_a_bulk_exit_closes_the_registry_spell_on_the_beijing_date_at_both_edges_of_the_day(session):
    tree = build_tree(session)
    signers = exit_signers(session, tree)
    batch = HouseholdExits(session)
    events = []
    for number, exit_at in ((LATE_EVENING, beijing(2017, 7, 12, 23, 30)), (AFTER_MIDNIGHT, beijing(2017, 7, 13, 0, 30))):
        household(session, tree, number)
        case_id = f"case-{number}"
        events.append(batch.open_case(actor=ADMIN, level="household", subject_id=number, occurred_at=OPENED, case_id=case_id))
        events.append(batch.propose(actor=ADMIN, case_id=case_id, assessment=passing_assessment(), occurred_at=PROPOSED))
        events.append(batch.post_notice(actor=ADMIN, case_id=case_id, occurred_at=POSTED))
        for role, at in [*((role, SIGNING + dt.timedelta(minutes=n)) for n, role in enumerate(VILLAGE_STEP)),
                         (TOWNSHIP_STEP[0], exit_at - dt.timedelta(minutes=10)), (TOWNSHIP_STEP[1], exit_at)]:
            events.append(batch.sign(actor=ADMIN, case_id=case_id, role=role, signer_id=signers[role], occurred_at=at, document_ref=None,
                                     signature_id=f"{case_id}-{role}"))
    batch.check_ids()
    with deferred(session):
        append_many(session, events, actor=ADMIN)
    session.expire_all()

    for number, exited_on in ((LATE_EVENING, dt.date(2017, 7, 12)), (AFTER_MIDNIGHT, dt.date(2017, 7, 13))):
        case = session.get(ExitCase, f"case-{number}")
        assert (case.status, session.get(Household, number).status) == ("exited", "exited")
        [spell] = registry_spells(session, "poor_household", number)
        assert spell.exited_on == exited_on, number
