"""Onboarding a county from its own sheets: units, people, posts, households, population, pairings and links.

A 扶贫办 has its tree, its officials, their posts (任职), its registered households (建档立卡),
its villages' rural population by year and its pairings (结对) in spreadsheets. Each file
holds one kind of record (`KINDS`), as CSV (UTF-8 or GB 18030) or XLSX, with the office's
Chinese headers or the English field names; rows refer to each other by the office's own
codes (unit code, person number, household number), never by the product's internal ids.

A file is all or nothing: every row is checked as the command a single record would
(`org.service`, `posts.service`) checks it, and its events go through the event log; a bad
row does not stop the others from being checked, and if any row failed the caller's
transaction is rolled back with every problem listed by line and column. People, posts,
households and pairings, which a city's sheets hold by the ten thousand, are checked a
chunk of rows at a time against the records read for the chunk (`SheetLookups`) by the
functions their commands use, and their events appended together (`eventlog.append_many`):
the log holds what the commands would have appended one row after the other. A row already on
file is left alone (`unchanged`); a row that changes what is on file in a way the office
may (an end date of a tenure, a pairing, a link or a concentrated township's designation; a
corrected name; a year's rural population) records that change as its event (`changed`);
any other difference from the record on file is refused, naming the column. A poor village
or county leaves the registry only through its exit case (三签字), never by a sheet; so does
a household, but for an exit signed on paper before the product, loaded by a migration.
A file that changed anything is recorded as its own event (`records.imported`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import io
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, func, select
from sqlmodel import Session

from workflow import rulebook
from workflow import errors
from workflow.errors import DomainError
from workflow.chunking import chunks
from workflow.db import large_page_cache, plan_each_statement
from workflow.eventlog import Actor, Event, NewEvent, append, append_many, lock
from workflow.eventlog.projection import EventProjection, deferred
from workflow.imports.models import RecordImport
from workflow.imports.sheet_lookups import SheetLookups
from workflow.imports.visits import LISTED_LINES, ImportRefused, LineProblem, decode
from workflow.labels import LEVELS
from workflow.obligations.projection import counts_deferred
from workflow.org import service as org
from workflow.exits.models import ExitCase
from workflow.org.models import Household, OrgUnit, Person, RegistrySpell, UnitPopulation
from workflow.posts import service as posts
from workflow.posts.models import Pairing, Post, UnitLink
from workflow.types import new_id
from workflow.visits.models import Visit

# The read model of onboarding files that changed something: kept by the function marked @ONBOARDING.on below.
ONBOARDING = EventProjection("onboarding")


@dataclasses.dataclass(frozen=True)
class Column:
    field: str  # the English field name, also accepted as a header
    zh: str  # the office's header
    required: bool
    read: Callable[[Any], Any]
    example: str
    note: str = ""


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into a spreadsheet cell as a number
    text = str(value).strip()
    if not text:
        raise ValueError("empty")
    return text


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise ValueError("date") from None


def _count(value: Any) -> int:
    """A whole number of zero or more: an integer cell, or its digits as text (never 3.7 read as 3)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError("count")
    try:
        return int(text)
    except ValueError:  # digits int() does not read, such as "²"
        raise ValueError("count") from None


_LEVEL_OF = {label.zh: code for code, label in LEVELS.items() if code != "household"} | {code: code for code in LEVELS if code != "household"}


def _level(value: Any) -> str:
    text = _text(value)
    if text not in _LEVEL_OF:
        raise ValueError("level")
    return _LEVEL_OF[text]


def _role(value: Any) -> str:
    text = _text(value)
    books = rulebook.books()
    for code in sorted(books.role_codes()):
        if text in (code, books.role(code).zh):
            return code
    raise ValueError("role")


_GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female"}


