"""Reports as CSV or Excel files: Chinese column headers by default, English on request."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Response

from workflow import rulebook

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of an exported report: its key, its headers, and how to read it from a row."""

    key: str
    zh: str
    en: str
    value: Callable[[Any, str], Any] | None = None

    def read(self, row: Any, language: str) -> Any:
        return self.value(row, language) if self.value else getattr(row, self.key)


def _zone() -> ZoneInfo:
    return rulebook.books().latest().zone


def _cell(value: Any, *, for_excel: bool) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: show the moment in the rule book's zone (Beijing time).
        local = value.astimezone(_zone())
        return local.replace(tzinfo=None) if for_excel else local.isoformat()
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 86400, 1)
    if isinstance(value, Decimal):
        return float(value) if for_excel else str(value)
    if isinstance(value, bool):
        return value if for_excel else ("true" if value else "false")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.date) and not for_excel:
        return value.isoformat()
    return value


def tabular(rows: Sequence[Any], columns: Sequence[Column], *, fmt: str, language: str, name: str) -> Response:
    """The rows as a downloadable CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX file."""
    headers = [column.en if language == "en" else column.zh for column in columns]
    table = [[column.read(row, language) for column in columns] for row in rows]
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"}
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows([[_cell(v, for_excel=False) for v in line] for line in table])
        return Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), media_type=CSV_TYPE, headers=disposition)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=name[:31])
    sheet.append(headers)
    for line in table:
        sheet.append([_cell(v, for_excel=True) for v in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type=XLSX_TYPE, headers=disposition)
