"""Cursor pagination: opaque cursors over a stable key, so pages never skip or repeat a row."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import literal, tuple_
from sqlalchemy.sql import Select
from sqlmodel import Session

from workflow import clock
from workflow import errors

T = TypeVar("T")

Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page; omit for the first page.")]
Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page (1–500).")]


class Page(BaseModel, Generic[T]):
    """One page of a list; follow `next_cursor` until it is null."""

    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page.")


def encode(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, expected: str) -> Any:
    """The cursor's value for `expected` ('k' keyset, 'o' offset); None without a cursor."""
    if cursor is None:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value = position[expected]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise errors.InvalidCursor.stale() from None
    if expected == "o" and (not isinstance(value, int) or value < 0):
        raise errors.InvalidCursor.unknown()
    if expected == "k" and not isinstance(value, str | list):
        raise errors.InvalidCursor.unknown()
    return value


def keyset(session: Session, query: Select, *keys, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """A page of `query`'s rows ordered by `keys` (the last one unique), and the next cursor."""
    after = decode(cursor, "k")
    if after is not None:
        values = after if isinstance(after, list) else [after]
        if len(values) != len(keys):
            raise errors.InvalidCursor.unknown()
        values = [_parsed(key, value) for key, value in zip(keys, values, strict=True)]
        # Typed literals: PostgreSQL will not compare a row of (timestamptz, …) with untyped parameters.
        bound = [literal(value, key.type) for key, value in zip(keys, values, strict=True)]
        query = query.where(tuple_(*keys) > tuple_(*bound) if len(keys) > 1 else keys[0] > bound[0])
    rows = list(session.execute(query.order_by(*keys).limit(limit + 1)).scalars())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = [_plain(getattr(rows[-1], key.key)) for key in keys]
    return rows, encode({"k": last if len(keys) > 1 else last[0]})


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _parsed(key, value: Any) -> Any:
    # A TypeDecorator (UTCDateTime) reports `object`: ask the type it decorates.
    python_type = getattr(key.type, "impl", key.type).python_type
    try:
        if python_type is dt.datetime:
            return clock.parse_moment(value, field="cursor")
        if python_type is dt.date:
            return clock.parse_date(value, field="cursor")
        if isinstance(value, python_type):
            return value
    except errors.DomainError:
        pass
    raise errors.InvalidCursor.unknown()


def offset_page(rows: list[Any], *, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """A page of an already computed, deterministically ordered list (reports)."""
    start = decode(cursor, "o") or 0
    page = rows[start : start + limit]
    return page, (encode({"o": start + limit}) if start + limit < len(rows) else None)
