"""Small, readable builders of org trees, people and posts for tests."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session

from workflow.eventlog import Actor
from workflow.org import service as org
from workflow.posts import service as posts

ADMIN = Actor(account="test-admin")
LONG_AGO = dt.date(2014, 1, 1)


@dataclasses.dataclass
class Tree:
    """One branch of Hunan: 湖南省 › 怀化市 › 溆浦县 › 北斗溪镇 › 两个村, and a city-direct unit."""

    province: str = "430000000000"
    city: str = "431200000000"
    city_unit: str = "431200900001"
    county: str = "431224000000"
    township: str = "431224100000"
    village: str = "431224100201"
    other_village: str = "431224100202"
    other_township: str = "431224200000"


def build_tree(session: Session, *, registered_on: dt.date = LONG_AGO, actor: Actor = ADMIN) -> Tree:
    """The units of `Tree`, the villages and county on the poverty registry from `registered_on`."""
    tree = Tree()
    org.add_org_unit(session, actor=actor, code=tree.province, name="湖南省", level="province")
    org.add_org_unit(session, actor=actor, code=tree.city, name="怀化市", level="city", parent_code=tree.province)
    org.add_org_unit(session, actor=actor, code=tree.city_unit, name="怀化市财政局", level="city_unit", parent_code=tree.city)
    org.add_org_unit(session, actor=actor, code=tree.county, name="溆浦县", level="county", parent_code=tree.city)
    org.add_org_unit(session, actor=actor, code=tree.township, name="北斗溪镇", level="township", parent_code=tree.county)
    org.add_org_unit(session, actor=actor, code=tree.other_township, name="龙潭镇", level="township", parent_code=tree.county)
    org.add_org_unit(session, actor=actor, code=tree.village, name="坪溪村", level="village", parent_code=tree.township, rural_population=1200)
    org.add_org_unit(session, actor=actor, code=tree.other_village, name="金中村", level="village", parent_code=tree.township, rural_population=900)
    for code in (tree.village, tree.other_village):
        org.register_poor_unit(session, actor=actor, kind="poor_village", code=code, registered_on=registered_on)
    org.register_poor_unit(session, actor=actor, kind="poor_county", code=tree.county, registered_on=registered_on)
    org.register_poor_unit(session, actor=actor, kind="concentrated_township", code=tree.township, registered_on=registered_on)
    return tree


def person_in_post(
    session: Session,
    *,
    name: str,
    role: str,
    unit: str,
    start: dt.date = LONG_AGO,
    end: dt.date | None = None,
    actor: Actor = ADMIN,
) -> str:
    """A new person holding `role` at `unit` from `start`; their person id."""
    person = org.add_person(session, actor=actor, name=name)
    posts.assign_post(session, actor=actor, person_id=person.id, role=role, unit_code=unit, start_date=start, end_date=end)
    return person.id


def household(session: Session, tree: Tree, number: str, *, members: int = 4, village: str | None = None, registered_on: dt.date = LONG_AGO) -> str:
    org.register_household(
        session,
        actor=ADMIN,
        household_id=number,
        village_code=village or tree.village,
        head_name=f"户主{number[-3:]}",
        members=members,
        registered_on=registered_on,
    )
    return number


# ---- exit cases -------------------------------------------------------------------

# The posts that sign exits of `Tree`'s village, its households and its county, and the
# attribute of `Tree` naming the unit each belongs to.
EXIT_SIGNING_POSTS = {
    "village_party_secretary": ("村支书李", "village"),
    "village_director": ("村主任王", "village"),
    "township_party_secretary": ("镇党委书记赵", "township"),
    "township_head": ("镇长钱", "township"),
    "county_party_secretary": ("县委书记孙", "county"),
    "county_head": ("县长周", "county"),
    "city_party_secretary": ("市委书记吴", "city"),
    "mayor": ("市长郑", "city"),
    "provincial_party_secretary": ("省委书记冯", "province"),
    "governor": ("省长陈", "province"),
}


def exit_signers(session: Session, tree: Tree, *, start: dt.date = LONG_AGO) -> dict[str, str]:
    """A different person in each post that signs exits under `tree`, from `start`; role → person id."""
    return {
        role: person_in_post(session, name=name, role=role, unit=getattr(tree, unit), start=start)
        for role, (name, unit) in EXIT_SIGNING_POSTS.items()
    }


def passing_assessment(**changes):
    """A household assessment meeting every exit criterion in 2017 (line 3335 yuan), with `changes`."""
    from decimal import Decimal

    from workflow.exits.machines import Assessment

    fields = dict(income_per_capita=Decimal("4200"), food=True, clothing=True, education=True, medical=True, housing=True, acknowledged=True)
    return Assessment(**(fields | changes))


# ---- visits -----------------------------------------------------------------------

def beijing_time(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment on the Beijing clock (UTC+8), as a client would send it."""
    from zoneinfo import ZoneInfo

    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


def visit(session: Session, visitor_id: str, target_id: str, at: dt.datetime, *, level: str = "household", actor: Actor = ADMIN) -> str:
    """`visitor_id` visits the household (or the `level` unit) `target_id` at `at`; the visit id."""
    from workflow.visits import service as visits

    return visits.record_visit(session, actor=actor, visitor_id=visitor_id, target_level=level, target_id=target_id, occurred_at=at).id


def case_in_notice_now(session: Session, household_id: str):
    """`household_id`'s exit case, proposed in 2020 (a year the rule book has a poverty line for)
    and its notice posted now, on the real clock: a notice the public page shows today."""
    from zoneinfo import ZoneInfo

    from workflow.exits import service as exits

    opened = dt.datetime(2020, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    case = exits.open_case(session, actor=ADMIN, level="household", subject_id=household_id, occurred_at=opened)
    exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(), occurred_at=opened + dt.timedelta(hours=1))
    exits.post_notice(session, actor=ADMIN, case_id=case.id)
    return case
