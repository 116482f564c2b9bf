"""Shared pieces of request and response bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class View(BaseModel):
    """A response body built from a domain row."""

    model_config = ConfigDict(from_attributes=True)


# An id or code in a path: bounded so no request can ask the database for an absurd key.
Id = Annotated[str, Path(min_length=1, max_length=64)]
