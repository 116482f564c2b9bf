"""The pairing cover: the reports counted from it say exactly what reading the households, their
spells and pairings says — now, on days in the past, and as known at an earlier moment."""

import datetime as dt

from freezegun import freeze_time
from sqlalchemy import select, text

from tests.factories import ADMIN, build_tree, household, person_in_post
from workflow.eventlog.versions import as_known, known_records
from workflow.incidence.report import incidence_report
from workflow.org import service as org
from workflow.org.service import get_unit
from workflow.pairings import cover
from workflow.pairings import service as pairings
from workflow.pairings.models import PairingCover, PairingCoverTally
from workflow.pairings.reports import deep_poverty_advisories, pairing_coverage, unpaired_households
from workflow.posts import service as posts
from workflow.teams.reports import team_gaps

D = dt.date


def incidence(session, *, scope_code, on):
    """The incidence report on one day: its poor households and people per unit come from the cover."""
    return incidence_report(session, unit_code=scope_code, dates=[on])


REPORTS = (unpaired_households, pairing_coverage, deep_poverty_advisories, team_gaps, incidence)
DAYS = (D(2017, 6, 1), D(2017, 6, 30), D(2017, 7, 1), D(2017, 8, 31), D(2017, 9, 15), D(2017, 9, 30))


def test_a_spell_is_cut_where_its_pairings_begin_and_end_overlapping_and_adjoining_pairings_merged():
    spell = (D(2017, 1, 1), D(2017, 12, 31))
    assert cover.runs(spell, []) == [(D(2017, 1, 1), D(2017, 12, 31), False)]
    pairs = [(D(2016, 6, 1), D(2017, 2, 28)), (D(2017, 3, 1), D(2017, 4, 30)), (D(2017, 4, 1), D(2017, 5, 31)), (D(2017, 9, 1), None)]
    assert cover.runs(spell, pairs) == [(D(2017, 1, 1), D(2017, 5, 31), True), (D(2017, 6, 1), D(2017, 8, 31), False), (D(2017, 9, 1), D(2017, 12, 31), True)]
    assert cover.runs((D(2017, 1, 1), None), [(D(2017, 2, 1), None)]) == [(D(2017, 1, 1), D(2017, 1, 31), False), (D(2017, 2, 1), None, True)]
    assert cover.runs((D(2017, 1, 1), None), [(D(2016, 1, 1), D(2016, 12, 31))]) == [(D(2017, 1, 1), None, False)]


def _world(session):
    """Households paired, unpaired, paired again after a gap, exited, and in deep poverty."""
    tree = build_tree(session)
    cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
    leader = person_in_post(session, name="张书记", role="township_cadre", unit=tree.township)
    posts.assign_post(session, actor=ADMIN, person_id=leader, role="township_party_secretary", unit_code=tree.township, start_date=D(2017, 1, 1))
    numbers = [household(session, tree, f"43122410020100{n + 10}", members=n + 1, village=(tree.village, tree.other_village)[n % 2],
                         registered_on=D(2017, 1, 1) + dt.timedelta(days=30 * n)) for n in range(8)]
    first = posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=numbers[0], start_date=D(2016, 6, 1))
    posts.end_pairing(session, actor=ADMIN, pairing_id=first.id, end_date=D(2017, 6, 30))
    posts.pair(session, actor=ADMIN, cadre_id=leader, household_id=numbers[0], start_date=D(2017, 9, 15))
    posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=numbers[1], start_date=D(2017, 7, 1))
    posts.pair(session, actor=ADMIN, cadre_id=leader, household_id=numbers[2], start_date=D(2017, 1, 1), end_date=D(2017, 8, 31))
    posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=numbers[3], start_date=D(2017, 1, 1))
    org.record_exit_before_product(session, actor=ADMIN, household_id=numbers[3], exited_on=D(2017, 8, 31))
    org.record_exit_before_product(session, actor=ADMIN, household_id=numbers[4], exited_on=D(2017, 6, 30))
    pairings.mark_deep_poverty(session, actor=ADMIN, household_id=numbers[1], start_date=D(2017, 6, 1))
    pairings.mark_deep_poverty(session, actor=ADMIN, household_id=numbers[0], start_date=D(2017, 6, 1), end_date=D(2017, 9, 15))
    return tree, cadre, numbers


