"""Commands that station teams in villages, add their members, name their first secretary and
end them; their projection. Whether a team may leave is withdrawal.py's to decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from rules import RuleBook
from rules.schema import Level, WorkTeamRule
from workflow import errors, rulebook
from workflow.eventlog import Actor, Event, append
from workflow.eventlog.projection import EventProjection
from workflow.org.models import OrgUnit
from workflow.org.places import Subtree
from workflow.org.service import LEVEL_ZH, ancestor_at, get_person, get_unit
from workflow.posts import service as posts
from workflow.posts.models import Post
from workflow.teams.models import KINDS, Team, TeamMember
from workflow.teams.withdrawal import check_withdrawal
from workflow.types import new_id

# The read model of teams and their members: kept by the functions marked @TEAMS.on below.
TEAMS = EventProjection("teams")

KIND_ZH = {"work_team": "驻村工作队", "township_group": "乡镇工作组", "helping_unit": "帮扶单位"}


def work_team_rule(on: dt.date, *, before_first_book: bool = False) -> WorkTeamRule:
    """The work-team rule of the book in force on `on` (the first book's for a day before any,
    when `before_first_book`: records of earlier days are kept under it); refused when that book holds none."""
    book: RuleBook = rulebook.in_force(on, otherwise=rulebook.first()) if before_first_book else rulebook.in_force(on)
    if book.work_teams is None:
        raise errors.RuleNotInBook.work_teams(book=book.id)
    return book.work_teams


def get_team(session: Session, team_id: str) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise errors.TeamNotFound(id=team_id, field="team")
    return team


def _check_sender(session: Session, *, kind: str, village: OrgUnit, sender: OrgUnit, rule: WorkTeamRule) -> None:
    """Refuse a sending unit that cannot send a team of `kind` to `village`."""
    if kind == "township_group":
        allowed = (Level.township,)
    elif kind == "work_team":
        allowed = tuple(rule.sending_levels)
    else:
        allowed = (Level.city, Level.city_unit, Level.county)
    # A city-direct department hangs under its city, not above the village: its city's area is its own.
    area = ancestor_at(session, sender, Level.city) if sender.level == Level.city_unit else sender
    inside = area is not None and Subtree.of(area).contains(village.path)
    if sender.level not in allowed:
        raise errors.InvalidSendingUnit(
            kind=kind,
            kind_zh=KIND_ZH[kind],
            levels=[level.value for level in allowed],
            levels_zh=[LEVEL_ZH[Level(level)] for level in allowed],
            code=sender.code,
            level=sender.level,
            level_zh=LEVEL_ZH[Level(sender.level)],
        )
    if not inside:
        raise errors.OutsideSendingUnit(village=village.name, sender=sender.name)


def station_team(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    village_code: str,
    sending_unit_code: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    team_id: str | None = None,
) -> Team:
    """Station a team of `kind` (work_team, township_group, helping_unit) in a village from `start_date`."""
    if kind not in KINDS:
        raise errors.InvalidKind.team(kind=kind, valid=KINDS)
    village = get_unit(session, village_code, field="village")
    if village.level != Level.village:
        raise errors.InvalidVillage(code=village_code, level=village.level)
    sender = get_unit(session, sending_unit_code, field="sending_unit")
    posts.check_span(start_date, end_date)
    _check_sender(session, kind=kind, village=village, sender=sender, rule=work_team_rule(start_date, before_first_book=True))
    team_id = team_id or new_id()
    if session.get(Team, team_id) is not None:
        raise errors.DuplicateId.team(id=team_id)
    if end_date is not None:  # a team stationed with its last day leaves then: the same rule as ending it later
        check_withdrawal(session, team=Team(id=team_id, kind=kind, village_code=village_code), end_date=end_date, reason=None)
    append(
        session,
        type="team.stationed",
        entity_type="team",
        entity_id=team_id,
        payload={"id": team_id, "kind": kind, "village_code": village_code, "sending_unit_code": sending_unit_code, "start_date": start_date, "end_date": end_date},
        actor=actor,
    )
    return session.get(Team, team_id)


@TEAMS.on("team.stationed")
def _stationed(session: Session, event: Event, data: dict[str, Any]) -> Team:
    team = Team(**{**data, "start_date": dt.date.fromisoformat(data["start_date"]), "end_date": dt.date.fromisoformat(data["end_date"]) if data.get("end_date") else None})
    session.add(team)
    return team


def add_member(
    session: Session,
    *,
    actor: Actor,
    team_id: str,
    person_id: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    first_secretary: bool = False,
    post_id: str | None = None,
) -> TeamMember:
    """Put a person on a team: a post of the book's member role at the team's village, from `start_date`.

    `first_secretary` makes them the team's 第一书记 (one at a time: the previous one stays a member).
    """
    team = get_team(session, team_id)
    get_person(session, person_id)
    if start_date < team.start_date or (team.end_date is not None and start_date > team.end_date):
        raise errors.OutsideTeamSpan(team_start=team.start_date, team_end=team.end_date, start_date=start_date)
    rule = work_team_rule(start_date, before_first_book=True)
    if end_date is not None:
        # A member added with their last day leaves then: the same rule as ending their post later
        # (不脱贫出列不撤队), judged before anything is written.
        joining = Post(id=post_id or "(joining)", person_id=person_id, role=rule.member_role, unit_code=team.village_code, start_date=start_date, end_date=None)
        check_withdrawal(session, team=team, end_date=end_date, reason=None, leaving_post=joining.id, joining=joining)
    post = posts.assign_post(session, actor=actor, person_id=person_id, role=rule.member_role, unit_code=team.village_code, start_date=start_date, end_date=end_date, post_id=post_id)
    append(
        session,
        type="team.member_added",
        entity_type="team",
        entity_id=team_id,
        payload={"team_id": team_id, "post_id": post.id, "first_secretary": first_secretary},
        actor=actor,
    )
    return session.get(TeamMember, post.id)


@TEAMS.on("team.member_added")
def _member_added(session: Session, event: Event, data: dict[str, Any]) -> list[TeamMember]:
    member = TeamMember(post_id=data["post_id"], team_id=data["team_id"], first_secretary=False)
    session.add(member)
    if not data["first_secretary"]:
        return [member]
    return [member, *_first_secretary(session, data["team_id"], data["post_id"])]


def designate_first_secretary(session: Session, *, actor: Actor, team_id: str, post_id: str) -> TeamMember:
    """Make the member holding `post_id` the team's 第一书记 (the previous one stays a member)."""
    member = session.get(TeamMember, post_id)
    if member is None or member.team_id != team_id:
        raise errors.TeamMemberNotFound(id=post_id, field="post")
    append(session, type="team.first_secretary_designated", entity_type="team", entity_id=team_id, payload={"team_id": team_id, "post_id": post_id}, actor=actor)
    return member


