"""Importing visits from a CSV or JSON-lines file, all or nothing, and each file once.

Every line goes through the checks of a single visit (visits.service.record_visit) and
becomes the event that command would append, appended in batches (eventlog.append_many),
in the caller's transaction. A bad line does not stop the import: the remaining lines
are still checked so that the user gets every problem in one go; then, if any line
failed, the caller's transaction is rolled back and nothing is written.

A file is imported in two steps (`check_file`, then `import_file`): first every line is
checked in a read session, taking no write lock, so a file that will be refused never
makes other writers wait; then, in the write transaction, the lines are checked again
(the records may have changed meanwhile) and appended. An accepted file is remembered by
the SHA-256 of its bytes (a `visits.imported` event): the same file again is refused,
naming the earlier import, unless the caller asks for it again.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from workflow import clock
from workflow.chunking import chunks
from workflow.db import one_of, plan_each_statement
from workflow import errors
from workflow.errors import DomainError, ImportRefused
from workflow.eventlog import Actor, Event, NewEvent, append, append_many, lock, refuse_nul
from workflow.eventlog.projection import EventProjection
from workflow.imports.models import VisitImport
from workflow.obligations.projection import counts_deferred
from workflow.org.models import Household, OrgUnit, Person
from workflow.posts.models import DateSpan, Post
from workflow.visits import service as visits
from workflow.visits.models import Visit
from workflow.types import new_id

# The read model of imported files (each file once): kept by the function marked @IMPORTS.on below.
IMPORTS = EventProjection("imports")

REQUIRED = ("visitor_id", "target_level", "target_id", "occurred_at")
OPTIONAL = ("notes", "latitude", "longitude", "id")
COLUMNS = REQUIRED + OPTIONAL


@dataclasses.dataclass(frozen=True)
class LineProblem:
    line: int
    code: str
    field: str | None
    en: str
    zh: str

    @classmethod
    def of(cls, line: int, refusal: DomainError) -> LineProblem:
        return cls(line, refusal.code, refusal.field, refusal.en, refusal.zh)

    def localized(self, language: str) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "field": self.field, "detail": self.en if language == "en" else self.zh}


# Bad lines a refusal lists, at most (it counts them all): the command line's; the API lists fewer.
LISTED_LINES = 1000


@dataclasses.dataclass
class Outcome:
    imported: int = 0  # good lines (imported, or to be imported when only checked)
    failed: int = 0  # bad lines
    failures: list[LineProblem] = dataclasses.field(default_factory=list)  # the first `listed` of them
    listed: int | None = LISTED_LINES

    def refuse(self, problem: LineProblem) -> None:
        self.failed += 1
        if self.listed is None or len(self.failures) < self.listed:
            self.failures.append(problem)


def kind_of(content_type: str) -> str:
    """'csv' or 'jsonl' from a Content-Type or a file name."""
    lowered = content_type.lower()
    if "json" in lowered or lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if "csv" in lowered or lowered.endswith(".csv"):
        return "csv"
    raise errors.UnsupportedFileType(content_type=content_type)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), else GB 18030 as Chinese spreadsheets save."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise errors.UnreadableFile.encoding()


def parse(text: str, kind: str) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    """(line number, fields or the problem with the line) for each record line of the file."""
    if "\x00" in next(physical_lines(text), ""):
        raise errors.UnreadableFile.nul_bytes()
    lines = _csv_lines(text) if kind == "csv" else _json_lines(text)
    # A NUL, or in JSON its escape: each line is looked at only when the file has one.
    return _refusing_nul(lines) if "\x00" in text or "\\u0000" in text else lines


def _refusing_nul(lines: Iterator[tuple[int, dict[str, Any] | LineProblem]]) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    """`lines`, a record holding a NUL made a problem of its line: the log would refuse its event,
    and its ids must not reach a lookup (PostgreSQL refuses a NUL even in a query)."""
    for number, record in lines:
        if not isinstance(record, LineProblem):
            try:
                refuse_nul(record)
            except DomainError as exc:
                record = LineProblem.of(number, exc)
        yield number, record


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def physical_lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings (\n, \r\n or \r), one at a time.

    io.StringIO would copy the whole text at four bytes a character, and splitlines would
    hold every line at once: a year's file is hundreds of megabytes.
    """
    return (match.group() for match in _LINE.finditer(text))


