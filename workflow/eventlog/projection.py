"""Projections: the read models kept from the log, declared once and applied in one order.

A projection is a named object listing the event types it handles; it applies a *run* of
consecutive events of one type (a single append is a run of one), or of several types that
it alone keeps and declares it applies together (`mixing`). `append`, `append_many` and
replay split the log into runs (`runs`) and hand each to `project`, which applies each
projection that handles its type, in the order `workflow/projections.py` declares. That declaration is loaded by name
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from sqlmodel import Session

from workflow.eventlog.versions import note_states, write_states
from workflow.eventlog.models import Event

# The module declaring every projection, in order: the composition root of the read models.
DECLARATION = "workflow.projections"

Run = Sequence[tuple[Event, dict[str, Any]]]  # consecutive events of one type (or of a mixing projection's), in log order, with their payloads
OneEvent = Callable[[Session, Event, dict[str, Any]], None]
ManyEvents = Callable[[Session, Run], None]

_DEFERRED = "exit_tracker.derived_projections_deferred"


class Projection:
    """A read model kept from the log."""

    name: str
    event_types: frozenset[str]
    derived: ClassVar[bool] = False
    # Event types whose consecutive events, in any order, this projection applies as one run
    # when no other projection keeps them (`runs`).
    mixing: frozenset[str] = frozenset()

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
    leave exactly the rows the one-event function applied to each in turn would; for a type
    the projection lists in `mixes(...)`, the run may hold any of the types listed there.
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

    def mixes(self, event_types: set[str]) -> None:
        """Apply consecutive events of these types as one run, whatever their order: the run
        function of each (`on_many`) takes a run of any of them."""
        if not event_types <= set(self._many):
            raise RuntimeError(f"projection {self.name} mixes types it has no run function for: {sorted(event_types - set(self._many))}")
        self.mixing = frozenset(event_types)

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


def runs(session: Session, events: Iterable[Any]) -> Iterator[list[Any]]:
    """`events` (in log order) split into the runs `project` applies: consecutive events of one
    type, or of types one projection mixes (`EventProjection.mixes`) when it is the only one
    keeping each of them here (a derived projection deferred by a bulk load or a replay keeps
    none), so that applying the run projection by projection is applying it event by event."""
    skip_derived = session.info.get(_DEFERRED, False)
    run: list[Any] = []
    key = None
    for event in events:
        this = _run_key(event.type, skip_derived)
        if run and this != key:
            yield run
            run = []
        run.append(event)
        key = this
    if run:
        yield run


_run_keys: dict[tuple[str, bool], object] = {}


def _run_key(event_type: str, skip_derived: bool) -> object:
    """What consecutive events share to be one run: their type, or the one projection that mixes them."""
    key = _run_keys.get((event_type, skip_derived))
    if key is None:
        keeping = [projection for projection in handling(event_type) if not (projection.derived and skip_derived)]
        mixed = len(keeping) == 1 and event_type in keeping[0].mixing
        key = _run_keys[(event_type, skip_derived)] = ("mixed", keeping[0].name) if mixed else event_type
    return key


def project(session: Session, run: Run) -> None:
    """Apply a run (`runs`) to every projection handling its events, in order.

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
