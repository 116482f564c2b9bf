"""A visit import appends in batches, yet leaves the log and every projection exactly as recording each visit would."""

import datetime as dt
import gc

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text
from sqlmodel import Session

from tests.factories import ADMIN, beijing_time, build_tree, household, person_in_post, visit
from workflow.errors import DomainError
from workflow.eventlog import Event
from workflow.eventlog.replay import snapshot
from workflow.imports import visits as visit_import
from workflow.obligations import tallies
from workflow.obligations.models import ObligationTally
from workflow.posts import service as posts
from workflow.visits import service as visits

HOUSEHOLD = "431224100201000001"
OTHER = "431224100202000001"


def _world(engine) -> dict[str, str]:
    with Session(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="张三", role="township_cadre", unit=tree.township)
        head = person_in_post(session, name="李四", role="township_head", unit=tree.township)
        household(session, tree, HOUSEHOLD)
        household(session, tree, OTHER, village=tree.other_village)
        for paired in (HOUSEHOLD, OTHER):
            posts.pair(session, actor=ADMIN, cadre_id=cadre, household_id=paired, start_date=dt.date(2016, 3, 1))
        visit(session, cadre, HOUSEHOLD, beijing_time(2018, 1, 20))  # a mask the import extends
        session.commit()
    return {"cadre": cadre, "head": head, "township": tree.township, "village": tree.village}


def _lines(world: dict[str, str]) -> list[dict]:
    cadre, head = world["cadre"], world["head"]
    rows = [
        (cadre, "household", HOUSEHOLD, beijing_time(2018, 1, 5)),
        (cadre, "household", HOUSEHOLD, beijing_time(2018, 2, 28, 23, 59)),
        (cadre, "household", HOUSEHOLD, beijing_time(2018, 3, 1, 0, 30)),  # UTC: still February
        (cadre, "household", OTHER, beijing_time(2017, 12, 31)),
        (head, "village", world["village"], beijing_time(2018, 2, 3)),
        (head, "township", world["township"], beijing_time(2018, 2, 1)),
        (head, "household", HOUSEHOLD, beijing_time(2018, 2, 2)),
    ]
    return [{"id": f"V{n}", "visitor_id": v, "target_level": level, "target_id": t, "occurred_at": at.isoformat(), "notes": f"第{n}次"} for n, (v, level, t, at) in enumerate(rows)]


def _single(session, visitor: str, target: str, at: dt.datetime, visit_id: str) -> None:
    visits.record_visit(session, actor=ADMIN, visitor_id=visitor, target_level="household", target_id=target, occurred_at=at, visit_id=visit_id)


def _outcome(engine, world, *, batch: bool):
    """Events and projections after recording the lines (one by one, or as an import) between two single visits."""
    with Session(engine) as session, freeze_time("2019-06-01T02:00:00Z"):
        _single(session, world["head"], OTHER, beijing_time(2018, 1, 9), "before")
        lines = _lines(world)
        if batch:
            outcome = visit_import.import_visits(session, actor=ADMIN, lines=enumerate(lines, start=2))
            assert not outcome.failures and outcome.imported == len(lines)
        else:
            for line in lines:
                visits.record_visit(session, actor=ADMIN, visitor_id=line["visitor_id"], target_level=line["target_level"], target_id=line["target_id"],
                                    occurred_at=dt.datetime.fromisoformat(line["occurred_at"]), notes=line["notes"], visit_id=line["id"])
        _single(session, world["cadre"], HOUSEHOLD, beijing_time(2018, 2, 14), "after")  # after the import, in the same transaction
        session.flush()
        events = [(e.seq, e.type, e.entity_id, e.payload, e.hash, e.prev_hash) for e in session.execute(select(Event).order_by(Event.seq)).scalars()]
        state = snapshot(session)
        session.rollback()
    return events, state


def test_a_batch_import_writes_the_events_hashes_and_projections_of_recording_each_visit(engine):
    world = _world(engine)
    one_by_one = _outcome(engine, world, batch=False)
    batched = _outcome(engine, world, batch=True)
    assert batched[0] == one_by_one[0]
    assert batched[1] == one_by_one[1]
    assert sum(len(rows) for rows in batched[1].values()) > 0


def test_a_line_repeating_an_id_of_the_same_file_is_refused_as_recording_would_refuse_it(engine):
    world = _world(engine)
    lines = _lines(world)[:2]
    lines[1]["id"] = lines[0]["id"]
    with Session(engine) as session:
        outcome = visit_import.import_visits(session, actor=ADMIN, lines=enumerate(lines, start=2))
        session.rollback()
    assert [(p.line, p.code, p.field) for p in outcome.failures] == [(3, "duplicate_id", "id")]


@pytest.mark.parametrize("earlier_failure", [False, True], ids=["chunks stored", "chunks held back by a bad line"])
def test_a_line_repeating_an_id_of_an_earlier_chunk_is_refused(engine, monkeypatch, earlier_failure):
    monkeypatch.setattr(visit_import, "CHUNK", 2)
    world = _world(engine)
    lines = _lines(world)[:5]
    lines[4]["id"] = lines[0]["id"]  # the third chunk repeats the first chunk's id
    if earlier_failure:
        lines[2]["visitor_id"] = "nobody"  # then nothing is stored, and the id is known only to the import
    with Session(engine) as session:
        outcome = visit_import.import_visits(session, actor=ADMIN, lines=enumerate(lines, start=2))
        session.rollback()
    expected = [(4, "person_not_found", "visitor_id")] if earlier_failure else []
    assert [(p.line, p.code, p.field) for p in outcome.failures] == expected + [(6, "duplicate_id", "id")]


