"""The overdue report for a hand-built county equals a brute-force reading of SPEC §3 written here.

The brute force knows only what the test created — posts, pairings, links, registrations and
visits, as plain lists — and walks calendar days; it shares no code with the product.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import random
from collections import Counter

import pytest
from freezegun import freeze_time

from tests.factories import ADMIN, beijing_time, build_tree, household
from workflow import clock
from sqlalchemy import select

from workflow import rulebook
from workflow.obligations import general, planner, reports, tallies
from workflow.obligations.general import GENERAL
from workflow.obligations.corrected import CorrectedEngine
from workflow.obligations.jurisdiction import COUNTED, JURISDICTION
from workflow.obligations.relationship import RELATIONSHIP
from workflow.obligations.models import ObligationDayTally, ObligationPersonYearTally, ObligationTally
from workflow.obligations.question import ROWS, SCORES, TOTALS, Question
from workflow.obligations.sources import DaySource
from workflow.obligations.spec import window
from workflow.org import service as org
from workflow.org.service import get_unit
from workflow.posts import service as posts
from workflow.visits import service as visits

D = dt.date
BOOK_START = D(2017, 6, 1)
LONG_AGO = D(2014, 1, 1)
RULES = {  # id: (roles, period, how targets are chosen, target level, each or any)
    "V1": (("city_party_secretary", "mayor"), "year", "jurisdiction", "township", "each"),
    "V2": (("city_party_secretary", "mayor", "city_leader"), "month", "jurisdiction", "village", "any"),
    "V3": (("city_unit_head",), "quarter", "linked", "village", "each"),
    "V4": (("county_party_secretary", "county_head"), "year", "jurisdiction", "village", "each"),
    "V5": (("county_party_secretary", "county_head", "county_leader"), "month", "jurisdiction", "village", "any"),
    "V6": (("township_party_secretary", "township_head"), "year", "jurisdiction", "household", "each"),
    "V7": (("township_cadre",), "month", "paired", "household", "each"),
}
AS_OF = [D(2018, 1, 10), D(2018, 3, 31), D(2018, 4, 15), D(2018, 6, 30), D(2018, 7, 1), D(2018, 10, 16), D(2018, 12, 31), D(2019, 1, 5)]


@dataclasses.dataclass
class World:
    """Everything the test created, as the brute force sees it."""

    city: str
    county: str
    parents: dict[str, str]  # unit or household → the unit above it
    poor: dict[str, list[tuple[dt.date, dt.date | None]]]  # registry spells by subject
    posts: list[dict]
    pairings: list[dict]
    links: list[dict]
    visits: list[dict]
    voided: list[dict] = dataclasses.field(default_factory=list)  # visits voided last of all
    before_voids: dt.datetime | None = None  # a moment after every other record, before the voids

    def ancestors(self, node: str) -> list[str]:
        found = [node]
        while found[-1] in self.parents:
            found.append(self.parents[found[-1]])
        return found

    def level(self, node: str) -> str:
        depth = len(self.ancestors(node))  # province 1, city 2, city unit / county 3, township 4, village 5, household 6
        return {2: "city", 3: "county", 4: "township", 5: "village", 6: "household"}[depth]


# ---- building the county ----------------------------------------------------------


def _build(session) -> World:
    tree = build_tree(session)
    third_village = "431224200201"  # under 龙潭镇, poor only from March 2018
    org.add_org_unit(session, actor=ADMIN, code=third_village, name="石门村", level="village", parent_code=tree.other_township)
    org.register_poor_unit(session, actor=ADMIN, kind="poor_village", code=third_village, registered_on=D(2018, 3, 1))
    parents = {
        tree.city: tree.province, tree.city_unit: tree.city, tree.county: tree.city,
        tree.township: tree.county, tree.other_township: tree.county,
        tree.village: tree.township, tree.other_village: tree.township, third_village: tree.other_township,
    }
    poor = {tree.village: [(LONG_AGO, None)], tree.other_village: [(LONG_AGO, None)], third_village: [(D(2018, 3, 1), None)], tree.township: [(LONG_AGO, None)]}
    households = {"H1": (tree.village, LONG_AGO), "H2": (tree.village, LONG_AGO), "H3": (tree.other_village, LONG_AGO),
                  "H4": (tree.other_village, D(2018, 5, 20)), "H5": (third_village, D(2018, 3, 1))}
    for name, (village, registered) in households.items():
        number = f"{village}0000{name[1]}"
        household(session, tree, number, village=village, registered_on=registered)
        parents[number] = village
        poor[number] = [(registered, None)]
    hh = {name: f"{village}0000{name[1]}" for name, (village, _) in households.items()}

    world = World(tree.city, tree.county, parents, poor, [], [], [], [])

    def post(name, role, unit, start, end=None, person=None):
        if person is None:
            person = org.add_person(session, actor=ADMIN, name=name).id
        made = posts.assign_post(session, actor=ADMIN, person_id=person, role=role, unit_code=unit, start_date=start, end_date=end)
        world.posts.append({"id": made.id, "person": person, "role": role, "unit": unit, "start": start, "end": end})
        return person

    post("市委书记", "city_party_secretary", tree.city, D(2017, 1, 1))
    post("市长", "mayor", tree.city, D(2018, 3, 2))
    post("副市长", "city_leader", tree.city, D(2017, 1, 1), D(2018, 9, 30))
    unit_head = post("局长", "city_unit_head", tree.city_unit, D(2017, 1, 1))
    post("县委书记", "county_party_secretary", tree.county, D(2017, 1, 1))
    post("县长", "county_head", tree.county, D(2018, 1, 1))
    post("副县长", "county_leader", tree.county, D(2018, 2, 1))
    post("镇党委书记", "township_party_secretary", tree.township, D(2017, 1, 1))
    cadre1 = post("干部一", "township_cadre", tree.township, D(2017, 1, 1))
    post("干部一", "township_head", tree.other_township, D(2018, 1, 1), person=cadre1)  # one person, two posts
    cadre2 = post("干部二", "township_cadre", tree.township, D(2018, 4, 16), D(2018, 10, 15))
    cadre3 = post("干部三", "township_cadre", tree.other_township, D(2018, 3, 1))

    def pair(cadre, name, start, end=None):
        made = posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=hh[name], start_date=start, end_date=end)
        world.pairings.append({"id": made.id, "cadre": cadre, "household": hh[name], "start": start, "end": end})

    pair(cadre1, "H1", D(2017, 1, 1))
    pair(cadre1, "H2", D(2017, 6, 1), D(2018, 6, 29))
    pair(cadre1, "H3", D(2018, 2, 1))
    pair(cadre2, "H4", D(2018, 5, 20), D(2018, 10, 15))
    pair(cadre3, "H5", D(2018, 3, 1))

    for village, start, end in [(tree.village, D(2017, 6, 1), None), (third_village, D(2018, 2, 1), D(2018, 8, 31))]:
        made = posts.link_unit(session, actor=ADMIN, unit_code=tree.city_unit, village_code=village, start_date=start, end_date=end)
        world.links.append({"id": made.id, "unit_head": unit_head, "village": village, "start": start, "end": end})

    # Seeded visits on all sorts of days and hours, to every level, by everyone while in post.
    rng = random.Random(20180701)
    targets = [(tree.township, "township"), (tree.other_township, "township"), (tree.village, "village"),
               (tree.other_village, "village"), (third_village, "village")] + [(number, "household") for number in hh.values()]
    people = {}
    for p in world.posts:
        people.setdefault(p["person"], []).append(p)
    day = D(2017, 11, 1)
    while day <= D(2019, 1, 5):
        for person, held in people.items():  # in the posts' order: ids are random, so sorting by them would reseed the world each run
            if rng.random() < 0.07 and any(p["start"] <= day and (p["end"] is None or day <= p["end"]) for p in held):
                target, level = rng.choice(targets)
                at = beijing_time(day.year, day.month, day.day, rng.choice([0, 0, 9, 23]), rng.choice([0, 30, 59]))
                visit_id = visits.record_visit(session, actor=ADMIN, visitor_id=person, target_level=level, target_id=target, occurred_at=at).id
                world.visits.append({"id": visit_id, "person": person, "target": target, "day": day})
        day += dt.timedelta(days=1)
    # Visits in the last month a pairing owes: the month after, those rows are no longer owed.
    for person, name, day in [(cadre1, "H2", D(2018, 5, 10)), (cadre2, "H4", D(2018, 9, 20))]:
        at = beijing_time(day.year, day.month, day.day, 10)
        visit_id = visits.record_visit(session, actor=ADMIN, visitor_id=person, target_level="household", target_id=hh[name], occurred_at=at).id
        world.visits.append({"id": visit_id, "person": person, "target": hh[name], "day": day})
    session.flush()
    world.before_voids = clock.now()
    for record in rng.sample(world.visits, 6):
        visits.void_visit(session, actor=ADMIN, visit_id=record["id"], reason="核查不实")
        world.visits.remove(record)
        world.voided.append(record)
    return world


# ---- the brute force --------------------------------------------------------------


def _month_end(year, month):
    return D(year, month, calendar.monthrange(year, month)[1])


def _periods(kind, year):
    """The periods of `kind` in `year` under the one rule book, clipped to its first day."""
    if kind == "month":
        spans = [(D(year, m, 1), _month_end(year, m)) for m in range(1, 13)]
    elif kind == "quarter":
        spans = [(D(year, m, 1), _month_end(year, m + 2)) for m in (1, 4, 7, 10)]
    else:
        spans = [(D(year, 1, 1), D(year, 12, 31))]
    return [(max(first, BOOK_START), last) for first, last in spans if last >= BOOK_START]


def _label(kind, first, last):
    label = {"month": f"{first.year}-{first.month:02d}", "quarter": f"{first.year}-Q{(first.month - 1) // 3 + 1}", "year": str(first.year)}[kind]
    whole = {"month": (D(first.year, first.month, 1), _month_end(first.year, first.month)),
             "quarter": (D(first.year, 3 * ((first.month - 1) // 3) + 1, 1), _month_end(first.year, 3 * ((first.month - 1) // 3) + 3)),
             "year": (D(first.year, 1, 1), D(first.year, 12, 31))}[kind]
    return label if (first, last) == whole else f"{label}[{first:%m-%d}..{last:%m-%d}]"


def _window(kind, as_of, start=None):
    """The periods from `start`'s (default: as_of's campaign year) to as_of's, and the latest
    closed period, which is always in the window."""
    periods = [p for year in range(BOOK_START.year, as_of.year + 1) for p in _periods(kind, year) if p[0] <= as_of]
    current = periods.index(next(p for p in periods if p[0] <= as_of <= p[1]))
    # The period holding as_of is the current one, on its last day too: the day is not over.
    latest = periods[current - 1] if current > 0 else None
    first = min(start or D(as_of.year, 1, 1), latest[0] if latest else as_of)
    return [p for p in periods[: current + 1] if p[1] >= first], latest


def _covers(start, end, first, last):
    return start <= first and (end is None or end >= last)


def _poor(world, subject, first, last):
    return any(start <= last and (end is None or end >= first) for start, end in world.poor.get(subject, []))


def _visit_days(world, person, target, first, last):
    """Days from `first` to `last` on which `person` visited `target` or anything below it."""
    return [v["day"] for v in world.counted if v["person"] == person and target in world.ancestors(v["target"]) and first <= v["day"] <= last]


def _judge(rule_id, kind, periods, latest, as_of, owed, met, last_visit, post, target):
    closed = [p[1] < as_of for p in periods]
    missed = [i for i in range(len(periods)) if owed[i] and closed[i] and not met[i]]
    overdue = latest is not None and periods.index(latest) in missed
    if not owed[-1]:
        current = "not_owed"
    elif met[-1]:
        current = "met"
    else:
        current = "pending" if kind == "year" else "due"
    each = tuple((_label(kind, *period), "not_owed" if not owed[i] else "met" if met[i] else "missed" if closed[i] else current)
                 for i, period in enumerate(periods))
    return (rule_id, post["id"], target, "overdue" if overdue else current, current,
            tuple(_label(kind, *periods[i]) for i in missed),
            sum(1 for i in range(len(periods)) if owed[i] and closed[i]),
            sum(1 for i in range(len(periods)) if owed[i] and closed[i] and met[i]),
            last_visit, (as_of - latest[1]).days if overdue else None, each)


def brute_force(world: World, as_of: dt.date, *, start: dt.date | None = None, before_voids: bool = False) -> list[tuple]:
    """The report's rows as SPEC §3 reads, from `start` when given, as known before the voids when asked."""
    world.counted = world.visits + (world.voided if before_voids else [])
    rows = []
    for rule_id, (roles, kind, chosen, level, count) in RULES.items():
        periods, latest = _window(kind, as_of, start)
        seen = [(first, min(last, as_of)) for first, last in periods]
        for post in world.posts:
            if post["role"] not in roles:
                continue
            if chosen == "paired":
                members = [(pr["household"], (pr["start"], pr["end"]), None) for pr in world.pairings
                           if pr["cadre"] == post["person"] and post["unit"] in world.ancestors(pr["household"])]
            elif chosen == "linked":
                members = [(ln["village"], (ln["start"], ln["end"]), None) for ln in world.links if ln["unit_head"] == post["person"]]
            else:
                members = [(node, (LONG_AGO, None), True) for node in world.parents
                           if world.level(node) == level and post["unit"] in world.ancestors(node)[1:]]

            def counts(target, span, jurisdiction, i):
                return _covers(*span, *periods[i]) if not jurisdiction else _poor(world, target, *seen[i])

            def last_visit(targets):
                # The latest visit in the window to a target while it was one: poor then, for
                # targets chosen by jurisdiction; any time, for paired and linked ones.
                days = [d for t, span, j in targets for i in range(len(periods)) if not j or _poor(world, t, *seen[i])
                        for d in _visit_days(world, post["person"], t, *seen[i])]
                return max(days) if days else None

            groups = [[m] for m in members] if count == "each" else [members]
            for group in groups:
                owed = [_covers(post["start"], post["end"], *periods[i]) and any(counts(t, s, j, i) for t, s, j in group) for i in range(len(periods))]
                if not any(owed):
                    continue
                met = [any(counts(t, s, j, i) and _visit_days(world, post["person"], t, *seen[i]) for t, s, j in group) for i in range(len(periods))]
                target = group[0][0] if count == "each" else None
                rows.append(_judge(rule_id, kind, periods, latest, as_of, owed, met, last_visit(group), post, target))
    return sorted(rows, key=repr)


