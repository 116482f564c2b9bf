"""A small two-city world for the access-matrix test: everything inside 怀化市, a copy outside.

Accounts are scoped to 怀化市 (HUAIHUA); the same kinds of records exist in 湘西州
(XIANGXI), outside every account's scope. Every person's name starts with their
county's (溆浦县… inside, 泸溪县… outside), so an answer naming an outsider shows it.
A governor holds a post at the province, above both. Builders make fresh records for
each write, so that every allowed call can succeed however often the matrix runs it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from tests.factories import ADMIN, LONG_AGO, passing_assessment, person_in_post
from workflow.accounts import service as accounts
from workflow.db import transaction
from workflow.exits import service as exits
from workflow.org import service as org
from workflow.posts import service as posts
from workflow.visits import service as visits

BEIJING = ZoneInfo("Asia/Shanghai")
ROLES = ("admin", "recorder", "supervisor", "auditor", "signer")
_serial = itertools.count(1)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2017, month, day, hour, tzinfo=BEIJING)


@dataclasses.dataclass
class Branch:
    """One city's branch of the tree and the records in it."""

    name: str  # the county's name, which every person of the branch's name starts with
    city: str
    city_unit: str
    county: str
    township: str
    village: str
    household: str = ""
    cadre: str = ""
    secretary: str = ""  # village party secretary
    director: str = ""
    post: str = ""
    pairing: str = ""
    link: str = ""
    visit: str = ""
    case: str = ""
    person: str = ""


@dataclasses.dataclass
class World:
    engine: Engine
    inside: Branch
    outside: Branch
    headers: dict[str, dict[str, str]]
    governor: str = ""

    def branch(self, inside: bool) -> Branch:
        return self.inside if inside else self.outside

    def fresh(self) -> str:
        return f"{next(_serial):05d}"

    # -- builders: each returns ids of records made for one call --------------------

    def household(self, inside: bool) -> str:
        branch = self.branch(inside)
        number = f"{branch.village}H{self.fresh()}"
        with transaction(self.engine) as session:
            org.register_household(session, actor=ADMIN, household_id=number, village_code=branch.village, head_name="向桂兰", members=3, registered_on=LONG_AGO)
        return number

    def case(self, inside: bool, *, until: str = "registered") -> str:
        """A fresh household's exit case, taken to `until` (registered, proposed, in_notice, objected, exited)."""
        branch = self.branch(inside)
        household = self.household(inside)
        with transaction(self.engine) as session:
            case = exits.open_case(session, actor=ADMIN, level="household", subject_id=household, occurred_at=at(9, 1))
            if until != "registered":
                exits.propose(session, actor=ADMIN, case_id=case.id, assessment=passing_assessment(), occurred_at=at(9, 2))
            if until in ("in_notice", "objected", "exited"):
                exits.post_notice(session, actor=ADMIN, case_id=case.id, occurred_at=at(9, 3))
            if until == "objected":
                exits.lodge_objection(session, actor=ADMIN, case_id=case.id, lodged_by="村民", grounds="收入有误", occurred_at=at(9, 4))
            if until == "exited":
                for role, person in (("village_party_secretary", branch.secretary), ("village_director", branch.director)):
                    exits.sign(session, actor=ADMIN, case_id=case.id, role=role, signer_id=person, occurred_at=at(9, 15))
                for role in ("township_party_secretary", "township_head"):
                    holder = posts.holders(session, unit_code=branch.township, role=role, on=dt.date(2017, 9, 16))[0]
                    exits.sign(session, actor=ADMIN, case_id=case.id, role=role, signer_id=holder.person_id, occurred_at=at(9, 16))
            return case.id

    def objection(self, inside: bool) -> tuple[str, str]:
        case_id = self.case(inside, until="objected")
        with transaction(self.engine) as session:
            return case_id, exits.objections_of(session, case_id)[0].id

    def exited_household(self, inside: bool) -> str:
        case_id = self.case(inside, until="exited")
        with transaction(self.engine) as session:
            return exits.get_case(session, case_id).subject_id

    def person(self, inside: bool) -> str:
        with transaction(self.engine) as session:
            return person_in_post(session, name=f"{self.branch(inside).name}舒春生", role="township_cadre", unit=self.branch(inside).township)

    def post(self, inside: bool) -> str:
        with transaction(self.engine) as session:
            person = org.add_person(session, actor=ADMIN, name=f"{self.branch(inside).name}瞿翠兰")
            return posts.assign_post(session, actor=ADMIN, person_id=person.id, role="township_cadre", unit_code=self.branch(inside).township, start_date=LONG_AGO).id

    def pairing(self, inside: bool) -> str:
        cadre, household = self.person(inside), self.household(inside)
        with transaction(self.engine) as session:
            return posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=household, start_date=LONG_AGO).id

    def link(self, inside: bool) -> str:
        branch = self.branch(inside)
        village = self.village(inside)
        with transaction(self.engine) as session:
            return posts.link_unit(session, actor=ADMIN, unit_code=branch.city_unit, village_code=village, start_date=LONG_AGO).id

    def village(self, inside: bool) -> str:
        branch = self.branch(inside)
        code = f"{branch.township[:9]}{self.fresh()}"
        with transaction(self.engine) as session:
            org.add_org_unit(session, actor=ADMIN, code=code, name="新村", level="village", parent_code=branch.township, rural_population=800)
        return code

    def designated_township(self, inside: bool) -> str:
        """A fresh township of the branch's county, designated a concentrated-poverty township."""
        branch = self.branch(inside)
        code = f"{branch.county[:6]}T{self.fresh()}"
        with transaction(self.engine) as session:
            org.add_org_unit(session, actor=ADMIN, code=code, name="新镇", level="township", parent_code=branch.county)
            org.register_poor_unit(session, actor=ADMIN, kind="concentrated_township", code=code, registered_on=LONG_AGO)
        return code

    def visit(self, inside: bool) -> str:
        branch = self.branch(inside)
        with transaction(self.engine) as session:
            return visits.record_visit(session, actor=ADMIN, visitor_id=branch.cadre, target_level="household", target_id=branch.household, occurred_at=at(7, 10)).id


