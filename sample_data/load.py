"""Loads the sample data set through the product's own write path (every row is an event)."""

from __future__ import annotations

import datetime as dt
import importlib
import random
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from sample_data import huaihua as places
from workflow.eventlog import Actor, Event
from workflow.org import service as org
from workflow.pairings import service as pairings
from workflow.posts import service as posts
from workflow.teams import service as teams

LOADER = Actor(account="sample-loader")
BEIJING = ZoneInfo("Asia/Shanghai")
REGISTERED_ON = dt.date(2014, 10, 1)  # 建档立卡
IN_POST_FROM = dt.date(2016, 1, 1)
VISIT_MONTHS = [(2017, 6), (2017, 7), (2017, 8), (2017, 9)]


def database_is_empty(session: Session) -> bool:
    """Whether the log holds no event at all."""
    return session.execute(select(Event.seq).limit(1)).first() is None


class _Names:
    """Deterministic Chinese names, none repeated."""

    def __init__(self, seed: int = 2017):
        self._random = random.Random(seed)
        self._used: set[str] = set()

    def next(self) -> str:
        while True:
            name = self._random.choice(places.SURNAMES) + self._random.choice(places.GIVEN)
            if name not in self._used:
                self._used.add(name)
                return name


# One demo account per role of the web app; 龙潭镇's recorder is 北斗溪镇's sibling.
DEMO_ACCOUNTS = (
    ("北斗溪镇录入员", "recorder", "431224100000"),
    ("龙潭镇录入员", "recorder", "431224110000"),
    ("怀化市督查员", "supervisor", "431200000000"),
    ("怀化市审计员", "auditor", "431200000000"),
    ("怀化市管理员", "admin", "431200000000"),
)


def demo_accounts(session: Session) -> list[tuple[str, str, str, str]]:
    """Create the demo accounts with random passwords: (user name, role, scope, password) of each."""
    import secrets

    from workflow.accounts import service as accounts
    from workflow.accounts import signin

    made = []
    for name, role, scope in DEMO_ACCOUNTS:
        account, _token = accounts.create_account(session, actor=LOADER, name=name, roles=[role], scope_code=scope)
        password = secrets.token_urlsafe(9)
        signin.set_password(session, actor=LOADER, account_id=account.id, password=password)
        made.append((name, role, scope, password))
    return made


def load_sample_data(session: Session) -> dict[str, int]:
    """Load the sample into `session` (the caller commits); counts of what was loaded."""
    loader = _SampleLoader(session)
    loader.load()
    return dict(loader.counts)


