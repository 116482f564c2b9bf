"""The exit-tracker command: set-up, sample data, serving and rule-book checks."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli_audit import audit_app, replay
from api.cli_reports import report_app
from rules import RuleBookError, RuleBooksRefused, load_rule_book
from rules.loader import book_files
from rules.registry import RULES_DIR_ENV, SHIPPED_ENV, load_configured, shipped_files
from workflow.db import database_url, make_engine

app = typer.Typer(
    help="exit-tracker: the 三走访三签字 records system. The database is $EXIT_TRACKER_DATABASE_URL "
    "(default: sqlite:///exit-tracker.db in the working directory). The rule books are the shipped ones "
    "and those in $EXIT_TRACKER_RULES_DIR: see `exit-tracker rules --help`. A new database: init-db, then setup.",
    no_args_is_help=True,
    add_completion=False,
)
RULES_HELP = f"""Check and list rule books.

The books in use are the shipped Hunan books (rules/*.toml) and every *.toml file in the
directory ${RULES_DIR_ENV}; ${SHIPPED_ENV}=no leaves the shipped ones out. Each book is in
force from its effective_from until the day before the next one's. To add a book (another
province's, or Hunan's next revision): copy rules/hunan-2017.toml, give it its own id and a
later effective_from, change what differs, check it with `exit-tracker rules check DIR`, then
set ${RULES_DIR_ENV}=DIR for the server and the CLI. A bad or conflicting book stops every
command but these two from starting, naming the file, the key and the problem.
"""
rules_app = typer.Typer(help=RULES_HELP, no_args_is_help=True)
app.add_typer(rules_app, name="rules")
accounts_app = typer.Typer(help="Create, list and revoke API accounts and their tokens.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
import_app = typer.Typer(help="Bulk-load records from files, all-or-nothing per file.", no_args_is_help=True)
app.add_typer(import_app, name="import")


def _cli_actor():
    """The operator at this terminal, as the log records them: who gave whom access."""
    import getpass

    from workflow.eventlog import Actor

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(account=f"cli:{user}"[:64])


def _fail(exc) -> None:
    field = f" [{exc.field}]" if exc.field else ""
    typer.echo(f"拒绝({exc.code}):{exc.zh}{field}\nrefused ({exc.code}): {exc.en}{field}", err=True)
    raise typer.Exit(1)


def _refused_file(file, exc) -> None:
    """A refused import's bad lines, each by number and column in Chinese then English, then exit 1."""
    for problem in exc.problems:
        zh, en = (f"〔{problem.field}〕", f" [{problem.field}]") if problem.field else ("", "")
        typer.echo(f"第 {problem.line} 行{zh}:{problem.zh}  (line {problem.line}: {problem.code}{en}: {problem.en})", err=True)
    if exc.failed > len(exc.problems):
        more = exc.failed - len(exc.problems)
        typer.echo(f"…另有 {more} 行有误 / … and {more} more bad lines", err=True)
    typer.echo(f"{file}: {exc.zh}\n{file}: {exc.en}", err=True)
    raise typer.Exit(1)


app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.command("replay")(replay)


@app.callback()
def _refuse_bad_rule_books(ctx: typer.Context) -> None:
    """Every command but `rules …` starts only with usable rule books, rather than fail later."""
    if ctx.invoked_subcommand == "rules":
        return
    try:
        load_configured()
    except RuleBooksRefused as exc:
        _refuse_rule_books(exc)


def _refuse_rule_books(exc: RuleBooksRefused) -> None:
    typer.echo("规则文件有误,程序未启动 / the rule books in use cannot be used; nothing was started:", err=True)
    for line in exc.lines:
        typer.echo(f"  {line}", err=True)
    typer.echo(f"Mend or remove the file (check with `exit-tracker rules check DIR`), or change ${RULES_DIR_ENV} / ${SHIPPED_ENV}.", err=True)
    raise typer.Exit(1)


@app.command("errors")
def errors_table() -> None:
    """Print every refusal code: its HTTP status, field and wordings in both languages (Markdown)."""
    from workflow import errors

    typer.echo(errors.table(errors.CATALOGUE), nl=False)


@app.command("init-db")
def init_db() -> None:
    """Create the database, or bring it to the newest schema, by running the migrations."""
    from workflow.migrate import upgrade

    engine = make_engine()
    upgrade(engine)
    typer.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    engine.dispose()


@app.command("setup")
def setup(
    level: str = typer.Option(..., "--level", help="province or city: the top of your org tree."),
    code: str = typer.Option(..., "--code", help="The top unit's code, e.g. 431200000000."),
    name: str = typer.Option(..., "--name", help="The top unit's name, e.g. 怀化市."),
    admin: str = typer.Option("系统管理员", "--admin", help="Who uses the first admin account, e.g. '怀化市扶贫办'."),
    name_en: str | None = typer.Option(None, "--name-en", help="The unit's English name (optional)."),
) -> None:
    """Start an empty database: create the top unit (a province or a city) and the first admin account.

    Run once, after `init-db`; prints the admin's bearer token once (only its hash is kept).
    The admin then adds units, people, posts and households below the top unit through the API.
    """
    from workflow.db import transaction
    from workflow.errors import DomainError
    from workflow.setup import set_up

    engine = make_engine()
    try:
        with transaction(engine) as session:
            unit, account, token = set_up(session, actor=_cli_actor(), level=level, code=code, name=name, name_en=name_en, admin_name=admin)
    except DomainError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"top unit {unit.name} ({unit.code}, {unit.level}) created")
    typer.echo(f"admin account {account.id} created: {account.name}, scope {unit.code}")
    typer.echo("token (shown once; keep it secret):")
    typer.echo(token)


@app.command("load-sample")
def load_sample(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the database already holds records."),
) -> None:
    """Load the small Huaihua-shaped sample data set (org tree, people, posts, pairings, visits)."""
    from sample_data.load import database_is_empty, demo_accounts, load_sample_data
    from workflow.db import transaction

    engine = make_engine()
    with transaction(engine) as session:
        if if_empty and not database_is_empty(session):
            typer.echo("database already holds records; sample data not loaded")
            return
        counts = load_sample_data(session)
        demo = demo_accounts(session)
    typer.echo("sample data loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    typer.echo("demo accounts of the web app (http://HOST:PORT/): user name, role, scope, one-time password — shown once, keep them")
    for name, role, scope, password in demo:
        typer.echo(f"  {name}  {role}  {scope}  {password}")
    engine.dispose()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the REST API (OpenAPI at /docs) on the configured database."""
    import uvicorn

    typer.echo(f"serving {database_url()} on http://{host}:{port}/  (the web app; API docs: http://{host}:{port}/docs)")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


@rules_app.command("check")
def rules_check(paths: list[Path] = typer.Argument(..., help="Rule-book TOML files, or directories of them (every *.toml file).")) -> None:
    """Validate rule books and the conflicts between them, with the shipped books as the server
    would load them; print each problem with the file, the key and what is wrong."""
    files = book_files(*paths)
    if not files:
        typer.echo(f"no *.toml rule-book file in {', '.join(map(str, paths))}", err=True)
        raise typer.Exit(1)
    books, failed = [], False
    for path in files:
        try:
            book = load_rule_book(path)
        except RuleBookError as exc:
            failed = True
            for line in exc.lines:
                typer.echo(line, err=True)
            continue
        books.append(book)
        typer.echo(f"{path}: ok — {book.id}, effective {book.effective_from}, {len(book.visit_rules)} visit rules, time zone {book.time_zone}")
    if failed:
        raise typer.Exit(1)
    try:
        shipped = shipped_files()
        together = load_configured([*shipped, *files])
    except RuleBooksRefused as exc:
        for line in exc.lines:
            typer.echo(line, err=True)
        raise typer.Exit(1) from None
    beside = f" beside the {len(shipped)} shipped" if shipped else f" (shipped books left out: ${SHIPPED_ENV}=no)"
    typer.echo(f"{len(together.books)} books{beside}: no conflicts")
    _print_books(together)


@rules_app.command("list")
def rules_list() -> None:
    """The rule books in use, oldest first: id, title, the days each is in force, its file."""
    try:
        books = load_configured()
    except RuleBooksRefused as exc:
        _refuse_rule_books(exc)
    _print_books(books)


def _print_books(books) -> None:
    from workflow.clock import local_date, now

    today = local_date(now(), books.zone)
    for book in books.books:
        until = books.valid_until(book)
        current = " (in force today 今日生效)" if book.effective_from <= today and (until is None or today <= until) else ""
        typer.echo(f"{book.id}  {book.title}  {book.effective_from} – {until or 'until further notice 至今'}{current}  "
                   f"zone {book.time_zone}, {len(book.visit_rules)} visit rules  {book.source}")


@accounts_app.command("create")
def accounts_create(
    name: str = typer.Option(..., "--name", help="Who uses the account, e.g. '北斗溪镇录入员'."),
    roles: list[str] = typer.Option(..., "--role", help="admin, recorder, supervisor or auditor; repeat for several."),
    scope: str = typer.Option(..., "--scope", help="Org unit code: the account sees and writes only this subtree."),
    person: str | None = typer.Option(None, "--person", help="Person id the account signs as (optional)."),
    password: bool = typer.Option(False, "--password", help="Also ask for a password to sign in to the web app with (the user name is --name)."),
) -> None:
    """Create an account and print its bearer token (shown once: only its hash is kept)."""
    from workflow.accounts import service as accounts
    from workflow.accounts import signin
    from workflow.db import transaction
    from workflow.errors import DomainError

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    engine = make_engine()
    try:
        with transaction(engine) as session:
            actor = _cli_actor()
            account, token = accounts.create_account(session, actor=actor, name=name, roles=roles, scope_code=scope, person_id=person)
            if secret is not None:
                signin.set_password(session, actor=actor, account_id=account.id, password=secret)
    except DomainError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"account {account.id} created: {account.name}, roles {account.roles}, scope {account.scope_code}")
    if secret is not None:
        typer.echo(f"web sign-in: user name {account.name!r} with the password given")
    typer.echo("token (shown once; keep it secret):")
    typer.echo(token)


@accounts_app.command("set-password")
def accounts_set_password(account_id: str = typer.Argument(..., help="The account id (see `accounts list`).")) -> None:
    """Set or reset an account's web sign-in password (asked for twice, never shown); the log records who set it."""
    from workflow.accounts import signin
    from workflow.db import transaction
    from workflow.errors import DomainError

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    engine = make_engine()
    try:
        with transaction(engine) as session:
            account = signin.set_password(session, actor=_cli_actor(), account_id=account_id, password=secret)
    except DomainError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"password set: account {account_id} signs in to the web app as {account.name!r}")


@accounts_app.command("revoke")
def accounts_revoke(
    account_id: str = typer.Argument(..., help="The account id (see `accounts list`)."),
    reason: str = typer.Option(..., "--reason", help="Why access ends; kept in the audit log."),
) -> None:
    """Revoke an account: its tokens stop working at once."""
    from workflow.accounts import service as accounts
    from workflow.db import transaction
    from workflow.errors import DomainError

    engine = make_engine()
    try:
        with transaction(engine) as session:
            accounts.revoke_account(session, actor=_cli_actor(), account_id=account_id, reason=reason)
    except DomainError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"account {account_id} revoked")


@accounts_app.command("list")
def accounts_list() -> None:
    """List every account: id, name, roles, scope, person, created and revoked times."""
    from workflow.accounts import service as accounts
    from workflow.db import transaction

    engine = make_engine()
    with transaction(engine) as session:
        rows = accounts.list_accounts(session)
    engine.dispose()
    if not rows:
        typer.echo("no accounts; create one with `exit-tracker accounts create`")
    for a in rows:
        state = f"revoked {a.revoked_at:%Y-%m-%d %H:%M}Z ({a.revoked_reason})" if a.revoked_at else "active"
        typer.echo(f"{a.id}  {a.name}  roles={a.roles}  scope={a.scope_code}  person={a.person_id or '-'}  created {a.created_at:%Y-%m-%d %H:%M}Z  {state}")


@import_app.command("records")
def import_records(
    kind: str = typer.Argument(..., help="units, people, posts, households, population, pairings or links (`exit-tracker templates DIR` writes one sheet of each)."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A .xlsx workbook (its first sheet) or a .csv file (UTF-8 or GBK), headers in Chinese or English."),
    migration: bool = typer.Option(False, "--migration", help="The file holds records of the time before the product kept them (e.g. 2014–2017): the log marks the import as a migration."),
) -> None:
    """Onboard records of KIND from FILE, all or nothing: every bad row is listed by line and column, then nothing is written.

    Rows refer to each other by the office's own codes (unit code, person number, household
    number). A row already on file changes nothing; a row that ends a tenure, pairing or link
    (or a concentrated township's designation), corrects a name or gives a year's rural
    population records that as its event; import the kinds in the order above. A household's
    exit date is taken only with --migration (an exit signed on paper before the product).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from workflow.db import transaction
    from workflow.errors import DomainError
    from workflow.imports import onboarding
    from workflow.imports.visits import ImportRefused

    engine = make_engine()
    data = file.read_bytes()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True) as bar:
            task = bar.add_task(f"importing {file.name}", total=None)
            with transaction(engine) as session:
                done = onboarding.onboard(session, actor=_cli_actor(), kind=kind, data=data, file_name=file.name, migration=migration, progress=lambda line: bar.update(task, completed=line))
    except ImportRefused as exc:
        _refused_file(file, exc)
    except DomainError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    if done.added == 0 and done.changed == 0:
        typer.echo(f"{file}: {done.rows} 行均已登记,未作任何更改 / all {done.rows} rows already on file, nothing changed")
    else:
        typer.echo(f"{file}: 新增 {done.added},更改 {done.changed},未变 {done.unchanged} / {done.added} added, {done.changed} changed, {done.unchanged} unchanged")


@app.command("templates")
def templates(directory: Path = typer.Argument(..., file_okay=False, help="Where to write one XLSX template per kind.")) -> None:
    """Write an XLSX template per kind of record `import records` takes: the headers, an example row, and a 说明 sheet with the valid codes."""
    from workflow.imports import onboarding

    directory.mkdir(parents=True, exist_ok=True)
    for name, kind in onboarding.KINDS.items():
        path = directory / f"{name}-{kind.zh}.xlsx"
        path.write_bytes(onboarding.template(name))
        typer.echo(path)


@import_app.command("visits")
def import_visits(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A .csv file with a header row, or a .jsonl file (one JSON object a line)."),
    again: bool = typer.Option(False, "--again", help="Import the file even though the same content was imported before."),
    migration: bool = typer.Option(False, "--migration", help="The file holds records of the time before the product kept them (e.g. 2014–2017): the log marks the import as a migration."),
) -> None:
    """Import visits from FILE, all or nothing, once: every bad line is listed and then nothing is written.

    The lines are checked before the import takes the write lock, so a refused file never
    makes other writers wait. A file whose content was imported before is refused, naming
    that import, unless --again.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from sqlmodel import Session

    from workflow.db import read_only, transaction
    from workflow.errors import DomainError
    from workflow.imports import visits as visit_import

    engine = make_engine()
    try:
        visit_file = visit_import.VisitFile.read(file.read_bytes(), file.name)  # the bytes go once read: a year's file is hundreds of MB
        text = visit_file.text
        total = max(text.count("\n") + (0 if text.endswith("\n") else 1), 1)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True) as bar:
            checking = bar.add_task(f"checking {file.name}", total=total)
            with Session(read_only(engine)) as session:
                visit_import.check_file(session, visit_file, again=again, progress=lambda line: bar.update(checking, completed=line))
            importing = bar.add_task(f"importing {file.name}", total=total)
            with transaction(engine) as session:
                imported = visit_import.import_file(session, visit_file, actor=_cli_actor(), again=again, migration=migration, progress=lambda line: bar.update(importing, completed=line))
    except visit_import.ImportRefused as exc:
        _refused_file(file, exc)
    except DomainError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"{file}: {imported.visits} visits imported{' as a migration' if imported.migration else ''} (import {imported.id}, sha256 {imported.content_sha256})")