def _branch(session, *, city: str, name: str, county: str, county_name: str) -> Branch:
    prefix = county[:6]
    branch = Branch(name=county_name, city=city, city_unit=f"{city[:4]}00900001", county=county, township=f"{prefix}100000", village=f"{prefix}100201")
    org.add_org_unit(session, actor=ADMIN, code=city, name=name, level="city", parent_code="430000000000")
    org.add_org_unit(session, actor=ADMIN, code=branch.city_unit, name=f"{name}财政局", level="city_unit", parent_code=city)
    org.add_org_unit(session, actor=ADMIN, code=county, name=county_name, level="county", parent_code=city)
    org.add_org_unit(session, actor=ADMIN, code=branch.township, name=f"{county_name}一镇", level="township", parent_code=county)
    org.add_org_unit(session, actor=ADMIN, code=branch.village, name=f"{county_name}一村", level="village", parent_code=branch.township, rural_population=1000)
    org.register_poor_unit(session, actor=ADMIN, kind="poor_village", code=branch.village, registered_on=LONG_AGO)
    for role, unit in (("township_party_secretary", branch.township), ("township_head", branch.township)):
        person_in_post(session, name=f"{county_name}{role}", role=role, unit=unit)
    branch.secretary = person_in_post(session, name=f"{county_name}村支书", role="village_party_secretary", unit=branch.village)
    branch.director = person_in_post(session, name=f"{county_name}村主任", role="village_director", unit=branch.village)
    branch.cadre = person_in_post(session, name=f"{county_name}乡镇干部", role="township_cadre", unit=branch.township)
    branch.person = branch.cadre
    org.register_household(session, actor=ADMIN, household_id=f"{branch.village}0001", village_code=branch.village, head_name="户主", members=4, registered_on=LONG_AGO)
    branch.household = f"{branch.village}0001"
    branch.post = posts.posts_of(session, branch.cadre)[0].id
    branch.pairing = posts.pair(session, actor=ADMIN, cadre_id=branch.cadre, household_id=branch.household, start_date=LONG_AGO).id
    branch.link = posts.link_unit(session, actor=ADMIN, unit_code=branch.city_unit, village_code=branch.village, start_date=LONG_AGO).id
    branch.visit = visits.record_visit(session, actor=ADMIN, visitor_id=branch.cadre, target_level="household", target_id=branch.household, occurred_at=at(7, 1)).id
    return branch


def build_world(engine: Engine) -> World:
    with transaction(engine) as session:
        org.add_org_unit(session, actor=ADMIN, code="430000000000", name="湖南省", level="province")
        inside = _branch(session, city="431200000000", name="怀化市", county="431224000000", county_name="溆浦县")
        outside = _branch(session, city="433100000000", name="湘西州", county="433122000000", county_name="泸溪县")
        governor = person_in_post(session, name="湖南省长", role="governor", unit="430000000000")
    headers = {}
    with transaction(engine) as session:
        for role in ROLES:
            roles, person = ([role], None) if role != "signer" else (["supervisor"], inside.secretary)
            _, token = accounts.create_account(session, actor=ADMIN, name=role, roles=roles, scope_code=inside.city, person_id=person)
            headers[role] = {"Authorization": f"Bearer {token}"}
    world = World(engine, inside, outside, headers, governor)
    for branch, is_inside in ((inside, True), (outside, False)):
        branch.case = world.case(is_inside)
    return world