class _SampleLoader:
    def __init__(self, session: Session):
        self.session = session
        self.names = _Names()
        self.counts: Counter[str] = Counter()
        self.people_by_post: dict[tuple[str, str], list[str]] = {}
        self.households_by_village: dict[str, list[str]] = {}
        self.pairings: list[tuple[str, str, str]] = []  # (cadre, household, village)

    # -- org tree ------------------------------------------------------------------

    def unit(self, code: str, name: str, level: str, parent: str | None, name_en: str | None = None, rural: int | None = None) -> None:
        org.add_org_unit(self.session, actor=LOADER, code=code, name=name, name_en=name_en, level=level, parent_code=parent, rural_population=rural)
        self.counts["org units"] += 1

    def poor(self, kind: str, code: str) -> None:
        org.register_poor_unit(self.session, actor=LOADER, kind=kind, code=code, registered_on=REGISTERED_ON)

    def official(self, role: str, unit: str, *, start: dt.date = IN_POST_FROM, end: dt.date | None = None) -> str:
        person = org.add_person(self.session, actor=LOADER, name=self.names.next())
        posts.assign_post(self.session, actor=LOADER, person_id=person.id, role=role, unit_code=unit, start_date=start, end_date=end)
        self.people_by_post.setdefault((role, unit), []).append(person.id)
        self.counts["people"] += 1
        self.counts["posts"] += 1
        return person.id

    def load(self) -> None:
        province, city = places.PROVINCE, places.CITY
        self.unit(province[0], province[1], "province", None, province[2])
        self.official("provincial_party_secretary", province[0])
        self.official("governor", province[0])
        self.unit(city[0], city[1], "city", province[0], city[2])
        for role in ("city_party_secretary", "mayor", "city_leader", "city_leader"):
            self.official(role, city[0])
        for code, name, name_en in places.CITY_UNITS:
            self.unit(code, name, "city_unit", city[0], name_en)
            self.official("city_unit_head", code)
        for code, name, name_en in places.COUNTIES:
            self.unit(code, name, "county", city[0], name_en)
            if code in places.POOR_COUNTIES:
                self.poor("poor_county", code)
            for role in ("county_party_secretary", "county_head", "county_leader"):
                self.official(role, code)
        for county, townships in places.TOWNSHIPS.items():
            for township, name, villages in townships:
                self.township(county, township, name, villages)
        for unit, villages in places.UNIT_LINKS.items():
            for village in villages:
                posts.link_unit(self.session, actor=LOADER, unit_code=unit, village_code=village, start_date=IN_POST_FROM)
                self.counts["unit links"] += 1
        self.visits()
        self.exits()
        self.reduction_plans()

    def township(self, county: str, code: str, name: str, villages: list[tuple[str, str, int]]) -> None:
        self.unit(code, name, "township", county)
        if code in places.CONCENTRATED_TOWNSHIPS:
            self.poor("concentrated_township", code)
        self.official("township_party_secretary", code)
        if code == "431224110000":
            # 龙潭镇 changed township head on 15 July 2017: a tenure starting mid-month.
            self.official("township_head", code, end=dt.date(2017, 7, 14))
            self.official("township_head", code, start=dt.date(2017, 7, 15))
        else:
            self.official("township_head", code)
        households = []
        for village, village_name, rural in villages:
            self.unit(village, village_name, "village", code, rural=rural)
            self.poor("poor_village", village)
            for role in ("village_party_secretary", "village_director"):
                self.official(role, village)
            self.work_team(county, village)
            for n in range(1, 7):
                number = f"{village}{n:04d}"
                org.register_household(
                    self.session,
                    actor=LOADER,
                    household_id=number,
                    village_code=village,
                    head_name=self.names.next(),
                    members=2 + (int(number[-6:]) * 7 + n) % 5,
                    registered_on=REGISTERED_ON,
                )
                self.counts["households"] += 1
                households.append((number, village))
                self.households_by_village.setdefault(village, []).append(number)
        if code == "431224100000":
            self.unpaired_and_deep_poverty(villages[0][0])
        cadres = [self.official("township_cadre", code) for _ in range((len(households) + 4) // 5)]
        for index, (household, village) in enumerate(households):
            cadre = cadres[index // 5]
            posts.pair(self.session, actor=LOADER, cadre_id=cadre, household_id=household, start_date=dt.date(2016, 3, 1))
            self.pairings.append((cadre, household, village))
            self.counts["pairings"] += 1

    def work_team(self, county: str, village: str) -> None:
        """The county's resident work team (驻村工作队) in a poor village: two members, the first its 第一书记.

        Two villages fall short, so the work-team report has rows: 金中村's team waited for its
        second member until 1 October 2017 (below strength until then; a member may not leave a
        poor village's team below strength, 不脱贫出列不撤队, so the gap is a late arrival, not a
        departure), and 龙潭村's team has no 第一书记.
        """
        team = teams.station_team(self.session, actor=LOADER, kind="work_team", village_code=village, sending_unit_code=county, start_date=IN_POST_FROM)
        self.counts["work teams"] += 1
        for n in range(2):
            person = org.add_person(self.session, actor=LOADER, name=self.names.next())
            start = dt.date(2017, 10, 1) if village == "431224100202" and n == 1 else IN_POST_FROM
            first = n == 0 and village != "431224110201"
            teams.add_member(self.session, actor=LOADER, team_id=team.id, person_id=person.id, start_date=start, first_secretary=first)
            self.people_by_post.setdefault(("work_team_member", village), []).append(person.id)
            self.counts["people"] += 1
            self.counts["posts"] += 1

    def unpaired_and_deep_poverty(self, village: str) -> None:
        """A household registered in August 2017 that nobody is paired with yet, and two households
        in deep poverty (深度贫困), paired with ordinary township cadres: the pairing reports' rows."""
        org.register_household(self.session, actor=LOADER, household_id=f"{village}0007", village_code=village, head_name=self.names.next(), members=3, registered_on=dt.date(2017, 8, 1))
        self.counts["households"] += 1
        for number in (f"{village}0001", f"{village}0004"):
            pairings.mark_deep_poverty(self.session, actor=LOADER, household_id=number, start_date=dt.date(2017, 6, 1))
            self.counts["deep-poverty households"] += 1

    # -- visits --------------------------------------------------------------------

    def visits(self) -> None:
        try:
            visits = importlib.import_module("workflow.visits.service")
        except ModuleNotFoundError:
            return
        rng = random.Random(7)

        def visit(person: str, level: str, target: str, year: int, month: int, day: int, hour: int = 10, minute: int = 0, notes: str | None = None) -> None:
            moment = dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)
            if not any(post.held_on(moment.date()) for post in posts.posts_of(self.session, person)):
                return  # e.g. the predecessor township head, out of post from 15 July
            visits.record_visit(self.session, actor=LOADER, visitor_id=person, target_level=level, target_id=target, occurred_at=moment, notes=notes)
            self.counts["visits"] += 1

        for index, (cadre, household, _village) in enumerate(self.pairings):
            for year, month in VISIT_MONTHS:
                if index % 7 == 3 and month == 8:
                    continue  # one cadre in seven skipped August: it shows as missed
                visit(cadre, "household", household, year, month, rng.randint(3, 26), rng.randint(8, 17), notes="入户走访,了解收入和两不愁三保障情况")
        first_household = self.pairings[0]
        visit(first_household[0], "household", first_household[1], 2017, 7, 1, 0, 30, notes="凌晨到户:北京时间7月1日,仍是7月的走访")

        poor_villages = list(self.households_by_village)
        for (role, unit), people in self.people_by_post.items():
            if role in ("county_party_secretary", "county_head", "county_leader"):
                villages = [v for v in poor_villages if v.startswith(unit[:6])]
                for person in people:
                    for year, month in VISIT_MONTHS:
                        if villages and not (role == "county_leader" and month == 9):
                            visit(person, "village", villages[(month + len(person)) % len(villages)], year, month, 12)
            elif role in ("city_party_secretary", "mayor", "city_leader"):
                for person in people:
                    for year, month in VISIT_MONTHS:
                        visit(person, "village", poor_villages[(month * 3 + len(person)) % len(poor_villages)], year, month, 18)
                if role == "city_party_secretary":
                    visit(people[0], "township", "431224100000", 2017, 8, 9, notes="调研北斗溪镇脱贫攻坚")
            elif role == "city_unit_head":
                for village in places.UNIT_LINKS[unit][:1]:
                    visit(people[0], "village", village, 2017, 8, 22)
            elif role in ("township_party_secretary", "township_head"):
                township_households = self._households_in(unit)
                for person in people:
                    for n, household in enumerate(township_households[::3]):
                        visit(person, "household", household, 2017, 6 + n % 3, 20, 15)

    def _households_in(self, township: str) -> list[str]:
        return [h for village, hs in self.households_by_village.items() if village.startswith(township[:9]) for h in hs]

    # -- exit cases ----------------------------------------------------------------

    def exits(self) -> None:
        """A few exits under way in September 2017, so the missing-signatures report has rows."""
        from workflow.exits import service as exits
        from workflow.exits.machines import Assessment

        def at(day: int, hour: int = 10) -> dt.datetime:
            return dt.datetime(2017, 9, day, hour, tzinfo=BEIJING)

        def signer(role: str, unit: str) -> str:
            return self.people_by_post[(role, unit)][-1]

        assessment = Assessment(income_per_capita=Decimal("4180"), food=True, clothing=True, education=True, medical=True, housing=True, acknowledged=True)
        village, township = "431224100201", "431224100000"
        steps = {
            # 坪溪村: one household exited, one waiting for the village director's signature.
            f"{village}0003": [("village_party_secretary", village), ("village_director", village), ("township_party_secretary", township), ("township_head", township)],
            f"{village}0002": [("village_party_secretary", village)],
        }
        for household, signers in steps.items():
            case = exits.open_case(self.session, actor=LOADER, level="household", subject_id=household, occurred_at=at(1))
            exits.propose(self.session, actor=LOADER, case_id=case.id, assessment=assessment, occurred_at=at(2))
            exits.post_notice(self.session, actor=LOADER, case_id=case.id, occurred_at=at(3))
            for n, (role, unit) in enumerate(signers):
                exits.sign(self.session, actor=Actor(LOADER.account, on_behalf_of=signer(role, unit)), case_id=case.id, role=role,
                           signer_id=signer(role, unit), occurred_at=at(12 + n), document_ref=f"北斗溪镇脱贫退出签字表 2017-09-{household[-3:]}")
            self.counts["exit cases"] += 1
        # 楠木桥村 (麻阳): the village's own exit, in public notice, then waiting for the county.
        case = exits.open_case(self.session, actor=LOADER, level="village", subject_id="431226105201", occurred_at=at(5))
        exits.propose(self.session, actor=LOADER, case_id=case.id, occurred_at=at(6))
        exits.post_notice(self.session, actor=LOADER, case_id=case.id, occurred_at=at(7))
        self.counts["exit cases"] += 1

    # -- annual reduction plans (年度减贫计划) -------------------------------------------

    def reduction_plans(self) -> None:
        """溆浦县's 2017 plans, each set by the level above: 坪溪村 completes its plan (its household
        exited in September), 金中村 does not; 坪溪村's second household was planned to exit in
        2017 and is still waiting for its signatures — the lists of 2017 have rows from 2018."""
        from workflow.plans import service as plans

        county, township = "431224000000", "431224100000"
        plans.set_plan(self.session, actor=LOADER, unit_code=county, year=2017, households=4, people=16, villages=1, set_by=places.CITY[0])
        plans.set_plan(self.session, actor=LOADER, unit_code=township, year=2017, households=2, people=8, villages=0, set_by=county)
        for village in ("431224100201", "431224100202"):
            plans.set_plan(self.session, actor=LOADER, unit_code=village, year=2017, households=1, people=3, set_by=township)
        self.counts["reduction plans"] += 4
        for number in ("4312241002010002", "4312241002010003"):
            plans.set_planned_exit(self.session, actor=LOADER, kind="poor_household", subject_id=number, year=2017)
