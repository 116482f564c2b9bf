"""Which function turns an event of each type into rows of the current-state tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from workflow.eventlog.models import Event

Projector = Callable[[Session, Event, dict[str, Any]], None]

BatchProjector = Callable[[Session, list[tuple[Event, dict[str, Any]]]], None]
_PROJECTORS: dict[str, Projector] = {}
_BATCH_PROJECTORS: dict[str, BatchProjector] = {}


def _every_projection_loaded() -> None:
    """Import every module that keeps a projection, whatever the caller imported.

    Projectors register themselves when their module is imported; a process that wrote
    having imported only some of them (the CLI did) would leave the others' tables behind.
    """
    import workflow.schema  # noqa: F401  (imports every domain's projectors and listeners)


def projects(event_type: str) -> Callable[[Projector], Projector]:
    """Register the decorated function as the projector of `event_type`."""

    def register(function: Projector) -> Projector:
        if event_type in _PROJECTORS and _PROJECTORS[event_type] is not function:
            raise RuntimeError(f"event type '{event_type}' already has a projector")
        _PROJECTORS[event_type] = function
        return function

    return register


def projector_for(event_type: str) -> Projector:
    """The projector of `event_type`; LookupError for a type nobody projects."""
    _every_projection_loaded()
    try:
        return _PROJECTORS[event_type]
    except KeyError:
        raise LookupError(f"no projector for event type '{event_type}'") from None


def known_event_types() -> set[str]:
    _every_projection_loaded()
    return set(_PROJECTORS)


def projects_many(event_type: str) -> Callable[[BatchProjector], BatchProjector]:
    """Register the decorated function as the batch projector of `event_type`.

    It takes a run of consecutive events of that type, (event, payload) in log order, and
    must leave the projections as the one-event projector applied to each in turn would.
    `eventlog.append_many` uses it when registered; everything else uses the projector.
    """

    def register(function: BatchProjector) -> BatchProjector:
        if event_type in _BATCH_PROJECTORS and _BATCH_PROJECTORS[event_type] is not function:
            raise RuntimeError(f"event type '{event_type}' already has a batch projector")
        _BATCH_PROJECTORS[event_type] = function
        return function

    return register


def batch_projector_for(event_type: str) -> BatchProjector | None:
    _every_projection_loaded()
    return _BATCH_PROJECTORS.get(event_type)
