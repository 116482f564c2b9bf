"""Deep poverty (深度贫困): a mark the registry puts on a poor household, for a span of days."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, ForeignKey, String
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned
from workflow.posts.models import DateSpan


@versioned
class DeepPoverty(DateSpan, SQLModel, table=True):
    """A household marked in deep poverty (贫困程度深、脱贫难度大) from `start_date` to `end_date`, inclusive."""

    __tablename__ = "deep_poverty"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    household_id: str = Field(sa_column=Column(String(64), ForeignKey("household.id"), nullable=False, index=True))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