def test_each_bad_line_fails_with_the_error_recording_that_visit_alone_raises(engine):
    world = _world(engine)
    with Session(engine) as session:
        late = person_in_post(session, name="王五", role="township_cadre", unit=world["township"], start=dt.date(2018, 6, 1))
        taken = visit(session, world["cadre"], HOUSEHOLD, beijing_time(2018, 1, 21))
        session.commit()
    at = beijing_time(2018, 2, 1)
    bad = [
        {"visitor_id": "nobody", "target_level": "household", "target_id": HOUSEHOLD},
        {"visitor_id": world["cadre"], "target_level": "household", "target_id": "431224100201999999"},
        {"visitor_id": world["cadre"], "target_level": "township", "target_id": world["village"]},
        {"visitor_id": world["cadre"], "target_level": "county", "target_id": world["village"]},
        {"visitor_id": late, "target_level": "village", "target_id": world["village"]},
        {"visitor_id": world["cadre"], "target_level": "household", "target_id": HOUSEHOLD, "visit_id": taken},
        {"visitor_id": world["cadre"], "target_level": "household", "target_id": HOUSEHOLD, "latitude": 27.5},
    ]
    lines = [{**{k: v for k, v in b.items() if k != "visit_id"}, "id": b.get("visit_id"), "occurred_at": at.isoformat()} for b in bad]
    with Session(engine) as session:
        alone = []
        for arguments in bad:
            try:
                visits.visit_recorded(session, **arguments, occurred_at=at)
            except DomainError as exc:
                alone.append((exc.code, exc.field, exc.en, exc.zh))
        outcome = visit_import.import_visits(session, actor=ADMIN, lines=enumerate(lines, start=2))
        session.rollback()
    assert len(alone) == len(bad)
    assert [(p.code, p.field, p.en, p.zh) for p in outcome.failures] == alone


def test_an_import_pauses_the_garbage_collector_only_while_it_runs(engine, monkeypatch):
    world = _world(engine)
    monkeypatch.setattr(visit_import, "CHUNK", 2)  # several chunks, each collected after it
    seen = []

    def progress(_line):
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))

    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            with Session(engine) as session:
                visit_import.import_visits(session, actor=ADMIN, lines=enumerate(_lines(world), start=2), progress=progress)
                session.rollback()
            assert gc.isenabled() is enabled
            assert gc.get_freeze_count() == 0
        finally:
            gc.enable()
    assert seen and set(seen) == {(False, True)}


def test_an_import_leaves_objects_a_server_froze_frozen(engine):
    world = _world(engine)
    kept = [object()]  # a container the collector tracks
    gc.freeze()
    try:
        with Session(engine) as session:
            visit_import.import_visits(session, actor=ADMIN, lines=enumerate(_lines(world), start=2))
            session.rollback()
        # The collector's generations do not hold a frozen object.
        assert not any(found is kept for found in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(found is kept for found in gc.get_objects())


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # plan caching is PostgreSQL's
def test_an_import_plans_each_statement_for_its_own_values_and_requests_keep_cached_plans(engine):
    world = _world(engine)
    mode = lambda session: session.execute(text("SHOW plan_cache_mode")).scalar_one()  # noqa: E731
    with Session(engine) as session:
        assert mode(session) == "auto"
        visit_import.import_visits(session, actor=ADMIN, lines=enumerate(_lines(world), start=2))
        assert mode(session) == "force_custom_plan"  # a generic plan made while the tables were small would scan them
        session.rollback()
        assert mode(session) == "auto"  # SET LOCAL: the transaction's alone


@pytest.mark.parametrize("refused", [False, True], ids=["imported", "refused"])
def test_an_import_counts_the_report_tallies_of_its_units_once_unless_it_is_refused(engine, monkeypatch, refused):
    world = _world(engine)
    lines = _lines(world)
    if refused:
        lines[-1]["visitor_id"] = "nobody"
    recounted = []
    monkeypatch.setattr(visit_import, "CHUNK", 2)  # several chunks, one count
    monkeypatch.setattr(tallies, "recount", lambda connection, units: recounted.append(set(units)))
    with Session(engine) as session, freeze_time("2019-06-01T02:00:00Z"):
        outcome = visit_import.import_visits(session, actor=ADMIN, lines=enumerate(lines, start=2))
        session.rollback()
    assert bool(outcome.failures) == refused
    assert recounted == ([set()] if refused else [{world["township"]}])


def test_a_single_visit_settles_the_tallies_it_changes_without_counting_its_unit_again(engine, monkeypatch):
    world = _world(engine)
    monkeypatch.setattr(tallies, "recount", lambda connection, units: pytest.fail(f"recounted {units}"))
    with Session(engine) as session, freeze_time("2019-06-01T02:00:00Z"):
        before = {row[:5]: row[5:] for row in session.execute(select(ObligationTally.__table__))}
        visit(session, world["cadre"], OTHER, beijing_time(2018, 4, 2))
        after = {row[:5]: row[5:] for row in session.execute(select(ObligationTally.__table__))}
        session.rollback()
    changed = {key[3] for key in after if after[key] != before.get(key)}
    assert changed == {2018 * 12 + 3}  # April 2018: one more paired household visited
