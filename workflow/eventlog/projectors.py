"""Which function turns an event of each type into rows of the current-state tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from workflow.eventlog.models import Event

Projector = Callable[[Session, Event, dict[str, Any]], None]

_PROJECTORS: dict[str, Projector] = {}


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
    try:
        return _PROJECTORS[event_type]
    except KeyError:
        raise LookupError(f"no projector for event type '{event_type}'") from None


def known_event_types() -> set[str]:
    return set(_PROJECTORS)