def _csv_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    reader = csv.reader(physical_lines(text))
    header = next(reader, None)
    if header is None:
        raise errors.EmptyFile()
    header = [name.strip() for name in header]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        raise errors.InvalidHeader(missing=missing, unknown=unknown, columns=COLUMNS)
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield number, LineProblem.of(number, errors.WrongColumnCount(cells=len(cells), columns=len(header)))
            continue
        yield number, {name: (cell.strip() or None) for name, cell in zip(header, cells, strict=True)}


def _json_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    for number, line in enumerate(physical_lines(text), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield number, LineProblem.of(number, errors.InvalidJson.unreadable(reason=exc))
            continue
        except RecursionError:
            yield number, LineProblem.of(number, errors.InvalidJson.too_deep())
            continue
        if ("\\ud" in line or "\\uD" in line) and not _encodable(record):
            # JSON may escape half of a surrogate pair alone: text no UTF-8 can hold, nor the log.
            yield number, LineProblem.of(number, errors.InvalidJson.lone_surrogate())
            continue
        if not isinstance(record, dict):
            yield number, LineProblem.of(number, errors.InvalidJson.not_an_object())
            continue
        unknown = sorted(set(record) - set(COLUMNS))
        if unknown:
            yield number, LineProblem.of(number, errors.UnknownField(unknown=unknown, columns=COLUMNS, field=unknown[0]))
            continue
        nested = next((name for name, value in record.items() if isinstance(value, dict | list)), None)
        if nested is not None:
            yield number, LineProblem.of(number, errors.InvalidValue.nested(field=nested))
            continue
        yield number, record


def _encodable(record: dict[str, Any]) -> bool:
    """Whether every text in `record`, keys and nested values too, can be written as UTF-8."""
    pending: list[Any] = [record]
    while pending:  # not recursive: a line may nest as deep as the JSON decoder allows
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True


def _visit_arguments(record: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of record_visit from one line's fields; DomainError naming the field."""
    for name in REQUIRED:
        if record.get(name) in (None, ""):
            raise errors.MissingField(field=name)
    for name in ("visitor_id", "target_level", "target_id", "notes", "id"):
        if record.get(name) is not None and not isinstance(record[name], str):
            raise errors.InvalidValue.not_text(field=name)
    if len(record["visitor_id"]) > 64 or len(record["target_id"]) > 64 or len(record.get("id") or "") > 64:
        raise errors.InvalidValue.id_too_long()
    occurred_at = clock.parse_moment(record["occurred_at"], field="occurred_at")
    coordinates = {}
    for name in ("latitude", "longitude"):
        value = record.get(name)
        if value is None:
            coordinates[name] = None
            continue
        try:
            coordinates[name] = float(value)
        except (TypeError, ValueError):
            raise errors.InvalidCoordinates.not_a_number(field=name) from None
    return {
        "visitor_id": record["visitor_id"],
        "target_level": record["target_level"],
        "target_id": record["target_id"],
        "occurred_at": occurred_at,
        "notes": record.get("notes"),
        "visit_id": record.get("id"),
        **coordinates,
    }


Authorize = Callable[[str, str, str], None]
Progress = Callable[[int], None]


def import_visits(
    session: Session,
    *,
    actor: Actor,
    lines: Iterable[tuple[int, dict[str, Any] | LineProblem]],
    authorize: Authorize | None = None,
    progress: Progress | None = None,
    listed: int | None = LISTED_LINES,
) -> Outcome:
    """Record each line's visit; the outcome counts the bad lines and lists the first `listed`.
    The caller must roll back (raise `refusal(outcome)`) when there are failures, so that
    nothing is written.

    `authorize(visitor_id, target_level, target_id)` raises for a visit the importer may not record.

    Lines are checked and appended a chunk at a time (`eventlog.append_many`): the events,
    hashes and projections are those `visits.record_visit` would write line by line; once a
    line has failed, the rest are only checked.
    """
    outcome = Outcome(listed=listed)
    plan_each_statement(session)
    lookups = Preloaded(session)
    # Each chunk touches most units and many officials: their counts are made once, after the last chunk.
    with counts_deferred(session.connection()) as skip_counting, _collected_between_chunks() as chunk_done:
        for chunk in chunks(lines, CHUNK):
            events = _check_chunk(session, chunk, lookups=lookups, authorize=authorize, outcome=outcome)
            if not outcome.failed:
                append_many(session, events, actor=actor)
                # Those ids are stored now, and the next chunks' lookups find them there: a
                # year's file would otherwise keep millions of ids at hand.
                lookups.seen.clear()
            _advance(progress, chunk)
            chunk_done()
        if outcome.failed:
            skip_counting()  # the caller rolls everything back: nothing to count
    return outcome


def check_visits(
    session: Session,
    *,
    lines: Iterable[tuple[int, dict[str, Any] | LineProblem]],
    authorize: Authorize | None = None,
    progress: Progress | None = None,
    listed: int | None = LISTED_LINES,
) -> Outcome:
    """Check each line as `import_visits` does, writing nothing: what importing them now would give."""
    outcome = Outcome(listed=listed)
    lookups = Preloaded(session)
    with _collected_between_chunks() as chunk_done:
        for chunk in chunks(lines, CHUNK):
            _check_chunk(session, chunk, lookups=lookups, authorize=authorize, outcome=outcome)
            _advance(progress, chunk)
            chunk_done()
    return outcome


def _advance(progress: Progress | None, chunk: list[tuple[int, Any]]) -> None:
    if progress is not None and chunk:
        progress(chunk[-1][0])


def _check_chunk(
    session: Session,
    chunk: list[tuple[int, dict[str, Any] | LineProblem]],
    *,
    lookups: Preloaded,
    authorize: Authorize | None,
    outcome: Outcome,
) -> list[NewEvent]:
    """Check each line of `chunk` into `outcome`; the events of its good lines."""
    lookups.load([record for _, record in chunk if not isinstance(record, LineProblem)])
    events = []
    for number, record in chunk:
        if isinstance(record, LineProblem):
            outcome.refuse(record)
            continue
        try:
            arguments = _visit_arguments(record)
            if authorize is not None:
                authorize(arguments["visitor_id"], arguments["target_level"], arguments["target_id"])
            new = visits.visit_recorded(session, **arguments, lookups=lookups)
            if arguments["visit_id"] is not None:  # a generated id is new by construction
                lookups.seen.add(new.entity_id)
            events.append(new)
            outcome.imported += 1
        except DomainError as exc:
            outcome.refuse(LineProblem.of(number, exc))
    return events


# ---- a file, checked, then imported once ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VisitFile:
    """A file of visits as received: its text, its kind ('csv' or 'jsonl'), and the SHA-256 of its bytes."""

    text: str
    kind: str
    content_sha256: str

    @classmethod
    def read(cls, data: bytes, kind: str) -> VisitFile:
        """The file of `data`; `kind`: a Content-Type or a file name (see `kind_of`)."""
        return cls(decode(data), kind_of(kind), hashlib.sha256(data).hexdigest())

    def lines(self) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
        return parse(self.text, self.kind)


def check_file(
    session: Session,
    file: VisitFile,
    *,
    again: bool = False,
    authorize: Authorize | None = None,
    progress: Progress | None = None,
    listed: int | None = LISTED_LINES,
) -> Outcome:
    """Refuse a file already imported (unless `again`) or holding a bad line; checks only, in
    a read session, so that a refused file never takes the write lock. The outcome if fine."""
    if not again:
        _refuse_if_imported(session, file.content_sha256)
    outcome = check_visits(session, lines=file.lines(), authorize=authorize, progress=progress, listed=listed)
    if outcome.failed:
        raise refusal(outcome)
    return outcome


def import_file(
    session: Session,
    file: VisitFile,
    *,
    actor: Actor,
    again: bool = False,
    migration: bool = False,
    authorize: Authorize | None = None,
    progress: Progress | None = None,
    listed: int | None = LISTED_LINES,
) -> VisitImport:
    """Record every line's visit and remember the file, or raise (the caller rolls back).

    `migration`: the visits are of the time before the product kept them (an office's
    2014–2017 records, say); the import says so in the log, and the irregularities report
    does not list them as recorded late unless asked to.

    The file is looked for among earlier imports once more after its events hold the log's
    lock, so that of two imports of one file at the same time, the second is refused.
    """
    first_seq = lock(session) + 1
    outcome = import_visits(session, actor=actor, lines=file.lines(), authorize=authorize, progress=progress, listed=listed)
    if outcome.failed:
        raise refusal(outcome)
    import_id = new_id()
    append(
        session,
        type="visits.imported",
        entity_type="visit_import",
        entity_id=import_id,
        payload={"id": import_id, "content_sha256": file.content_sha256, "visits": outcome.imported, "migration": migration, "first_seq": first_seq},
        actor=actor,
    )
    if not again:
        _refuse_if_imported(session, file.content_sha256, besides=import_id)
    return session.get(VisitImport, import_id)


def _refuse_if_imported(session: Session, content_sha256: str, *, besides: str | None = None) -> None:
    query = select(VisitImport).where(VisitImport.content_sha256 == content_sha256, VisitImport.id != (besides or ""))
    earlier = session.execute(query.order_by(VisitImport.imported_at).limit(1)).scalar_one_or_none()
    if earlier is None:
        return
    raise errors.FileAlreadyImported(import_id=earlier.id, imported_at=earlier.imported_at.isoformat(), visits=earlier.visits, content_sha256=content_sha256)


@IMPORTS.on("visits.imported")
def _visits_imported(session: Session, event: Event, data: dict[str, Any]) -> VisitImport:
    imported = VisitImport(
        id=data["id"],
        content_sha256=data["content_sha256"],
        visits=data["visits"],
        imported_at=event.recorded_at,
        imported_by=event.account,
        migration=data.get("migration", False),  # imports recorded before the flag were not migrations
        first_seq=data.get("first_seq"),
        last_seq=event.seq - 1 if "first_seq" in data else None,
    )
    session.add(imported)
    return imported


@contextlib.contextmanager
def _collected_between_chunks() -> Iterator[Callable[[], None]]:
    """Python's cyclic garbage collector paused during the import, and run after each chunk (by
    calling the function yielded).

    A chunk keeps some 100k objects alive (lines, events, rows); the collector, triggered
    every 700 allocations, goes over them again and again as it promotes them, costing the
    import about a tenth of its time. Almost nothing the import makes is cyclic garbage
    (reference counting frees it); what is (a refused line's exception with its traceback,
    say), and whatever other threads make meanwhile, is collected at the end of the chunk,
    a second or so later than usual. The objects that were alive before the import are
    frozen meanwhile, so that those collections do not go over them each time.
    """
    enabled, freeze = gc.isenabled(), gc.get_freeze_count() == 0  # a server may have frozen objects of its own: leave them so
    gc.disable()
    if freeze:
        gc.freeze()
    try:
        yield gc.collect
    finally:
        if freeze:
            gc.unfreeze()
        if enabled:
            gc.enable()


CHUNK = 10_000


# The columns of each row the checks read (tuples of text: they cost the garbage collector nothing).
_Person = collections.namedtuple("_Person", "name")
_Household = collections.namedtuple("_Household", "village_code")
_Unit = collections.namedtuple("_Unit", "code level parent_code path")


class _Post(DateSpan):
    """A post's span, all the checks read of it."""

    __slots__ = ("start_date", "end_date")

    def __init__(self, start_date: dt.date, end_date: dt.date | None):
        self.start_date, self.end_date = start_date, end_date


class Preloaded(visits.Lookups):
    """The rows the checks of `visits.record_visit` read, loaded a chunk of lines at a time.

    People, households, units and posts are only read by the import, never written, so
    what was loaded for one chunk serves the next ones too (up to `KEEP` rows). An id
    not found here goes to the session's lookups, which fail as the single command does.
    Ids are taken if stored (before the import, or by its earlier chunks) or used by an
    earlier line not yet stored (`seen`).
    """

    KEEP = 200_000

    def __init__(self, session: Session):
        super().__init__(session)
        self.people: dict[str, Any] = {}
        self.households: dict[str, Any] = {}
        self.units: dict[str, Any] = {}
        self.posts_of: dict[str, list[_Post]] = {}
        self.taken: set[str] = set()
        self.seen: set[str] = set()

    def load(self, records: list[dict[str, Any]]) -> None:
        if len(self.people) + len(self.households) + len(self.units) > self.KEEP:
            self.people, self.households, self.units, self.posts_of = {}, {}, {}, {}
        self.taken = set()
        visitors = {r.get("visitor_id") for r in records if isinstance(r.get("visitor_id"), str)} - self.people.keys()
        targets = {r.get("target_id") for r in records if isinstance(r.get("target_id"), str)}
        ids = {r.get("id") for r in records if isinstance(r.get("id"), str)}
        self.session.flush()  # as the session's own lookups would, before they query
        connection = self.session.connection()
        for part in chunks(visitors, 500):
            query = select(_person.c.id, _person.c.name).where(one_of(connection, _person.c.id, part))
            self.people.update((person_id, _Person(name)) for person_id, name in connection.execute(query))
            for person_id in part:
                self.posts_of.setdefault(person_id, [])
            query = select(_post.c.person_id, _post.c.start_date, _post.c.end_date).where(one_of(connection, _post.c.person_id, part))
            for person_id, start_date, end_date in connection.execute(query):
                self.posts_of[person_id].append(_Post(start_date, end_date))
        for part in chunks(targets - self.households.keys(), 500):
            query = select(_household.c.id, _household.c.village_code).where(one_of(connection, _household.c.id, part))
            self.households.update((household_id, _Household(village)) for household_id, village in connection.execute(query))
        # A household's unit is its village; other targets are units themselves.
        codes = {self.households[t].village_code if t in self.households else t for t in targets}
        for part in chunks(codes - self.units.keys(), 500):
            query = select(_unit.c.code, _unit.c.level, _unit.c.parent_code, _unit.c.path).where(one_of(connection, _unit.c.code, part))
            self.units.update((row.code, _Unit(*row)) for row in connection.execute(query))
        for part in chunks(ids, 500):
            self.taken.update(connection.execute(select(_visit.c.id).where(one_of(connection, _visit.c.id, part))).scalars())

    def person(self, person_id: str, *, field: str) -> Any:
        found = self.people.get(person_id)
        return found if found is not None else super().person(person_id, field=field)

    def household(self, household_id: str, *, field: str) -> Any:
        found = self.households.get(household_id)
        return found if found is not None else super().household(household_id, field=field)

    def unit(self, code: str, *, field: str = "unit") -> Any:
        found = self.units.get(code)
        return found if found is not None else super().unit(code, field=field)

    def posts(self, person_id: str, day: dt.date) -> list[DateSpan]:
        found = self.posts_of.get(person_id)
        return found if found is not None else super().posts(person_id, day)

    def visit_id_taken(self, visit_id: str) -> bool:
        return visit_id in self.taken or visit_id in self.seen


_person, _household, _unit = Person.__table__, Household.__table__, OrgUnit.__table__
_post, _visit = Post.__table__, Visit.__table__


def refusal(outcome: Outcome) -> ImportRefused:
    return ImportRefused(outcome.failures, outcome.imported + outcome.failed, outcome.failed)
