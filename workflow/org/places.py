"""Where units sit in the org tree: their paths, the township and county above them, subtrees in SQL."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Connection, and_, or_, select

from workflow.chunking import chunks
from workflow.db import one_of
from workflow.org.models import OrgUnit

_unit = OrgUnit.__table__


def in_subtree(path_column, unit: OrgUnit):
    """Rows whose path is `unit`'s or below it, as a range an index on the path can serve."""
    # Every such path lies in [path, path + "0"), "0" being the character after "/"; the
    # second test drops siblings such as path + "-2" that the range also holds.
    return and_(path_column >= unit.path, path_column < unit.path + "0", or_(path_column == unit.path, path_column >= unit.path + "/"))


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a unit sits: its path, and the township and county on it (None above those levels)."""

    path: str
    township_code: str | None
    county_code: str | None


def places(connection: Connection, codes: set[str]) -> dict[str, Place]:
    """Each unit's path and the township and county on it (None above those levels)."""
    paths = {}
    for part in chunks(codes):
        paths.update(connection.execute(select(_unit.c.code, _unit.c.path).where(one_of(connection, _unit.c.code, part))).all())
    ancestors = {code for path in paths.values() for code in path.split("/")}
    levels = {}
    for part in chunks(ancestors):
        levels.update(connection.execute(select(_unit.c.code, _unit.c.level).where(one_of(connection, _unit.c.code, part))).all())
    found = {}
    for code, path in paths.items():
        on_path = {levels[c]: c for c in path.split("/")}
        found[code] = Place(path, on_path.get("township"), on_path.get("county"))
    return found
