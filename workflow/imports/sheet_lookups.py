"""The records the checks of a sheet's rows read, a chunk of rows at a time (`onboarding`).

A command checks one record against the database, a few queries a row; a city's sheet of
260,000 pairings cannot afford that. `SheetLookups` answers the same questions
(`workflow.lookups.Lookups`) from rows read with one query per chunk of the sheet, and
from the records the sheet's earlier rows add (`note`), which are appended a chunk at a
time and so are not in the database yet when a later row of the chunk is checked. A row is
thus checked exactly as its command would check it after the rows before it, and refused
with the same error: what is not found here is asked of the database, as the command asks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import one_of
from workflow.eventlog import NewEvent
from workflow.lookups import Lookups
from workflow.org.models import Household, OrgUnit, Person
from workflow.posts.models import DateSpan, Pairing, Post


@dataclasses.dataclass(slots=True)
class _Unit:
    code: str
    name: str
    level: str
    parent_code: str | None
    path: str


@dataclasses.dataclass(slots=True)
class _Named:
    name: str


@dataclasses.dataclass(slots=True)
class _Household:
    village_code: str


@dataclasses.dataclass(slots=True)
class _Span(DateSpan):
    """A post or a pairing as its checks read it."""

    id: str
    start_date: dt.date
    end_date: dt.date | None
    person_id: str | None = None  # a post's holder
    role: str | None = None
    unit_code: str | None = None
    household_id: str | None = None  # a pairing's household


def _date(value: Any) -> dt.date | None:
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(value)


class SheetLookups(Lookups):
    """`Lookups` answered from what `load` read for a chunk of rows and what `note` added since."""

    def __init__(self, session: Session, on_file: Callable[[type, str], bool]):
        super().__init__(session)
        self.on_file = on_file  # whether a person's or a household's id was on file before the sheet
        self.added: dict[type, set[str]] = {Person: set(), Household: set()}  # the ids the sheet's rows add
        self.forget()

    def forget(self) -> None:
        """Drop what was read: a row changed records on file (its command wrote them)."""
        self.units: dict[str, _Unit] | None = None  # every unit, read at first need: a city has a few thousand
        self.people: dict[str, _Named] = {}
        self.households: dict[str, _Household] = {}
        self._posts_at: dict[tuple[str, str], list[_Span]] = {}
        self._posts_of: dict[str, list[_Span]] = {}
        self._pairings_of: dict[str, list[_Span]] = {}

    # ---- reading a chunk's rows in a few queries -------------------------------------

    def load(self, kind: str, rows: Iterable[dict[str, Any]]) -> None:
        """Read what the checks of these rows of a sheet of `kind` will ask for, a query per kind of record."""
        rows = list(rows)
        self.session.flush()  # as the session's own lookups would, before they query
        if kind == "posts":
            self._load_people({row["person_id"] for row in rows})
            units = {row["unit_code"] for row in rows}
            wanted = {(row["unit_code"], row["role"]) for row in rows} - self._posts_at.keys()
            for key in wanted:
                self._posts_at[key] = []
            for span in self._spans(Post, "unit_code", {code for code, _ in wanted} & units):
                if (span.unit_code, span.role) in wanted:
                    self._posts_at[span.unit_code, span.role].append(span)
        elif kind == "pairings":
            cadres = {row["cadre_id"] for row in rows}
            self._load_people(cadres)
            ids = {row["household_id"] for row in rows} - self.households.keys()
            for part in chunks(ids, 500):
                query = select(_household.c.id, _household.c.village_code).where(one_of(self.session.connection(), _household.c.id, part))
                self.households.update((household_id, _Household(village)) for household_id, village in self.session.execute(query))
            for model, owner, kept in ((Post, "person_id", self._posts_of), (Pairing, "cadre_id", self._pairings_of)):
                wanted = cadres - kept.keys()
                for cadre in wanted:
                    kept[cadre] = []
                for span in self._spans(model, owner, wanted):
                    kept[span.person_id].append(span)
            for spans in self._pairings_of.values():
                spans.sort(key=lambda span: (span.start_date, span.id))

    def _load_people(self, ids: set[str]) -> None:
        for part in chunks(ids - self.people.keys(), 500):
            query = select(_person.c.id, _person.c.name).where(one_of(self.session.connection(), _person.c.id, part))
            self.people.update((person_id, _Named(name)) for person_id, name in self.session.execute(query))

    def _spans(self, model: type, owner: str, keys: set[str]) -> list[_Span]:
        """The posts or pairings whose column `owner` is one of `keys` (a pairing's cadre read as its `person_id`)."""
        found = []
        table = model.__table__
        names = ["id", "start_date", "end_date", *(("person_id", "role", "unit_code") if model is Post else ("cadre_id", "household_id"))]
        for part in chunks(keys, 500):
            for row in self.session.execute(select(*(table.c[name] for name in names)).where(one_of(self.session.connection(), table.c[owner], part))):
                if model is Post:
                    found.append(_Span(row[0], _date(row[1]), _date(row[2]), person_id=row[3], role=row[4], unit_code=row[5]))
                else:
                    found.append(_Span(row[0], _date(row[1]), _date(row[2]), person_id=row[3], household_id=row[4]))
        return found

    # ---- what the sheet's own rows add ----------------------------------------------------

    def note(self, events: Iterable[NewEvent]) -> None:
        """Take the records these events (of rows just checked, not appended yet) add."""
        for new in events:
            data = new.payload
            if new.type == "person.added":
                self.people[data["id"]] = _Named(data["name"])
                self.added[Person].add(data["id"])
            elif new.type == "household.registered":
                self.households[data["id"]] = _Household(data["village_code"])
                self.added[Household].add(data["id"])
            elif new.type == "post.assigned":
                span = _Span(data["id"], data["start_date"], data["end_date"], person_id=data["person_id"], role=data["role"], unit_code=data["unit_code"])
                for kept, key in ((self._posts_at, (span.unit_code, span.role)), (self._posts_of, span.person_id)):
                    if key in kept:
                        kept[key].append(span)
            elif new.type == "pairing.started":
                spans = self._pairings_of.get(data["cadre_id"])
                if spans is not None:
                    spans.append(_Span(data["id"], data["start_date"], data["end_date"], person_id=data["cadre_id"], household_id=data["household_id"]))
                    spans.sort(key=lambda span: (span.start_date, span.id))

    # ---- the questions of `Lookups` ------------------------------------------------------

    def unit(self, code: str, *, field: str = "unit") -> Any:
        if self.units is None:
            query = select(_unit.c.code, _unit.c.name, _unit.c.level, _unit.c.parent_code, _unit.c.path)
            self.units = {row[0]: _Unit(*row) for row in self.session.execute(query)}
        found = self.units.get(code)
        return found if found is not None else super().unit(code, field=field)

    def ancestor_at(self, unit: Any, level: str) -> Any:
        for code in unit.path.split("/"):
            candidate = self.units.get(code) if self.units is not None else None
            if candidate is None:
                return super().ancestor_at(unit, level)
            if candidate.level == level:
                return candidate
        return None

    def person(self, person_id: str, *, field: str = "person") -> Any:
        found = self.people.get(person_id)
        return found if found is not None else super().person(person_id, field=field)

    def household(self, household_id: str, *, field: str = "household") -> Any:
        found = self.households.get(household_id)
        return found if found is not None else super().household(household_id, field=field)

    def taken(self, model: type, key: str) -> bool:
        if model in self.added:
            return key in self.added[model] or self.on_file(model, key)
        return super().taken(model, key)

    def posts_at(self, unit_code: str, role: str) -> list[Any]:
        return self._kept(self._posts_at, (unit_code, role), lambda: super(SheetLookups, self).posts_at(unit_code, role))

    def posts_of(self, person_id: str) -> list[Any]:
        return self._kept(self._posts_of, person_id, lambda: super(SheetLookups, self).posts_of(person_id))

    def pairings_of(self, cadre_id: str) -> list[Any]:
        return self._kept(self._pairings_of, cadre_id, lambda: super(SheetLookups, self).pairings_of(cadre_id))

    @staticmethod
    def _kept(kept: dict, key: Any, read: Any) -> list[Any]:
        """What `kept` holds for `key`, or else what `read` finds in the database, kept for the next rows."""
        if key not in kept:
            kept[key] = list(read())
        return kept[key]


_person, _household, _unit = Person.__table__, Household.__table__, OrgUnit.__table__
