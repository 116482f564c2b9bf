"""Rule books an operator supplies in $EXIT_TRACKER_RULES_DIR, as the real CLI sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.loader import SHIPPED_DIR
from tests.test_fresh_install import exit_tracker

HUNAN = (SHIPPED_DIR / "hunan-2017.toml").read_text(encoding="utf-8")


def book(directory: Path, name: str, **changes: str) -> Path:
    """A copy of the Hunan book in `directory`, with `key = value` lines replaced."""
    text = HUNAN
    for key, value in changes.items():
        line = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
        text = text.replace(line, f"{key} = {value}", 1)
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def with_books(url: str, directory: Path, *args: str, **env: str):
    return exit_tracker(url, *args, env={"EXIT_TRACKER_RULES_DIR": str(directory), **env})


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'books.db'}"


def test_a_second_book_from_the_same_day_fails_the_check_naming_both_files(tmp_path, url):
    same_day = book(tmp_path / "books", "hunan-copy.toml", id='"hunan-2017-copy"')
    checked = exit_tracker(url, "rules", "check", str(tmp_path / "books"))
    assert checked.returncode == 1
    assert f"{same_day}: effective_from: 2017-06-01 is also when hunan-2017" in checked.stderr
    assert "hunan-2017.toml" in checked.stderr.split("is also when", 1)[1]


def test_two_books_with_one_id_or_two_time_zones_fail_the_check(tmp_path, url):
    book(tmp_path / "books", "a.toml", id='"guizhou-2017"', effective_from="2018-01-01")
    other = book(tmp_path / "books", "b.toml", id='"guizhou-2017"', effective_from="2019-01-01", time_zone='"Asia/Urumqi"')
    checked = exit_tracker(url, "rules", "check", str(tmp_path / "books"))
    assert checked.returncode == 1
    assert f"{other}: id: 'guizhou-2017' is also the id of" in checked.stderr
    assert f"{other}: time_zone: 'Asia/Urumqi' differs from 'Asia/Shanghai'" in checked.stderr


def test_the_server_and_the_cli_refuse_to_start_with_conflicting_books(tmp_path, url):
    same_day = book(tmp_path / "books", "hunan-copy.toml", id='"hunan-2017-copy"')
    assert exit_tracker(url, "init-db").returncode == 0
    for command in (["serve", "--port", "8799"], ["load-sample"], ["accounts", "list"]):
        refused = with_books(url, tmp_path / "books", *command)
        assert refused.returncode == 1, command
        assert "nothing was started" in refused.stderr
        assert f"{same_day}: effective_from:" in refused.stderr, command
    assert "no accounts" in exit_tracker(url, "accounts", "list").stdout  # load-sample wrote nothing


def test_a_malformed_book_stops_the_server_naming_the_file_and_the_key(tmp_path, url):
    bad = book(tmp_path / "books", "next.toml", id='"hunan-2019"', effective_from="2019-01-01", pairing_cap="0")
    refused = with_books(url, tmp_path / "books", "serve", "--port", "8799")
    assert refused.returncode == 1
    assert f"{bad}: pairing_cap: Input should be greater than or equal to 1" in refused.stderr


def test_rules_list_shows_each_book_with_the_days_it_is_in_force(tmp_path, url):
    later = book(tmp_path / "books", "hunan-2019.toml", id='"hunan-2019"', effective_from="2019-01-01")
    listed = with_books(url, tmp_path / "books", "rules", "list")
    assert listed.returncode == 0, listed.stderr
    first, second = listed.stdout.strip().splitlines()
    assert first.startswith("hunan-2017 ") and "2017-06-01 – 2018-12-31" in first
    assert second.startswith("hunan-2019 ") and "2019-01-01 – until further notice" in second and str(later) in second


def test_another_provinces_books_can_replace_the_shipped_ones(tmp_path, url):
    own = book(tmp_path / "books", "guizhou.toml", id='"guizhou-2016"', effective_from="2016-06-01")
    listed = with_books(url, tmp_path / "books", "rules", "list", EXIT_TRACKER_RULES_SHIPPED="no")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.strip().splitlines()] == ["guizhou-2016"]
    assert str(own) in listed.stdout


def test_a_rules_dir_that_does_not_exist_is_named(tmp_path, url):
    refused = with_books(url, tmp_path / "absent", "accounts", "list")
    assert refused.returncode == 1
    assert f"{tmp_path / 'absent'}: $EXIT_TRACKER_RULES_DIR: no such directory" in refused.stderr
