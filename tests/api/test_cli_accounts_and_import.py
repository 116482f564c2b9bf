"""The CLI: accounts create | list | revoke, and `import visits FILE` all or nothing."""

import datetime as dt

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app
from tests.factories import build_tree, person_in_post
from workflow.accounts import service as accounts
from workflow.db import transaction
from workflow.imports.models import VisitImport
from workflow.imports.visits import LISTED_LINES
from workflow.visits.models import Visit


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setenv("EXIT_TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return CliRunner()


def test_an_account_is_created_with_a_token_shown_once_listed_and_revoked(cli, engine):
    with transaction(engine) as session:
        tree = build_tree(session)
    created = cli.invoke(app, ["accounts", "create", "--name", "溆浦县督查", "--role", "supervisor", "--scope", tree.county])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    with transaction(engine) as session:
        account = accounts.account_for_token(session, token)
        assert account.name == "溆浦县督查" and account.scope_code == tree.county
    listed = cli.invoke(app, ["accounts", "list"])
    assert account.id in listed.output and "active" in listed.output and token not in listed.output
    revoked = cli.invoke(app, ["accounts", "revoke", account.id, "--reason", "调离"])
    assert revoked.exit_code == 0
    assert "revoked" in cli.invoke(app, ["accounts", "list"]).output
    refused = cli.invoke(app, ["accounts", "create", "--name", "x", "--role", "auditor", "--role", "recorder", "--scope", tree.county])
    assert refused.exit_code == 1 and "auditor_cannot_write" in refused.output


def _a_file_of_one_visit(engine, tmp_path):
    """The tree, its township cadre, and a file recording one visit of hers."""
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township, start=dt.date(2017, 1, 1))
    file = tmp_path / "visits.csv"
    file.write_text(f"visitor_id,target_level,target_id,occurred_at\n{cadre},village,{tree.village},2017-07-03T10:00:00+08:00\n", encoding="utf-8")
    return tree, cadre, file


def test_import_visits_writes_every_line_or_none_and_names_the_bad_lines(cli, engine, tmp_path):
    tree, cadre, good = _a_file_of_one_visit(engine, tmp_path)
    header_and_good_line = f"visitor_id,target_level,target_id,occurred_at,notes\n{cadre},village,{tree.village},2017-07-04T10:00:00+08:00,\n"
    bad_third_lines = {
        "visitor_not_in_post [visitor_id]": (f"{cadre},village,{tree.village},2016-07-04T10:00:00+08:00,\n", "gb18030"),
        "nul_character [notes]": (f"{cadre},village,{tree.village},2017-07-05T10:00:00+08:00,座谈\x00\n", "utf-8"),
    }
    for problem, (line, encoding) in bad_third_lines.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(header_and_good_line + line, encoding=encoding)
        failed = cli.invoke(app, ["import", "visits", str(bad)])
        assert failed.exit_code == 1
        assert f"line 3: {problem}" in failed.output and "nothing was imported" in failed.output
    done = cli.invoke(app, ["import", "visits", str(good)])
    assert done.exit_code == 0 and "1 visits imported" in done.output
    with transaction(engine) as session:
        assert session.execute(select(func.count()).select_from(Visit)).scalar_one() == 1


def test_the_same_file_imported_twice_is_refused_naming_the_first_import_unless_again(cli, engine, tmp_path):
    _, _, visits = _a_file_of_one_visit(engine, tmp_path)
    first = cli.invoke(app, ["import", "visits", str(visits)])
    assert first.exit_code == 0, first.output
    with transaction(engine) as session:
        earlier = session.execute(select(VisitImport)).scalar_one()
    # As after a crash just past the commit: the operator runs the same file again.
    again = cli.invoke(app, ["import", "visits", str(visits.rename(tmp_path / "retry.csv"))])
    assert again.exit_code == 1
    assert "file_already_imported" in again.output and earlier.id in again.output and earlier.imported_at.isoformat() in again.output
    assert _visit_count(engine) == 1
    forced = cli.invoke(app, ["import", "visits", str(tmp_path / "retry.csv"), "--again"])
    assert forced.exit_code == 0, forced.output
    assert _visit_count(engine) == 2


def test_a_refusal_lists_the_first_bad_lines_and_counts_them_all(cli, engine, tmp_path):
    with transaction(engine) as session:
        build_tree(session)
    bad = tmp_path / "bad.csv"
    bad.write_text("visitor_id,target_level,target_id,occurred_at\n" + "nobody,village,v,2017-07-03T10:00:00+08:00\n" * (LISTED_LINES + 7), encoding="utf-8")
    failed = cli.invoke(app, ["import", "visits", str(bad)])
    assert failed.exit_code == 1
    assert failed.output.count(": person_not_found [visitor_id]") == LISTED_LINES
    assert "and 7 more bad lines" in failed.output and f"{LISTED_LINES + 7} of {LISTED_LINES + 7} lines" in failed.output


def _visit_count(engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(Visit)).scalar_one()
