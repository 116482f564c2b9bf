"""Work-team coverage (驻村帮扶全覆盖) on a day: the villages without the team they need, teams
below strength, and teams without a first secretary (第一书记), each with since when.

What a village needs on a day (the rule book's `work_teams`): a poor village, or a non-poor
village with at least `poor_people_at_least` registered poor people, needs a resident work
team with at least `min_members` members in post (township work groups do not count); any
other village with registered poor people needs some team — a township work group, a helping
unit, or a work team. Reads the session given: as now, or as known at a moment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select
from sqlmodel import Session

from rules.schema import WorkTeamRule
from workflow.chunking import chunks
from workflow.db import one_of
from workflow.org.models import Household, OrgUnit, RegistrySpell
from workflow.org.places import Subtree, places
from workflow.org.service import get_unit
from workflow.pairings import cover
from workflow.posts.models import Post
from workflow.teams.models import Team, TeamMember
from workflow.teams.service import work_team_rule

# The problems the report names, in the order a village's rows are shown.
PROBLEMS = ("no_work_team", "no_team", "below_strength", "no_first_secretary")
DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class TeamGap:
    """A village short of the cover it needs on the day, or a team short of strength or of a 第一书记."""

    village_code: str
    township_code: str | None
    county_code: str | None
    problem: str  # one of PROBLEMS
    poor_village: bool
    poor_people: int
    team_id: str | None  # the team a below_strength / no_first_secretary row is about
    members: int | None  # its members in post on the day
    since: dt.date
    days: int  # from since to the report's day, both counted


@dataclasses.dataclass
class _Village:
    """What decides one village's cover: its poor-village spells, its teams and their members' posts."""

    code: str
    spells: list[tuple[dt.date, dt.date | None]]
    teams: list[Team]
    members: dict[str, list[tuple[Post, bool]]]  # team id -> (post, first secretary)

    def poor_on(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.spells)

    def problems(self, day: dt.date, poor_people: int, rule: WorkTeamRule) -> dict[tuple[str, str | None], int | None]:
        """The village's problems on `day`: (problem, team id) → the team's members in post."""
        found: dict[tuple[str, str | None], int | None] = {}
        present = [team for team in self.teams if team.held_on(day)]
        strength = {team.id: sum(1 for post, _ in self.members.get(team.id, ()) if post.held_on(day)) for team in present if team.kind == "work_team"}
        poor_village = self.poor_on(day)
        if poor_village or poor_people >= rule.poor_people_at_least:
            if not strength:  # a team below strength is listed as such, below
                found["no_work_team", None] = None
        elif poor_people > 0 and not present:
            found["no_team", None] = None
        for team_id, count in strength.items():
            if count < rule.min_members:
                found["below_strength", team_id] = count
            if not any(first and post.held_on(day) for post, first in self.members.get(team_id, ())):
                found["no_first_secretary", team_id] = count
        return found

    def change_days(self) -> set[dt.date]:
        """The days on which the village's teams, members or poor-village status may change."""
        days = set()
        for start, end in self.spells:
            days |= {start} | ({end + DAY} if end else set())
        for team in self.teams:
            days |= {team.start_date} | ({team.end_date + DAY} if team.end_date else set())
            for post, _ in self.members.get(team.id, ()):
                days |= {post.start_date} | ({post.end_date + DAY} if post.end_date else set())
        return days


def _poor_people_on(session: Session, scope: OrgUnit, on: dt.date) -> dict[str, int]:
    """Per village under `scope`: the registered poor people on `on` (the members of its
    registered poor households), counted by the pairing cover (`cover.by_village`)."""
    return {code: people for code, _, _, people in cover.by_village(session, scope, on)}


