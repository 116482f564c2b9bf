"""`exit-tracker report …`: the API's reports from the command line, as a table or a file.

The same rows as the API's (the same domain calls, api/reports.py) and the same files
(api/exports.py): Chinese by default, names beside codes, periods as people write them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session

from api.exports import Sheet, export
from api.reports import incidence_rows, on_day_rows, waiting_cases
from api.views.duties import ACCOUNTABILITY, ADVISORIES, BONUS, COVERAGE, PLAN_RESULTS, TEAM_GAPS, UNPAIRED
from api.views.reports import INCIDENCE, MISSING_SIGNATURES, OVERDUE, SCORECARD
from rules.schema import ExitLevel, Level
from workflow import labels
from workflow.incidence.report import STEPS
from workflow.db import make_engine, read_only

report_app = typer.Typer(
    help="The reports of the API (overdue visits, missing signatures, incidence, scorecard, unpaired households, "
    "pairing coverage, deep-poverty advisories, work-team gaps, plan results, bonus and accountability lists) over an org subtree: "
    "a table on the terminal, or a CSV / Excel file. Chinese by default; --lang en for English.",
    no_args_is_help=True,
)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"


class Language(StrEnum):
    zh = "zh"
    en = "en"


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"应为日期,如 2017-09-30 / give a date such as 2017-09-30 (got {value!r})") from None


def _moment(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise typer.BadParameter(f"应为带时区的时间,如 2017-10-05T09:00:00+08:00 / give a moment with an offset, e.g. 2017-10-05T09:00:00+08:00 (got {value!r})")
    return moment


UNIT = typer.Option(..., "--unit", help="Org unit code: the report covers its subtree, e.g. 431224000000.")
AS_OF = typer.Option(None, "--as-of", help="Evaluate as of the end of this local date (default: today), e.g. 2017-09-30.")
KNOWN_AT = typer.Option(None, "--known-at", help="Only records recorded by this moment (what was known then), e.g. 2017-10-05T09:00:00+08:00.")
FORMAT = typer.Option(Format.table, "--format", help="table (on the terminal), csv or xlsx.")
OUT = typer.Option(None, "--out", help="File to write (csv: default standard output; xlsx: default <report>-<unit>-<as_of>.xlsx here).")
LANG = typer.Option(Language.zh, "--lang", help="zh (default) or en: headers, statuses, roles and periods.")
RULES = typer.Option(None, "--rule", help="Visit rule id, repeatable, e.g. --rule V7.")
ROLES = typer.Option(None, "--role", help="Role code, repeatable, e.g. --role township_cadre (see `exit-tracker rules list` and the rule book).")


@contextmanager
def _reading():
    """A read-only session on the configured database; a refusal is printed, not raised."""
    from api.cli import _fail
    from workflow.errors import DomainError

    engine = make_engine()
    try:
        with Session(read_only(engine)) as session:
            yield session
    except DomainError as exc:
        _fail(exc)
    finally:
        engine.dispose()


def _show(session: Session, sheet: Sheet, rows: list[Any], *, unit: str, as_of: dt.date, known_at: dt.datetime | None, fmt: Format, out: Path | None, lang: Language, footer: str = "") -> None:
    found = export(session, sheet, rows, language=lang.value, unit_code=unit, as_of=as_of, known_at=known_at)
    if fmt is Format.table:
        from rich.console import Console
        from rich.table import Table

        headers, lines = found.terminal()
        shown = Table(title=found.heading.line(lang.value), title_justify="left")
        for header in headers:
            shown.add_column(header, overflow="fold")
        for line in lines:
            shown.add_row(*line)
        console = Console()
        console.print(shown)
        count = f"{len(rows)} rows" if lang is Language.en else f"共 {len(rows)} 行"
        console.print(count + (f"; {footer}" if lang is Language.en else f";{footer}") if footer else count)
        return
    data = found.file(fmt.value)
    if out is None and fmt is Format.csv:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    target = out or Path(found.file_name(fmt.value))
    target.write_bytes(data)
    typer.echo(f"{target}: {len(rows)} rows written")


def _as_of(value: str | None) -> dt.date:
    from workflow import rulebook

    return _date(value) or rulebook.today()


def _report(sheet: Sheet, read: Callable[[Session, dt.date, dt.datetime | None], tuple[list[Any], str]], *, unit: str, as_of: str | None, known_at: str | None, fmt: Format, out: Path | None, lang: Language) -> None:
    """Read a report's rows (`read` gives them and a footer line) and show them as asked."""
    day, moment = _as_of(as_of), _moment(known_at)
    with _reading() as session:
        rows, footer = read(session, day, moment)
        _show(session, sheet, rows, unit=unit, as_of=day, known_at=moment, fmt=fmt, out=out, lang=lang, footer=footer)


