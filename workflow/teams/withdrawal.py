"""不脱贫出列不撤队: a resident work team does not leave a poor village, nor fall below the rule
book's strength, before the village exits.

The one place that decides it, for ending a team (teams.service.end_team) and for ending a
member's post (posts.service.end_post); it imports no command module, so both can ask it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlmodel import Session

from workflow import errors, rulebook
from workflow.chunking import chunks
from workflow.db import one_of
from workflow.org.models import OrgUnit
from workflow.org.service import registry_spells
from workflow.posts.models import Post
from workflow.teams.models import Team, TeamMember


def members_of(session: Session, team_id: str) -> list[tuple[TeamMember, Post]]:
    """Every member the team has had, with their post, earliest first."""
    query = select(TeamMember, Post).join(Post, Post.id == TeamMember.post_id).where(TeamMember.team_id == team_id).order_by(Post.start_date, Post.id)
    return [tuple(row) for row in session.execute(query).all()]


def members_of_teams(session: Session, team_ids: list[str]) -> dict[str, list[tuple[TeamMember, Post]]]:
    """Every member each of `team_ids` has had, with their post, earliest first: one query per
    IN list of ids (a page of teams), not one per team."""
    found: dict[str, list[tuple[TeamMember, Post]]] = {team_id: [] for team_id in team_ids}
    connection = session.connection()
    for part in chunks(team_ids):
        query = select(TeamMember, Post).join(Post, Post.id == TeamMember.post_id).where(one_of(connection, TeamMember.team_id, part))
        for member, post in session.execute(query.order_by(TeamMember.team_id, Post.start_date, Post.id)).all():
            found[member.team_id].append((member, post))
    return found


def present_members(members: list[tuple[TeamMember, Post]], on: dt.date, *, leaving: str | None = None, leaving_after: dt.date | None = None) -> int:
    """How many of `members` (members_of) are in post on `on` (the post `leaving` as if it ended on `leaving_after`)."""
    count = 0
    for _, post in members:
        last = leaving_after if post.id == leaving else post.end_date
        if post.start_date <= on and (last is None or on <= last):
            count += 1
    return count


def check_withdrawal(
    session: Session, *, team: Team, end_date: dt.date, reason: str | None, leaving_post: str | None = None, joining: Post | None = None
) -> None:
    """Refuse ending `team` on `end_date` (or ending its member's post `leaving_post` then) when,
    the day after, its village would still be a registered poor village with the team gone or
    below strength — unless the book in force allows `reason`.

    `joining`: a post not yet on the team, added with its last day `end_date` (its id is
    `leaving_post`): its leaving then is judged like any member's.
    """
    if team.kind != "work_team":
        return
    day_after = end_date + dt.timedelta(days=1)
    book = rulebook.in_force(end_date, otherwise=None)
    rule = book.work_teams if book is not None else None
    if rule is None or (reason is not None and reason in rule.withdrawal_allowed_for):
        return
    if team.end_date is not None and team.end_date < day_after:
        return  # the team has left by then anyway
    spells = [s for s in registry_spells(session, "poor_village", team.village_code) if s.registered_on <= day_after and (s.exited_on is None or s.exited_on >= day_after)]
    if not spells:
        return
    village = session.get(OrgUnit, team.village_code)
    if leaving_post is None:
        raise errors.TeamWithdrawalBeforeExit(
            village_name=village.name,
            village=village.code,
            village_status="poor_village",
            end_date=end_date,
            registered_on=spells[0].registered_on,
            allowed=rule.withdrawal_allowed_for,
        )
    members = members_of(session, team.id) + ([(None, joining)] if joining is not None else [])
    before = present_members(members, day_after)
    after = present_members(members, day_after, leaving=leaving_post, leaving_after=end_date)
    if after < before and after < rule.min_members:
        raise errors.TeamBelowStrengthBeforeExit(
            village_name=village.name,
            village=village.code,
            village_status="poor_village",
            members_after=after,
            min_members=rule.min_members,
            end_date=end_date,
            registered_on=spells[0].registered_on,
            day_after=day_after,
        )


def check_member_may_leave(session: Session, *, post: Post, end_date: dt.date, reason: str | None = None) -> None:
    """For posts.end_post: refuse ending a team member's post if the team may not lose them then."""
    member = session.get(TeamMember, post.id)
    if member is not None:
        check_withdrawal(session, team=session.get(Team, member.team_id), end_date=end_date, reason=reason, leaving_post=post.id)
