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
    checkpoint: Path | None = typer.Option(None, help="A saved checkpoint, or a folder of exported ones: also prove the log up to each has not changed since."),
    public_key: Path | None = typer.Option(None, help="The trusted public key for the checkpoints (default: the key each names)."),
) -> None:
    """Recompute the hash chain and check every table against a replay of the log.

    Also reports how many events the newest checkpoint the server kept leaves uncovered.
    Exits 0 when everything agrees, 1 at the first broken event, altered row or failing
    checkpoint, which it names.
    """
    from workflow.audit.checkpoint import coverage, load_public_key, read_checkpoints, verify_checkpoint
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
        trusted = load_public_key(public_key) if public_key else None
        kept = coverage(session, report.chain, trusted)
        if kept.newest_seq is None:
            typer.echo(f"uncovered: no checkpoint kept in the database; none of the {kept.uncovered} events is covered")
        elif kept.problem is None:
            typer.echo(f"uncovered: {kept.uncovered} events after the newest kept checkpoint (event {kept.newest_seq}, made {kept.made_at})")
        else:
            failed = True
            typer.echo(f"KEPT CHECKPOINT at event {kept.newest_seq} FAILS: {kept.problem}")
        for path, saved in read_checkpoints(checkpoint) if checkpoint else ():
            check = verify_checkpoint(session, saved, trusted, chain=report.chain)
            if check.ok:
                typer.echo(f"checkpoint at event {check.seq} ({path.name}): verified; the log has grown by {check.grown_by} events since")
            else:
                failed = True
                typer.echo(f"CHECKPOINT FAILS ({path.name}): {check.problem}")
    engine.dispose()
    raise typer.Exit(1 if failed else 0)


@audit_app.command("notice")
def notice(
    seq: int = typer.Option(..., "--seq", help="The notice's event number, as the public notice page showed it."),
    hash: str = typer.Option(..., "--hash", help="The notice's event hash, as the public notice page showed it (kept by whoever checks)."),
    checkpoint: Path | None = typer.Option(None, help="A saved checkpoint, or a folder of exported ones: prove the log up to each unchanged."),
    public_key: Path | None = typer.Option(None, help="The trusted public key for the checkpoints (default: the key each names)."),
) -> None:
    """Prove a public notice (公示) was not changed after it was published.

    Recomputes the notice event's hash and compares it with the published one, recomputes the
    whole hash chain (so nothing before the notice — its household, its assessment — changed
    either without breaking it), and checks each checkpoint given: one at or after the notice's
    event that verifies proves all of this held when the office signed it. Exits 0 when all
    agree, 1 otherwise, naming what fails.
    """
    from workflow.audit.checkpoint import load_public_key, read_checkpoints, verify_checkpoint
    from workflow.eventlog.verify import verify_chain
    from workflow.notices.service import prove_notice

    engine = make_engine()
    failed = False
    with Session(read_only(engine)) as session:
        proof = prove_notice(session, seq=seq, published_hash=hash)
        if not proof.found:
            failed = True
            typer.echo(f"NO NOTICE EVENT {seq} in the log")
        elif proof.unchanged:
            typer.echo(f"notice event {seq}: recomputed hash {proof.hash_recomputed} is the published one")
        else:
            failed = True
            typer.echo(f"NOTICE EVENT {seq} CHANGED: recomputed {proof.hash_recomputed}, published {proof.published_hash}")
        chain = verify_chain(session)
        if chain.first_break:
            failed = True
            typer.echo(f"CHAIN BROKEN at event {chain.first_break.seq}: {chain.first_break.problem}")
        else:
            typer.echo(f"chain: intact up to event {chain.head_seq}")
        trusted = load_public_key(public_key) if public_key else None
        covering = 0
        for path, saved in read_checkpoints(checkpoint) if checkpoint else ():
            check = verify_checkpoint(session, saved, trusted, chain=chain)
            if not check.ok:
                failed = True
                typer.echo(f"CHECKPOINT FAILS ({path.name}): {check.problem}")
            elif check.seq >= seq:
                covering += 1
                typer.echo(f"checkpoint at event {check.seq} ({path.name}): verified, and it covers the notice")
            else:
                typer.echo(f"checkpoint at event {check.seq} ({path.name}): verified, but it is older than the notice")
        if checkpoint and not covering:
            typer.echo("no checkpoint given covers the notice yet: the chain alone vouches for it")
    engine.dispose()
    raise typer.Exit(1 if failed else 0)


@audit_app.command("export-checkpoints")
def export_checkpoints(out: Path = typer.Option(..., "--out", help="A folder off this machine's disks, or one copied off it (see docs/AUDIT.md).")) -> None:
    """Write every checkpoint the server signed and kept to a file of its own in OUT (those not there yet)."""
    from workflow.audit.checkpoint import export_checkpoints as export

    engine = make_engine()
    with Session(read_only(engine)) as session:
        written = export(session, out)
    engine.dispose()
    typer.echo(f"{len(written)} checkpoints exported to {out}" + (f", the newest {written[-1].name}" if written else ""))


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
