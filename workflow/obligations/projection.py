"""The obligations projection: visit masks, obligation rows and report tallies, kept from the log.

Derived: every row is a pure function of the visits, posts, pairings and unit links the
projections before it keep (`workflow/projections.py` declares the order). Event by event,
it follows what each event changes, in this order:

- post, pairing or link events: the obligation rows of those posts, pairings or links are
  derived again (`instances.replace`);
- visit events: the masks of the visitor's targets are brought up to date (`mask_rows`) and
  copied into the obligation rows that follow them (`instances.refresh_visits`);

and the report tallies take the difference: what the rows concerned added before the change
(`tallies.read`, taken first), less what they add after it (`tallies.settle`); so do the
counts of poor households visited (`poor_counts`, for V6), whose rebuild is their own
projection's, after the pairing cover. A replay or a
bulk load defers the projection and derives everything once (`rebuild`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from sqlalchemy import Connection
from sqlmodel import Session

from workflow.eventlog.projection import Projection, Run
from workflow.obligations import instances, poor_counts, tallies
from workflow.visits import mask_rows
from workflow.visits.service import visit_row

SPAN_EVENTS = {
    "post.assigned": "post",
    "post.ended": "post",
    "pairing.started": "pairing",
    "pairing.ended": "pairing",
    "unit_link.started": "unit_link",
    "unit_link.ended": "unit_link",
}
VISIT_EVENTS = ("visit.recorded", "visit.voided")


class ObligationsProjection(Projection):
    name = "obligations"
    derived = True
    event_types = frozenset(SPAN_EVENTS) | frozenset(VISIT_EVENTS)

    def apply(self, session: Session, run: Run) -> None:
        session.flush()  # the rows the projections before this one wrote, where these statements read
        connection = session.connection()
        event_type = run[0][0].type
        if event_type == "visit.recorded":
            _visits_recorded(connection, [visit_row(event, data) for event, data in run])
        elif event_type == "visit.voided":
            _visits_voided(connection, [data["id"] for _, data in run])
        else:
            _spans_changed(connection, SPAN_EVENTS[event_type], {data["id"] for _, data in run})

    def rebuild(self, session: Session) -> None:
        session.flush()
        connection = session.connection()
        mask_rows.rebuild(connection)
        instances.rebuild(connection)
        tallies.rebuild(connection)


OBLIGATIONS = ObligationsProjection()


def _spans_changed(connection: Connection, kind: str, ids: set[str]) -> None:
    post_ids = ids if kind == "post" else set()
    source_ids = ids if kind != "post" else set()
    before = tallies.read(connection, post_ids=post_ids, source_ids=source_ids)
    instances.replace(
        connection,
        post_ids=sorted(post_ids),
        pairing_ids=sorted(ids) if kind == "pairing" else (),
        link_ids=sorted(ids) if kind == "unit_link" else (),
    )
    tallies.settle(connection, before)


def _visits_recorded(connection: Connection, visits: list[dict]) -> None:
    changes = mask_rows.changes_for(connection, visits)
    written = changes.keys
    if not written:
        return  # days already counted: the masks, and the obligation rows that copy them, stay as they are
    before, poor_before = tallies.read(connection, keys=written), poor_counts.read(connection, written)
    mask_rows.write(connection, changes)
    instances.refresh_visits(connection, written)
    tallies.settle(connection, before)
    poor_counts.settle(connection, poor_before)


def _visits_voided(connection: Connection, visit_ids: list[str]) -> None:
    keys = set(mask_rows.counted_days(mask_rows.voided_visits(connection, visit_ids)))
    targets = {key[:3] for key in keys}
    before, poor_before = tallies.read(connection, keys=targets), poor_counts.read(connection, targets)
    mask_rows.recount(connection, keys)
    instances.refresh_visits(connection, targets)
    tallies.settle(connection, before)
    poor_counts.settle(connection, poor_before)


@contextlib.contextmanager
def counts_deferred(connection: Connection) -> Iterator[Callable[[], None]]:
    """For bulk writes on `connection`: the report tallies and the poor counts each count what
    the writes touched once, at the end (`tallies.deferred`, `poor_counts.deferred`). Yields a
    function that a caller which will roll back calls, to skip the counting."""
    with tallies.deferred(connection) as units, poor_counts.deferred(connection) as persons:

        def skip() -> None:
            units.clear()
            persons.clear()

        yield skip