def _gender(value: Any) -> str:
    text = _text(value)
    if text not in _GENDERS:
        raise ValueError("gender")
    return _GENDERS[text]


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    zh: str
    columns: tuple[Column, ...]
    # A row through the commands, (…, row, migration) -> "added" | "changed" | "unchanged"; for a
    # kind with `new`, only a row whose record is on file (`on_file`).
    apply: Callable[[Session, Actor, dict[str, Any], bool], str]
    key: tuple[str, ...]  # the fields naming one record: twice in a file is a mistake
    # The events adding a row's record, after its command's checks, read from `SheetLookups`
    # (lookups, row, migration): for the kinds a city's sheets hold by the ten thousand.
    new: Callable[[SheetLookups, dict[str, Any], bool], list[NewEvent]] | None = None
    on_file: Callable[[Session, dict[str, Any]], bool] | None = None  # whether the row's record was on file before the file


def _same(kind: str, key: str, record: Any, row: dict[str, Any], fields: dict[str, str]) -> None:
    for column, attribute in fields.items():
        if column in row and row[column] is not None and getattr(record, attribute) != row[column]:
            raise errors.DiffersFromRecord(field=column, key=f"{kind} {key}", on_file=getattr(record, attribute), in_row=row[column])


def _ending(session: Session, actor: Actor, span: Any, end_date: dt.date | None, end: Callable[..., Any], key: str) -> str:
    """`unchanged`, or `changed` after ending `span` on `end_date` through `end`."""
    if end_date == span.end_date:
        return "unchanged"
    if span.end_date is not None:
        raise errors.DiffersFromRecord(field="end_date", key=key, on_file=span.end_date, in_row=end_date)
    end(session, actor=actor, end_date=end_date)
    return "changed"


# The registry a unit of each level goes on (poor village, concentrated township, poor county).
REGISTRY_OF_LEVEL = {level.value: kind for kind, level in org.REGISTRY_KINDS.items() if level is not None}


_ON_FILE = "exit_tracker.onboarding_on_file"


def _on_file(session: Session, model: Any, key: Any, *columns: Any) -> bool:
    """Whether `key` (the values of `model`'s `columns`) was on file when this file's import began.

    The keys are read once per file, not once per row: the rows of a file have distinct keys,
    so a row's key is on file only if it was before the file, and a new row needs no query.
    """
    cache = session.info.setdefault(_ON_FILE, {})
    if model not in cache:
        found = session.execute(select(*columns))
        cache[model] = {tuple(row) for row in found} if len(columns) > 1 else set(found.scalars())
    return key in cache[model]


def _unit(session: Session, actor: Actor, row: dict[str, Any], migration: bool) -> str:
    code = row["code"]
    unit = session.get(OrgUnit, code) if _on_file(session, OrgUnit, code, OrgUnit.code) else None
    added, changed = unit is None, False
    if added:
        org.add_org_unit(session, actor=actor, code=code, name=row["name"], level=row["level"], parent_code=row.get("parent_code"), rural_population=row.get("rural_population"))
    else:
        _same("unit", code, unit, row, {"level": "level", "parent_code": "parent_code"})
        if row["name"] != unit.name:
            org.rename_unit(session, actor=actor, code=code, name=row["name"])
            changed = True
        if row.get("rural_population") is not None and row["rural_population"] != unit.rural_population:
            org.set_rural_population(session, actor=actor, code=code, rural_population=row["rural_population"])
            changed = True
    registered_on, exited_on = row.get("registered_on"), row.get("exited_on")
    if registered_on is None:
        if exited_on is not None:
            raise errors.ExitWithoutRegistration()
    else:
        kind = REGISTRY_OF_LEVEL.get(row["level"])
        if kind is None:
            raise errors.NotRegistrable(level=row["level"], level_zh=LEVELS[row["level"]].zh)
        spell = session.execute(select(RegistrySpell).where(RegistrySpell.kind == kind, RegistrySpell.subject_id == code, RegistrySpell.registered_on == registered_on)).scalars().first()
        if spell is None:
            spell = org.register_poor_unit(session, actor=actor, kind=kind, code=code, registered_on=registered_on)
            changed = True
        if exited_on is not None and spell.exited_on != exited_on:
            if spell.exited_on is not None:
                raise errors.DiffersFromRecord(field="exited_on", key=code, on_file=spell.exited_on, in_row=exited_on)
            org.end_unit_registration(session, actor=actor, kind=kind, code=code, exited_on=exited_on)
            changed = True
    return "added" if added else "changed" if changed else "unchanged"


