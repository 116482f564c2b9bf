"""/api/v1/teams: teams stationed in villages (驻村工作队, 乡镇工作组, 帮扶单位) and their members — admins write.

A work team does not leave a poor village, nor fall below strength, before the village exits
(不脱贫出列不撤队): ending the team, or a member's post, is refused with
`team_withdrawal_before_exit` / `team_below_strength_before_exit` naming the village.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query, Response
from pydantic import Field

from api.auth import CurrentCaller
from api.deps import ReadSession, WriteSession
from api.pagination import Cursor, Limit, Page, keyset
from api.routing import WRITE_PROBLEMS, resource_router
from api.schemas import Body, Day, Id, View
from workflow.accounts import access, scope
from workflow.teams import service as teams
from workflow.teams.models import Team
from workflow.teams.withdrawal import members_of, members_of_teams

router = resource_router("teams 驻村工作队")


class MemberView(View):
    post_id: str
    person_id: str
    start_date: dt.date
    end_date: dt.date | None = None
    first_secretary: bool = Field(description="Whether this member is the team's 第一书记.")


class TeamView(View):
    id: str
    kind: str = Field(description="work_team (驻村工作队), township_group (乡镇工作组) or helping_unit (帮扶单位).", examples=["work_team"])
    village_code: str = Field(examples=["431224100201"])
    sending_unit_code: str = Field(examples=["431224000000"])
    start_date: dt.date
    end_date: dt.date | None = None
    members: list[MemberView] = Field(default_factory=list)


class TeamCreate(Body):
    kind: Literal["work_team", "township_group", "helping_unit"] = "work_team"
    village_code: str = Field(min_length=1, max_length=32, examples=["431224100201"])
    sending_unit_code: str = Field(min_length=1, max_length=32, examples=["431224000000"])
    start_date: Day = Field(examples=["2016-01-01"])
    end_date: Day | None = None


class MemberCreate(Body):
    person_id: str = Field(min_length=1, max_length=64)
    start_date: Day = Field(examples=["2016-01-01"])
    end_date: Day | None = None
    first_secretary: bool = Field(False, description="Make this member the team's 第一书记.")


class TeamEnd(Body):
    end_date: Day = Field(description="The team's last day in the village (inclusive).", examples=["2018-12-31"])
    reason: str | None = Field(None, max_length=64, description="A reason the rule book allows for leaving before exit (none in Hunan 2017).")


class FirstSecretary(Body):
    post_id: str = Field(min_length=1, max_length=64, description="The member's post.")


def _view(session, team: Team, members: list | None = None) -> TeamView:
    """`team` as the API shows it; `members`: its members_of, when the caller read them with other teams'."""
    members = [
        MemberView(post_id=post.id, person_id=post.person_id, start_date=post.start_date, end_date=post.end_date, first_secretary=member.first_secretary)
        for member, post in (members if members is not None else members_of(session, team.id))
    ]
    return TeamView(id=team.id, kind=team.kind, village_code=team.village_code, sending_unit_code=team.sending_unit_code, start_date=team.start_date, end_date=team.end_date, members=members)


@router.get("/teams", response_model=Page[TeamView], summary="List teams in scope / 工作队列表")
def list_teams(
    caller: CurrentCaller,
    session: ReadSession,
    village: Annotated[str | None, Query(max_length=32, description="Teams stationed in this village.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[TeamView]:
    """Teams stationed in villages in the caller's scope, with their members."""
    query = scope.teams(caller)
    if village is not None:
        query = query.where(Team.village_code == village)
    rows, next_cursor = keyset(session, query, Team.id, cursor=cursor, limit=limit)
    members = members_of_teams(session, [row.id for row in rows])  # the page's members in one query, not one per team
    return Page(items=[_view(session, row, members[row.id]) for row in rows], next_cursor=next_cursor)


@router.get("/teams/{team_id}", response_model=TeamView, summary="One team / 单个工作队")
def get_team(team_id: Id, caller: CurrentCaller, session: ReadSession) -> TeamView:
    """A team, its span and its members with their tenures."""
    return _view(session, scope.team(session, caller, team_id))


@router.post("/teams", status_code=201, response_model=TeamView, responses=WRITE_PROBLEMS, summary="Station a team / 派驻工作队")
def station_team(body: TeamCreate, caller: CurrentCaller, session: WriteSession, response: Response) -> TeamView:
    """Station a team in a village in scope, sent by a unit that may send it (admins)."""
    access.require(caller, access.REGISTRY)
    scope.unit(session, caller, body.village_code, field="village_code")
    team = teams.station_team(session, actor=caller.actor(), **body.model_dump())
    response.headers["Location"] = f"/api/v1/teams/{team.id}"
    return _view(session, team)


@router.post("/teams/{team_id}/members", status_code=201, response_model=TeamView, responses=WRITE_PROBLEMS, summary="Add a member / 选派队员")
def add_member(team_id: Id, body: MemberCreate, caller: CurrentCaller, session: WriteSession) -> TeamView:
    """Put a person on the team: a work-team member's post at its village from `start_date` (admins)."""
    access.require(caller, access.REGISTRY)
    team = scope.team(session, caller, team_id)
    teams.add_member(session, actor=caller.actor(), team_id=team_id, **body.model_dump())
    return _view(session, team)


@router.post("/teams/{team_id}/first-secretary", response_model=TeamView, responses=WRITE_PROBLEMS, summary="Designate the first secretary / 明确第一书记")
def designate_first_secretary(team_id: Id, body: FirstSecretary, caller: CurrentCaller, session: WriteSession) -> TeamView:
    """Make one member the team's 第一书记 (admins)."""
    access.require(caller, access.REGISTRY)
    team = scope.team(session, caller, team_id)
    teams.designate_first_secretary(session, actor=caller.actor(), team_id=team_id, post_id=body.post_id)
    return _view(session, team)


@router.post("/teams/{team_id}/end", response_model=TeamView, responses=WRITE_PROBLEMS, summary="End a team / 撤队")
def end_team(team_id: Id, body: TeamEnd, caller: CurrentCaller, session: WriteSession) -> TeamView:
    """Record the team's last day; refused while its village is still a poor village (admins)."""
    access.require(caller, access.REGISTRY)
    team = scope.team(session, caller, team_id)
    teams.end_team(session, actor=caller.actor(), team_id=team_id, end_date=body.end_date, reason=body.reason)
    return _view(session, team)
