"""The jurisdiction rules (V1, V4, V6) as the reports evaluate them from the projections
(the jurisdiction engine) equal the general evaluation (`general`, in Python from the same posts, spells
and masks), in random worlds built to hit their edges: households and villages that leave
the registry and come back (several spells), posts starting or ending on a year's first
or last days, one person holding two posts at one unit (and holding them with another
official of the same name), visits just after midnight and just before it, Beijing time.
Every page is the start of its whole report, with the same totals.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from rules import RuleBooks, default_books
from rules.schema import Level, Period
from tests.factories import ADMIN, beijing_time, build_tree, household
from workflow import rulebook
from workflow.errors import DomainError
from workflow.obligations import planner, poor_counts, reports
from workflow.obligations.general import GENERAL
from workflow.org import service as org
from workflow.org.models import OrgUnit
from workflow.pairings import cover
from workflow.posts import service as posts
from workflow.visits import service as visits

D = dt.date
RULES = ["V1", "V4", "V6"]
STATUSES = (None, ["overdue"], ["not_owed"], ["pending", "met"], ["due"])


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first if last <= first else first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _leave_and_return(session, rng: random.Random, kind: str, subject: str, earliest: dt.date) -> None:
    """End the subject's spell on a random day, and sometimes put it back later (返贫).

    Through the projectors' helpers: the exit workflow that writes these spells is not what
    is tested here, and both evaluations read the same spells (a household's from the pairing
    cover and the poor counts, derived again here as the projections would from the events)."""
    spell = org.open_spell(session, kind, subject)
    if spell is None:
        return
    exited = _day(rng, max(spell.registered_on, earliest), D(2018, 12, 20))
    org.close_spell(session, kind=kind, subject_id=subject, exited_on=exited)
    session.flush()
    if rng.random() < 0.6:
        org.reopen_spell(session, spell_id=f"back-{subject}", kind=kind, subject_id=subject, registered_on=exited + dt.timedelta(days=rng.randrange(1, 200)))
        session.flush()
    if kind == "poor_household":  # the cover, then the poor counts it feeds
        cover.refresh(session.connection(), {subject})
        poor_counts.refresh(session.connection(), {subject})


def _world(session, seed: int):
    rng = random.Random(seed)
    tree = build_tree(session)
    third_village = "431224200201"
    org.add_org_unit(session, actor=ADMIN, code=third_village, name="石门村", level="village", parent_code=tree.other_township)
    org.register_poor_unit(session, actor=ADMIN, kind="poor_village", code=third_village, registered_on=_day(rng, D(2017, 1, 1), D(2018, 12, 1)))
    org.register_poor_unit(session, actor=ADMIN, kind="concentrated_township", code=tree.other_township, registered_on=_day(rng, D(2017, 1, 1), D(2018, 12, 1)))
    villages = [tree.village, tree.other_village, third_village]
    households = []
    for i in range(8):
        village = rng.choice(villages)
        households.append(f"{village}{i:05d}")
        household(session, tree, households[-1], village=village, registered_on=_day(rng, D(2016, 6, 1), D(2018, 12, 1)))
    session.flush()
    for number in rng.sample(households, 4):
        _leave_and_return(session, rng, "poor_household", number, D(2017, 1, 1))
    for code in rng.sample([*villages, tree.township], 2):
        _leave_and_return(session, rng, "concentrated_township" if code == tree.township else "poor_village", code, D(2017, 6, 1))

    tenures = []

    def post(role: str, unit: str, person: str | None = None) -> str:
        start = rng.choice([D(2016, 1, 1), D(2017, 6, 1), D(2018, 1, 1), D(2018, 1, 2), _day(rng, D(2017, 1, 1), D(2018, 12, 1))])
        end = rng.choice([None, None, D(2018, 12, 30), D(2018, 12, 31), _day(rng, start, D(2019, 1, 10))])
        if person is None:
            person = org.add_person(session, actor=ADMIN, name=rng.choice(["张三", "李四", "王五", "张三"])).id
        try:
            with session.begin_nested():
                posts.assign_post(session, actor=ADMIN, person_id=person, role=role, unit_code=unit, start_date=start, end_date=end)
        except DomainError:  # a single-holder post still held: the world goes on without it
            return person
        tenures.append((person, start, end))
        return person

    city_secretary = post("city_party_secretary", tree.city)
    post("mayor", tree.city)
    county_secretary = post("county_party_secretary", tree.county)
    post("county_head", tree.county, person=county_secretary if rng.random() < 0.5 else None)
    for township in (tree.township, tree.other_township):
        secretary = post("township_party_secretary", township)
        post("township_head", township, person=secretary if rng.random() < 0.5 else None)
        if rng.random() < 0.5:
            post("township_party_secretary", township, person=secretary)  # the same person and role, a second post
    post("township_head", tree.township, person=city_secretary if rng.random() < 0.3 else None)

    targets = [(tree.township, "township"), (tree.other_township, "township"), *((v, "village") for v in villages), *((h, "household") for h in households)]
    for person, start, end in tenures:
        for _ in range(rng.randrange(5, 30)):
            day = _day(rng, max(start, D(2017, 1, 1)), min(end or D(2019, 1, 10), D(2019, 1, 10)))
            target, level = rng.choice(targets)
            try:
                with session.begin_nested():
                    visits.record_visit(
                        session, actor=ADMIN, visitor_id=person, target_level=level, target_id=target,
                        occurred_at=beijing_time(day.year, day.month, day.day, rng.choice([0, 10, 23])),
                    )
            except DomainError:  # a target outside every post the visitor held then
                pass
    session.commit()
    return tree


def _compare(session, monkeypatch, scopes, dates, pages) -> None:
    found = {}
    for scope in scopes:
        for as_of in dates:
            whole = reports.overdue_report(session, unit_code=scope, as_of=as_of, rules=RULES)
            found[scope, as_of] = whole, reports.scorecard(session, unit_code=scope, as_of=as_of, rules=RULES)
            for statuses in STATUSES:
                kept = [row for row in whole.rows if statuses is None or row.status in statuses]
                for first in pages:
                    page = reports.overdue_report(session, unit_code=scope, as_of=as_of, rules=RULES, statuses=statuses, first=first)
                    assert page.rows == kept[:first], (scope, as_of, statuses, first)
                    assert (page.total, page.townships, page.counties) == (whole.total, whole.townships, whole.counties)
    monkeypatch.setattr(planner, "ENGINES", (GENERAL,))  # from here on, the general evaluation
    compared = 0
    for (scope, as_of), (whole, card) in found.items():
        general = reports.overdue_report(session, unit_code=scope, as_of=as_of, rules=RULES)
        assert whole.rows == general.rows, (scope, as_of)
        assert (whole.total, whole.townships, whole.counties) == (general.total, general.townships, general.counties), (scope, as_of)
        assert card.scores == reports.scorecard(session, unit_code=scope, as_of=as_of, rules=RULES).scores, (scope, as_of)
        compared += len(general.rows)
    assert compared > 50  # the worlds give the comparison something to bite on


@pytest.mark.parametrize("seed", [1, 2])
def test_reports_of_jurisdiction_rules_equal_the_general_evaluation(session, monkeypatch, seed):
    tree = _world(session, seed)
    scopes = [tree.province, tree.city, tree.county, tree.township, tree.other_township, tree.village, tree.city_unit]
    dates = [D(2017, 6, 15), D(2017, 12, 31), D(2018, 1, 1), D(2018, 1, 31), D(2018, 5, 20), D(2018, 12, 31), D(2019, 1, 1), D(2019, 1, 9)]
    _compare(session, monkeypatch, scopes, dates, pages=(1, 2, 5, 13))


@pytest.mark.parametrize("effective", [D(2018, 7, 1), D(2018, 8, 1)])
def test_jurisdiction_rules_of_a_rule_book_starting_mid_year_equal_the_general_evaluation(session, monkeypatch, effective):
    # V6 monthly and V4 quarterly from the new book on: windows that start mid-year.
    hunan = default_books().books[0]
    changed = {"V6": Period.month, "V4": Period.quarter}
    rules = [rule.model_copy(update={"period": changed[rule.id]}) if rule.id in changed else rule for rule in hunan.visit_rules]
    newer = hunan.model_copy(update={"id": "hunan-2018-test", "effective_from": effective, "visit_rules": rules})
    with rulebook.using(RuleBooks([hunan, newer])):
        tree = _world(session, 1)
        dates = [D(2018, 6, 30), D(2018, 7, 1), D(2018, 7, 31), D(2018, 8, 15), D(2018, 9, 30), D(2018, 12, 31), D(2019, 1, 9)]
        _compare(session, monkeypatch, [tree.city, tree.county, tree.township, tree.other_township], dates, pages=(1, 3, 8))


def test_a_scope_is_searched_for_posts_of_a_role_wherever_any_rule_book_placed_it():
    # Posts assigned under an older book keep their unit's level when a newer book moves the role.
    hunan = default_books().books[0]
    moved = {**hunan.roles, "township_head": hunan.roles["township_head"].model_copy(update={"level": Level.county})}
    newer = hunan.model_copy(update={"id": "hunan-2019-test", "effective_from": D(2019, 1, 1), "roles": moved})
    township = OrgUnit(code="431224100000", name="北斗溪镇", level="township", path="430000000000/431200000000/431224000000/431224100000")
    with rulebook.using(RuleBooks([hunan, newer])):
        assert reports._may_hold(township, frozenset({"township_head"}))
        assert reports._may_hold(township, frozenset({"county_head", "township_party_secretary"}))
        assert not reports._may_hold(township, frozenset({"county_head", "mayor"}))