def _person_on_file(session: Session, row: dict[str, Any]) -> bool:
    return _on_file(session, Person, row["id"], Person.id)


def _new_person(lookups: SheetLookups, row: dict[str, Any], migration: bool) -> list[NewEvent]:
    return [org.person_added(lookups, name=row["name"], person_id=row["id"], gender=row.get("gender"))]


def _person(session: Session, actor: Actor, row: dict[str, Any], migration: bool) -> str:
    person = session.get(Person, row["id"])
    _same("person", row["id"], person, row, {"gender": "gender"})
    if row["name"] != person.name:
        org.rename_person(session, actor=actor, person_id=row["id"], name=row["name"])
        return "changed"
    return "unchanged"


def _post_on_file(session: Session, row: dict[str, Any]) -> bool:
    return _on_file(session, Post, (row["person_id"], row["role"], row["unit_code"], row["start_date"]), Post.person_id, Post.role, Post.unit_code, Post.start_date)


def _new_post(lookups: SheetLookups, row: dict[str, Any], migration: bool) -> list[NewEvent]:
    lookups.person(row["person_id"], field="person_id")
    return [posts.post_assigned(lookups, person_id=row["person_id"], role=row["role"], unit_code=row["unit_code"], start_date=row["start_date"], end_date=row.get("end_date"))]


def _post(session: Session, actor: Actor, row: dict[str, Any], migration: bool) -> str:
    org.get_person(session, row["person_id"], field="person_id")
    post = session.execute(
        select(Post).where(Post.person_id == row["person_id"], Post.role == row["role"], Post.unit_code == row["unit_code"], Post.start_date == row["start_date"])
    ).scalars().first()
    return _ending(session, actor, post, row.get("end_date"), lambda s, **kw: posts.end_post(s, post_id=post.id, **kw), f"{row['person_id']} {row['role']}")


def _household_on_file(session: Session, row: dict[str, Any]) -> bool:
    return _on_file(session, Household, row["id"], Household.id)


def _new_household(lookups: SheetLookups, row: dict[str, Any], migration: bool) -> list[NewEvent]:
    """The household's registration and, from a migration's sheet, its exit signed on paper then."""
    if row.get("exited_on") is not None and not migration:
        raise errors.ExitNeedsMigration()
    events = [
        org.household_registered(lookups, household_id=row["id"], village_code=row["village_code"], head_name=row["head_name"], members=row["members"], registered_on=row["registered_on"])
    ]
    if row.get("exited_on") is not None:
        events.append(org.exit_before_product(household_id=row["id"], registered_on=row["registered_on"], exited_on=row["exited_on"]))
    return events


def _household(session: Session, actor: Actor, row: dict[str, Any], migration: bool) -> str:
    household = session.get(Household, row["id"])
    changed = False
    if row.get("exited_on") is not None and not migration:
        raise errors.ExitNeedsMigration()
    spells = org.registry_spells(session, "poor_household", household.id)
    _same("household", row["id"], household, row, {"village_code": "village_code", "members": "members"})
    first = min(spells, key=lambda spell: spell.registered_on)
    if first.registered_on != row["registered_on"]:
        raise errors.DiffersFromRecord(field="registered_on", key=f"household {row['id']}", on_file=first.registered_on, in_row=row["registered_on"])
    if row["head_name"] != household.head_name:
        org.rename_head(session, actor=actor, household_id=household.id, head_name=row["head_name"])
        changed = True
    if row.get("exited_on") is not None:
        changed = _paper_exit(session, actor, household.id, spells, row["exited_on"]) or changed
    return "changed" if changed else "unchanged"