def _first_secretary(session: Session, team_id: str, post_id: str) -> list[TeamMember]:
    session.flush()
    changed = []
    for member in session.execute(select(TeamMember).where(TeamMember.team_id == team_id)).scalars():
        if member.first_secretary != (member.post_id == post_id):
            member.first_secretary = member.post_id == post_id
            changed.append(member)
    return changed


@TEAMS.on("team.first_secretary_designated")
def _designated(session: Session, event: Event, data: dict[str, Any]) -> list[TeamMember]:
    return _first_secretary(session, data["team_id"], data["post_id"])


def end_team(session: Session, *, actor: Actor, team_id: str, end_date: dt.date, reason: str | None = None) -> Team:
    """Record the team's last day in the village; refused while the village is still poor then (不撤队)."""
    team = get_team(session, team_id)
    posts.check_span(team.start_date, end_date)
    check_withdrawal(session, team=team, end_date=end_date, reason=reason)
    append(session, type="team.ended", entity_type="team", entity_id=team_id, payload={"id": team_id, "end_date": end_date, "reason": reason}, actor=actor)
    return team


@TEAMS.on("team.ended")
def _team_ended(session: Session, event: Event, data: dict[str, Any]) -> Team:
    return posts.span_ended(session.get(Team, data["id"]), data)
