"""The two times of every read, with one meaning each across the API.

- `as_of`: a **date** in the rule book's zone, read as the end of that day: *valid time*,
  the state of the world on that day (a household registered in 2014 and exited on
  2018-09-10 reads registered as of 2018-07-31 and exited as of 2018-09-11). Reports
  evaluate as of it; a record read shows the record's state on it.
- `known_at`: a **moment** with its offset: *recorded time*, what the log held then
  (records and events recorded later are left out, a void or an end recorded later is not
  applied), so an auditor sees what a supervisor saw. Read from the versions every
  projection keeps (`workflow.eventlog.versions`), not by replaying the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query

from api.schemas import Day, Moment
from workflow import clock, rulebook

AsOf = Annotated[
    Day | None,
    Query(
        description="The record's state on this local date (valid time, read as the end of that day); today's if omitted. "
        "记录在该日(当地日期,当日结束时)的状态。",
        examples=["2018-07-31"],
    ),
]

KnownAt = Annotated[
    Moment | None,
    Query(
        description="What the log held at this moment (recorded time, with its offset): records and changes recorded later are left out. "
        "按该时刻日志所载内容读取(其后录入的记录与变更不计)。",
        examples=["2018-08-01T00:00:00+08:00"],
    ),
]


def end_of(day: dt.date) -> dt.datetime:
    """The end of `day` in the rule book's zone: what `as_of` reads a date as."""
    return clock.end_of_day(day, rulebook.books().zone)
