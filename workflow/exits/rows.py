"""The rows the exits projectors read and write, for a run of events at once: loaded by Core
statements when the run starts, moved in memory by the projectors event by event, and
written back by Core statements when it ends (`RunRows`).

The projectors (`service`, "projectors") are written once, against what a store gives them:
a case, a household, a case's objections and signatures, the subject's open registry spell,
a new row. One event — a command's append — gets them through the session (`service._SessionRows`);
a run of thousands — a bulk load's or a replay's — gets them from here, with no ORM object
and no query per event, and leaves the same rows and the same versions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from workflow.chunking import chunks
from workflow.db import insert_rows
from workflow.eventlog.versions import note_values
from workflow.exits.models import ExitCase, Objection, Signature
from workflow.org.models import Household, RegistrySpell
from workflow.org.service import first_open


class Row:
    """A row of a run: its columns as attributes, read and set as on an ORM object."""

    def __init__(self, model: type, values: dict[str, Any]):
        self.__dict__.update(values)
        self.model_ = model

    def values(self) -> dict[str, Any]:
        """The row's values by column name."""
        return {column.name: getattr(self, column.name) for column in self.model_.__table__.columns}


class RunRows:
    """The rows a run of exit-case events reads and writes — the cases it names, their
    households, signatures and subjects' open registry spells, as far as its events need
    them — loaded at once; `note` each event's rows, then `write` them all. A case the run
    opens is new: its rows come from the run itself."""

    def __init__(self, session: Session, run: Sequence[tuple[Any, dict[str, Any]]]):
        session.flush()  # what the session holds lands first: it is read below by Core
        self.session, self.connection = session, session.connection()
        self._rows: dict[tuple[type, str], Row] = {}
        self._new: set[tuple[type, str]] = set()  # added by the run
        self._changed: dict[tuple[type, str], Row] = {}  # noted by an event of the run
        opened = {data["case_id"]: data for event, data in run if event.type == "exit_case.opened"}
        types = {event.type for event, _ in run}
        self.cases = {row.id: row for row in self._load(ExitCase, ExitCase.id, {data["case_id"] for _, data in run} - set(opened))}
        subjects = {(case.level, case.subject_id) for case in self.cases.values()} | {(data["level"], data["subject_id"]) for data in opened.values()}
        self.households = {row.id: row for row in self._load(Household, Household.id, {subject for level, subject in subjects if level == "household"})}
        self.spells: dict[tuple[str, str], list[Row]] = defaultdict(list)
        if any(data.get("status_after") == "exited" for _, data in run):
            for spell in sorted(self._load(RegistrySpell, RegistrySpell.subject_id, {subject for _, subject in subjects}, RegistrySpell.exited_on.is_(None)),
                                key=lambda spell: spell.registered_on):
                self.spells[(spell.kind, spell.subject_id)].append(spell)
        self._signatures: dict[str, list] | None = None
        if types & {"exit_case.signed", "exit_case.rejected"}:
            self._signatures = {case_id: [] for case_id in [*self.cases, *opened]}
            columns = select(Signature.case_id, Signature.attempt, Signature.step, Signature.occurred_at)
            for part in chunks(sorted(self.cases)):
                for signature in self.connection.execute(columns.where(Signature.case_id.in_(part)).order_by(Signature.event_seq)):
                    self._signatures[signature.case_id].append(signature)
        self._objections: dict[str, list[Row]] = {}

    def _load(self, model: type, column, values: Iterable[str], *where) -> list[Row]:
        table = model.__table__
        loaded = []
        for part in chunks(sorted(values)):
            for mapping in self.connection.execute(select(table).where(column.in_(part), *where)).mappings():
                row = self._rows[(model, mapping["id"])] = Row(model, dict(mapping))
                loaded.append(row)
        return loaded

    # ---- what the projectors read and write ---------------------------------------------

    def case(self, case_id: str) -> Row:
        return self.cases[case_id]

    def household(self, household_id: str) -> Row:
        return self.households[household_id]

    def objections(self, case_id: str) -> list[Row]:
        """The case's objections still open: only they are moved (a run rarely asks: a rejection's)."""
        if case_id not in self._objections:
            self._objections[case_id] = self._load(Objection, Objection.case_id, [case_id], Objection.outcome.is_(None))
        return self._objections[case_id]

    def signatures(self, case_id: str) -> list:
        return self._signatures[case_id]

    def open_spell(self, kind: str, subject_id: str) -> Row | None:
        return first_open(self.spells.get((kind, subject_id), ()))

    def add(self, model: type, **values: Any) -> Row:
        row = Row(model, {column.name: values.get(column.name) for column in model.__table__.columns})
        self._rows[(model, row.id)] = row
        self._new.add((model, row.id))
        if model is ExitCase:
            self.cases[row.id] = row
        elif model is Signature:
            self._signatures[row.case_id].append(row)
        elif model is RegistrySpell:
            self.spells[(row.kind, row.subject_id)].append(row)
        return row

    # ---- the run's rows, noted and written ----------------------------------------------

    def note(self, event: Any, written: list[Row]) -> None:
        """Note the states `written` has after `event`, as `versions.note_states` notes an ORM row's."""
        for row in written:
            key = (row.model_, row.id)
            self._changed[key] = row
            note_values(self.session, row.model_.__table__, event, row.values(), new=key in self._new)

    def write(self) -> None:
        """INSERT the rows the run added and UPDATE those it changed, each in its last state;
        a copy of one in the session is expired, to be read again."""
        added: dict[type, list[Row]] = defaultdict(list)
        changed: dict[type, list[Row]] = defaultdict(list)
        for key, row in self._changed.items():
            (added if key in self._new else changed)[key[0]].append(row)
        for key in self._new - set(self._changed):  # added, never returned: still written, as `session.add` writes it
            added[key[0]].append(self._rows[key])
        for model in (ExitCase, RegistrySpell, Signature, Objection, Household):
            table = model.__table__
            if added.get(model):
                insert_rows(self.connection, table, [tuple(getattr(row, column.name) for column in table.columns) for row in added[model]])
            if changed.get(model):
                (key,) = table.primary_key.columns
                statement = table.update().where(key == bindparam("row_key"))
                self.connection.execute(statement, [{"row_key": row.id, **{name: value for name, value in row.values().items() if name != key.name}}
                                                    for row in changed[model]])
                for row in changed[model]:
                    held = self.session.identity_map.get(self.session.identity_key(model, row.id))
                    if held is not None:
                        self.session.expire(held)
