"""Org units, people, households and their registry spells: projections of the event log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned


@versioned
class OrgUnit(SQLModel, table=True):
    """An administrative unit (行政区划) or a city-direct unit, keyed by its code."""

    __tablename__ = "org_unit"

    code: str = Field(sa_column=Column(String(32), primary_key=True))
    name: str = Field(sa_column=Column(String(128), nullable=False))
    name_en: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    level: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    parent_code: str | None = Field(
        default=None, sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=True, index=True)
    )
    # Materialized path of codes from the root, '/'-joined, so a subtree is one prefix match.
    path: str = Field(sa_column=Column(String(512), nullable=False, index=True))
    rural_population: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


@versioned
class Person(SQLModel, table=True):
    """An official or cadre who can hold posts, visit and sign."""

    __tablename__ = "person"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    name: str = Field(sa_column=Column(String(128), nullable=False))
    gender: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))


@versioned
class Household(SQLModel, table=True):
    """A poor household (贫困户) on the registry, keyed by its registry number."""

    __tablename__ = "household"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    village_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    head_name: str = Field(sa_column=Column(String(128), nullable=False))
    members: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(sa_column=Column(String(32), nullable=False))


@versioned
class RegistrySpell(SQLModel, table=True):
    """A span of days a subject was on a poverty registry, from registration to exit (inclusive).

    Kinds: poor_household, poor_village, poor_county, concentrated_township (贫困人口集中的乡镇).
    A subject "poor at any time in a period" has a spell overlapping that period.

    Versioned (`registry_spell_version`): as known at a moment before its end was recorded, the
    spell is open; before it was registered, it is absent (SPEC §3, "as known at").
    """

    __tablename__ = "registry_spell"
    __table_args__ = (Index("ix_registry_spell_subject", "kind", "subject_id"),)

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    subject_id: str = Field(sa_column=Column(String(64), nullable=False))
    registered_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    exited_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


@versioned
class UnitPopulation(SQLModel, table=True):
    """A village's rural population (农村人口) for one year: the denominator of poverty
    incidence on the days of that year, and of the years after it until the next figure."""

    __tablename__ = "unit_population"

    unit_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), primary_key=True))
    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    rural_population: int = Field(sa_column=Column(Integer, nullable=False))
