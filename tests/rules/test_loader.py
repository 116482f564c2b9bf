import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from rules import RuleBookError, RuleBooks, load_rule_book
from rules.loader import SHIPPED_DIR
from rules.registry import NoRuleBookInForce

HUNAN = SHIPPED_DIR / "hunan-2017.toml"


def _variant(tmp_path: Path, old: str, new: str, name: str = "variant.toml") -> Path:
    text = HUNAN.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_hunan_2017_book_holds_the_source_rules():
    book = load_rule_book(HUNAN)
    assert book.effective_from == dt.date(2017, 6, 1)
    assert book.time_zone == "Asia/Shanghai"
    assert [rule.id for rule in book.visit_rules] == ["V1", "V2", "V3", "V4", "V5", "V6", "V7"]
    assert book.pairing_cap == 5
    assert book.notice_days == 7
    assert [step.roles for step in book.exits["household"].steps] == [
        ["village_party_secretary", "village_director"],
        ["township_party_secretary", "township_head"],
    ]
    assert [step.state_after for step in book.exits["county"].steps] == ["city_signed", "exited"]
    assert book.visit_rule("V7").period == "month" and book.visit_rule("V7").targets == "paired"
    assert book.visit_rule("V4").is_coverage and not book.visit_rule("V5").is_coverage
    assert book.roles["township_head"].zh == "乡镇长"


def test_unknown_key_is_refused_naming_file_and_key(tmp_path):
    path = _variant(tmp_path, "notice_days = 7", "notice_days = 7\nnotice_dayz = 9")
    with pytest.raises(RuleBookError) as caught:
        load_rule_book(path)
    assert caught.value.problems == [("notice_dayz", "unknown key (check its spelling)")]
    assert str(path) in str(caught.value)


def test_wrong_value_in_a_nested_rule_names_its_position(tmp_path):
    path = _variant(tmp_path, 'period = "quarter"', 'period = "fortnight"')
    with pytest.raises(RuleBookError) as caught:
        load_rule_book(path)
    key, message = caught.value.problems[0]
    assert key == "visit_rules[2].period"
    assert "'fortnight'" in message


def test_visit_rule_naming_an_unknown_role_is_refused(tmp_path):
    path = _variant(tmp_path, 'roles = ["township_cadre"]', 'roles = ["township_kadre"]')
    with pytest.raises(RuleBookError, match=r"visit_rules\[V7\]\.roles: unknown role\(s\) township_kadre"):
        load_rule_book(path)


def test_signature_step_whose_role_belongs_to_another_level_is_refused(tmp_path):
    path = _variant(tmp_path, 'roles = ["county_party_secretary", "county_head"]\nunit_level = "county"', 'roles = ["county_party_secretary", "mayor"]\nunit_level = "county"')
    with pytest.raises(RuleBookError, match="role 'mayor' belongs to a city"):
        load_rule_book(path)


def test_unknown_time_zone_and_missing_key_are_both_reported(tmp_path):
    path = _variant(tmp_path, 'time_zone = "Asia/Shanghai"', 'time_zone = "Asia/Beijing"')
    path.write_text(path.read_text(encoding="utf-8").replace("pairing_cap = 5\n", ""), encoding="utf-8")
    with pytest.raises(RuleBookError) as caught:
        load_rule_book(path)
    problems = dict(caught.value.problems)
    assert "unknown time zone 'Asia/Beijing'" in problems["time_zone"]
    assert problems["pairing_cap"] == "required key is missing"


def test_broken_toml_and_missing_file_are_refused(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("id = [unterminated", encoding="utf-8")
    with pytest.raises(RuleBookError, match="not valid TOML"):
        load_rule_book(broken)
    with pytest.raises(RuleBookError, match="no such file"):
        load_rule_book(tmp_path / "absent.toml")


def test_book_in_force_is_chosen_by_date_and_ends_the_day_before_its_successor(tmp_path):
    hunan = load_rule_book(HUNAN)
    later = load_rule_book(_variant(tmp_path, "effective_from = 2017-06-01", "effective_from = 2019-01-01").parent / "variant.toml")
    later = later.model_copy(update={"id": "hunan-2019"})
    books = RuleBooks([later, hunan])
    assert books.in_force(dt.date(2018, 12, 31)).id == "hunan-2017"
    assert books.in_force(dt.date(2019, 1, 1)).id == "hunan-2019"
    assert books.valid_until(hunan) == dt.date(2018, 12, 31)
    assert books.valid_until(later) is None
    with pytest.raises(NoRuleBookInForce):
        books.in_force(dt.date(2017, 5, 31))


def test_poverty_line_is_the_latest_given_for_the_year():
    book = load_rule_book(HUNAN)
    assert book.poverty_line_for(2017) == 3335
    assert book.poverty_line_for(2025) == 4000
    with pytest.raises(KeyError):
        book.poverty_line_for(2010)


def test_rules_check_command_reports_problems_and_exits_non_zero(tmp_path):
    runner = CliRunner()
    good = runner.invoke(app, ["rules", "check", str(HUNAN)])
    assert good.exit_code == 0 and "hunan-2017" in good.output
    bad = _variant(tmp_path, "pairing_cap = 5", "pairing_cap = 0")
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: pairing_cap:" in result.output
