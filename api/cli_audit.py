"""Auditor commands: verify the log and tables, sign checkpoints, rebuild a database as it was."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from sqlmodel import Session

from workflow.db import make_engine, read_only

audit_app = typer.Typer(help="Verify the event log and the tables; sign and check checkpoints.", no_args_is_help=True)

KEY_HELP = "Ed25519 private key file, kept outside the database (make one with `audit keygen`)."


@audit_app.command("verify")
def verify(
    checkpoint: Path | None = typer.Option(None, help="A saved checkpoint: also prove the log since then has only grown."),
    public_key: Path | None = typer.Option(None, help="The trusted public key for the checkpoint (default: the key it names)."),
) -> None:
    """Recompute the hash chain and check every table against a replay of the log.

    Exits 0 when everything agrees, 1 at the first broken event or altered row, which it names.
    """
    from workflow.audit.checkpoint import load_public_key, read_checkpoint, verify_checkpoint
    from workflow.audit.verify import audit

    engine = make_engine()
    failed = False
    with Session(read_only(engine)) as session:
        report = audit(session)
        typer.echo(f"events: {report.chain.events}, head: {report.chain.head_seq} {report.chain.head_hash}")
        if report.chain.first_break:
            failed = True
            typer.echo(f"CHAIN BROKEN at event {report.chain.first_break.seq}: {report.chain.first_break.problem}")
        else:
            typer.echo("chain: intact")
        if report.projection:
            failed = True
            diff = report.projection
            typer.echo(f"TABLE {diff.table} differs from the log: {diff.problem} {diff.key} {diff.columns or ''} (last event about it: {diff.last_event_seq})")
        else:
            typer.echo("tables: match a replay of the log")
        if checkpoint:
            trusted = load_public_key(public_key) if public_key else None
            check = verify_checkpoint(session, read_checkpoint(checkpoint), trusted, chain=report.chain)
            if check.ok:
                typer.echo(f"checkpoint at event {check.seq}: verified; the log has grown by {check.grown_by} events since")
            else:
                failed = True
                typer.echo(f"CHECKPOINT FAILS: {check.problem}")
    engine.dispose()
    raise typer.Exit(1 if failed else 0)


@audit_app.command("keygen")
def keygen(key: Path = typer.Option(..., "--key", help="Where to write the new private key; the public key goes to KEY.pub.")) -> None:
    """Make an Ed25519 key pair for signing checkpoints."""
    from workflow.audit.checkpoint import generate_key

    public = generate_key(key)
    typer.echo(f"private key: {key} (keep it off the database server)\npublic key: {public}")


@audit_app.command("checkpoint")
def checkpoint(
    key: Path = typer.Option(..., "--key", help=KEY_HELP),
    out: Path = typer.Option(..., "--out", help="Where to write the signed checkpoint (JSON)."),
) -> None:
    """Sign a statement of the log's current head (seq, hash, time) and write it to a file."""
    from workflow.audit.checkpoint import make_checkpoint

    engine = make_engine()
    with Session(read_only(engine)) as session:
        statement = make_checkpoint(session, key)
    out.write_text(json.dumps(statement, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"checkpoint at event {statement['seq']} ({statement['head_hash']}) written to {out}")
    engine.dispose()


def _until(value: str) -> tuple[int | None, dt.datetime | None]:
    from workflow.clock import parse_moment
    from workflow.errors import DomainError

    if value.isdigit():
        return int(value), None
    try:
        return None, parse_moment(value, field="--until")
    except DomainError as exc:
        raise typer.BadParameter(f"give an event seq (e.g. 1200) or a moment: {exc.en}") from None


def replay(
    until: str = typer.Option(..., "--until", help="Last event seq, or a moment (events recorded by then)."),
    to: str = typer.Option(..., "--to", help="URL of an empty database to build, e.g. sqlite:///then.db."),
) -> None:
    """Rebuild a whole database as it was at a point in the log, into another database."""
    from workflow.audit.rebuild import replay_database
    from workflow.eventlog.log import head

    until_seq, until_recorded = _until(until)
    source_engine, target_engine = make_engine(), make_engine(to)
    with Session(read_only(source_engine)) as source:
        total = until_seq or head(source)[0]
        with typer.progressbar(length=total, label="replaying") as bar:
            done = [0]

            def advance(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            count = replay_database(source, target_engine, until_seq=until_seq, until_recorded=until_recorded, progress=advance)
    typer.echo(f"{count} events replayed into {target_engine.url.render_as_string(hide_password=True)}")
    source_engine.dispose()
    target_engine.dispose()
