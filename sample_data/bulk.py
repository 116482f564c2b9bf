"""Writing a generated plan in bulk: the events the commands would append, and the same projections.

The setup events (units, people, households, posts, pairings, links) are applied by the
product's own projections, as a replay applies them. The visits — millions — are inserted
directly, each row from the same `visit_row` the visits projection uses; voids then go
through the projections, and the derived projection (visit masks, obligation rows, report
tallies) is built once from the result, as after a replay. Events are numbered and chained
exactly as `eventlog.append` does it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

from sqlalchemy import insert
from sqlmodel import Session

from sample_data.generate import ACCOUNT, Plan, Spec
from workflow.chunking import chunks
from workflow.db import analyze, plan_each_statement, transaction
from workflow.eventlog import GENESIS_HASH, Event, canonical_json, seal
from workflow.eventlog.projection import deferred, project
from workflow.visits.models import Visit
from workflow.visits.service import visit_row

CHUNK = 10_000
COLUMNS = [column.name for column in Event.__table__.columns]


class _Event:
    """An event as `seal` and the projectors read it, without an ORM object's weight."""

    __slots__ = COLUMNS

    def row(self) -> dict:
        return {name: getattr(self, name) for name in COLUMNS}


class _Chain:
    """Numbers and hashes events in order, as `eventlog.append` does."""

    def __init__(self):
        self.seq, self.prev, self.recorded_at = 0, GENESIS_HASH, None

    def event(self, spec: Spec) -> _Event:
        self.seq += 1
        event = _Event()
        event.seq, event.type, event.entity_type, event.entity_id = self.seq, spec.type, spec.entity_type, spec.entity_id
        event.payload, event.account, event.on_behalf_of = canonical_json(spec.payload), ACCOUNT, None
        # As `eventlog.append` records: never earlier than the event before.
        self.recorded_at = spec.recorded_at if self.recorded_at is None or spec.recorded_at >= self.recorded_at else self.recorded_at
        event.occurred_at, event.recorded_at, event.prev_hash = spec.occurred_at, self.recorded_at, self.prev
        self.prev = seal(event)
        return event


def _project(session: Session, events: list[_Event]) -> None:
    """Apply events to the projections, in runs of one type, a flush per chunk, as `replay.replay_into` does."""
    for batch in chunks(events, 5000):
        for _, run in itertools.groupby(batch, key=lambda event: event.type):
            project(session, [(event, json.loads(event.payload)) for event in run])
        session.flush()


# The setup projections each insert rows of their own and read nothing but a unit's parent,
# so applying them type by type gives the state applying them in log order gives. It also
# lets each flush insert rows whose foreign keys point at rows of an earlier flush: a flush
# does not order inserts between tables that have no relationship() declared.
SETUP_ORDER = [
    "org_unit.added", "registry.registered", "person.added", "household.registered", "post.assigned", "unit_link.started", "pairing.started",
    "team.stationed", "team.member_added", "deep_poverty.marked", "plan.set", "plan.exit_year_set",
]


def _project_setup(session: Session, events: list[_Event]) -> None:
    unknown = {event.type for event in events} - set(SETUP_ORDER)
    if unknown:
        raise ValueError(f"no bulk projection order for {sorted(unknown)}")
    for type in SETUP_ORDER:
        _project(session, [event for event in events if event.type == type])


def write(engine, plan: Plan, *, progress: Callable[[str], None] | None = None) -> int:
    """Write `plan` into the empty database behind `engine`; the number of events."""
    say = progress or (lambda message: None)
    chain = _Chain()
    with transaction(engine) as session, deferred(session):
        plan_each_statement(session)
        connection = session.connection()
        setup = [chain.event(spec) for spec in plan.setup]
        for chunk in chunks(setup, CHUNK):
            connection.execute(insert(Event.__table__), [event.row() for event in chunk])
        _project_setup(session, setup)
        say(f"{chain.seq:,} setup events written and projected")
        del setup

        voids: list[_Event] = []
        recorded = 0
        for chunk in chunks(plan.visits(), CHUNK):
            events = [chain.event(spec) for spec in chunk]
            connection.execute(insert(Event.__table__), [event.row() for event in events])
            rows = []
            for event in events:
                if event.type == "visit.voided":
                    voids.append(event)
                    continue
                rows.append(visit_row(event, json.loads(event.payload)))
            connection.execute(insert(Visit.__table__), rows)
            recorded += len(rows)
            if recorded // 250_000 != (recorded - len(rows)) // 250_000:
                say(f"{recorded:,} visits written")
        say(f"{recorded:,} visits written")
        _project(session, voids)
        say(f"{len(voids):,} voids applied; deriving the visit masks and the obligation rows")
    analyze(engine)  # the tables went from empty to millions of rows in one go
    return chain.seq