def _poor_people_history(session: Session, codes: list[str]) -> dict[str, list[tuple[dt.date, dt.date | None, int]]]:
    """Per village: each household spell's first and last day and the household's members."""
    found: dict[str, list[tuple[dt.date, dt.date | None, int]]] = defaultdict(list)
    connection = session.connection()
    # In two steps, each by its index: the villages' households, then their spells. Joined in
    # one query, an engine without statistics (SQLite) walks every household spell instead.
    households: dict[str, tuple[str, int]] = {}
    for part in chunks(codes):
        query = select(Household.id, Household.village_code, Household.members).where(one_of(connection, Household.village_code, part))
        households.update((household_id, (code, members)) for household_id, code, members in session.execute(query).all())
    for part in chunks(sorted(households)):
        query = select(RegistrySpell.subject_id, RegistrySpell.registered_on, RegistrySpell.exited_on).where(
            RegistrySpell.kind == "poor_household", one_of(connection, RegistrySpell.subject_id, part)
        )
        for household_id, start, end in session.execute(query).all():
            code, members = households[household_id]
            found[code].append((start, end, members))
    return found


def team_gaps(session: Session, *, scope_code: str, on: dt.date) -> list[TeamGap]:
    """The villages under `scope_code` without the cover they need on `on`, the work teams there
    below strength or without a first secretary; by county, township and village, each since
    the day it began (the latest day before which it did not hold)."""
    rule = work_team_rule(on)
    scope = get_unit(session, scope_code, field="unit")
    in_scope = Subtree.of(scope).clause(OrgUnit.path)
    villages = dict(session.execute(select(OrgUnit.code, OrgUnit.path).where(in_scope, OrgUnit.level == "village")).all())
    spells: dict[str, list] = defaultdict(list)
    query = select(RegistrySpell.subject_id, RegistrySpell.registered_on, RegistrySpell.exited_on).join(OrgUnit, OrgUnit.code == RegistrySpell.subject_id)
    for code, start, end in session.execute(query.where(in_scope, RegistrySpell.kind == "poor_village")).all():
        spells[code].append((start, end))
    teams: dict[str, list[Team]] = defaultdict(list)
    for team in session.execute(select(Team).join(OrgUnit, OrgUnit.code == Team.village_code).where(in_scope)).scalars():
        teams[team.village_code].append(team)
    members: dict[str, list[tuple[Post, bool]]] = defaultdict(list)
    query = select(TeamMember.team_id, TeamMember.first_secretary, Post).join(Post, Post.id == TeamMember.post_id).join(OrgUnit, OrgUnit.code == Post.unit_code)
    for team_id, first, post in session.execute(query.where(in_scope)).all():
        members[team_id].append((post, first))
    people = _poor_people_on(session, scope, on)

    found: dict[str, dict] = {}
    kept: dict[str, _Village] = {}
    for code in villages:
        village = _Village(code, spells.get(code, []), teams.get(code, []), {t.id: members.get(t.id, []) for t in teams.get(code, [])})
        problems = village.problems(on, people.get(code, 0), rule)
        if problems:
            found[code], kept[code] = problems, village
    history = _poor_people_history(session, list(found))
    where = places(session.connection(), set(found))
    rows = []
    for code, problems in found.items():
        village = kept[code]
        households = history.get(code, [])

        def people_on(day: dt.date, households=households) -> int:
            return sum(members for start, end, members in households if start <= day and (end is None or day <= end))

        days = village.change_days() | {start for start, _, _ in households} | {end + DAY for _, end, _ in households if end}
        for (problem, team_id), count in problems.items():
            since = _since(lambda day: (problem, team_id) in village.problems(day, people_on(day), rule), on, days)
            rows.append(
                TeamGap(
                    village_code=code,
                    township_code=where[code].township_code,
                    county_code=where[code].county_code,
                    problem=problem,
                    poor_village=village.poor_on(on),
                    poor_people=people.get(code, 0),
                    team_id=team_id,
                    members=count,
                    since=since,
                    days=(on - since).days + 1,
                )
            )
    return sorted(rows, key=lambda r: (r.county_code or "", r.township_code or "", r.village_code, PROBLEMS.index(r.problem), r.team_id or ""))


def _since(holds: Callable[[dt.date], bool], on: dt.date, change_days: set[dt.date]) -> dt.date:
    """The first day of the run of days ending on `on` on which `holds` (true on `on`): it can only
    have begun on one of `change_days`."""
    since = on
    for day in sorted((d for d in change_days if d <= on), reverse=True):
        if day < since:
            since = day
        if not holds(day - DAY):
            return since
    return since
