"""Reading a record as it stood at a past moment, rebuilt from the log (auditors' `as_of`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Query
from sqlmodel import Session

from api.schemas import Moment
from workflow.audit.history import as_of as replayed_as_of

T = TypeVar("T")

AsOf = Annotated[
    Moment | None,
    Query(
        description="Show the record as it stood at this moment (with an offset), rebuilt from the log: "
        "only events recorded by then count. 按此时刻的记录状态显示(由事件日志重放)。",
        examples=["2017-08-01T00:00:00+08:00"],
    ),
]


def at_moment(session: Session, moment: dt.datetime | None, read: Callable[[Session], T], *, field: str = "as_of") -> T:
    """`read` on the live records, or on the records as known at `moment`."""
    if moment is None:
        return read(session)
    return replayed_as_of(session, moment, read)