def _kept(session) -> list[list[tuple]]:
    session.flush()
    return [[tuple(row) for row in session.execute(select(*table.c).order_by(*table.primary_key.columns)).all()] for table in (PairingCover.__table__, PairingCoverTally.__table__)]


def _from_records(monkeypatch, read, known, scope, day):
    """The report read from the records themselves, as `known` reads them (no tally)."""
    with monkeypatch.context() as patched:
        patched.setattr(cover, "from_tally", lambda *_: None)  # the tally never says: `by_village` reads the records
        return read(known, scope_code=scope, on=day)


def test_the_cover_kept_event_by_event_is_the_cover_derived_again(session):
    _world(session)
    kept = _kept(session)
    assert all(kept)
    cover.rebuild(session.connection())
    assert _kept(session) == kept


def test_each_report_from_the_cover_is_the_report_from_the_records_on_every_day(session, monkeypatch):
    tree, *_ = _world(session)
    cases = [(read, scope, day) for read in REPORTS for scope in (tree.city, tree.township, tree.other_village) for day in DAYS]
    from_cover = [read(session, scope_code=scope, on=day) for read, scope, day in cases]
    seq = session.execute(text("SELECT MAX(seq) FROM event")).scalar()
    with as_known(session, seq) as records:  # as known at the log's last event: the same records, read without the tally
        for (read, scope, day), expected in zip(cases, from_cover, strict=True):
            assert _from_records(monkeypatch, read, records, scope, day) == expected, (read.__name__, scope, day)


def test_as_known_at_an_earlier_moment_the_tally_corrected_by_the_households_changed_since_says_what_the_records_then_say(session, monkeypatch):
    with freeze_time("2017-10-01T02:00:00Z"):
        tree, cadre, numbers = _world(session)
        session.commit()
        then = {read: [read(session, scope_code=tree.county, on=day) for day in DAYS] for read in REPORTS}
    with freeze_time("2017-10-20T02:00:00Z"):
        posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=numbers[5], start_date=D(2017, 7, 15))  # back-filled
        org.record_exit_before_product(session, actor=ADMIN, household_id=numbers[6], exited_on=D(2017, 8, 31))
        session.commit()
    assert unpaired_households(session, scope_code=tree.county, on=D(2017, 9, 30)) != then[unpaired_households][DAYS.index(D(2017, 9, 30))]
    org.rename_unit(session, actor=ADMIN, code=tree.village, name="新名村")  # a rename since moves no count
    session.commit()
    now = cover.from_tally(session, get_unit(session, tree.county), D(2017, 9, 30))
    with known_records(session, dt.datetime(2017, 10, 10, tzinfo=dt.timezone.utc)) as known:
        corrected = cover.from_tally(known, get_unit(known, tree.county), D(2017, 9, 30))
        assert corrected is not None and corrected != now
        assert {read: [read(known, scope_code=tree.county, on=day) for day in DAYS] for read in REPORTS} == then
        for read in REPORTS:
            for scope in (tree.city, tree.township, tree.other_village):
                for day in DAYS:
                    assert read(known, scope_code=scope, on=day) == _from_records(monkeypatch, read, known, scope, day), (read.__name__, scope, day)


def test_as_known_before_a_unit_was_added_the_records_are_read(session):
    with freeze_time("2017-10-01T02:00:00Z"):
        tree, *_ = _world(session)
        session.commit()
    with freeze_time("2017-10-20T02:00:00Z"):
        org.add_org_unit(session, actor=ADMIN, code="431224100203", name="新村", level="village", parent_code=tree.township)
        session.commit()
    with known_records(session, dt.datetime(2017, 10, 10, tzinfo=dt.timezone.utc)) as known:
        assert cover.from_tally(known, get_unit(known, tree.county), D(2017, 9, 30)) is None
    assert cover.from_tally(session, get_unit(session, tree.county), D(2017, 9, 30)) is not None
