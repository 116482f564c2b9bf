"""Shared pieces of request and response bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from workflow import clock, rulebook
from workflow.errors import DomainError


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class View(BaseModel):
    """A response body built from a domain row."""

    model_config = ConfigDict(from_attributes=True)


# An id or code in a path: bounded so no request can ask the database for an absurd key.
Id = Annotated[str, Path(min_length=1, max_length=64)]


def _read_with(parse: Callable[..., Any]) -> PlainValidator:
    """A pydantic validator reading a value with the domain's own parser (workflow.clock).

    Its refusal becomes a validation error whose type is the parser's code; the Chinese
    message travels in the error's context for api.errors.
    """

    def validate(value: Any, info: ValidationInfo) -> Any:
        try:
            return parse(value, field=info.field_name or "value")
        except DomainError as exc:
            raise PydanticCustomError(exc.code, exc.en.replace("{", "(").replace("}", ")"), {"zh": exc.zh}) from None

    return PlainValidator(validate)


# A moment from a client: ISO 8601 text with its offset, read by clock.parse_moment (never a number).
Moment = Annotated[
    dt.datetime,
    _read_with(clock.parse_moment),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2017-07-01T10:00:00+08:00"]}),
]
# A calendar date from a client: ISO 8601 text, read by clock.parse_date (never a number).
Day = Annotated[dt.date, _read_with(clock.parse_date), WithJsonSchema({"type": "string", "format": "date", "examples": ["2017-07-01"]})]


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(rulebook.books().zone).isoformat()


# A moment in a response: shown in the rule book's zone with its offset (Beijing time,
# 2017-10-20T00:00:00+08:00), as the people reading it keep time, not in UTC.
LocalMoment = Annotated[
    dt.datetime,
    PlainSerializer(_local, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2017-10-20T10:00:00+08:00"]}),
]
