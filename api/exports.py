"""Reports as files and terminal tables: the API's downloads and the CLI's `report` share this.

Chinese by default, English on request: headers, statuses, levels, roles, steps and periods
are words people read (workflow/labels.py), names stand beside codes, rates are percentages
and waits whole days. An Excel file opens on a title row (the report, its scope, its as-of
date and when it was exported), then a frozen header row with filters.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import Response
from sqlmodel import Session

from workflow import clock, labels, rulebook
from workflow.obligations.sources import names

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}

# How a column's values are shown.
TEXT, RATE, DAYS = "text", "rate", "days"


class Labels:
    """The words of one export: its language, and the names of the records its rows cite."""

    def __init__(self, language: str, known: dict[tuple[str, str], str] | None = None):
        self.language = language
        self._names = known or {}

    def name(self, kind: str, key: str | None) -> str | None:
        """The name of the unit, person or household `key` (the key itself if it has none)."""
        return None if key is None else self._names.get((kind, key), key)

    def word(self, code: str | None) -> str | None:
        """A level, status or reason, as workflow/labels.py words it."""
        return labels.word(code, self.language)

    def period(self, label: str) -> str:
        return labels.period(label, self.language)

    def role(self, code: str) -> str:
        definition = rulebook.books().role(code)
        return code if definition is None else (definition.en if self.language == "en" else definition.zh)

    def pick(self, en: str, zh: str) -> str:
        return en if self.language == "en" else zh


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of an exported report: its key, its headers, and how to read it from a row.

    `named` gives the (kind, key) of the unit, person or household whose name the column
    shows; `shape` is TEXT, RATE (a share, shown as a percentage) or DAYS (whole days);
    `brief` columns are the ones a terminal table shows.
    """

    key: str
    zh: str
    en: str
    value: Callable[[Any, Labels], Any] | None = None
    shape: str = TEXT
    brief: bool = False
    named: Callable[[Any], tuple[str, str | None]] | None = None

    def read(self, row: Any, words: Labels) -> Any:
        if self.named is not None:
            return words.name(*self.named(row))
        return self.value(row, words) if self.value else getattr(row, self.key)

    def header(self, language: str) -> str:
        return self.en if language == "en" else self.zh


def named_column(kind: str, attribute: str, zh: str, en: str, *, brief: bool = False) -> Column:
    """A column showing the name of the `kind` ("unit", "person", "household") whose key is in `attribute`."""
    return Column(f"{attribute}_name", zh, en, brief=brief, named=lambda row: (kind, getattr(row, attribute)))


def labels_for(session: Session, rows: Sequence[Any], columns: Sequence[Column], language: str) -> Labels:
    """The Labels of `rows`: every name their named columns show, read at once."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for column in columns:
        if column.named is not None:
            for row in rows:
                kind, key = column.named(row)
                if key is not None:
                    wanted[kind].add(key)
    known = {(kind, key): name for kind, keys in wanted.items() for key, name in names(session, kind, keys).items()}
    return Labels(language, known)


@dataclasses.dataclass(frozen=True)
class Heading:
    """What a file says about itself in its title row."""

    title: str  # the report, e.g. "走访逾期报表"
    unit_code: str
    unit_name: str
    as_of: dt.date
    known_at: dt.datetime | None = None

    def line(self, language: str) -> str:
        zone = rulebook.books().zone
        exported = clock.now().astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if language == "en":
            known = f" · as known at {_moment(self.known_at)}" if self.known_at else ""
            return f"{self.title} · {self.unit_name} ({self.unit_code}) · as of {self.as_of.isoformat()}{known} · exported {exported} ({zone.key})"
        known = f" · 按 {_moment(self.known_at)} 时已录入的记录" if self.known_at else ""
        zone_zh = "北京时间" if zone.key == "Asia/Shanghai" else zone.key
        return f"{self.title} · {self.unit_name}({self.unit_code})· 截至 {self.as_of.isoformat()}{known} · 导出时间 {exported}({zone_zh})"


def _moment(moment: dt.datetime) -> str:
    return moment.astimezone(rulebook.books().zone).isoformat(timespec="seconds")


def _text(value: Any, shape: str, language: str) -> str:
    """A value as CSV and the terminal show it."""
    if value is None:
        return ""
    if shape == RATE:
        return f"{float(value) * 100:.2f}%"
    if shape == DAYS:
        return str(_whole_days(value))
    if isinstance(value, dt.datetime):
        return _moment(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return ("yes" if value else "no") if language == "en" else ("是" if value else "否")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return ("; " if language == "en" else "、").join(str(v) for v in value)
    return str(value)


def _whole_days(value: Any) -> int:
    return value.days if isinstance(value, dt.timedelta) else int(value)


def _excel(sheet, value: Any, shape: str, language: str):
    """A value as an Excel cell: numbers, dates and rates stay numbers, with their formats."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if shape == DAYS:
        return _whole_days(value)
    if shape == RATE or isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=float(value) if shape == RATE else value)
        if shape == RATE:
            cell.number_format = "0.00%"
        elif isinstance(value, dt.datetime):
            # Excel has no time zones: the moment in the rule book's zone (Beijing time).
            cell.value = value.astimezone(rulebook.books().zone).replace(tzinfo=None)
            cell.number_format = "yyyy-mm-dd hh:mm"
        else:
            cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value) if isinstance(value, Decimal) else value
    return _text(value, shape, language)


