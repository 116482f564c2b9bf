"""The exit-tracker command: set-up, sample data, serving and rule-book checks."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli_audit import audit_app, replay
from rules import RuleBookError, load_rule_book
from workflow.db import database_url, make_engine

app = typer.Typer(
    help="exit-tracker: the 三走访三签字 records system. The database is $EXIT_TRACKER_DATABASE_URL "
    "(default: sqlite:///exit-tracker.db in the working directory).",
    no_args_is_help=True,
    add_completion=False,
)
rules_app = typer.Typer(help="Work with rule-book files.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(audit_app, name="audit")
app.command("replay")(replay)


@app.command("init-db")
def init_db() -> None:
    """Create the database, or bring it to the newest schema, by running the migrations."""
    from workflow.migrate import upgrade

    engine = make_engine()
    upgrade(engine)
    typer.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    engine.dispose()


@app.command("load-sample")
def load_sample(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the database already holds records."),
) -> None:
    """Load the small Huaihua-shaped sample data set (org tree, people, posts, pairings, visits)."""
    from sample_data.load import database_is_empty, load_sample_data
    from workflow.db import transaction

    engine = make_engine()
    with transaction(engine) as session:
        if if_empty and not database_is_empty(session):
            typer.echo("database already holds records; sample data not loaded")
            return
        counts = load_sample_data(session)
    typer.echo("sample data loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    engine.dispose()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the REST API (OpenAPI at /docs) on the configured database."""
    import uvicorn

    typer.echo(f"serving {database_url()} on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


@rules_app.command("check")
def rules_check(files: list[Path] = typer.Argument(..., help="Rule-book TOML files to validate.")) -> None:
    """Validate rule-book files; print each problem with the file, the key and what is wrong."""
    failed = False
    for path in files:
        try:
            book = load_rule_book(path)
        except RuleBookError as exc:
            failed = True
            for key, message in exc.problems:
                typer.echo(f"{exc.path}: {key}: {message}", err=True)
            continue
        typer.echo(f"{path}: ok — {book.id}, effective {book.effective_from}, {len(book.visit_rules)} visit rules, time zone {book.time_zone}")
    raise typer.Exit(1 if failed else 0)