def _comparable(report) -> list[tuple]:
    return sorted(((r.rule_id, r.post_id, r.target_id, r.status, r.current_status, r.missed_periods, r.periods_owed, r.periods_met, r.last_visit_on, r.days_overdue, r.periods)
                   for r in report.rows), key=repr)


# ---- the tests --------------------------------------------------------------------


@pytest.fixture
def world(session):
    built = _build(session)
    session.commit()
    return built


@pytest.mark.parametrize("today", ["2019-01-06T04:00:00Z", None], ids=["in-2019", "years-later"])
def test_the_report_rows_equal_a_brute_force_evaluation(session, world, today):
    for as_of in AS_OF:
        with freeze_time(today) if today else _real_time():
            report = reports.overdue_report(session, unit_code=world.city, as_of=as_of)
        assert _comparable(report) == brute_force(world, as_of), as_of


ENGINE_SETS = {
    "general alone": (GENERAL,),
    "jurisdiction first": (JURISDICTION, GENERAL),
    "counted first": (COUNTED, JURISDICTION, GENERAL),
    "relationship first": (RELATIONSHIP, GENERAL),
    "corrected over jurisdiction": (CorrectedEngine((JURISDICTION,)), GENERAL),
    "corrected over relationship": (CorrectedEngine((RELATIONSHIP,)), GENERAL),
    "corrected over counted": (CorrectedEngine((COUNTED, JURISDICTION)), GENERAL),
    "every engine": planner.ENGINES,
}