def table(rows: Sequence[Any], columns: Sequence[Column], words: Labels) -> list[list[Any]]:
    """Each row's values, column by column, before they are shaped for a file."""
    return [[column.read(row, words) for column in columns] for row in rows]


def render(rows: Sequence[Any], columns: Sequence[Column], words: Labels, *, fmt: str, heading: Heading) -> bytes:
    """The rows as a CSV file (UTF-8 with BOM, so Excel reads Chinese; header first, no title
    row, for machines) or an Excel workbook (title row, frozen header row with filters)."""
    headers = [column.header(words.language) for column in columns]
    values = table(rows, columns, words)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows([[_text(v, c.shape, words.language) for v, c in zip(line, columns)] for line in values])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=heading.title[:31])
    sheet.freeze_panes = "A3"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A2:{last}{len(values) + 2}"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header) + 2)
    title = WriteOnlyCell(sheet, value=heading.line(words.language))
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    bold = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    for line in values:
        sheet.append([_excel(sheet, v, c.shape, words.language) for v, c in zip(line, columns)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def terminal_rows(rows: Sequence[Any], columns: Sequence[Column], words: Labels) -> tuple[list[str], list[list[str]]]:
    """The headers and text of the brief columns, for a table on a terminal."""
    brief = [column for column in columns if column.brief] or list(columns)
    return [c.header(words.language) for c in brief], [[_text(v, c.shape, words.language) for v, c in zip(line, brief)] for line in table(rows, brief, words)]


@dataclasses.dataclass(frozen=True)
class Sheet:
    """A report as a file: its name, its title and its columns."""

    name: str  # e.g. "overdue-visits"
    zh: str
    en: str
    columns: tuple[Column, ...]


@dataclasses.dataclass(frozen=True)
class Export:
    """A report's rows, ready to be a file or a terminal table."""

    sheet: Sheet
    rows: Sequence[Any]
    words: Labels
    heading: Heading

    def file(self, fmt: str) -> bytes:
        return render(self.rows, self.sheet.columns, self.words, fmt=fmt, heading=self.heading)

    def file_name(self, fmt: str) -> str:
        """e.g. overdue-visits-431224000000-2017-09-30.xlsx."""
        return f"{self.sheet.name}-{self.heading.unit_code}-{self.heading.as_of.isoformat()}.{fmt}"

    def terminal(self) -> tuple[list[str], list[list[str]]]:
        return terminal_rows(self.rows, self.sheet.columns, self.words)

    def download(self, fmt: str) -> Response:
        disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(self.file_name(fmt))}"}
        return Response(self.file(fmt), media_type=MEDIA_TYPES[fmt], headers=disposition)


def export(session: Session, sheet: Sheet, rows: Sequence[Any], *, language: str, unit_code: str, as_of: dt.date, known_at: dt.datetime | None = None) -> Export:
    """`rows` of the report `sheet` on `unit_code`'s subtree, with the names and words they show."""
    words = labels_for(session, rows, sheet.columns, language)
    unit_name = names(session, "unit", [unit_code]).get(unit_code, unit_code)
    return Export(sheet, rows, words, Heading(words.pick(sheet.en, sheet.zh), unit_code, unit_name, as_of, known_at))
