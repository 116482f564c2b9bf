"""A deterministic generator of Huaihua-scale data: the org tree, officials, pairings, work teams, plans and a year of visits.

At scale 1 (SPEC §6): 13 counties, 190 townships, 1,024 poor villages (and 512 others),
260,500 poor households, about 52,000 township cadres paired with at most 5 households each, and
about 2.9 million visits in one calendar year — monthly paired visits (V7) and the other
officials' visits (V1–V6); village committees, a resident work team or township group in
every village with poor households (a few gaps and teams below strength), deep-poverty marks,
and the reduction plans of the year and the year before. The same seed, scale and year always
give the same data.

It writes either through the product's write path (every record a command, for small
scales) or in bulk (`sample_data.bulk`): the same events, hash-chained, with projections
identical to what a replay of the log produces.

    python -m sample_data.generate --url sqlite:///huaihua.db --year 2025            # bulk, scale 1
    python -m sample_data.generate --url sqlite:///tiny.db --scale 0.001 --mode service
"""

from __future__ import annotations

import argparse
import calendar
import dataclasses
import datetime as dt
import random
import sys
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from sample_data import huaihua

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
ACCOUNT = "huaihua-generator"
REGISTERED_ON = dt.date(2014, 10, 1)  # 建档立卡
IN_POST_FROM = dt.date(2016, 1, 1)
PAIRED_FROM = dt.date(2016, 3, 1)
SYLLABLES = huaihua.SYLLABLES


@dataclasses.dataclass(frozen=True)
class Spec:
    """One event to write: what the product's command would append."""

    type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    occurred_at: dt.datetime
    recorded_at: dt.datetime


@dataclasses.dataclass
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    path: str