def _scores_of(world: World, rows: list[tuple]) -> dict[str, tuple[int, int]]:
    """Each official's closed periods owed and met, from brute-force rows."""
    holder = {post["id"]: post["person"] for post in world.posts}
    owed, met = Counter(), Counter()
    for row in rows:
        owed[holder[row[1]]] += row[6]
        met[holder[row[1]]] += row[7]
    return {person: (owed[person], met[person]) for person in owed}


@pytest.mark.parametrize("engines", list(ENGINE_SETS.values()), ids=list(ENGINE_SETS))
def test_every_engine_answers_as_the_specification_reads_with_known_at_and_from(session, world, monkeypatch, engines):
    """Each engine, put first, gives the brute force's rows, the totals of those rows, and the
    scorecard's sums: as known now, as known before the voids were recorded, and over a
    window reaching back to an earlier `from`."""
    monkeypatch.setattr(planner, "ENGINES", engines)
    asked = [(as_of, None, False) for as_of in AS_OF]
    asked += [(D(2019, 1, 5), D(2018, 1, 1), False), (D(2018, 10, 16), D(2017, 6, 1), False), (D(2018, 7, 1), D(2018, 2, 10), False)]
    asked += [(as_of, None, True) for as_of in (D(2018, 6, 30), D(2019, 1, 5))]
    for as_of, start, before_voids in asked:
        known_at = world.before_voids if before_voids else None
        # As known now in early 2019 (the obligation rows' copied masks cover the window);
        # as known at a moment of the world's making, in today's time.
        with freeze_time("2019-01-06T04:00:00Z") if known_at is None else _real_time():
            expected = brute_force(world, as_of, start=start, before_voids=before_voids)
            report = reports.overdue_report(session, unit_code=world.city, as_of=as_of, from_=start, known_at=known_at)
            assert _comparable(report) == expected, (as_of, start, before_voids)
            statuses = Counter(row[3] for row in expected)
            assert (report.total.instances, report.total.overdue, report.total.met, report.total.missed_periods) == (
                len(expected), statuses["overdue"], statuses["met"], sum(len(row[5]) for row in expected))
            page = reports.overdue_report(session, unit_code=world.city, as_of=as_of, from_=start, known_at=known_at, statuses=["overdue", "due"], first=3)
            assert page.rows == [row for row in report.rows if row.status in ("overdue", "due")][:3] and page.total == report.total
            card = reports.scorecard(session, unit_code=world.city, as_of=as_of, from_=start, known_at=known_at)
            assert {s.person_id: (s.periods_owed, s.periods_met) for s in card.scores} == _scores_of(world, expected)
            if engines is ENGINE_SETS["every engine"]:  # V7's scores as known now come from the kept counts
                assert _engine_asked(session, world, "V7", as_of, known_at, need=SCORES, start=start) == ("tallies" if known_at is None else "corrected")


