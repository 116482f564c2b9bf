"""A read-only transaction reads one snapshot: a report's totals and rows cannot straddle a write."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import ADMIN
from workflow.db import read_only, transaction
from workflow.org import service as org
from workflow.org.models import OrgUnit


def _units(session) -> int:
    return session.execute(select(func.count()).select_from(OrgUnit)).scalar_one()


def test_a_read_only_transaction_does_not_see_a_write_committed_during_it(engine):
    with transaction(engine) as session:
        org.add_org_unit(session, actor=ADMIN, code="430000000000", name="湖南省", level="province")
    with transaction(read_only(engine)) as reading:
        assert _units(reading) == 1
        with transaction(engine) as writing:
            org.add_org_unit(writing, actor=ADMIN, code="431200000000", name="怀化市", level="city", parent_code="430000000000")
        assert _units(reading) == 1  # the second statement reads the first one's snapshot
    with transaction(read_only(engine)) as later:
        assert _units(later) == 2