@report_app.command("overdue")
def overdue(
    unit: str = UNIT,
    as_of: str | None = AS_OF,
    known_at: str | None = KNOWN_AT,
    rule: list[str] | None = RULES,
    role: list[str] | None = ROLES,
    status: list[str] | None = typer.Option(None, "--status", help="Row status to keep, repeatable: overdue, due, pending, met, not_owed."),
    person: str | None = typer.Option(None, "--person", help="One official's obligations (person id)."),
    start: str | None = typer.Option(None, "--from", help="Evaluate every period from the one containing this date (YYYY-MM-DD), e.g. a year-end review."),
    format: Format = FORMAT,
    out: Path | None = OUT,
    lang: Language = LANG,
) -> None:
    """Overdue visits (走访逾期报表): one row per obligation — who owes which visit to whom, missed periods, days overdue."""
    from workflow.obligations.reports import overdue_report

    def read(session: Session, day: dt.date, moment: dt.datetime | None):
        found = overdue_report(session, unit_code=unit, as_of=day, known_at=moment, rules=rule, roles=role, statuses=status, person_id=person, from_=_date(start))
        counts = (", " if lang is Language.en else ",").join(f"{labels.word(s, lang.value)} {getattr(found.total, s)}" for s in ("overdue", "due", "pending", "met", "not_owed"))
        return found.rows, f"{found.total.instances} obligations: {counts}" if lang is Language.en else f"共 {found.total.instances} 项义务:{counts}"

    _report(OVERDUE, read, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("scorecard")
def scorecard(
    unit: str = UNIT,
    as_of: str | None = AS_OF,
    known_at: str | None = KNOWN_AT,
    rule: list[str] | None = RULES,
    role: list[str] | None = ROLES,
    start: str | None = typer.Option(None, "--from", help="Evaluate every period from the one containing this date (YYYY-MM-DD)."),
    format: Format = FORMAT,
    out: Path | None = OUT,
    lang: Language = LANG,
) -> None:
    """Officials' scorecard (走访考核排名): closed periods owed, met and missed, and the on-time rate, best first."""
    from workflow.obligations.reports import scorecard as scores

    def read(session: Session, day: dt.date, moment: dt.datetime | None):
        return scores(session, unit_code=unit, as_of=day, known_at=moment, rules=rule, roles=role, from_=_date(start)).scores, ""

    _report(SCORECARD, read, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("missing-signatures")
def missing_signatures(
    unit: str = UNIT,
    as_of: str | None = AS_OF,
    known_at: str | None = KNOWN_AT,
    level: ExitLevel | None = typer.Option(None, "--level", help="Only cases of households, villages or counties."),
    blocked: bool | None = typer.Option(None, "--blocked/--ready", help="--blocked: only cases nobody can sign yet; --ready: only cases ready to sign."),
    format: Format = FORMAT,
    out: Path | None = OUT,
    lang: Language = LANG,
) -> None:
    """Missing signatures (缺签报表): open exit cases waiting for signatures, longest wait first, and whom to call."""

    def read(session: Session, day: dt.date, moment: dt.datetime | None):
        return waiting_cases(session, unit=unit, as_of=day, known_at=moment, level=level.value if level else None, blocked=blocked), ""

    _report(MISSING_SIGNATURES, read, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("incidence")
def incidence(
    unit: str = UNIT,
    as_of: str | None = AS_OF,
    known_at: str | None = KNOWN_AT,
    start: str | None = typer.Option(None, "--from", help="First date of the series (default: only as_of), e.g. 2014-01-01."),
    every: str = typer.Option("year", "--every", help=f"Step of the series: {', '.join(STEPS)}."),
    level: Level | None = typer.Option(None, "--level", help="Every unit of this level below the unit (default: the unit and its direct children)."),
    format: Format = FORMAT,
    out: Path | None = OUT,
    lang: Language = LANG,
) -> None:
    """Poverty incidence (贫困发生率) of the unit and its parts at the end of each period up to as_of."""

    def read(session: Session, day: dt.date, moment: dt.datetime | None):
        return incidence_rows(session, unit=unit, as_of=day, known_at=moment, start=_date(start), every=every, level=level), ""

    _report(INCIDENCE, read, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


# ---- the source's other duties, each evaluated on the day --as-of ------------------------


def _on_day(sheet: Sheet, read, *, unit: str, as_of: str | None, known_at: str | None, fmt: Format, out: Path | None, lang: Language, keep=None) -> None:
    def rows(session: Session, day: dt.date, moment: dt.datetime | None):
        found = on_day_rows(read, session, unit=unit, as_of=day, known_at=moment)
        return [row for row in found if keep is None or keep(row)], ""

    _report(sheet, rows, unit=unit, as_of=as_of, known_at=known_at, fmt=fmt, out=out, lang=lang)


@report_app.command("unpaired")
def unpaired(unit: str = UNIT, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT, format: Format = FORMAT, out: Path | None = OUT, lang: Language = LANG) -> None:
    """Unpaired poor households (未结对贫困户) on the day: since when, and the township's cadres with room under the cap."""
    from workflow.pairings.reports import unpaired_households

    _on_day(UNPAIRED, unpaired_households, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("pairing-coverage")
def pairing_coverage(unit: str = UNIT, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT, format: Format = FORMAT, out: Path | None = OUT, lang: Language = LANG) -> None:
    """Pairing coverage (结对帮扶覆盖率) on the day: paired ÷ registered poor households, per unit."""
    from workflow.pairings.reports import pairing_coverage as coverage

    _on_day(COVERAGE, coverage, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("deep-poverty")
def deep_poverty(unit: str = UNIT, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT, format: Format = FORMAT, out: Path | None = OUT, lang: Language = LANG) -> None:
    """Deep-poverty households paired with a cadre who is not a party leading cadre (深度贫困户结对提示): advisories."""
    from workflow.pairings.reports import deep_poverty_advisories

    _on_day(ADVISORIES, deep_poverty_advisories, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("work-teams")
def work_teams(
    unit: str = UNIT,
    as_of: str | None = AS_OF,
    known_at: str | None = KNOWN_AT,
    problem: list[str] | None = typer.Option(None, "--problem", help="Problem to keep, repeatable: no_work_team, no_team, below_strength, no_first_secretary."),
    format: Format = FORMAT,
    out: Path | None = OUT,
    lang: Language = LANG,
) -> None:
    """Work-team gaps (驻村工作队缺口) on the day: villages without the team they need, teams below strength or without a 第一书记, since when."""
    from workflow.teams.reports import team_gaps

    _on_day(TEAM_GAPS, team_gaps, unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang, keep=(lambda row: row.problem in problem) if problem else None)


YEAR = typer.Option(None, "--year", help="Campaign year (default: as-of's year for results, the latest closed year for the lists), e.g. 2017.")


@report_app.command("plan-results")
def plan_results(unit: str = UNIT, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT, year: int | None = YEAR, format: Format = FORMAT, out: Path | None = OUT, lang: Language = LANG) -> None:
    """Reduction plan results (年度减贫计划完成情况): each unit's plan against the exits of the year."""
    from functools import partial

    from workflow.plans.reports import plan_results as results

    _on_day(PLAN_RESULTS, partial(results, year=year), unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("plan-bonus")
def plan_bonus(unit: str = UNIT, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT, year: int | None = YEAR, format: Format = FORMAT, out: Path | None = OUT, lang: Language = LANG) -> None:
    """After the year: the village committee bonus list (村两委绩效奖励名单), completed and forfeited."""
    from functools import partial

    from workflow.plans.reports import bonus_list

    _on_day(BONUS, partial(bonus_list, year=year), unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)


@report_app.command("accountability")
def accountability(unit: str = UNIT, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT, year: int | None = YEAR, format: Format = FORMAT, out: Path | None = OUT, lang: Language = LANG) -> None:
    """After the planned year: villages and households not exited by its end, and the officials held to account (问责名单)."""
    from functools import partial

    from workflow.plans.reports import accountability_list

    _on_day(ACCOUNTABILITY, partial(accountability_list, year=year), unit=unit, as_of=as_of, known_at=known_at, fmt=format, out=out, lang=lang)
