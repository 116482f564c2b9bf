"""Teams stationed in villages, and their members (each a post of the book's member role)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, Date, ForeignKey, String
from sqlmodel import Field, SQLModel

from workflow.eventlog.versions import versioned
from workflow.posts.models import DateSpan

# The kinds of team: a resident work team (驻村工作队), sent by the city, a county or a
# city-direct department; a township work group (乡镇工作组); a county or city unit named to
# help the village (明确县、市、区直属单位进行帮扶).
KINDS = ("work_team", "township_group", "helping_unit")


@versioned
class Team(DateSpan, SQLModel, table=True):
    """A team of `kind` sent by `sending_unit_code` to `village_code`, from `start_date` to `end_date`."""

    __tablename__ = "team"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    village_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    sending_unit_code: str = Field(sa_column=Column(String(32), ForeignKey("org_unit.code"), nullable=False, index=True))
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


@versioned
class TeamMember(SQLModel, table=True):
    """A member of a team: their post (its tenure is the membership's), and whether they are its 第一书记."""

    __tablename__ = "team_member"

    post_id: str = Field(sa_column=Column(String(64), ForeignKey("post.id"), primary_key=True))
    team_id: str = Field(sa_column=Column(String(64), ForeignKey("team.id"), nullable=False, index=True))
    first_secretary: bool = Field(sa_column=Column(Boolean, nullable=False))
