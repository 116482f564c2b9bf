"""As known at a moment, a (cadre, household) pair whose visits changed since is read from its
visits in the months that changed only: the months between them come from the masks."""

import datetime as dt

from freezegun import freeze_time

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.eventlog.versions import as_known_at
from workflow.obligations import planner, reports
from workflow.obligations.general import GENERAL
from workflow.obligations.sources import changed_visits
from workflow.obligations.spec import window
from workflow import rulebook
from workflow.posts import service as posts
from workflow.visits import service as visits

D = dt.date
HOUSEHOLD = "431224100201000001"
MOMENT = dt.datetime(2018, 6, 1, 12, tzinfo=dt.timezone.utc)


def _world(session):
    """A cadre paired with a household, visiting it in February to May (known by MOMENT); after
    it, a January visit entered late and the March visit voided."""
    with freeze_time("2017-12-01T00:00:00Z"):
        tree = build_tree(session)
        cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township, start=D(2017, 1, 1))
        household(session, tree, HOUSEHOLD)
        posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=HOUSEHOLD, start_date=D(2017, 1, 1))
    with freeze_time("2018-05-31T08:00:00Z"):
        march = [visit(session, cadre, HOUSEHOLD, beijing_time(2018, month, 10)) for month in (2, 3, 4, 5)][1]
    with freeze_time("2018-06-10T08:00:00Z"):
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, 1, 15))
        visits.void_visit(session, actor=ADMIN, visit_id=march, reason="entered twice")
    session.commit()
    return tree, cadre


def test_the_months_a_pair_changed_in_are_read_from_its_visits_as_known_then(session, monkeypatch):
    tree, cadre = _world(session)
    as_of = D(2018, 5, 31)
    rule = rulebook.in_force(as_of).visit_rule("V7")
    with as_known_at(session, MOMENT) as known:
        changed = changed_visits(known, persons={cadre}, level="household", window=window(as_of, rule))
    assert changed == {(cadre, HOUSEHOLD): 0b101}  # January and March; February between them did not change

    def row(**options):
        with freeze_time("2018-06-20T08:00:00Z"):
            [found] = reports.overdue_report(session, unit_code=tree.city, as_of=as_of, rules=["V7"], **options).rows
        return found.missed_periods, found.periods_met, found.last_visit_on

    then, now = row(known_at=MOMENT), row()
    assert then == (("2018-01",), 3, D(2018, 5, 10))
    assert now == (("2018-03",), 3, D(2018, 5, 10))
    monkeypatch.setattr(planner, "ENGINES", (GENERAL,))
    assert row(known_at=MOMENT) == then


def test_a_page_as_known_then_makes_room_only_for_the_changed_rows_its_statuses_keep(session):
    """As of April, the March void makes the pair overdue as known now; as known then it was met:
    a page of overdue rows as known then holds no row of it, and a page of met rows does."""
    tree, _ = _world(session)
    with freeze_time("2018-06-20T08:00:00Z"):
        asked = dict(unit_code=tree.city, as_of=D(2018, 4, 30), rules=["V7"], known_at=MOMENT)
        overdue = reports.overdue_report(session, **asked, statuses=["overdue"], first=1)
        met = reports.overdue_report(session, **asked, statuses=["met"], first=1)
        whole = reports.overdue_report(session, **asked)
    assert [row.status for row in whole.rows] == ["met"]
    assert (overdue.rows, [row.status for row in met.rows]) == ([], ["met"])
    assert overdue.total == met.total == whole.total
