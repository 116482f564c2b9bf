"""Huaihua 2014 → a later year, lived through the product's own commands: the history mode of the generator.

Households, poor villages and the 13 counties are registered on 2014-10-01 (建档立卡); each
year some households exit through their exit cases (assessment, public notice, the village
secretary and director, then the township secretary and head, whoever held those posts that
day), villages exit signed at county level once their incidence is below the threshold,
counties at city and provincial level; a few exited households return to poverty (返贫) and a
few new ones are registered (动态调整); posts turn over; from 2017-06-01 (the 三走访三签字
rule book) officials visit as V1–V7 ask, missing a realistic share. Every record is a command
of the product (`workflow.*.service`), or, for visits, the event `visit_recorded` checks and
`append_many` appends, run on a simulated clock so that each is recorded on its day.

Calibrated to SPEC §6: city totals of poor people, poor villages and incidence at the end of
2014 and 2017 match the published figures at scale 1 and in proportion below; the counties
differ (the five autonomous counties poorer, 鹤城区 the least poor); 洪江区 exits in 2016,
中方县, 洪江市 and 鹤城区 in 2017. A few irregularities of each kind the audit report knows are
planted (`History.planted`), and nothing else is irregular.

    python -m sample_data.generate --url sqlite:///history.db --history 2014-2018 --scale 0.05
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import os
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sample_data import huaihua
from workflow.imports.sheet_lookups import SheetLookups
from workflow.org.models import Household

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
ACCOUNT = "huaihua-history"
HISTORY_BOOK = Path(__file__).parent / "rules" / "huaihua-2014.toml"
REGISTERED_ON = dt.date(2014, 10, 1)  # 建档立卡
RULE_FROM = dt.date(2017, 6, 1)  # the 三走访三签字 rule book: pairings and visits from here

# The source's figures (SPEC §6), at the end of each year.
PUBLISHED = {
    2014: {"poor_people": 870_664, "poor_villages": 1024, "incidence": Decimal("0.2080")},
    2017: {"poor_people": 260_340, "poor_villages": 503, "incidence": Decimal("0.062")},
}
# What the generator aims at each year end: the published figures, and between and after
# them the generator's own assumptions (the source publishes no other year).
POOR_PEOPLE = {2014: 870_664, 2015: 670_000, 2016: 465_000, 2017: 260_340, 2018: 125_000, 2019: 40_000, 2020: 0}
POOR_VILLAGES = {2014: 1024, 2015: 880, 2016: 700, 2017: 503, 2018: 290, 2019: 90, 2020: 0}
RURAL_POPULATION = 4_190_000  # 870,664 ÷ 20.80 % ≈ 260,340 ÷ 6.2 % ≈ 4.19 million
# County-level units that exit, by year: the source's 2016 and 2017 exits; the five of 2018 are
# the sample's choice (the source says five more were expected, not which).
COUNTY_EXITS = {
    "431271000000": 2016,  # 洪江区
    "431221000000": 2017, "431281000000": 2017, "431202000000": 2017,  # 中方县, 洪江市, 鹤城区
    "431223000000": 2018, "431225000000": 2018, "431226000000": 2018, "431228000000": 2018, "431229000000": 2018,
}
# county code → (share of the city's rural population, poverty relative to the city's)
PROFILE = {
    "431202000000": (0.035, 0.30),  # 鹤城区, the urban district: least poor
    "431221000000": (0.060, 0.60),
    "431222000000": (0.130, 1.10),
    "431223000000": (0.100, 0.95),
    "431224000000": (0.170, 1.05),
    "431225000000": (0.070, 1.00),
    "431226000000": (0.080, 1.35),  # the five autonomous counties: poorest
    "431227000000": (0.050, 1.40),
    "431228000000": (0.070, 1.30),
    "431229000000": (0.055, 1.30),
    "431230000000": (0.045, 1.50),
    "431271000000": (0.010, 0.45),
    "431281000000": (0.125, 0.70),
}
COUNTY_LEFTOVER = 0.012  # an exiting county keeps at most this share of its rural population poor
MEMBERS = [1] * 14 + [2] * 21 + [3] * 22 + [4] * 22 + [5] * 13 + [6] * 8  # ≈ 3.34 a household, as 870,664 ÷ 260,500
PLANTED_EACH = 2  # irregularities of each kind the generator plants
# The kind of bulk acts that may be appended together: household exit steps and visits read
# nothing the other writes (visits read people, posts, households and units).
CASEWORK = "casework"
STAFFING = "staffing"  # people, their first posts, pairings: read by every later check, written by nothing else in bulk

SIGNER_ROLES = {
    "village": ("village_party_secretary", "village_director"),
    "township": ("township_party_secretary", "township_head"),
    "county": ("county_party_secretary", "county_head"),
    "city": ("city_party_secretary", "mayor"),
    "province": ("provincial_party_secretary", "governor"),
}


@dataclasses.dataclass
class HouseholdPlan:
    id: str
    village: str
    members: int
    registered_on: dt.date
    poor: bool = True
    cases: int = 0
    deadline: int | None = None  # the year it must have exited by (its village's or county's exit)
    relapsed_in: int | None = None


@dataclasses.dataclass(order=True)
class Act:
    """One thing that happens: `run(session)` at `at` (UTC), the moment it is recorded."""

    at: dt.datetime
    n: int
    run: Callable = dataclasses.field(compare=False)
    # The same act in bulk: `bulk(session, batch)` gives the events `run` would append, checked as `run` checks them.
    bulk: Callable | None = dataclasses.field(default=None, compare=False)
    # Bulk acts of one kind are appended together; a change of kind appends what is pending first.
    kind: str | None = dataclasses.field(default=None, compare=False)
    # The household whose exit case the act opens: the bulk form reads the year's by set (`HouseholdExits.load`).
    opens: str | None = dataclasses.field(default=None, compare=False)


def local(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


class History:
    """The plan of a history (scale, seed, years): what happens when, decided before anything is written."""

    def __init__(self, *, scale: float = 1.0, seed: int = 2018, first: int = 2014, last: int = 2018):
        if not 0 < scale <= 1:
            raise ValueError("scale must be in (0, 1]")
        if first != 2014 or not 2015 <= last <= 2020:
            raise ValueError("the history starts in 2014 (建档立卡) and ends in a year from 2015 to 2020")
        self.scale, self.seed, self.first, self.last = scale, seed, first, last
        self.rng = random.Random(seed)
        self.acts: list[Act] = []
        self.units: dict[str, tuple[str, str, str | None, int | None]] = {}  # code → (name, level, parent, rural)
        self.county_of: dict[str, str] = {}
        self.township_of: dict[str, str] = {}
        self.townships: dict[str, list[str]] = defaultdict(list)  # county → townships
        self.villages: dict[str, list[str]] = defaultdict(list)  # township → villages
        self.poor_villages: dict[str, int | None] = {}  # village → exit year (None: not within the history)
        self.concentrated: list[str] = []
        self.households: dict[str, HouseholdPlan] = {}
        self.tenures: dict[tuple[str, str], list[list]] = defaultdict(list)  # (role, unit) → [[person, post, start, end]]
        self.people = 0
        self.pairings: list[tuple[str, str]] = []
        self.links: dict[str, list[str]] = {}
        self.visits: dict[dt.date, list[tuple]] = defaultdict(list)  # recording day → visits
        self.planted: set[tuple[str, str]] = set()  # (kind, record id) of every planted irregularity
        self._counter = 0
        self._cases = 0
        self._visit_count = 0
        from rules import load_rule_book

        self._poverty_lines = load_rule_book(HISTORY_BOOK).poverty_line
        self._spells: dict[str, list[list]] = defaultdict(list)  # household → [[on the registry from, to]]
        self._cadre_township: dict[str, str] = {}
        self._numbers: dict[str, int] = defaultdict(int)
        self._left = dict.fromkeys(("signature_without_visit", "proxy_signature_without_document"), PLANTED_EACH)
        self._build_tree()
        self._plan_populations()
        self._plan_turnover()
        self._plan_years()
        self._plan_visits()
        self._plant()

    # ---- sizes and the tree ---------------------------------------------------------------

    def _size(self, full: float, minimum: int = 1) -> int:
        return max(minimum, round(full * self.scale))

    def _act(self, at: dt.datetime, run: Callable, *, bulk: Callable | None = None, kind: str | None = None, opens: str | None = None) -> None:
        self._counter += 1
        self.acts.append(Act(at.astimezone(UTC), self._counter, run, bulk, kind, opens))

    def _exit_step(self, at: dt.datetime, command: str, *, household: bool, **arguments) -> None:
        """An act that is the exits command `command` (`workflow.exits.service`); a household's
        steps can also be written in bulk (`workflow.exits.batch`), with the same arguments."""

        def run(session):
            from workflow.exits import service as exits

            getattr(exits, command)(session, **arguments)

        bulk = (lambda session, batch: [getattr(batch.exits, command)(**arguments)]) if household else None
        self._act(at, run, bulk=bulk, kind=CASEWORK, opens=arguments["subject_id"] if household and command == "open_case" else None)

    def _name(self, suffix: str) -> str:
        return "".join(self.rng.sample(huaihua.SYLLABLES, 2)) + suffix

    def _person_name(self) -> str:
        return self.rng.choice(huaihua.SURNAMES) + self.rng.choice(huaihua.GIVEN)

    def _official(self, role: str, unit: str, start: dt.date) -> str:
        self.people += 1
        person, post = f"P{self.people:06d}", f"T{self.people:06d}"
        self.tenures[(role, unit)].append([person, post, start, None, self._person_name()])
        return person

    def _build_tree(self) -> None:
        rng = self.rng
        share_total = sum(share for share, _ in PROFILE.values())
        weight_total = sum(share * poverty for share, poverty in PROFILE.values())
        people, rural = round(POOR_PEOPLE[2014] * self.scale), round(RURAL_POPULATION * self.scale)
        self.units[huaihua.PROVINCE[0]] = (huaihua.PROVINCE[1], "province", None, None)
        city = huaihua.CITY[0]
        self.units[city] = (huaihua.CITY[1], "city", huaihua.PROVINCE[0], None)
        for role in SIGNER_ROLES["province"]:
            self._official(role, huaihua.PROVINCE[0], dt.date(2013, 1, 1))
        for role in ["city_party_secretary", "mayor"] + ["city_leader"] * self._size(10, 2):
            self._official(role, city, dt.date(2013, 1, 1))
        townships_left, poor_left, other_left = self._size(190, 13), self._size(1024, 13), round(512 * self.scale)
        counties = list(PROFILE)
        self.county_poor: dict[str, int] = {}
        self.county_rural: dict[str, int] = {}
        for i, (code, name, _en) in enumerate(huaihua.COUNTIES):
            share, poverty = PROFILE[code]
            left = len(counties) - i - 1
            self.units[code] = (name, "county", city, None)
            for role in ["county_party_secretary", "county_head"] + ["county_leader"] * self._size(8, 1):
                self._official(role, code, dt.date(2013, 1, 1))
            last = left == 0
            c_people = people - sum(self.county_poor.values()) if last else round(people * share * poverty / weight_total)
            c_rural = rural - sum(self.county_rural.values()) if last else round(rural * share / share_total)
            self.county_poor[code], self.county_rural[code] = c_people, c_rural
            n_townships = townships_left - left if last else max(1, min(townships_left - left, round(self._size(190, 13) * share / share_total)))
            n_poor = poor_left - left if last else max(1, min(poor_left - left, round(self._size(1024, 13) * share * poverty / weight_total)))
            n_other = other_left if last else min(other_left, round(512 * self.scale * share / share_total))
            townships_left, poor_left, other_left = townships_left - n_townships, poor_left - n_poor, other_left - n_other
            for t in range(n_townships):
                township = f"{code[:6]}{100 + t:03d}000"
                self.units[township] = (self._name("镇"), "township", code, None)
                self.townships[code].append(township)
                self.county_of[township] = code
                if rng.random() < 0.6 or t == 0:
                    self.concentrated.append(township)
                for role in SIGNER_ROLES["township"]:
                    self._official(role, township, dt.date(2013, 1, 1))
            villages = []
            for v in range(n_poor + n_other):
                township = self.townships[code][v % n_townships]
                village = f"{township[:9]}{200 + len(self.villages[township]):03d}"
                self.villages[township].append(village)
                self.county_of[village], self.township_of[village] = code, township
                villages.append(village)
                for role in SIGNER_ROLES["village"]:
                    self._official(role, village, dt.date(2014, 1, 1))
            poor = villages[:n_poor]
            for village in poor:
                self.poor_villages[village] = None
            # Rural population: about even across villages; poor people: 85 % in the poor villages.
            weights = [rng.uniform(0.7, 1.3) for _ in villages]
            populations = [round(c_rural * w / sum(weights)) for w in weights]
            populations[-1] += c_rural - sum(populations)
            quotas = [round(c_people * 0.85 * w / sum(weights[:n_poor])) if n < n_poor else 0 for n, w in enumerate(weights)]
            if n_other:
                others = sum(weights[n_poor:])
                for n in range(n_poor, len(villages)):
                    quotas[n] = round(c_people * 0.15 * weights[n] / others)
            quotas[n_poor - 1 if not n_other else -1] += c_people - sum(quotas)
            for village, population, quota in zip(villages, populations, quotas):
                self.units[village] = (self._name("村"), "village", self.township_of[village], max(population, quota * 2))
                for household in self._households(village, quota, REGISTERED_ON):
                    self._register(household)
        # City-direct units linked to poor villages (V3).
        poor = list(self.poor_villages)
        for u in range(self._size(40, 2)):
            unit = f"{city[:6]}900{u + 1:03d}"
            self.units[unit] = (self._name("局"), "city_unit", city, None)
            self._official("city_unit_head", unit, dt.date(2013, 1, 1))
            self.links[unit] = rng.sample(poor, min(len(poor), rng.randint(1, 3)))
        self.rural_total = sum(u[3] for u in self.units.values() if u[1] == "village")

    def _plan_populations(self) -> None:
        """Each village's rural population each year (`populations[year][village]`): 2014's is the
        figure the village is added with; later years drift a little (births, deaths, people
        leaving for the towns), the city's total staying at about 4.19 million × scale."""
        rng = random.Random(f"{self.seed}-population")  # its own draws: the rest of the plan is as without it
        villages = [code for code, unit in self.units.items() if unit[1] == "village"]
        figures = {village: self.units[village][3] for village in villages}
        self.populations: dict[int, dict[str, int]] = {2014: dict(figures)}
        for year in range(2015, self.last + 1):
            drifted = {village: figures[village] * rng.uniform(0.985, 1.015) for village in villages}
            keep = self.rural_total / sum(drifted.values())
            figures = {village: round(population * keep) for village, population in drifted.items()}
            self.populations[year] = figures

    def _households(self, village: str, people: int, registered_on: dt.date) -> list[HouseholdPlan]:
        made = []
        while people > 0:
            members = min(people, self.rng.choice(MEMBERS))
            self._numbers[village] += 1
            household = HouseholdPlan(f"{village}{self._numbers[village]:06d}", village, members, registered_on)
            self.households[household.id] = household
            made.append(household)
            people -= members
        return made

    # ---- the years: who exits when ------------------------------------------------------

    def _poor_people(self) -> int:
        return sum(h.members for h in self.households.values() if h.poor)

    def _plan_years(self) -> None:
        rng = self.rng
        n_poor = len(self.poor_villages)
        # A poor village of a county that exits must exit by that county's year; the others
        # leave when the year's count calls for it, so each year end holds its target exactly
        # (the published 1,024 and 503 at scale 1) whenever the deadlines allow it.
        deadline = {v: COUNTY_EXITS.get(self.county_of[v]) for v in self.poor_villages}
        for year in range(2015, self.last + 1):
            target = round(n_poor * POOR_VILLAGES[year] / 1024)
            remaining = [v for v, y in self.poor_villages.items() if y is None]
            due = [v for v in remaining if deadline[v] == year]
            others = [v for v in remaining if deadline[v] != year]
            rng.shuffle(others)
            for village in due + others[: max(0, len(remaining) - len(due) - target)]:
                self.poor_villages[village] = year
        for household in self.households.values():
            household.deadline = self.poor_villages.get(household.village)
        for county, year in COUNTY_EXITS.items():
            if year > self.last:
                continue
            members = [h for h in self.households.values() if self.county_of[h.village] == county and h.deadline is None]
            rng.shuffle(members)
            allowed = COUNTY_LEFTOVER * self.county_rural[county]
            kept = 0
            for household in members:
                if kept + household.members <= allowed:
                    kept += household.members
                else:
                    household.deadline = year
        for year in range(2015, self.last + 1):
            self._plan_year(year)

    def _plan_year(self, year: int) -> None:
        rng = self.rng
        target = round(POOR_PEOPLE[year] * self.scale)
        exiting_counties = {c for c, y in COUNTY_EXITS.items() if y <= self.last}
        if year >= 2016:  # 返贫: a few exited households, where no exit still depends on them
            candidates = [h for h in self.households.values() if not h.poor and h.deadline is None and self.county_of[h.village] not in exiting_counties]
            for household in rng.sample(candidates, min(len(candidates), max(1, round(len(candidates) * 0.004)))):
                household.poor, household.relapsed_in = True, year
                self._relapse(household, local(dt.date(year, 3, rng.randint(1, 28)), rng.randint(9, 16)))
        # 动态调整: a few households registered on 1 October, in villages that stay poor.
        staying = [v for v, y in self.poor_villages.items() if y is None and self.county_of[v] not in exiting_counties]
        if year < self.last and staying:
            for _ in range(max(1, round(len(self.households) * 0.002))):
                for household in self._households(rng.choice(staying), rng.choice(MEMBERS), dt.date(year, 10, 1)):
                    self._register(household)
        poor = self._poor_people()
        due = [h for h in self.households.values() if h.poor and h.deadline is not None and h.deadline <= year]
        free = [h for h in self.households.values() if h.poor and (h.deadline is None or h.deadline > year) and h.relapsed_in != year
                and h.registered_on.year < year]
        rng.shuffle(free)
        leaving = list(due)
        poor -= sum(h.members for h in due)
        for household in free:
            if poor <= target:
                break
            leaving.append(household)
            poor -= household.members
        for household in leaving:
            household.poor = False
            self._household_exit(household, year)
        for village, exit_year in self.poor_villages.items():
            if exit_year == year:
                self._village_exit(village, year)
        for county, exit_year in COUNTY_EXITS.items():
            if exit_year == year:
                self._county_exit(county, year)
        if year == self.last:
            self._open_cases(year)

    # ---- posts over the years -------------------------------------------------------------

    def _plan_turnover(self) -> None:
        """Elections and transfers: a share of each signing post changes hands each year."""
        rng = self.rng
        chances = {"province": 0.15, "city": 0.2, "county": 0.25, "township": 0.2, "village": 0.1}
        for (role, unit), tenures in list(self.tenures.items()):
            level = self.units[unit][1]
            if level not in chances or role not in SIGNER_ROLES[level]:
                continue
            for year in range(2015, self.last + 1):
                chance = 0.6 if (level == "village" and year == 2017) or (level == "township" and year == 2016) else chances[level]
                if rng.random() >= chance:
                    continue
                day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(40, 200))  # Feb – July: 换届 and transfers
                if day <= tenures[-1][2]:
                    continue
                tenures[-1][3] = day - dt.timedelta(days=1)
                self._official(role, unit, day)

    def holder(self, role: str, unit: str, day: dt.date) -> str | None:
        for person, _post, start, end, _name in self.tenures.get((role, unit), []):
            if start <= day and (end is None or day <= end):
                return person
        return None

    # ---- visits from the rule book's day on ------------------------------------------------

    def _visit(self, visitor: str | None, level: str, target: str, when: dt.datetime, *, late: dt.timedelta | None = None,
               where: tuple[float, float] | None = None) -> str | None:
        """Plan a visit recorded the same evening, or a few days later; its id."""
        if visitor is None:
            return None
        if late is None:
            luck = self.rng.random()
            late = dt.timedelta(0) if luck < 0.75 else dt.timedelta(days=self.rng.randint(1, 5)) if luck < 0.97 else dt.timedelta(days=self.rng.randint(6, 25))
        recorded = when.astimezone(BEIJING).date() + late
        self._visit_count += 1
        visit_id = f"V{self._visit_count:08d}"
        self.visits[recorded].append((visit_id, visitor, level, target, when, where))
        return visit_id

    def _plan_visits(self) -> None:
        rng = self.rng
        end = dt.date(self.last, 12, 31)
        months = [(y, m) for y in range(2017, self.last + 1) for m in range(1, 13) if dt.date(y, m, 1) >= RULE_FROM]

        def day_in(y: int, m: int) -> dt.datetime:
            last_day = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day
            return local(dt.date(y, m, rng.randint(1, last_day)), rng.randint(8, 17), rng.randint(0, 59))

        def poor_on(village: str, y: int) -> bool:
            exit_year = self.poor_villages.get(village, 0)
            return village in self.poor_villages and (exit_year is None or exit_year >= y)

        by_township: dict[str, list[HouseholdPlan]] = defaultdict(list)
        for household in self.households.values():
            by_township[self.township_of[household.village]].append(household)
        # Pairings (结对帮扶): households on the registry on the rule book's day, five to a cadre.
        for township in self.villages:
            paired = [h for h in by_township[township] if self._poor_on(h, RULE_FROM)]
            for start in range(0, len(paired), 5):
                cadre = self._official("township_cadre", township, dt.date(2016, 1, 1))
                self._cadre_township[cadre] = township
                for household in paired[start:start + 5]:
                    self.pairings.append((cadre, household.id))
        for cadre, household in self.pairings:  # V7: monthly, nine times in ten
            for y, m in months:
                if rng.random() < 0.92:
                    self._visit(cadre, "household", household, day_in(y, m))
        for y in range(2017, self.last + 1):
            first_day = max(RULE_FROM, dt.date(y, 1, 1))
            for township, villages in self.villages.items():  # V6: every poor household, once a campaign year
                for household in (h for h in by_township[township] if self._poor_in(h, y)):
                    since = max(first_day, household.registered_on)  # a household registered in October is visited after
                    for role in SIGNER_ROLES["township"]:
                        if rng.random() < 0.9:
                            when = local(since + dt.timedelta(days=rng.randint(0, (dt.date(y, 12, 20) - since).days)), rng.randint(8, 17))
                            self._visit(self.holder(role, township, when.date()), "household", household.id, when)
            for (role, unit), tenures in self.tenures.items():
                level = self.units[unit][1]
                if level not in ("county", "city") or role not in ("county_party_secretary", "county_head", "county_leader", "city_party_secretary", "mayor", "city_leader"):
                    continue
                mine = [v for v in self.poor_villages if level == "city" or self.county_of[v] == unit]
                for m in range(1, 13):  # V2, V5: a poor village a month, most months
                    if dt.date(y, m, 1) < RULE_FROM or rng.random() >= 0.93:
                        continue
                    when = day_in(y, m)
                    choices = [v for v in mine if poor_on(v, y)]
                    if choices:
                        self._visit(self.holder(role, unit, when.date()), "village", rng.choice(choices), when)
                if role in ("county_party_secretary", "county_head"):  # V4: every poor village of the county
                    for village in (v for v in mine if poor_on(v, y)):
                        if rng.random() < 0.9:
                            when = local(first_day + dt.timedelta(days=rng.randint(0, (dt.date(y, 11, 30) - first_day).days)), rng.randint(8, 17))
                            self._visit(self.holder(role, unit, when.date()), "village", village, when)
                if role in ("city_party_secretary", "mayor"):  # V1: every township with a concentrated poor population
                    for township in self.concentrated:
                        if rng.random() < 0.9:
                            when = local(first_day + dt.timedelta(days=rng.randint(0, (dt.date(y, 12, 20) - first_day).days)), rng.randint(8, 17))
                            self._visit(self.holder(role, unit, when.date()), "township", township, when)
            for unit, villages in self.links.items():  # V3: each linked village, most quarters
                for village in villages:
                    for quarter in range(4):
                        m = 3 * quarter + rng.randint(1, 3)
                        if dt.date(y, m, 1) >= RULE_FROM and rng.random() < 0.9:
                            when = day_in(y, m)
                            self._visit(self.holder("city_unit_head", unit, when.date()), "village", village, when)
        assert max(self.visits, default=end) <= end + dt.timedelta(days=30)

    def _poor_on(self, household: HouseholdPlan, day: dt.date) -> bool:
        return household.id in self._spells and any(start <= day and (stop is None or day <= stop) for start, stop in self._spells[household.id])

    def _poor_in(self, household: HouseholdPlan, year: int) -> bool:
        first, last = max(RULE_FROM, dt.date(year, 1, 1)), dt.date(year, 12, 31)
        return any(start <= last and (stop is None or stop >= first) for start, stop in self._spells.get(household.id, ()))

    # ---- the acts: registrations, exits, relapses ----------------------------------------------

    def _register(self, household: HouseholdPlan) -> None:
        self._spells[household.id].append([household.registered_on, None])

        arguments = dict(household_id=household.id, village_code=household.village, head_name=self._person_name_for(household.id),
                         members=household.members, registered_on=household.registered_on, spell_id=f"S{household.id}-1")

        def run(session):
            from workflow.org import service as org

            org.register_household(session, actor=ACTOR, **arguments)

        self._act(local(household.registered_on, 10), run, bulk=lambda session, batch: [batch.register(**arguments)], kind="registration")

    def _person_name_for(self, key: str) -> str:
        pick = random.Random(key)
        return pick.choice(huaihua.SURNAMES) + pick.choice(huaihua.GIVEN)

    def _signatures(self, case_id: str, level: str, unit: str, day: dt.date, visit_target: tuple[str, str], *,
                    skip_visit: str | None = None, no_document: str | None = None) -> dt.date:
        """Both signers of `level` at `unit` sign on `day` (or the next), each having visited the subject first."""
        for role in SIGNER_ROLES[level]:
            signer = self.holder(role, unit, day)
            when = local(day, self.rng.randint(9, 17), self.rng.randint(0, 59))
            visited = local(day - dt.timedelta(days=self.rng.randint(2, 40)), self.rng.randint(8, 12))
            if self.holder(role, unit, visited.date()) != signer:
                visited = local(day, 8)
            if role == skip_visit:
                self.planted.add(("signature_without_visit", f"{case_id}-{role}"))
            else:
                self._visit(signer, visit_target[0], visit_target[1], visited, late=dt.timedelta(0))
            signature = self._sign(case_id, role, signer, when, document=role != no_document, household=level in ("village", "township"))
            if role == no_document:
                self.planted.add(("proxy_signature_without_document", signature))
        return day

    def _sign(self, case_id: str, role: str, signer: str, when: dt.datetime, *, document: bool = True, household: bool) -> str:
        from workflow.eventlog import Actor

        signature_id = f"{case_id}-{role}"
        self._exit_step(when + dt.timedelta(hours=2), "sign", household=household, actor=Actor(account=ACCOUNT, on_behalf_of=signer), case_id=case_id,
                        role=role, signer_id=signer, occurred_at=when, document_ref=f"签字表 {case_id}" if document else None, signature_id=signature_id)
        return signature_id

    def _case(self, level: str, subject: str, opened: dt.datetime) -> str:
        self._cases += 1
        case_id = f"C{self._cases:07d}"
        self._exit_step(opened + dt.timedelta(minutes=30), "open_case", household=level == "household", actor=ACTOR, level=level, subject_id=subject,
                        occurred_at=opened, case_id=case_id)
        return case_id

    def _propose(self, case_id: str, when: dt.datetime, year: int | None = None) -> None:
        from workflow.exits.machines import Assessment

        assessment = None
        if year is not None:
            line = self._poverty_lines[year]  # the rule book's line for the year; the income clears it
            assessment = Assessment(income_per_capita=Decimal(round(float(line) * self.rng.uniform(1.15, 1.8))), food=True, clothing=True,
                                    education=True, medical=True, housing=True, acknowledged=True)
        self._exit_step(when + dt.timedelta(minutes=30), "propose", household=year is not None, actor=ACTOR, case_id=case_id, assessment=assessment,
                        occurred_at=when)

    def _notice(self, case_id: str, when: dt.datetime, *, household: bool = False) -> dt.date:
        """Post the notice; the first day signing may follow (notice of 7 whole days, SPEC §2)."""
        self._exit_step(when + dt.timedelta(minutes=30), "post_notice", household=household, actor=ACTOR, case_id=case_id, occurred_at=when)
        return when.date() + dt.timedelta(days=8)

    def _household_exit(self, household: HouseholdPlan, year: int, *, stop_at: str | None = None) -> str:
        rng = self.rng
        opened = local(dt.date(year, 8, 1) + dt.timedelta(days=rng.randint(0, 60)), rng.randint(9, 11))
        if stop_at is not None:
            opened = local(dt.date(year, 12, rng.randint(1, 8)), 9)
        case_id = self._case("household", household.id, opened)
        household.cases += 1
        if stop_at == "registered":
            return case_id
        proposed = opened + dt.timedelta(days=rng.randint(1, 3))
        self._propose(case_id, proposed, year)
        if stop_at == "proposed":
            return case_id
        signable = self._notice(case_id, proposed + dt.timedelta(hours=1), household=True)
        if stop_at == "in_notice":
            return case_id
        village, township = household.village, self.township_of[household.village]
        village_day = self._signatures(case_id, "village", village, signable + dt.timedelta(days=rng.randint(0, 4)), ("household", household.id))
        if stop_at == "village_signed":
            return case_id
        exit_day = self._signatures(case_id, "township", township, village_day + dt.timedelta(days=rng.randint(2, 10)), ("household", household.id),
                                   skip_visit=self._take("signature_without_visit", "township_head", year == 2016 and household.cases == 1),
                                   no_document=self._take("proxy_signature_without_document", "township_party_secretary", year == 2015))
        for spell in self._spells[household.id]:
            if spell[1] is None:
                spell[1] = exit_day
        return case_id

    def _village_exit(self, village: str, year: int) -> None:
        rng = self.rng
        opened = local(dt.date(year, 11, 20) + dt.timedelta(days=rng.randint(0, 12)), 10)
        case_id = self._case("village", village, opened)
        proposed = opened + dt.timedelta(days=1)
        self._propose(case_id, proposed)
        signable = self._notice(case_id, proposed + dt.timedelta(hours=1))
        self._signatures(case_id, "county", self.county_of[village], signable + dt.timedelta(days=rng.randint(0, 2)), ("village", village))

    def _county_exit(self, county: str, year: int) -> None:
        opened = local(dt.date(year, 12, 16), 10)
        case_id = self._case("county", county, opened)
        proposed = opened + dt.timedelta(days=1)
        self._propose(case_id, proposed)
        signable = self._notice(case_id, proposed + dt.timedelta(hours=1))
        village = next(v for t in self.townships[county] for v in self.villages[t])
        city_day = self._signatures(case_id, "city", huaihua.CITY[0], signable + dt.timedelta(days=1), ("village", village))
        self._signatures(case_id, "province", huaihua.PROVINCE[0], city_day + dt.timedelta(days=2), ("village", village))

    def _relapse(self, household: HouseholdPlan, when: dt.datetime) -> None:
        self._spells[household.id].append([when.date(), None])
        spell = f"S{household.id}-{len(self._spells[household.id])}"
        self._exit_step(when + dt.timedelta(hours=1), "relapse", household=True, actor=ACTOR, household_id=household.id, reason="因病返贫",
                        occurred_at=when, spell_id=spell)

    def _open_cases(self, year: int) -> None:
        """Cases of the next round, opened in December and waiting at each step at the end of the history."""
        poor = [h for h in self.households.values() if h.poor and h.cases == 0 and h.registered_on.year < year]
        self.rng.shuffle(poor)
        for n, household in enumerate(poor[: max(4, len(poor) // 50)]):
            self._household_exit(household, year, stop_at=("registered", "proposed", "in_notice", "village_signed")[n % 4])

    # ---- planted irregularities ---------------------------------------------------------------

    def _take(self, kind: str, role: str, eligible: bool) -> str | None:
        """`role` when a planted irregularity of `kind` is still to be made here, else None."""
        if not eligible or self._left[kind] == 0:
            return None
        self._left[kind] -= 1
        return role

    def _plant(self) -> None:
        """The visits' irregularities (the signatures' are planted as they are planned): a few
        back-filled visits, visits after a post ended (its end recorded late), and a day of
        impossible travel; the generator makes no others."""
        cadres = sorted({cadre for cadre, _ in self.pairings})
        if len(cadres) < 3 * PLANTED_EACH:
            raise ValueError("too small a scale to plant the irregularities: raise --scale")
        by_visitor: dict[str, list[tuple]] = defaultdict(list)
        for recorded, visits in self.visits.items():
            for visit in visits:
                by_visitor[visit[1]].append((visit[4], recorded, visit))
        paired = defaultdict(list)
        for cadre, household in self.pairings:
            paired[cadre].append(household)
        backfill, tenure, travel = cadres[:PLANTED_EACH], cadres[PLANTED_EACH:2 * PLANTED_EACH], cadres[2 * PLANTED_EACH:3 * PLANTED_EACH]
        for cadre in backfill:  # 补录 weeks late
            when = local(dt.date(2017, 7, 3), 10)
            self.planted.add(("backfilled_visit", self._visit(cadre, "household", paired[cadre][0], when, late=dt.timedelta(days=45))))
        for cadre in travel:  # two villages some 500 km apart on one day
            day = dt.date(2017, 9, 12)
            self._visit(cadre, "household", paired[cadre][0], local(day, 9), late=dt.timedelta(0), where=(27.55, 109.99))
            later = self._visit(cadre, "household", paired[cadre][-1], local(day, 15), late=dt.timedelta(0), where=(30.59, 114.30))
            self.planted.add(("implausible_travel", later))
        for cadre in tenure:  # the post's end, recorded after the last visit, falls before it
            visits = sorted(by_visitor[cadre], key=lambda item: item[0])
            last_when, last_recorded, last_visit = visits[-1]
            end = last_when.date() - dt.timedelta(days=1)
            if len(visits) < 2 or visits[-2][0].date() > end:
                raise ValueError(f"cannot plant a visit outside tenure for {cadre}")
            person_post = next(t for t in self.tenures[("township_cadre", self._cadre_township[cadre])] if t[0] == cadre)
            self._end_post(person_post[1], end, local(last_recorded + dt.timedelta(days=1), 10))
            self.planted.add(("visit_outside_tenure", last_visit[0]))


    def _end_post(self, post_id: str, end: dt.date, at: dt.datetime) -> None:
        def run(session):
            from workflow.posts import service as posts

            posts.end_post(session, actor=ACTOR, post_id=post_id, end_date=end)

        self._act(at, run)

    # ---- writing ----------------------------------------------------------------------------

    def setup_acts(self) -> None:
        """The tree, the people in post, the registries on 2014-10-01; later posts, links and pairings on their days."""
        from workflow.org import service as org
        from workflow.posts import service as posts

        setup_day = REGISTERED_ON
        order = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4, "city_unit": 5}

        def tree(session):
            for code, (name, level, parent, rural) in sorted(self.units.items(), key=lambda item: order[item[1][1]]):
                org.add_org_unit(session, actor=ACTOR, code=code, name=name, level=level, parent_code=parent, rural_population=rural)
            for code in self.units:
                if self.units[code][1] == "county":
                    org.register_poor_unit(session, actor=ACTOR, kind="poor_county", code=code, registered_on=setup_day)
            for code in self.concentrated:
                org.register_poor_unit(session, actor=ACTOR, kind="concentrated_township", code=code, registered_on=setup_day)
            for code in self.poor_villages:
                org.register_poor_unit(session, actor=ACTOR, kind="poor_village", code=code, registered_on=setup_day)
            _record_populations(session, 2014, self.populations[2014])

        self._act(local(setup_day, 8), tree)
        for year in range(2015, self.last + 1):  # each year's figures, from the statistics of January (统计年报)
            self._act(local(dt.date(year, 1, 15), 9), lambda session, year=year: _record_populations(session, year, self.populations[year]))
        for (role, unit), tenures in self.tenures.items():
            for n, (person, post, start, _end, name) in enumerate(tenures):
                before = tenures[n - 1] if n and tenures[n - 1][3] is not None else None  # the holder this one succeeds

                def run(session, person=person, post=post, start=start, name=name, role=role, unit=unit, before=before):
                    org.add_person(session, actor=ACTOR, name=name, person_id=person)
                    if before is not None:
                        posts.end_post(session, actor=ACTOR, post_id=before[1], end_date=before[3])
                    posts.assign_post(session, actor=ACTOR, person_id=person, role=role, unit_code=unit, start_date=start, post_id=post)

                # In bulk, a first holder (most: the tree's officials, every township cadre); a successor's act also ends a post.
                bulk = None if before is not None else (
                    lambda session, batch, person=person, post=post, start=start, name=name, role=role, unit=unit:
                    batch.staff(person=dict(name=name, person_id=person), post=dict(person_id=person, role=role, unit_code=unit, start_date=start, post_id=post)))
                self._act(local(max(start, setup_day), 8, 30), run, bulk=bulk, kind=STAFFING)
        links = [(f"L{n:05d}", unit, village) for n, (unit, village) in enumerate(((u, v) for u, vs in self.links.items() for v in vs), 1)]
        pairings = [(f"Q{n:07d}", cadre, household) for n, (cadre, household) in enumerate(self.pairings, 1)]

        def link(session):
            for link_id, unit, village in links:
                posts.link_unit(session, actor=ACTOR, unit_code=unit, village_code=village, start_date=RULE_FROM, link_id=link_id)

        pairing = [dict(cadre_id=cadre, household_id=household, start_date=RULE_FROM, pairing_id=pairing_id) for pairing_id, cadre, household in pairings]

        def pair(session):
            for arguments in pairing:
                posts.pair(session, actor=ACTOR, **arguments)

        self._act(local(RULE_FROM, 8, 45), link)
        self._act(local(RULE_FROM, 8, 45), pair, bulk=lambda session, batch: batch.pair(pairing), kind=STAFFING)
        for day, visits in self.visits.items():
            self._act(local(day, 20), lambda session, visits=visits: _record_visits(session, visits),
                      bulk=lambda session, batch, visits=visits: _visit_events(session, visits, batch.visit_lookups()), kind=CASEWORK)


def _record_populations(session, year: int, figures: dict[str, int]) -> None:
    """Each village's rural population for `year` (`org.record_population`)."""
    from workflow.org import service as org

    for code, population in figures.items():
        org.record_population(session, actor=ACTOR, code=code, year=year, rural_population=population)


def _record_visits(session, visits: list[tuple]) -> None:
    """A day's recording of visits, as the visit import records a file: each line checked as
    `record_visit` checks it (from rows loaded for the whole batch), appended in one batch."""
    from workflow.eventlog import append_many
    from workflow.imports.visits import Preloaded

    append_many(session, _visit_events(session, visits, Preloaded(session)), actor=ACTOR)  # lookups afresh each day: posts end over the years


def _visit_events(session, visits: list[tuple], lookups) -> list:
    """The visit.recorded events of `visits`, checked by `visit_recorded` from `lookups` (`Preloaded`)."""
    from workflow.visits.service import visit_recorded

    lookups.load([{"id": visit[0], "visitor_id": visit[1], "target_id": visit[3]} for visit in visits])
    events = []
    for visit_id, visitor, level, target, when, where in visits:
        latitude, longitude = where if where else (None, None)
        events.append(visit_recorded(session, visitor_id=visitor, target_level=level, target_id=target, occurred_at=when,
                                     latitude=latitude, longitude=longitude, visit_id=visit_id, lookups=lookups))
        lookups.seen.add(visit_id)
    return events


# The pages SQLite may keep in memory while the history's one transaction writes (KiB; what it
# uses, not reserved): all of them at scale 1. A page that leaves the cache goes to the
# write-ahead log, and each later read of it searches the log's index, which grows with the
# transaction: with the default 2 MB, half the time of the full history went to that search
# (py-spy: sqlite3WalFindFrame 51 % in 2017, a WAL of 7.3 GB). Scale 1 wrote about 15 GB of
# pages; the plan beside them takes about 5 GB. On a machine with less memory the cache is what
# it can spare (its memory less 8 GiB): the later pages spill, slower but not killed.
HISTORY_CACHE_KIB = 16 * 1024 * 1024
HISTORY_SPARED_KIB = 8 * 1024 * 1024


def history_cache_kib(physical_kib: int | None = None) -> int:
    """The SQLite cache for the history's transaction on this machine (KiB): HISTORY_CACHE_KIB,
    less where the machine's memory (`physical_kib`, read when not given) would not hold it
    beside the plan; never below the bulk default."""
    from workflow.db import SQLITE_BULK_CACHE_KIB

    if physical_kib is None:
        try:
            physical_kib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
        except (AttributeError, ValueError, OSError):  # not POSIX: keep the cap
            return HISTORY_CACHE_KIB
    return max(SQLITE_BULK_CACHE_KIB, min(HISTORY_CACHE_KIB, physical_kib - HISTORY_SPARED_KIB))


def write(engine, history: History, *, bulk: bool = True, until: dt.datetime | None = None, progress: Callable[[str], None] | None = None) -> int:
    """Live `history` into the empty, migrated database behind `engine`, on a simulated clock; the number of events.

    With `bulk`, the acts that have a bulk form (household registrations and every step of a
    household's exit case: most of the history) are checked as their commands check them and
    appended together by `append_many`, up to the next act of another kind; the events and
    the tables come out as the commands would write them (`tests/sample_data/test_history_bulk.py`).
    `until` stops the history before that moment (tests).
    """
    from sqlalchemy import func, select

    from rules import load_rule_book
    from rules.registry import RuleBooks
    from workflow import rulebook
    from workflow.db import analyze, large_page_cache, plan_each_statement, transaction
    from workflow.eventlog import Event
    from workflow.eventlog.projection import deferred

    say = progress or (lambda message: None)
    history.setup_acts()
    acts = [act for act in sorted(history.acts) if until is None or act.at < until]
    clock = _SteppingClock(acts[0].at)
    opening = defaultdict(list)  # year → the households whose cases its bulk acts open
    for act in acts:
        if bulk and act.bulk is not None and act.opens is not None:
            opening[act.at.year].append(act.opens)
    books = RuleBooks([load_rule_book(HISTORY_BOOK), *rulebook.books().books])
    with transaction(engine) as session:
        if session.execute(select(Event.seq).limit(1)).first() is not None:
            raise SystemExit("the database already holds events: generate into an empty one")
        plan_each_statement(session)  # the tables grow inside this one transaction: no plan made while they were small is kept
        with large_page_cache(session, history_cache_kib()), deferred(session), simulated_clock(clock), rulebook.using(books):
            batch = _Batch(session, clock)
            year = None
            for act in acts:
                if act.at.year != year:
                    batch.append()
                    year = act.at.year
                    session.flush()
                    say(f"{year}: {session.execute(select(func.count()).select_from(Event)).scalar_one():,} events so far")
                    analyze(session)  # a village's exit proposal (the incidence statement) was planned for empty tables
                    batch.exits.load(opening[year])  # nothing pending: the year's households read by set
                clock.moment = act.at
                if bulk and act.bulk is not None:
                    if act.kind != batch.kind:
                        batch.append()
                    batch.kind = act.kind
                    batch.pending += [(act.at, new) for new in act.bulk(session, batch)]
                else:
                    batch.append()
                    batch.forget()  # the command may write what the batch has read (posts, people)
                    act.run(session)
            batch.append()
        count = session.execute(select(func.count()).select_from(Event)).scalar_one()
    analyze(engine)
    return count


class _SteppingClock:
    """The simulated clock: the moment of the act under way, or, while a batch is appended, the
    moment of each event's act in turn (`append_many` reads the clock once per event)."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment
        self.steps: collections.deque | None = None

    def __call__(self) -> dt.datetime:
        return self.steps.popleft() if self.steps is not None else self.moment

    @contextlib.contextmanager
    def stepping(self, moments: list[dt.datetime]) -> Iterator[None]:
        self.steps = collections.deque(moments)
        try:
            yield
            if self.steps:
                raise RuntimeError(f"{len(self.steps)} moments left unread: the batch was not recorded one clock reading per event")
        finally:
            self.steps = None


class _PendingLookups(SheetLookups):
    """The records the batch's checks read, each read once (`SheetLookups`, the batch's pending
    events noted), but an id is taken only by the pending events: the ids on file are refused
    all at once before the batch is appended (`_Batch.append`)."""

    def __init__(self, session, given: dict[type, set[str]]):
        super().__init__(session, on_file=lambda model, key: False)
        self.given = given

    def taken(self, model: type, key: str) -> bool:
        if model in self.given:
            return key in self.given[model]
        return super().taken(model, key)


class _Batch:
    """The events of acts written in bulk, waiting to be appended (`append`): until an act of
    another kind, which may read what they write."""

    def __init__(self, session, clock: _SteppingClock):
        from workflow.exits.batch import HouseholdExits
        from workflow.org.models import Person
        from workflow.posts.models import Post

        self.session, self.clock = session, clock
        self.exits = HouseholdExits(session)
        self.kind: str | None = None
        self.pending: list[tuple[dt.datetime, object]] = []
        self._given: dict[type, set[str]] = {Household: set(), Person: set(), Post: set()}  # the ids the pending events give
        self._lookups: _PendingLookups | None = None
        self._visit_lookups = None

    def lookups(self) -> _PendingLookups:
        """What registrations, people, posts and pairings are checked against, kept until the batch forgets."""
        if self._lookups is None:
            self._lookups = _PendingLookups(self.session, self._given)
        return self._lookups

    def _checked(self, model: type, new):
        self.lookups().note([new])
        self._given.get(model, set()).add(new.entity_id)
        return new

    def register(self, **arguments):
        """The household.registered event of `org.register_household(**arguments)`, checked as it checks."""
        from workflow.org import service as org

        return self._checked(Household, org.household_registered(self.lookups(), **arguments))

    def staff(self, *, person: dict, post: dict) -> list:
        """The events of `org.add_person(**person)` then `posts.assign_post(**post)`, checked as they check."""
        from workflow.org import service as org
        from workflow.org.models import Person
        from workflow.posts import service as posts
        from workflow.posts.models import Post

        return [self._checked(Person, org.person_added(self.lookups(), **person)), self._checked(Post, posts.post_assigned(self.lookups(), **post))]

    def pair(self, pairings: list[dict]) -> list:
        """The events of `posts.pair(**arguments)` for each of `pairings` in turn, checked as it checks."""
        from workflow.posts import service as posts
        from workflow.posts.models import Pairing

        self.lookups().load("pairings", pairings)
        return [self._checked(Pairing, posts.pairing_started(self.lookups(), **arguments)) for arguments in pairings]

    def append(self) -> None:
        """Append the pending events; first, the ids they give that are already on file are refused, as their commands refuse them."""
        from workflow import errors
        from workflow.eventlog import append_many
        from workflow.exits.batch import first_on_file
        from workflow.org.models import Person
        from workflow.posts.models import Post

        if self.pending:
            self.exits.check_ids()
            for model, refusal in ((Household, errors.DuplicateId.household), (Person, errors.DuplicateId.person), (Post, errors.DuplicateId.post)):
                taken = first_on_file(self.session, model, self._given[model])
                if taken is not None:
                    raise refusal(id=taken)
            with self.clock.stepping([moment for moment, _ in self.pending]):
                append_many(self.session, [new for _, new in self.pending], actor=ACTOR)
            self.pending = []
            if self.kind == STAFFING:  # the exit steps and visits read posts and people afresh
                self.exits.forget()
                self._visit_lookups = None
        for ids in self._given.values():
            ids.clear()
        self.kind = None

    def forget(self) -> None:
        self.exits.forget()
        self._lookups = None
        self._visit_lookups = None

    def visit_lookups(self):
        """The rows visits are checked against (`Preloaded`), kept until the batch forgets: the ids
        of the batch's visits count as taken for the visits after them, appended or not."""
        from workflow.imports.visits import Preloaded

        if self._visit_lookups is None:
            self._visit_lookups = Preloaded(self.session)
        return self._visit_lookups


def _actor():
    from workflow.eventlog import Actor

    return Actor(account=ACCOUNT)


ACTOR = _actor()


@contextlib.contextmanager
def simulated_clock(moment: Callable[[], dt.datetime]) -> Iterator[None]:
    """The product's clock reads `moment()` inside the block: the history is recorded on its own days."""
    from workflow import clock

    real = clock.now
    clock.now = moment
    try:
        yield
    finally:
        clock.now = real