def _paper_exit(session: Session, actor: Actor, household_id: str, spells: list[RegistrySpell], exited_on: dt.date) -> bool:
    """Record a migration's exit signed on paper (`org.record_exit_before_product`); False when on file already."""
    if any(spell.exited_on == exited_on for spell in spells):
        return False
    ended = [spell.exited_on for spell in spells if spell.exited_on is not None]
    if ended:
        raise errors.DiffersFromRecord(field="exited_on", key=f"household {household_id}", on_file=max(ended), in_row=exited_on)
    if session.execute(select(ExitCase.id).where(ExitCase.level == "household", ExitCase.subject_id == household_id).limit(1)).first() is not None:
        raise errors.ExitNeedsMigration()  # its exit goes through its case
    org.record_exit_before_product(session, actor=actor, household_id=household_id, exited_on=exited_on)
    return True


def _population(session: Session, actor: Actor, row: dict[str, Any], migration: bool) -> str:
    figure = session.get(UnitPopulation, (row["village_code"], row["year"]))
    if figure is not None and figure.rural_population == row["rural_population"]:
        return "unchanged"
    org.record_population(session, actor=actor, code=row["village_code"], year=row["year"], rural_population=row["rural_population"])
    return "added" if figure is None else "changed"


def _pairing_on_file(session: Session, row: dict[str, Any]) -> bool:
    return _on_file(session, Pairing, (row["cadre_id"], row["household_id"], row["start_date"]), Pairing.cadre_id, Pairing.household_id, Pairing.start_date)


def _new_pairing(lookups: SheetLookups, row: dict[str, Any], migration: bool) -> list[NewEvent]:
    return [posts.pairing_started(lookups, cadre_id=row["cadre_id"], household_id=row["household_id"], start_date=row["start_date"], end_date=row.get("end_date"))]


def _pairing(session: Session, actor: Actor, row: dict[str, Any], migration: bool) -> str:
    pairing = session.execute(
        select(Pairing).where(Pairing.cadre_id == row["cadre_id"], Pairing.household_id == row["household_id"], Pairing.start_date == row["start_date"])
    ).scalars().first()
    return _ending(session, actor, pairing, row.get("end_date"), lambda s, **kw: posts.end_pairing(s, pairing_id=pairing.id, **kw), f"{row['cadre_id']}–{row['household_id']}")


def _link(session: Session, actor: Actor, row: dict[str, Any], migration: bool) -> str:
    link = None
    if _on_file(session, UnitLink, (row["unit_code"], row["village_code"], row["start_date"]), UnitLink.unit_code, UnitLink.village_code, UnitLink.start_date):
        link = session.execute(
            select(UnitLink).where(UnitLink.unit_code == row["unit_code"], UnitLink.village_code == row["village_code"], UnitLink.start_date == row["start_date"])
        ).scalars().first()
    if link is None:
        posts.link_unit(session, actor=actor, unit_code=row["unit_code"], village_code=row["village_code"], start_date=row["start_date"], end_date=row.get("end_date"))
        return "added"
    return _ending(session, actor, link, row.get("end_date"), lambda s, **kw: posts.end_link(s, link_id=link.id, **kw), f"{row['unit_code']}–{row['village_code']}")


