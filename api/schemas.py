"""Shared pieces of request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

from workflow import rulebook


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class View(BaseModel):
    """A response body built from a domain row."""

    model_config = ConfigDict(from_attributes=True)


# An id or code in a path: bounded so no request can ask the database for an absurd key.
Id = Annotated[str, Path(min_length=1, max_length=64)]


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(rulebook.books().zone).isoformat()


# A moment in a response: shown in the rule book's zone with its offset (Beijing time,
# 2017-10-20T00:00:00+08:00), as the people reading it keep time, not in UTC.
Moment = Annotated[
    dt.datetime,
    PlainSerializer(_local, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2017-10-20T10:00:00+08:00"]}),
]
