"""Plans per unit and campaign year, and the year each poor village or household is planned to exit."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned


@versioned
class ReductionPlan(SQLModel, table=True):
    """A unit's plan for a year, as last set by `set_by` (a unit of the level above); earlier
    settings are its versions (a revision keeps the history)."""

    __tablename__ = "reduction_plan"

    id: str = Field(sa_column=Column(String(64), primary_key=True))  # "<unit code>:<year>"
    unit_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    year: int = Field(sa_column=Column(Integer, nullable=False))
    households: int = Field(sa_column=Column(Integer, nullable=False))
    people: int = Field(sa_column=Column(Integer, nullable=False))
    villages: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))  # counties and townships
    set_by: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False))
    revision: int = Field(sa_column=Column(Integer, nullable=False))


@versioned
class PlannedExit(SQLModel, table=True):
    """The campaign year a poor village or household is planned to exit (计划脱贫年度)."""

    __tablename__ = "planned_exit"

    id: str = Field(sa_column=Column(String(80), primary_key=True))  # "<kind>:<subject id>"
    kind: str = Field(sa_column=Column(String(32), nullable=False))  # poor_household or poor_village
    subject_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    village_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    year: int = Field(sa_column=Column(Integer, nullable=False))