def test_the_general_engine_reading_every_visit_and_pairing_as_known_then_answers_as_the_specification(session, world, monkeypatch):
    """As known at a moment, the general engine reads the masks and obligation rows as they
    stand and corrects them by what changed since; read everything as known then instead
    (as it does where the masks cannot tell), it gives the same answer."""
    monkeypatch.setattr(planner, "ENGINES", (GENERAL,))
    monkeypatch.setattr(general, "KnownSource", lambda session, *, changed=None, **read: DaySource(session, **read))
    monkeypatch.setattr(general, "instances_as_now", lambda *_: None)
    for as_of in (D(2018, 6, 30), D(2019, 1, 5)):
        report = reports.overdue_report(session, unit_code=world.city, as_of=as_of, known_at=world.before_voids)
        assert _comparable(report) == brute_force(world, as_of, before_voids=True), as_of


def test_visits_entered_after_the_moment_do_not_count_as_known_then(session, world, monkeypatch):
    """Visits entered late: as known at a moment before they were entered, the months they met
    are missed. The engines' answer as known now, corrected by the visits changed since, gives
    the general engine's rows, pages, totals and scores (the corrected rows move into the page)."""
    as_of = D(2018, 12, 31)
    moment = clock.now()
    late = [row for row in reports.overdue_report(session, unit_code=world.city, as_of=as_of, rules=["V7"], statuses=["overdue"]).rows][:4]
    assert len(late) >= 2
    for row in late:  # November, the latest closed month, met after the moment
        visits.record_visit(session, actor=ADMIN, visitor_id=row.person_id, target_level="household", target_id=row.target_id, occurred_at=beijing_time(2018, 11, 15, 10))
    session.commit()
    pairs = {(row.person_id, row.target_id) for row in late}
    now = reports.overdue_report(session, unit_code=world.city, as_of=as_of, statuses=["overdue"])
    assert not pairs & {(row.person_id, row.target_id) for row in now.rows}

    def answers():
        asked = dict(unit_code=world.city, as_of=as_of, known_at=moment)
        pages = [reports.overdue_report(session, **asked, statuses=["overdue"], first=first) for first in (1, 2, 5, None)]
        every = reports.overdue_report(session, **asked)
        card = reports.scorecard(session, unit_code=world.city, as_of=as_of, known_at=moment)
        return [(page.rows, page.total, page.townships) for page in pages], every.rows, card.scores

    assert [_engine_asked(session, world, rule, as_of, moment) for rule in ("V6", "V7")] == ["corrected", "corrected"]
    corrected = answers()
    assert pairs <= {(row.person_id, row.target_id) for row in corrected[0][-1][0]}
    monkeypatch.setattr(planner, "ENGINES", (GENERAL,))
    assert corrected == answers()