_START = Column("start_date", "开始日期", True, _day, "2017-06-01")
_END = Column("end_date", "结束日期", False, _day, "", "空白表示仍在")

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("units", "单位", (
            Column("code", "单位代码", True, _text, "431224100201"),
            Column("name", "单位名称", True, _text, "坪溪村"),
            Column("level", "层级", True, _level, "村", "省、市、市直单位、县、乡镇、村"),
            Column("parent_code", "上级单位代码", False, _text, "431224100000", "最高层级单位以下必填"),
            Column("rural_population", "农村人口", False, _count, "1200"),
            Column("registered_on", "建档立卡日期", False, _day, "2014-10-01", "贫困村、贫困乡镇、贫困县"),
            Column("exited_on", "退出日期", False, _day, "", "仅贫困人口集中的乡镇;贫困村、贫困县经退出程序(三签字)退出"),
        ), _unit, ("code",)),
        Kind("people", "人员", (
            Column("id", "人员编号", True, _text, "431224198001010011", "本单位的人员编号(如身份证号)"),
            Column("name", "姓名", True, _text, "舒春生"),
            Column("gender", "性别", False, _gender, "男", "男、女"),
        ), _person, ("id",), _new_person, _person_on_file),
        Kind("posts", "任职", (
            Column("person_id", "人员编号", True, _text, "431224198001010011"),
            Column("role", "职务", True, _role, "乡镇干部", "见说明表"),
            Column("unit_code", "任职单位代码", True, _text, "431224100000"),
            _START, _END,
        ), _post, ("person_id", "role", "unit_code", "start_date"), _new_post, _post_on_file),
        Kind("households", "贫困户", (
            Column("id", "户编号", True, _text, "4312241002010001"),
            Column("village_code", "村代码", True, _text, "431224100201"),
            Column("head_name", "户主姓名", True, _text, "向桂兰"),
            Column("members", "家庭人口", True, _count, "3"),
            Column("registered_on", "建档立卡日期", True, _day, "2014-10-01"),
            Column("exited_on", "退出日期", False, _day, "", "仅迁移导入(--migration)系统启用前已退出的户;此后退出经退出程序(三签字)"),
        ), _household, ("id",), _new_household, _household_on_file),
        Kind("population", "农村人口", (
            Column("village_code", "村代码", True, _text, "431224100201"),
            Column("year", "年度", True, _count, "2017"),
            Column("rural_population", "农村人口", True, _count, "1200", "该年度的农村人口;贫困发生率按年度取数"),
        ), _population, ("village_code", "year")),
        Kind("pairings", "结对帮扶", (
            Column("cadre_id", "干部人员编号", True, _text, "431224198001010011"),
            Column("household_id", "户编号", True, _text, "4312241002010001"),
            _START, _END,
        ), _pairing, ("cadre_id", "household_id", "start_date"), _new_pairing, _pairing_on_file),
        Kind("links", "联系村", (
            Column("unit_code", "市直单位代码", True, _text, "431200900001"),
            Column("village_code", "村代码", True, _text, "431224100201"),
            _START, _END,
        ), _link, ("unit_code", "village_code", "start_date")),
    )
}


def kind_named(name: str) -> Kind:
    if name not in KINDS:
        raise errors.UnknownKind(kind=name, kinds=list(KINDS))
    return KINDS[name]


def _cells(data: bytes, file_name: str) -> Iterator[tuple[int, list[Any]]]:
    """(line number, cells) of each row of a CSV or XLSX file, the header included."""
    if file_name.lower().endswith(".xlsx") or data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception:  # noqa: BLE001  (openpyxl raises many kinds on a damaged file)
            raise errors.UnreadableFile.workbook() from None
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, ["" if cell is None else cell for cell in row]
        return
    # newline="": a line may end in \r, \n or \r\n, and a quoted cell may hold any of them.
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error:  # e.g. a cell longer than the csv module takes
        raise errors.UnreadableFile.csv(line=reader.line_num) from None


def rows(kind: Kind, data: bytes, file_name: str) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    """(line number, the row's fields or its problem) for each data row of the file."""
    lines = _cells(data, file_name)
    header: list[Column | None] = []
    for number, cells in lines:
        if any(str(cell).strip() for cell in cells):
            header = _header(kind, [str(cell).strip() for cell in cells])
            break
    else:
        raise errors.EmptyFile()
    for number, cells in lines:
        if not any(str(cell).strip() for cell in cells):
            continue
        row: dict[str, Any] = {}
        problem = None
        for column, cell in zip(header, cells):
            if column is None:
                continue
            if cell is None or str(cell).strip() == "":
                row[column.field] = None
                if column.required:
                    problem = problem or LineProblem.of(number, errors.MissingValue(field=column.zh))
                continue
            try:
                row[column.field] = column.read(cell)
            except ValueError as exc:
                wording = getattr(errors.InvalidValue, f"not_a_{exc}")
                problem = problem or LineProblem.of(number, wording(field=column.zh, cell=cell, levels=[k for k in _LEVEL_OF if not k.isascii()]))
        for column in header[len(cells):]:
            if column is not None and column.required:
                problem = problem or LineProblem.of(number, errors.MissingValue(field=column.zh))
        yield number, problem or row


