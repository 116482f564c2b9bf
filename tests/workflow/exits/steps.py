"""Moments on the Beijing clock, and short-cuts that take a case to where a test begins."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session

from tests.factories import ADMIN, Tree, household, passing_assessment
from workflow.exits import service as exits
from workflow.exits.models import ExitCase

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


OPENED = beijing(2017, 7, 1, 9)
PROPOSED = beijing(2017, 7, 1, 10)
POSTED = beijing(2017, 7, 1, 11)
# Posted on 1 July: the notice counts 7 whole days from 2 July and ends at midnight after 8 July.
NOTICE_ENDS = beijing(2017, 7, 9)
SIGNING = beijing(2017, 7, 10, 10)
HOUSEHOLD = "431224100201000001"


def household_case(session: Session, tree: Tree, *, through: str = "in_notice", number: str = HOUSEHOLD, members: int = 4) -> ExitCase:
    """A household's exit case, taken through `through` (registered, proposed or in_notice)."""
    household(session, tree, number, members=members)
    case = exits.open_case(session, actor=ADMIN, level="household", subject_id=number, occurred_at=OPENED)
    return advance(session, case, through=through)


def unit_case(session: Session, level: str, code: str, *, through: str = "in_notice") -> ExitCase:
    """A village's or county's exit case, taken through `through`."""
    case = exits.open_case(session, actor=ADMIN, level=level, subject_id=code, occurred_at=OPENED)
    return advance(session, case, through=through)


def advance(session: Session, case: ExitCase, *, through: str) -> ExitCase:
    if through in ("proposed", "in_notice"):
        assessment = passing_assessment() if case.level == "household" else None
        exits.propose(session, actor=ADMIN, case_id=case.id, assessment=assessment, occurred_at=PROPOSED)
    if through == "in_notice":
        exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=POSTED)
    return case


def sign_roles(session: Session, case: ExitCase, signers: dict[str, str], roles: list[str], *, at: dt.datetime = SIGNING) -> None:
    """Each of `roles` signed by its holder in `signers`, in order, a minute apart from `at`."""
    for n, role in enumerate(roles):
        exits.sign(session, actor=ADMIN, case_id=case.id, role=role, signer_id=signers[role], occurred_at=at + dt.timedelta(minutes=n))


VILLAGE_STEP = ["village_party_secretary", "village_director"]
TOWNSHIP_STEP = ["township_party_secretary", "township_head"]
COUNTY_STEP = ["county_party_secretary", "county_head"]
CITY_STEP = ["city_party_secretary", "mayor"]
PROVINCE_STEP = ["provincial_party_secretary", "governor"]