def _engine_asked(session, world: World, rule_id: str, as_of: dt.date, known_at: dt.datetime | None, *, need=ROWS, start: dt.date | None = None) -> str:
    """The engine the planner picks for `need` of a rule over the city (rows by default), as known at `known_at`."""
    return planner.plan(_question(session, world, rule_id, as_of, known_at=known_at, start=start), need).name


def _question(session, world: World, rule_id: str, as_of: dt.date, **options) -> Question:
    """A report's question of a rule over the city as of `as_of`, from `start` (option) when given."""
    rule = rulebook.in_force(as_of).visit_rule(rule_id)
    start = options.pop("start", None)
    return Question(window(as_of, rule, start=start), get_unit(session, world.city), frozenset(rule.roles), **options)


def test_the_planner_says_why_it_passed_an_engine(session, world):
    def question(rule_id, **options):
        return _question(session, world, rule_id, D(2018, 10, 16), **options)

    assert planner.explain(question("V7"), TOTALS) == [("tallies", None)]
    assert planner.explain(question("V7"), SCORES) == [("tallies", None)]
    assert planner.explain(question("V7", person_id=world.pairings[0]["cadre"]), SCORES) == [("tallies", None)]
    assert planner.explain(question("V7", person_id=world.pairings[0]["cadre"]), TOTALS)[0] == ("tallies", "the counts of statuses are kept per unit, not per official")
    assert planner.explain(question("V3"), SCORES)[0] == ("tallies", "the counts are kept for the monthly rules owed per pairing or link")
    assert planner.explain(question("V7"), ROWS) == [
        ("tallies", "the counts give totals and scores only"),
        ("jurisdiction_counted", "the counts give totals and scores, not rows"),
        ("jurisdiction", "the rule is not owed per target below the post's unit"),
        ("relationship", None),
    ]
    # V6's totals and scores from the poor counts, kept by calendar year; its rows from the households.
    assert planner.explain(question("V6"), TOTALS)[1:] == [("jurisdiction_counted", "the visits are counted by calendar year: the window is not as_of's year and the one before"), ("jurisdiction", None)]
    in_2019 = _question(session, world, "V6", D(2019, 1, 5))
    for need in (TOTALS, SCORES):
        assert planner.explain(in_2019, need)[1:] == [("jurisdiction_counted", None)]
    assert planner.explain(in_2019, ROWS)[1:] == [("jurisdiction_counted", "the counts give totals and scores, not rows"), ("jurisdiction", None)]
    known = planner.explain(question("V6", known_at=world.before_voids), ROWS)
    assert known[2] == ("jurisdiction", "the projections it reads hold current knowledge only") and known[-1] == ("corrected", None)
    assert planner.explain(question("V5", known_at=world.before_voids), ROWS)[-2:] == [("corrected", "no faster engine answers it as known now"), ("general", None)]
    assert planner.plan(question("V5"), ROWS).name == "general"


