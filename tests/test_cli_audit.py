"""The auditor's commands: verify, keygen, checkpoint and replay --until, end to end on a file database."""

from sqlalchemy import select, text
from typer.testing import CliRunner

from api.cli import app
from api.housekeeping import sign_checkpoint
from workflow.db import make_engine, transaction
from workflow.eventlog import Actor, head, seal
from workflow.eventlog.models import Event
from workflow.org import service as org


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _sample_database_and_key(tmp_path, monkeypatch, key_name: str):
    """The URL of a file database holding the sample data, and a new signing key."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("EXIT_TRACKER_DATABASE_URL", url)
    assert _run("init-db").exit_code == 0
    assert _run("load-sample").exit_code == 0
    key = tmp_path / key_name
    assert _run("audit", "keygen", "--key", str(key)).exit_code == 0
    return url, key


def test_audit_commands_catch_an_edited_event_and_replay_rebuilds_the_past(tmp_path, monkeypatch):
    url, key = _sample_database_and_key(tmp_path, monkeypatch, "signing.key")
    checkpoint = tmp_path / "checkpoint.json"
    assert _run("audit", "checkpoint", "--key", str(key), "--out", str(checkpoint)).exit_code == 0
    clean = _run("audit", "verify", "--checkpoint", str(checkpoint), "--public-key", f"{key}.pub")
    assert clean.exit_code == 0, clean.output
    assert "chain: intact" in clean.output and "verified" in clean.output

    replayed = _run("replay", "--until", "40", "--to", f"sqlite:///{tmp_path / 'then.db'}")
    assert replayed.exit_code == 0 and "40 events replayed" in replayed.output
    assert _run("replay", "--until", "yesterday", "--to", f"sqlite:///{tmp_path / 'x.db'}").exit_code != 0

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER event_no_update")
        connection.execute(text("UPDATE event SET account = 'intruder' WHERE seq = 7"))
    engine.dispose()
    tampered = _run("audit", "verify", "--checkpoint", str(checkpoint))
    assert tampered.exit_code == 1
    assert "CHAIN BROKEN at event 7" in tampered.output
    assert "CHECKPOINT FAILS" in tampered.output


def test_exported_checkpoints_catch_a_rewritten_log_that_verifies_on_its_own(tmp_path, monkeypatch):
    url, key = _sample_database_and_key(tmp_path, monkeypatch, "server.key")
    exported = tmp_path / "off-site"
    engine = make_engine(url)
    sign_checkpoint(engine, key)  # as the server does on its schedule
    with transaction(engine) as session:
        covered = head(session)[0]
        org.add_person(session, actor=Actor(account="clerk"), name="向秀英")
    report = _run("audit", "verify")
    assert report.exit_code == 0, report.output
    assert f"uncovered: 1 events after the newest kept checkpoint (event {covered}" in report.output
    export = _run("audit", "export-checkpoints", "--out", str(exported))
    assert export.exit_code == 0 and (exported / f"checkpoint-{covered:012d}.json").exists()
    assert "0 checkpoints exported" in _run("audit", "export-checkpoints", "--out", str(exported)).output

    # Someone with the database rewrites event 7 and every hash after it, and drops the kept checkpoints.
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER event_no_update")
        connection.execute(text("UPDATE event SET account = 'intruder' WHERE seq = 7"))
        connection.execute(text("DELETE FROM audit_checkpoint"))
    with transaction(engine) as session:
        previous = session.get(Event, 6).hash
        for event in session.execute(select(Event).where(Event.seq >= 7).order_by(Event.seq)).scalars():
            event.prev_hash = previous
            previous = seal(event)
    engine.dispose()
    alone = _run("audit", "verify")
    assert alone.exit_code == 0 and "chain: intact" in alone.output and "no checkpoint kept" in alone.output
    against = _run("audit", "verify", "--checkpoint", str(exported), "--public-key", f"{key}.pub")
    assert against.exit_code == 1
    assert f"CHECKPOINT FAILS (checkpoint-{covered:012d}.json): event {covered} no longer has the hash the checkpoint signed" in against.output


def test_audit_notice_proves_a_published_notice_unchanged_up_to_a_checkpoint(tmp_path, monkeypatch):
    from sqlmodel import Session

    from tests.factories import case_in_notice_now
    from workflow.exits.models import ExitCase
    from workflow.notices.service import notices_running
    from workflow.org.models import Household

    url, key = _sample_database_and_key(tmp_path, monkeypatch, "notice.key")
    engine = make_engine(url)
    with transaction(engine) as session:
        free = select(Household.id).where(Household.id.not_in(select(ExitCase.subject_id)), Household.status == "registered").order_by(Household.id).limit(1)
        case_in_notice_now(session, session.execute(free).scalar_one())
    with Session(engine) as session:
        [notice] = notices_running(session)
    engine.dispose()
    checkpoint = tmp_path / "after-notice.json"
    assert _run("audit", "checkpoint", "--key", str(key), "--out", str(checkpoint)).exit_code == 0
    proved = _run("audit", "notice", "--seq", str(notice.event_seq), "--hash", notice.event_hash, "--checkpoint", str(checkpoint), "--public-key", f"{key}.pub")
    assert proved.exit_code == 0, proved.output
    assert "is the published one" in proved.output and "chain: intact" in proved.output and "covers the notice" in proved.output
    wrong = _run("audit", "notice", "--seq", str(notice.event_seq), "--hash", "0" * 64)
    assert wrong.exit_code == 1 and f"NOTICE EVENT {notice.event_seq} CHANGED" in wrong.output