class Plan:
    """The data set for one (scale, seed, year): setup events, then the year's visits in recorded order."""

    def __init__(self, *, scale: float = 1.0, seed: int = 2018, year: int = 2018, with_visits: bool = True):
        if not 0 < scale <= 1:
            raise ValueError("scale must be in (0, 1]")
        self.scale, self.seed, self.year, self.with_visits = scale, seed, year, with_visits
        self.rng = random.Random(seed)
        self.units: dict[str, Unit] = {}
        self.setup: list[Spec] = []
        self.clock = dt.datetime(year - 1, 12, 1, tzinfo=UTC)  # setup is recorded before the year
        self.people = 0
        self.posts: dict[tuple[str, str], list[tuple[str, dt.date, dt.date | None]]] = {}  # (role, unit) → [(person, start, end)]
        self.villages: dict[str, list[str]] = {}  # township → its villages
        self.poor_villages: list[str] = []
        self.households: dict[str, list[str]] = {}  # village → its households
        self.pairings: list[tuple[str, str]] = []  # (cadre, household)
        self.links: dict[str, list[str]] = {}  # city-direct unit → linked villages
        self.concentrated: list[str] = []
        self._build()
        # The other duties (issue 18) draw from a stream of their own, so that the tree, the
        # posts and the visits above are what they were before these were added.
        self.duty_rng = random.Random(seed * 31 + 18)
        self.teams: dict[str, list[str]] = {}  # village → its teams' ids
        self.deep_poverty: list[str] = []
        self._build_duties()

    # -- the tree, the people, the relationships -----------------------------------

    def _size(self, full: int, minimum: int = 1) -> int:
        return max(minimum, round(full * self.scale))

    def _event(self, type: str, entity_type: str, entity_id: str, payload: dict[str, Any]) -> None:
        self.clock += dt.timedelta(milliseconds=1)
        self.setup.append(Spec(type, entity_type, entity_id, payload, self.clock, self.clock))

    def _unit(self, code: str, name: str, level: str, parent: str | None, rural: int | None = None) -> str:
        path = f"{self.units[parent].path}/{code}" if parent else code
        self.units[code] = Unit(code, name, level, parent, path)
        self._event("org_unit.added", "org_unit", code, {"code": code, "name": name, "name_en": None, "level": level, "parent_code": parent, "rural_population": rural})
        return code

    def _register(self, kind: str, code: str) -> None:
        spell = f"S-{kind}-{code}"
        self._event("registry.registered", "registry_spell", spell, {"id": spell, "kind": kind, "subject_id": code, "registered_on": REGISTERED_ON})

    def _name(self, suffix: str) -> str:
        return "".join(self.rng.sample(SYLLABLES, 2)) + suffix

    def _official(self, role: str, unit: str, start: dt.date = IN_POST_FROM, end: dt.date | None = None) -> str:
        self.people += 1
        person = f"P{self.people:06d}"
        name = self.rng.choice(huaihua.SURNAMES) + self.rng.choice(huaihua.GIVEN)
        self._event("person.added", "person", person, {"id": person, "name": name, "gender": None})
        post = f"T{self.people:06d}"
        self._event("post.assigned", "post", post, {"id": post, "person_id": person, "role": role, "unit_code": unit, "start_date": start, "end_date": end})
        self.posts.setdefault((role, unit), []).append((person, start, end))
        return person

    def _build(self) -> None:
        rng = self.rng
        province = self._unit(huaihua.PROVINCE[0], huaihua.PROVINCE[1], "province", None)
        city = self._unit(huaihua.CITY[0], huaihua.CITY[1], "city", province)
        for role in ["city_party_secretary", "mayor"] + ["city_leader"] * self._size(10):
            self._official(role, city)
        townships = self._size(190)
        counties = [self._unit(code, name, "county", city) for code, name, _ in huaihua.COUNTIES[: min(13, townships)]]
        for county in counties:
            if county in huaihua.POOR_COUNTIES:
                self._register("poor_county", county)
            for role in ["county_party_secretary", "county_head"] + ["county_leader"] * self._size(8):
                self._official(role, county)
        township_codes = []
        for t in range(townships):
            county = counties[t % len(counties)]
            code = f"{county[:6]}{100 + t // len(counties):03d}000"
            township_codes.append(self._unit(code, self._name("镇"), "township", county))
            self.villages[code] = []
            if rng.random() < 0.6 or t == 0:
                self._register("concentrated_township", code)
                self.concentrated.append(code)
        poor, others = self._size(1024), round(512 * self.scale)
        for v in range(poor + others):
            township = township_codes[v % townships]
            code = f"{township[:9]}{200 + len(self.villages[township]):03d}"
            self._unit(code, self._name("村"), "village", township, rural=rng.randint(600, 2400))
            self.villages[township].append(code)
            self.households[code] = []
            if v < poor:
                self._register("poor_village", code)
                self.poor_villages.append(code)
        other_villages = [v for v in self.households if v not in self.poor_villages]
        total = self._size(260500, 5)
        for h in range(total):
            in_poor = h < total * 0.85 or not other_villages
            village = self.poor_villages[h % poor] if in_poor else other_villages[h % len(other_villages)]
            number = f"{village}{len(self.households[village]) + 1:06d}"
            self.households[village].append(number)
            self._event("household.registered", "household", number, {
                "id": number, "village_code": village, "head_name": rng.choice(huaihua.SURNAMES) + rng.choice(huaihua.GIVEN),
                "members": rng.randint(1, 6), "registered_on": REGISTERED_ON, "spell_id": f"SHH{number}",
            })
        for township in township_codes:
            self._township_posts(township)
        for u in range(self._size(40)):
            unit = self._unit(f"{city[:6]}900{u + 1:03d}", self._name("局"), "city_unit", city)
            self._official("city_unit_head", unit)
            self.links[unit] = rng.sample(self.poor_villages, min(len(self.poor_villages), rng.randint(1, 3)))
            for n, village in enumerate(self.links[unit]):
                link = f"L{u + 1:03d}{n}"
                self._event("unit_link.started", "unit_link", link, {"id": link, "unit_code": unit, "village_code": village, "start_date": IN_POST_FROM, "end_date": None})

    def _duty_official(self, role: str, unit: str, start: dt.date = IN_POST_FROM) -> tuple[str, str]:
        """A new person in a post of `role` at `unit`, named from the duties' stream: (person, post)."""
        self.people += 1
        person, post = f"P{self.people:06d}", f"T{self.people:06d}"
        name = self.duty_rng.choice(huaihua.SURNAMES) + self.duty_rng.choice(huaihua.GIVEN)
        self._event("person.added", "person", person, {"id": person, "name": name, "gender": None})
        self._event("post.assigned", "post", post, {"id": post, "person_id": person, "role": role, "unit_code": unit, "start_date": start, "end_date": None})
        self.posts.setdefault((role, unit), []).append((person, start, None))
        return person, post

    def _build_duties(self) -> None:
        """Village committees, resident work teams, deep-poverty marks and the reduction plans
        of the year and the year before, so that the duty reports have something to show:
        a few villages lack the team they need, a few teams are below strength, and the plans
        ask for exits the data has not made (the bonus and accountability lists are full)."""
        rng = self.duty_rng
        members = {spec.payload["id"]: spec.payload["members"] for spec in self.setup if spec.type == "household.registered"}
        poor_people = {village: sum(members[h] for h in households) for village, households in self.households.items()}
        for village in self.households:  # 村"两委": whom the bonus list names
            for role in ("village_party_secretary", "village_director"):
                self._duty_official(role, village)
        for village, households in self.households.items():
            if not households:
                continue
            needs_team = village in self.poor_villages or poor_people[village] >= 100
            if needs_team and rng.random() < 0.015:
                continue  # a gap the work-team report lists
            township = self.units[village].parent
            kind, sender = ("work_team", self.units[township].parent) if needs_team else ("township_group", township)
            team = f"W{sum(map(len, self.teams.values())) + 1:05d}"
            self.teams.setdefault(village, []).append(team)
            self._event("team.stationed", "team", team, {"id": team, "kind": kind, "village_code": village, "sending_unit_code": sender, "start_date": IN_POST_FROM, "end_date": None})
            strength = 1 if rng.random() < 0.01 else rng.choice((2, 2, 3))
            for n in range(strength):
                _, post = self._duty_official("work_team_member", village)
                self._event("team.member_added", "team", team, {"team_id": team, "post_id": post, "first_secretary": n == 0})
        for village, households in self.households.items():
            for household in households:
                if rng.random() < 0.06:
                    mark = f"D{len(self.deep_poverty) + 1:07d}"
                    self.deep_poverty.append(household)
                    self._event("deep_poverty.marked", "deep_poverty", mark, {"id": mark, "household_id": household, "start_date": dt.date(2017, 1, 1), "end_date": None})
        for year in (self.year - 1, self.year):
            self._plans(year, members)
        for village in self.poor_villages:  # planned to exit in the year before, the year, or after it
            self._planned_exit("poor_village", village, self.year + rng.choice((-1, 0, 1)))
        for households in self.households.values():
            for household in households:
                if rng.random() < 0.2:
                    self._planned_exit("poor_household", household, self.year + rng.choice((-1, 0)))

    def _plans(self, year: int, members: dict[str, int]) -> None:
        """Each village's, township's and county's plan for `year`, set by the level above: a
        quarter of the village's households and their people; a third of a township's poor villages."""
        totals: dict[str, list[int]] = {}  # unit → [households, people, villages]
        for village, households in self.households.items():
            if not households:
                continue
            chosen = households[: max(1, len(households) // 4)]
            counts = [len(chosen), sum(members[h] for h in chosen), 0]
            self._plan(village, year, counts[0], counts[1], None)
            township = self.units[village].parent
            for unit in (township, self.units[township].parent):
                total = totals.setdefault(unit, [0, 0, 0])
                total[0] += counts[0]
                total[1] += counts[1]
                total[2] += village in self.poor_villages
        for unit, (households, people, villages) in totals.items():
            self._plan(unit, year, households, people, villages // 3)

    def _plan(self, unit: str, year: int, households: int, people: int, villages: int | None) -> None:
        plan = f"{unit}:{year}"
        payload = {"id": plan, "unit_code": unit, "year": year, "households": households, "people": people, "villages": villages, "set_by": self.units[unit].parent, "revision": 1}
        self._event("plan.set", "reduction_plan", plan, payload)

    def _planned_exit(self, kind: str, subject: str, year: int) -> None:
        planned = f"{kind}:{subject}"
        village = subject[:12]
        self._event("plan.exit_year_set", "planned_exit", planned, {"id": planned, "kind": kind, "subject_id": subject, "village_code": village, "year": year})

    def _township_posts(self, township: str) -> None:
        self._official("township_party_secretary", township)
        if self.rng.random() < 0.05:
            # A township head replaced in mid-July: neither owes V6 for the year (SPEC §3).
            self._official("township_head", township, end=dt.date(self.year, 7, 14))
            self._official("township_head", township, start=dt.date(self.year, 7, 15))
        else:
            self._official("township_head", township)
        households = [h for village in self.villages[township] for h in self.households[village]]
        for start in range(0, len(households), 5):
            cadre = self._official("township_cadre", township)
            for household in households[start : start + 5]:
                pairing = f"Q{len(self.pairings) + 1:07d}"
                self._event("pairing.started", "pairing", pairing, {"id": pairing, "cadre_id": cadre, "household_id": household, "start_date": PAIRED_FROM, "end_date": None})
                self.pairings.append((cadre, household))

    # -- the year's visits ---------------------------------------------------------

    def _moment(self, day: dt.date) -> dt.datetime:
        """A local moment on `day`: office hours, now and then just after midnight."""
        hour = 0 if self.rng.random() < 0.01 else self.rng.randint(8, 17)
        return dt.datetime(day.year, day.month, day.day, hour, self.rng.randint(0, 59), tzinfo=BEIJING)

    def _day_in(self, month: int) -> dt.date:
        return dt.date(self.year, month, self.rng.randint(1, calendar.monthrange(self.year, month)[1]))

    def _day_in_year(self) -> dt.date:
        return dt.date(self.year, 1, 1) + dt.timedelta(days=self.rng.randrange(365 + calendar.isleap(self.year)))

    def _holder(self, role: str, unit: str, day: dt.date) -> str | None:
        for person, start, end in self.posts.get((role, unit), []):
            if start <= day and (end is None or day <= end):
                return person
        return None

    def _planned_visits(self) -> Iterator[tuple[str, str, str, dt.date]]:
        """(visitor, target level, target, day) of every visit of the year, in no particular order."""
        rng, poor = self.rng, self.poor_villages
        for cadre, household in self.pairings:  # V7: monthly, nine times in ten
            for month in range(1, 13):
                if rng.random() < 0.9:
                    yield cadre, "household", household, self._day_in(month)
        for township, villages in self.villages.items():  # V6: secretaries and heads, one household in ten
            for household in (h for v in villages for h in self.households[v]):
                for role in ("township_party_secretary", "township_head"):
                    if rng.random() < 0.1:
                        day = self._day_in_year()
                        yield self._holder(role, township, day), "household", household, day
        for (role, unit), holders in self.posts.items():
            level = self.units[unit].level
            if level in ("county", "city"):  # V2, V5: a poor village or two a month; V4: most villages
                mine = [v for v in poor if self.units[v].path.startswith(self.units[unit].path + "/")]
                if not mine:
                    continue
                for person, _, _ in holders:
                    for month in range(1, 13):
                        for _ in range(rng.randint(1, 2)):
                            yield person, "village", rng.choice(mine), self._day_in(month)
                    if role in ("county_party_secretary", "county_head"):
                        for village in mine:
                            if rng.random() < 0.7:
                                yield person, "village", village, self._day_in_year()
                    if role in ("city_party_secretary", "mayor"):  # V1
                        for township in self.concentrated:
                            if rng.random() < 0.8:
                                yield person, "township", township, self._day_in_year()
            elif role == "city_unit_head":  # V3: each linked village most quarters
                for person, _, _ in holders:
                    for village in self.links[unit]:
                        for quarter in range(4):
                            if rng.random() < 0.85:
                                yield person, "village", village, self._day_in(3 * quarter + rng.randint(1, 3))

    def visits(self) -> Iterator[Spec]:
        """visit.recorded and visit.voided events, ordered by when they were recorded (none without visits)."""
        if not self.with_visits:
            return
        year_end = dt.datetime(self.year, 12, 31, 23, 59, 59, tzinfo=BEIJING).astimezone(UTC)
        planned = []
        for visitor, level, target, day in self._planned_visits():
            occurred = self._moment(day).astimezone(UTC)
            luck = self.rng.random()
            if luck < 0.7:
                delay = dt.timedelta(minutes=self.rng.randint(1, 360))
            elif luck < 0.97:
                delay = dt.timedelta(days=self.rng.randint(1, 5), minutes=self.rng.randint(0, 600))
            else:  # back-filled weeks later (补录)
                delay = dt.timedelta(days=self.rng.randint(20, 90))
            planned.append((min(occurred + delay, year_end), occurred, visitor, level, target))
        planned.sort()
        voids = []
        for n, (recorded, occurred, visitor, level, target) in enumerate(planned, start=1):
            visit_id = f"V{n:08d}"
            yield self._visit_spec(visit_id, recorded, occurred, visitor, level, target)
            if self.rng.random() < 0.0005:
                voids.append((min(recorded + dt.timedelta(days=self.rng.randint(1, 10)), year_end), visit_id))
            while voids and voids[0][0] <= recorded:
                voided_at, voided = voids.pop(0)
                yield Spec("visit.voided", "visit", voided, {"id": voided, "reason": "核查:重复登记"}, voided_at, voided_at)
        for voided_at, voided in voids:
            yield Spec("visit.voided", "visit", voided, {"id": voided, "reason": "核查:重复登记"}, voided_at, voided_at)

    def _visit_spec(self, visit_id: str, recorded: dt.datetime, occurred: dt.datetime, visitor: str, level: str, target: str) -> Spec:
        unit = self.units[target[:12]]  # a household's number starts with its village's code
        village = unit.code if unit.level == "village" else None
        township = unit.code if unit.level == "township" else unit.parent
        payload = {
            "id": visit_id, "visitor_id": visitor, "target_level": level, "target_id": target,
            "village_code": village, "township_code": township, "unit_path": unit.path,
            "occurred_on": occurred.astimezone(BEIJING).date(), "notes": None, "latitude": None, "longitude": None,
        }
        return Spec("visit.recorded", "visit", visit_id, payload, occurred, recorded)


# ---- writing through the product's commands ----------------------------------------


def write_through_services(session, plan: Plan) -> int:
    """Write the plan with the product's own commands (slow: for small scales); the number of commands."""
    from workflow.eventlog import Actor
    from workflow.org import service as org
    from workflow.pairings import service as pairings
    from workflow.plans import service as plans
    from workflow.posts import service as posts
    from workflow.teams import service as teams
    from workflow.visits import service as visits

    actor = Actor(account=ACCOUNT)
    count = 0
    members: dict[str, dict] = {}  # a team member's post: assigned by `teams.add_member` itself
    for spec in plan.setup + list(plan.visits()):
        p = spec.payload
        if spec.type == "post.assigned" and p["role"] == "work_team_member":
            members[p["id"]] = p
            continue
        if spec.type == "org_unit.added":
            org.add_org_unit(session, actor=actor, code=p["code"], name=p["name"], level=p["level"], parent_code=p["parent_code"], rural_population=p["rural_population"])
        elif spec.type == "registry.registered":
            org.register_poor_unit(session, actor=actor, kind=p["kind"], code=p["subject_id"], registered_on=p["registered_on"])
        elif spec.type == "person.added":
            org.add_person(session, actor=actor, name=p["name"], person_id=p["id"])
        elif spec.type == "household.registered":
            org.register_household(session, actor=actor, household_id=p["id"], village_code=p["village_code"], head_name=p["head_name"], members=p["members"], registered_on=p["registered_on"])
        elif spec.type == "post.assigned":
            posts.assign_post(session, actor=actor, person_id=p["person_id"], role=p["role"], unit_code=p["unit_code"], start_date=p["start_date"], end_date=p["end_date"], post_id=p["id"])
        elif spec.type == "pairing.started":
            posts.pair(session, actor=actor, cadre_id=p["cadre_id"], household_id=p["household_id"], start_date=p["start_date"], pairing_id=p["id"])
        elif spec.type == "unit_link.started":
            posts.link_unit(session, actor=actor, unit_code=p["unit_code"], village_code=p["village_code"], start_date=p["start_date"], link_id=p["id"])
        elif spec.type == "team.stationed":
            teams.station_team(session, actor=actor, kind=p["kind"], village_code=p["village_code"], sending_unit_code=p["sending_unit_code"], start_date=p["start_date"], team_id=p["id"])
        elif spec.type == "team.member_added":
            post = members.pop(p["post_id"])
            teams.add_member(session, actor=actor, team_id=p["team_id"], person_id=post["person_id"], start_date=post["start_date"], first_secretary=p["first_secretary"], post_id=post["id"])
        elif spec.type == "deep_poverty.marked":
            pairings.mark_deep_poverty(session, actor=actor, household_id=p["household_id"], start_date=p["start_date"], mark_id=p["id"])
        elif spec.type == "plan.set":
            plans.set_plan(session, actor=actor, unit_code=p["unit_code"], year=p["year"], households=p["households"], people=p["people"], villages=p["villages"], set_by=p["set_by"])
        elif spec.type == "plan.exit_year_set":
            plans.set_planned_exit(session, actor=actor, kind=p["kind"], subject_id=p["subject_id"], year=p["year"])
        elif spec.type == "visit.recorded":
            visits.record_visit(session, actor=actor, visitor_id=p["visitor_id"], target_level=p["target_level"], target_id=p["target_id"], occurred_at=spec.occurred_at, visit_id=p["id"])
        elif spec.type == "visit.voided":
            visits.void_visit(session, actor=actor, visit_id=p["id"], reason=p["reason"])
        else:
            raise ValueError(f"no command writes {spec.type}")
        count += 1
    return count


def generate(engine, *, scale: float = 1.0, seed: int = 2018, year: int = 2018, mode: str = "bulk", visits: bool = True, progress=None) -> dict[str, int]:
    """Fill the empty, migrated database behind `engine`; counts of what was written."""
    from sqlalchemy import select

    from workflow.db import transaction
    from workflow.eventlog import Event

    with transaction(engine) as session:
        if session.execute(select(Event.seq).limit(1)).first() is not None:
            raise SystemExit("the database already holds events: generate into an empty one")
    plan = Plan(scale=scale, seed=seed, year=year, with_visits=visits)
    if mode == "service":
        with transaction(engine) as session:
            events = write_through_services(session, plan)
    else:
        from sample_data import bulk

        events = bulk.write(engine, plan, progress=progress)
    return {"events": events, "households": sum(map(len, plan.households.values())), "pairings": len(plan.pairings), "people": plan.people}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="database URL (sqlite:///FILE or postgresql://…); migrated if needed, must hold no events")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of Huaihua's size, in (0, 1] (default 1)")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--year", type=int, default=2018, help="the calendar year of the visits (a past year)")
    parser.add_argument("--mode", choices=["bulk", "service"], default="bulk", help="bulk insert (default) or the product's commands (--history: household registrations and exits in bulk, or all by command)")
    parser.add_argument("--no-visits", action="store_true", help="the tree, people, posts, households, pairings, teams and plans only (the duty reports read no visits)")
    parser.add_argument("--history", metavar="2014-LAST", help="instead of one year of visits: Huaihua from 2014 to LAST, exits through the product's procedures (sample_data.history)")
    args = parser.parse_args(argv)
    from workflow.db import make_engine
    from workflow.migrate import upgrade

    engine = make_engine(args.url)
    upgrade(engine)
    started = time.perf_counter()
    if args.history:
        from sample_data import history

        first, _, last = args.history.partition("-")
        plan = history.History(scale=args.scale, seed=args.seed, first=int(first), last=int(last or first))
        events = history.write(engine, plan, bulk=args.mode == "bulk", progress=lambda message: print(message, file=sys.stderr, flush=True))
        print(f"{events:,} events, {len(plan.households):,} households, {len(plan.planted)} planted irregularities in {time.perf_counter() - started:.0f} s")
        return
    counts = generate(engine, scale=args.scale, seed=args.seed, year=args.year, mode=args.mode, visits=not args.no_visits, progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(", ".join(f"{n:,} {what}" for what, n in counts.items()) + f" in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