def test_the_sql_path_the_general_path_and_the_visits_as_known_now_agree(session, world, monkeypatch):
    with freeze_time("2019-01-06T04:00:00Z"):
        fast_reports = [reports.overdue_report(session, unit_code=world.city, as_of=as_of) for as_of in AS_OF]
    now = dt.datetime.now(dt.timezone.utc)
    known_now = [reports.overdue_report(session, unit_code=world.city, as_of=as_of, known_at=now) for as_of in AS_OF]
    monkeypatch.setattr(planner, "ENGINES", (GENERAL,))
    general = [reports.overdue_report(session, unit_code=world.city, as_of=as_of) for as_of in AS_OF]
    for fast_report, known, plain in zip(fast_reports, known_now, general, strict=True):
        assert fast_report.rows == plain.rows == known.rows
        assert fast_report.total == plain.total == known.total
        assert fast_report.townships == plain.townships and fast_report.counties == plain.counties


def test_totals_count_the_rows_per_township_and_county_and_ignore_the_status_filter(session, world):
    report = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16))
    by_township = Counter(row.township_code for row in report.rows if row.township_code)
    assert {t.unit_code: t.counts.instances for t in report.townships} == dict(by_township)
    by_county = Counter(row.county_code for row in report.rows if row.county_code)
    assert {c.unit_code: c.counts.instances for c in report.counties} == dict(by_county)
    statuses = Counter(row.status for row in report.rows)
    assert (report.total.instances, report.total.overdue, report.total.due, report.total.pending, report.total.met) == (
        len(report.rows), statuses["overdue"], statuses["due"], statuses["pending"], statuses["met"])
    assert report.total.missed_periods == sum(len(row.missed_periods) for row in report.rows)
    for status in ("overdue", "due", "met", "pending", "not_owed"):
        only = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16), statuses=[status])
        assert only.rows == [row for row in report.rows if row.status == status], status
        assert (only.total, only.townships, only.counties) == (report.total, report.townships, report.counties)


