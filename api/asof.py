"""Reading a record as it stood at a past moment, rebuilt from the log (auditors' `as_of`).

Each such read replays the log into a scratch database: seconds with tens of thousands
of events, minutes at a city's scale. Until reads as of a moment stop replaying, they
are bounded here (api/limits.py): at most AS_OF_READS at once, a request waits at most
AS_OF_WAIT for its turn, and a replay that runs past AS_OF_TIMEOUT is stopped. Either
way the answer is a 503 saying which, and nothing else waits for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Query
from sqlalchemy import event
from sqlmodel import Session

from api import limits
from api.schemas import Moment
from workflow.audit.history import as_of as replayed_as_of
from workflow.errors import DomainError

T = TypeVar("T")

AsOf = Annotated[
    Moment | None,
    Query(
        description="Show the record as it stood at this moment (with an offset), rebuilt from the log: "
        "only events recorded by then count. 按此时刻的记录状态显示(由事件日志重放)。",
        examples=["2017-08-01T00:00:00+08:00"],
    ),
]


class Unavailable(DomainError):
    status = 503


# The replays this process may run at once (handlers run in threads).
_replays = threading.BoundedSemaphore(limits.AS_OF_READS)


class _OutOfTime(Exception):
    """The replay went past its deadline (raised between two reads of the log)."""


def at_moment(session: Session, moment: dt.datetime | None, read: Callable[[Session], T], *, field: str = "as_of") -> T:
    """`read` on the live records, or on the records as known at `moment` (bounded: see above)."""
    if moment is None:
        return read(session)
    if not _replays.acquire(timeout=limits.AS_OF_WAIT):
        raise Unavailable(
            "as_of_busy",
            f"as many reads as of a past moment as the server allows ({limits.AS_OF_READS}) are running; retry in a while, or read without {field}",
            f"服务器允许的按历史时刻读取已全部占用({limits.AS_OF_READS} 个);请稍后重试,或不带 {field} 读取",
            field=field,
        )
    try:
        with _deadline(session, limits.AS_OF_TIMEOUT):
            return replayed_as_of(session, moment, read)
    except _OutOfTime:
        raise Unavailable(
            "as_of_timeout",
            f"rebuilding the record as of {field} took longer than {limits.AS_OF_TIMEOUT:g} s and was stopped; read without {field}, or ask an auditor for `exit-tracker replay`",
            f"按 {field} 重建记录超过 {limits.AS_OF_TIMEOUT:g} 秒,已停止;请不带 {field} 读取,或请审计人员使用 `exit-tracker replay`",
            field=field,
        ) from None
    finally:
        _replays.release()


@contextlib.contextmanager
def _deadline(session: Session, seconds: float) -> Iterator[None]:
    """Within the block, a read of `session` past `seconds` from now raises _OutOfTime.

    The replay reads the log a batch at a time through `session`, so it stops at the
    next batch: cooperative, with no thread left running behind the answer.
    """
    connection = session.connection()
    ends = time.monotonic() + seconds

    def check(*_args) -> None:
        if time.monotonic() > ends:
            raise _OutOfTime

    event.listen(connection, "before_cursor_execute", check)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", check)