def _header(kind: Kind, names: list[str]) -> list[Column | None]:
    by_name = {name: column for column in kind.columns for name in (column.field, column.zh)}
    unknown = [name for name in names if name and name not in by_name]
    header = [by_name.get(name) for name in names]
    missing = [column.zh for column in kind.columns if column.required and column not in header]
    if missing or unknown:
        raise errors.InvalidHeader(missing=missing, unknown=unknown, columns=[column.zh for column in kind.columns])
    return header


@dataclasses.dataclass
class Onboarded:
    kind: str
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    import_id: str | None = None  # the import's event, when the file changed anything

    @property
    def rows(self) -> int:
        return self.added + self.changed + self.unchanged


_KEPT = (OrgUnit, Person, Household, Post)


def _one_file(onboard: Callable[..., Onboarded]) -> Callable[..., Onboarded]:
    """`onboard` with one file's rows in one scope: the keys on file read once (`_on_file`);
    the records the commands look up kept loaded (a session holds what it loaded weakly, so
    the village read for one household was read again for the next); the report tallies of
    the units the rows touch counted once at the end, as the visit import does; the engine
    set for a bulk write (`plan_each_statement`, `large_page_cache`)."""

    @functools.wraps(onboard)
    def in_one_scope(session: Session, **arguments: Any) -> Onboarded:
        kept: list[Any] = []

        def keep(_: Session, instance: Any) -> None:
            if isinstance(instance, _KEPT):
                kept.append(instance)

        session.info[_ON_FILE] = {}
        plan_each_statement(session)  # the tables grow inside the transaction: no plan made while they were small
        event.listen(session, "loaded_as_persistent", keep)
        event.listen(session, "pending_to_persistent", keep)
        try:
            # A refused file raises through either, and nothing is derived: the caller rolls back.
            derive_once = _derive_once(session, arguments["kind"], arguments["data"], arguments["file_name"])
            with large_page_cache(session), deferred(session) if derive_once else counts_deferred(session.connection()):
                return onboard(session, **arguments)
        finally:
            event.remove(session, "loaded_as_persistent", keep)
            event.remove(session, "pending_to_persistent", keep)
            session.info.pop(_ON_FILE, None)

    return in_one_scope


def _derive_once(session: Session, kind: str, data: bytes, file_name: str) -> bool:
    """Whether the obligation rows (a derived projection) are better derived once, after the
    file, than row by row: a file of posts, pairings or links while no visit is on file (a city
    being onboarded) that holds more rows than there are posts, pairings and links on file
    already, the records whose rows deriving them all again would rederive."""
    if kind not in ("posts", "pairings", "links") or session.execute(select(Visit.id).limit(1)).first() is not None:
        return False
    on_file = sum(session.execute(select(func.count()).select_from(model)).scalar_one() for model in (Post, Pairing, UnitLink))
    return sum(1 for _ in _cells(data, file_name)) - 1 > on_file  # the file's lines less its header, not read a first time into rows


# Rows checked against one read of the records they need, and their events appended together.
CHUNK = 5_000


def _good(chunk: list[tuple[int, dict[str, Any] | LineProblem]]) -> list[dict[str, Any]]:
    return [row for _, row in chunk if not isinstance(row, LineProblem)]