def test_a_township_report_holds_the_posts_of_that_township_only(session, world):
    township = [p for p in world.posts if p["role"] == "township_party_secretary"][0]["unit"]
    report = reports.overdue_report(session, unit_code=township, as_of=D(2018, 10, 16))
    city = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16))
    assert report.rows == [row for row in city.rows if row.unit_code == township]
    assert report.counties == [] or report.counties[0].counts.instances == len(report.rows)


def test_filters_by_rule_role_and_person_narrow_rows_and_totals(session, world):
    city = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16))
    only_v7 = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16), rules=["V7"])
    assert only_v7.rows == [row for row in city.rows if row.rule_id == "V7"] and only_v7.total.instances == len(only_v7.rows)
    heads = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16), roles=["county_head", "township_head"])
    assert heads.rows == [row for row in city.rows if row.role in ("county_head", "township_head")]
    person = world.pairings[0]["cadre"]
    mine = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16), person_id=person)
    assert mine.rows == [row for row in city.rows if row.person_id == person] and {r.rule_id for r in mine.rows} == {"V6", "V7"}


def test_the_scorecard_sums_each_officials_closed_periods_and_ranks_by_on_time_rate(session, world):
    report = reports.overdue_report(session, unit_code=world.city, as_of=D(2018, 10, 16))
    card = reports.scorecard(session, unit_code=world.city, as_of=D(2018, 10, 16))
    owed, met = Counter(), Counter()
    for row in report.rows:
        owed[row.person_id] += row.periods_owed
        met[row.person_id] += row.periods_met
    assert {s.person_id: (s.periods_owed, s.periods_met, s.periods_missed) for s in card.scores} == {p: (owed[p], met[p], owed[p] - met[p]) for p in owed}
    rates = [s.on_time_rate for s in card.scores if s.on_time_rate is not None]
    assert rates == sorted(rates, reverse=True) and card.scores[0].rank == 1
    assert all(s.on_time_rate is None for s in card.scores[len(rates):])
    with freeze_time("2019-01-06T04:00:00Z"):
        fast_card = reports.scorecard(session, unit_code=world.city, as_of=D(2018, 10, 16))
    known = reports.scorecard(session, unit_code=world.city, as_of=D(2018, 10, 16), known_at=dt.datetime.now(dt.timezone.utc))
    assert fast_card.scores == card.scores == known.scores


# ---- helpers ----------------------------------------------------------------------


class _real_time:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False



def _every_day_at_the_edges() -> list[dt.date]:
    """Each day of the months around the world's events, January and December included."""
    days, day = [], D(2017, 12, 1)
    while day <= D(2019, 1, 5):
        if day.month in (12, 1, 2, 3, 6, 7, 10) or day.day in (1, 2, 15) or day == dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1]):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@freeze_time("2019-01-06T04:00:00Z")
