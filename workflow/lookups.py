"""Where a command's checks read the records they need: here, the session, a record at a time.

A bulk import passes its own (a subclass) answering from the rows it loaded for a whole
chunk of lines and from the lines it has checked already, so that a line of a file is
checked exactly as the single command checks it, and refused with the same error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow import errors
from workflow.org.models import Household, OrgUnit, Person
from workflow.posts.models import Pairing, Post


class Lookups:
    """The records a command's checks read, from `session`; a missing one fails as NotFound naming `field`."""

    def __init__(self, session: Session):
        self.session = session

    def unit(self, code: str, *, field: str = "unit") -> OrgUnit:
        unit = self.session.get(OrgUnit, code)
        if unit is None:
            raise errors.OrgUnitNotFound(id=code, field=field)
        return unit

    def person(self, person_id: str, *, field: str = "person") -> Person:
        person = self.session.get(Person, person_id)
        if person is None:
            raise errors.PersonNotFound(id=person_id, field=field)
        return person

    def household(self, household_id: str, *, field: str = "household") -> Household:
        household = self.session.get(Household, household_id)
        if household is None:
            raise errors.HouseholdNotFound(id=household_id, field=field)
        return household

    def ancestor_at(self, unit: Any, level: str) -> Any:
        """The unit at `level` on the way from the root to `unit` (`unit` itself included), or None."""
        for code in unit.path.split("/"):
            candidate = self.session.get(OrgUnit, code)
            if candidate is not None and candidate.level == level:
                return candidate
        return None

    def taken(self, model: type, key: str) -> bool:
        """Whether a record of `model` has the id `key` already."""
        return self.session.get(model, key) is not None

    def posts_at(self, unit_code: str, role: str) -> list[Any]:
        """The posts of `role` at `unit_code`, whoever holds them, whenever."""
        return list(self.session.execute(select(Post).where(Post.unit_code == unit_code, Post.role == role)).scalars())

    def posts_of(self, person_id: str) -> list[Any]:
        """Every post `person_id` has held."""
        return list(self.session.execute(select(Post).where(Post.person_id == person_id)).scalars())

    def pairings_of(self, cadre_id: str) -> list[Any]:
        """Every pairing of `cadre_id`, earliest first."""
        query = select(Pairing).where(Pairing.cadre_id == cadre_id).order_by(Pairing.start_date, Pairing.id)
        return list(self.session.execute(query).scalars())