@_one_file
def onboard(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    data: bytes,
    file_name: str,
    authorize: Callable[[str, dict[str, Any]], None] | None = None,
    listed: int = LISTED_LINES,
    progress: Callable[[int], None] | None = None,
    migration: bool = False,
) -> Onboarded:
    """Import one file of `kind` in the caller's transaction; ImportRefused (roll back) if any row is bad.

    `authorize(kind, row)` refuses a row the caller may not write (an API account's scope).
    `migration`: the file holds records of the time before the product kept them; only then
    may a household's row carry the exit signed on paper then. A file that changed anything
    is recorded as its own event (`records.imported`), naming the run of events it appended.
    """
    definition = kind_named(kind)
    first_seq = lock(session) + 1
    outcome, problems, bad, seen = Onboarded(kind), [], 0, {}
    lookups = SheetLookups(session, lambda model, key: _on_file(session, model, key, model.id))
    for chunk in chunks(rows(definition, data, file_name), CHUNK):
        if definition.new is not None:
            lookups.load(kind, _good(chunk))
        pending: list[NewEvent] = []  # the events of the chunk's new records, appended together
        for at, (number, row) in enumerate(chunk):
            if not isinstance(row, LineProblem):
                key = tuple(row[field] for field in definition.key)
                if key in seen:
                    column = next(c.zh for c in definition.columns if c.field == definition.key[0])
                    row = LineProblem.of(number, errors.DuplicateInFile(field=column, first_line=seen[key]))
                else:
                    seen[key] = number
            if isinstance(row, LineProblem):
                bad += 1
                problems.append(row)
                continue
            try:
                # A row's checks refuse before its events are made; a refused file is rolled back whole.
                if authorize is not None:
                    authorize(kind, row)
                if definition.new is not None and not definition.on_file(session, row):
                    events = definition.new(lookups, row, migration)
                    lookups.note(events)
                    pending += events
                    result = "added"
                else:
                    append_many(session, pending, actor=actor)  # the rows before it first: the log keeps the file's order
                    pending = []
                    result = definition.apply(session, actor, row, migration)
                    if result == "changed" and definition.new is not None:
                        lookups.forget()  # its command changed records the lookups had read
                        lookups.load(kind, _good(chunk[at + 1:]))
            except DomainError as exc:
                bad += 1
                column = next((c.zh for c in definition.columns if exc.field in (c.field, c.field.removesuffix("_code"), c.field.removesuffix("_id"))), exc.field)
                problems.append(dataclasses.replace(LineProblem.of(number, exc), field=column))
                continue
            setattr(outcome, result, getattr(outcome, result) + 1)
            if progress is not None:
                progress(number)
        append_many(session, pending, actor=actor)
    if problems:
        raise ImportRefused(problems[:listed], outcome.rows + bad, bad)
    if outcome.added or outcome.changed:
        import_id = new_id()
        payload = {
            "id": import_id,
            "kind": kind,
            "content_sha256": hashlib.sha256(data).hexdigest(),
            "added": outcome.added,
            "changed": outcome.changed,
            "migration": migration,
            "first_seq": first_seq,
        }
        append(session, type="records.imported", entity_type="record_import", entity_id=import_id, payload=payload, actor=actor)
        outcome.import_id = import_id
    return outcome


@ONBOARDING.on("records.imported")
def _records_imported(session: Session, event: Event, data: dict[str, Any]) -> RecordImport:
    imported = RecordImport(**data, last_seq=event.seq - 1, imported_at=event.recorded_at, imported_by=event.account)
    session.add(imported)
    return imported


def template(kind: str) -> bytes:
    """An XLSX template for `kind`: the header, an example row, and a 说明 sheet with each
    column's meaning and the valid codes (levels, roles)."""
    from openpyxl import Workbook

    definition = kind_named(kind)
    book = Workbook()
    sheet = book.active
    sheet.title = definition.zh
    sheet.append([column.zh for column in definition.columns])
    sheet.append([column.example for column in definition.columns])
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    notes.append(["列", "字段", "必填", "说明"])
    for column in definition.columns:
        notes.append([column.zh, column.field, "是" if column.required else "否", column.note])
    notes.append([])
    if any(column.read is _level for column in definition.columns):
        notes.append(["层级", "代码"])
        for code, label in LEVELS.items():
            if code != "household":
                notes.append([label.zh, code])
    if any(column.read is _role for column in definition.columns):
        books = rulebook.books()
        notes.append(["职务", "代码", "层级"])
        for code in sorted(books.role_codes()):
            role = books.role(code)
            notes.append([role.zh, code, LEVELS[role.level.value].zh])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
