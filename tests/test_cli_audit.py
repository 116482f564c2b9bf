"""The auditor's commands: verify, keygen, checkpoint and replay --until, end to end on a file database."""

from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from workflow.db import make_engine


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_audit_commands_catch_an_edited_event_and_replay_rebuilds_the_past(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("EXIT_TRACKER_DATABASE_URL", url)
    assert _run("init-db").exit_code == 0
    assert _run("load-sample").exit_code == 0
    key, checkpoint = tmp_path / "signing.key", tmp_path / "checkpoint.json"
    assert _run("audit", "keygen", "--key", str(key)).exit_code == 0
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