def test_the_kept_tallies_give_the_totals_the_rows_give_on_every_day(session, world):
    """A page's totals come from `tallies` (for V7); those of the whole report, from its rows."""
    for as_of in _every_day_at_the_edges():
        from_rows = reports.overdue_report(session, unit_code=world.city, as_of=as_of, rules=["V7"])
        for statuses in (None, ["overdue"]):
            page = reports.overdue_report(session, unit_code=world.city, as_of=as_of, rules=["V7"], statuses=statuses, first=2)
            assert (page.total, page.townships, page.counties) == (from_rows.total, from_rows.townships, from_rows.counties), as_of
        assert from_rows.total.instances > 0


@pytest.mark.parametrize("statuses", [None, ["overdue"], ["due", "met"]])
@pytest.mark.parametrize("rules", [None, ["V7"]], ids=["every rule", "V7"])  # V7 alone: pages from the tallies' first units
@pytest.mark.parametrize("before_voids", [False, True], ids=["known now", "known before the voids"])
def test_a_page_holds_the_first_rows_of_the_whole_report_in_its_order(session, world, statuses, rules, before_voids):
    """Every page length, so that the rows of the rules answered first end the page at each
    place in the report's order (a later rule's rows then looked for only before it)."""
    known_at = world.before_voids if before_voids else None
    for as_of in AS_OF if known_at is None else (D(2018, 6, 30), D(2019, 1, 5)):
        whole = reports.overdue_report(session, unit_code=world.city, as_of=as_of, statuses=statuses, rules=rules, known_at=known_at)
        for first in sorted({*range(1, min(len(whole.rows), 12) + 1), len(whole.rows) // 2 + 1, len(whole.rows) + 1}):
            page = reports.overdue_report(session, unit_code=world.city, as_of=as_of, statuses=statuses, rules=rules, first=first, known_at=known_at)
            assert page.rows == whole.rows[:first], (as_of, first)
            assert (page.total, page.townships, page.counties) == (whole.total, whole.townships, whole.counties)


def test_the_tallies_kept_through_every_change_equal_tallies_counted_afresh(session, world):
    def stored():
        connection = session.connection()
        return {table: sorted(tuple(row) for row in connection.execute(select(table))) for table in (ObligationTally.__table__, ObligationDayTally.__table__, ObligationPersonYearTally.__table__)}

    kept = stored()
    tallies.rebuild(session.connection())
    assert stored() == kept and all(kept.values())


@pytest.mark.parametrize("now", [
    "2018-06-30T15:59:00Z",  # 23:59 on 30 June in Beijing: June is still the current month
    "2018-06-30T16:30:00Z",  # 00:30 on 1 July in Beijing (still 30 June in UTC): June is closed
    "2018-12-31T15:59:00Z",  # the year's last minute in Beijing
    "2018-12-31T16:00:00Z",  # 1 January 2019 in Beijing: the window is December and January
    "2018-10-15T16:00:00Z",  # 16 October in Beijing: the day after a cadre and a pairing ended
])
def test_the_scores_from_the_kept_counts_equal_the_relationships_at_month_and_year_edges(session, world, now):
    """V7's scores from the counts per official (`tallies.scores`) equal those the relationship
    engine works out from each row, and the brute force's, as of today in Beijing at a month's
    and a year's edge: owed and met over the closed months, and (0, 0) for an official owing
    the current month only."""
    with freeze_time(now):
        as_of = rulebook.today()
        question = _question(session, world, "V7", as_of)
        assert planner.plan(question, SCORES) is tallies.TALLIES
        from_counts = sorted(tallies.TALLIES.scores(session, question))
        assert from_counts == sorted(RELATIONSHIP.scores(session, question))
        expected = _scores_of(world, [row for row in brute_force(world, as_of) if row[0] == "V7"])
        assert {person: (owed, met) for person, owed, met in from_counts} == expected
        card = reports.scorecard(session, unit_code=world.city, rules=["V7"])
        assert card.as_of == as_of and {s.person_id: (s.periods_owed, s.periods_met) for s in card.scores} == expected
        for person in expected:  # one official's scores: the counts filtered by person
            one = dataclasses.replace(question, person_id=person)
            assert tallies.TALLIES.scores(session, one) == RELATIONSHIP.scores(session, one) == [(person, *expected[person])]
