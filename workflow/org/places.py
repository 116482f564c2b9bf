"""Where units sit in the org tree: subtrees, and the township and county above a unit."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Connection, and_, or_, select

from workflow.chunking import chunks
from workflow.db import one_of
from workflow.org.models import OrgUnit

_unit = OrgUnit.__table__


@dataclasses.dataclass(frozen=True)
class Subtree:
    """A unit and every unit below it, known by the unit's path: the one answer to "is this
    inside that", in Python (`contains`) and in SQL (`clause`)."""

    path: str

    @classmethod
    def of(cls, unit: OrgUnit) -> Subtree:
        return cls(unit.path)

    def contains(self, path: str) -> bool:
        """Whether the unit at `path` (or a record placed there) lies in the subtree."""
        return path == self.path or path.startswith(self.path + "/")

    def clause(self, path_column):
        """Rows whose path lies in the subtree, as a range an index on the path can serve."""
        # Every such path lies in [path, path + "0"), "0" being the character after "/"; the
        # last test drops siblings such as path + "-2" that the range also holds.
        return and_(path_column >= self.path, path_column < self.path + "0", or_(path_column == self.path, path_column >= self.path + "/"))


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a unit sits: its path, and the township and county on it (None above those levels)."""

    path: str
    township_code: str | None
    county_code: str | None


def places(connection: Connection, codes: set[str], *, options: dict | None = None) -> dict[str, Place]:
    """Each unit's path and the township and county on it (None above those levels);
    `options`: the statements' execution options (`versions.read_now`: the units as they stand now)."""
    paths, options = {}, options or {}
    for part in chunks(codes):
        paths.update(connection.execute(select(_unit.c.code, _unit.c.path).where(one_of(connection, _unit.c.code, part)), execution_options=options).all())
    ancestors = {code for path in paths.values() for code in path.split("/")}
    levels = {}
    for part in chunks(ancestors):
        levels.update(connection.execute(select(_unit.c.code, _unit.c.level).where(one_of(connection, _unit.c.code, part)), execution_options=options).all())
    found = {}
    for code, path in paths.items():
        on_path = {levels[c]: c for c in path.split("/")}
        found[code] = Place(path, on_path.get("township"), on_path.get("county"))
    return found
