"""Projections: the read models kept from the log, declared once and applied in one order.

A projection is a named object listing the event types it handles; it applies a *run* of
consecutive events of one type (a single append is a run of one). `append`, `append_many`
and replay hand every run to `project`, which applies each projection that handles its
type, in the order `workflow/projections.py` declares. That declaration is loaded by name
on first use, so which projections run never depends on what a process happened to import.

Two kinds:
- `EventProjection`: written as one function per event type (and, where volume needs it,
  one per run); its tables are rebuilt by replaying the log.
- a *derived* projection (`derived = True`): a pure function of other projections' tables,
  kept in step event by event, and rebuilt from those tables by `rebuild`. A replay or a
  bulk load defers it (`deferred`) and rebuilds it once at the end.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from sqlmodel import Session

from workflow.eventlog.versions import note_states, write_states
from workflow.eventlog.models import Event

# The module declaring every projection, in order: the composition root of the read models.
DECLARATION = "workflow.projections"

Run = Sequence[tuple[Event, dict[str, Any]]]  # consecutive events of one type, in log order, with their payloads
OneEvent = Callable[[Session, Event, dict[str, Any]], None]
ManyEvents = Callable[[Session, Run], None]

_DEFERRED = "exit_tracker.derived_projections_deferred"


class Projection:
    """A read model kept from the log."""

    name: str
    event_types: frozenset[str]
    derived: ClassVar[bool] = False

    def apply(self, session: Session, run: Run) -> None:
        """Apply a run of events of one type, in order, as applying them one by one would."""
        raise NotImplementedError

    def rebuild(self, session: Session) -> None:
        """Derive the whole projection again from the tables it follows (derived projections)."""
        raise NotImplementedError(f"projection {self.name} is rebuilt by replaying the log")

    def __repr__(self) -> str:
        return f"<projection {self.name}>"


class EventProjection(Projection):
    """A projection written as one function per event type: `@PROJECTION.on("type")`.

    A function returns the rows it wrote (one, several, or None): the states of versioned
    rows are kept by event (`versions`), so that every record reads as known at any point.

    `@PROJECTION.on_many("type")` adds a function applying a whole run at once, which must
    leave exactly the rows the one-event function applied to each in turn would.
    """

    def __init__(self, name: str):
        self.name = name
        self._one: dict[str, OneEvent] = {}
        self._many: dict[str, ManyEvents] = {}

    @property
    def event_types(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset(self._one)

    def on(self, event_type: str) -> Callable[[OneEvent], OneEvent]:
        def register(function: OneEvent) -> OneEvent:
            if self._one.get(event_type, function) is not function:
                raise RuntimeError(f"projection {self.name} already handles '{event_type}'")
            self._one[event_type] = function
            return function

        return register

    def on_many(self, event_type: str) -> Callable[[ManyEvents], ManyEvents]:
        def register(function: ManyEvents) -> ManyEvents:
            self._many[event_type] = function
            return function

        return register

    def apply(self, session: Session, run: Run) -> None:
        event_type = run[0][0].type
        many = self._many.get(event_type)
        if many is not None and len(run) > 1:
            many(session, run)
            return
        one = self._one[event_type]
        for event, data in run:
            note_states(session, event, one(session, event, data))


_declared: tuple[Projection, ...] | None = None
_by_type: dict[str, tuple[Projection, ...]] = {}


def declared() -> tuple[Projection, ...]:
    """Every projection, in the order events are applied to them."""
    global _declared
    if _declared is None:
        projections = tuple(importlib.import_module(DECLARATION).DECLARED)
        names = [projection.name for projection in projections]
        if len(set(names)) != len(names):
            raise RuntimeError(f"projections declared twice: {names}")
        _declared = projections
    return _declared


def handling(event_type: str) -> tuple[Projection, ...]:
    """The projections applying events of `event_type`, in order; LookupError when none does."""
    found = _by_type.get(event_type)
    if found is None:
        found = tuple(projection for projection in declared() if event_type in projection.event_types)
        if not any(not projection.derived for projection in found):
            raise LookupError(f"no projection keeps events of type '{event_type}'")
        _by_type[event_type] = found
    return found


def known_event_types() -> set[str]:
    return {event_type for projection in declared() for event_type in projection.event_types}


def project(session: Session, run: Run) -> None:
    """Apply a run of consecutive events of one type to every projection handling it, in order.

    Derived projections are left out while `deferred`: the end of that block rebuilds them.
    """
    skip_derived = session.info.get(_DEFERRED, False)
    for projection in handling(run[0][0].type):
        if not (projection.derived and skip_derived):
            projection.apply(session, run)
    write_states(session)


@contextlib.contextmanager
def deferred(session: Session) -> Iterator[None]:
    """For a replay or a bulk load: keep only the log's own projections event by event, then
    rebuild each derived projection once, from the tables the block wrote."""
    if session.info.get(_DEFERRED):  # an enclosing block rebuilds them
        yield
        return
    session.info[_DEFERRED] = True
    try:
        yield
        session.flush()
    finally:
        session.info.pop(_DEFERRED, None)
    for projection in declared():
        if projection.derived:
            projection.rebuild(session)
