"""Every refusal is declared once, in the catalogue, with both languages; raise sites only pass values."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import workflow
from tests.factories import build_tree
from workflow import clock, errors
from workflow.incidence.report import series
from workflow.org import service as org

ROOT = Path(workflow.__file__).resolve().parent.parent
HAN = re.compile(r"[\u4e00-\u9fff]")
STATUSES = {401, 403, 404, 409, 413, 422, 429}


def _wordings():
    return [(entry, text) for entry in errors.CATALOGUE for text in entry.texts()]


def test_every_code_is_declared_once():
    codes = [entry.code for entry in errors.CATALOGUE]
    assert len(codes) == len(set(codes)), sorted(code for code in codes if codes.count(code) > 1)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", code) for code in codes)


@pytest.mark.parametrize("entry, text", _wordings(), ids=lambda value: getattr(value, "code", None) or getattr(value, "name", ""))
def test_every_wording_has_english_and_chinese(entry, text):
    assert text.en.strip() and text.zh.strip()
    assert HAN.search(text.zh), f"{entry.__name__}.{text.name}: the Chinese template has no Chinese"
    assert entry.status in STATUSES
    for template in (text.en, text.zh):
        list(string.Formatter().parse(template))  # well-formed


def test_a_code_with_several_wordings_is_one_class_to_catch():
    wrong = errors.InvalidParent.wrong_level(level="village", level_zh="村", expected="township", expected_zh="乡镇", parent_code="4312", parent_level="county", parent_level_zh="县")
    missing = errors.InvalidParent.missing(level="village", level_zh="村", expected="township", expected_zh="乡镇")
    for refusal in (wrong, missing, errors.InvalidParent.province()):
        assert isinstance(refusal, errors.InvalidParent) and isinstance(refusal, errors.DomainError)
        assert (refusal.code, refusal.field, refusal.status) == ("invalid_parent", "parent_code", 422)
    assert wrong.message("en") == "a village hangs under a township, but '4312' is a county"
    assert wrong.message("zh") == "村的上级应为乡镇,而 '4312' 是县"
    with pytest.raises(TypeError):
        errors.InvalidParent(level="village")  # several wordings: the raise names one


def test_refusals_from_the_domain_are_caught_by_class(session, actor):
    build_tree(session)
    with pytest.raises(errors.InvalidParent) as caught:
        org.add_org_unit(session, actor=actor, code="431224100299", name="错村", level="village", parent_code="431224000000")
    assert caught.value.en == "a village hangs under a township, but '431224000000' is a county"
    with pytest.raises(errors.InvalidDate):
        clock.parse_date("yesterday", field="day")
    with pytest.raises(errors.InvalidStep) as step:
        series(as_of=clock.now().date(), start=None, every="fortnight")
    assert step.value.field == "every"


def test_details_are_the_declared_fields_only():
    refusal = errors.PairingCapReached(cadre="张三", cap=5, book="hunan-2017")
    assert refusal.details == {"cap": 5}
    assert refusal.en == "张三 is already paired with 5 households then; rule book hunan-2017 allows at most 5"
    assert errors.HouseholdNotFound(id="H1", field="subject").details == {"id": "H1"}


def test_template_lists_and_empty_values_read_as_before():
    refusal = errors.InvalidHeader(missing=[], unknown=["colour"], columns=("visitor_id", "notes"))
    assert refusal.en == "line 1 (header): missing nothing; unknown colour; columns are visitor_id, notes"
    assert refusal.zh == "第 1 行(表头):缺少 无;未知列 colour;可用列:visitor_id、notes"


def test_the_legacy_constructor_still_works():
    refusal = errors.Conflict("some_code", "in English", "中文", field="x", extra=1)
    assert (refusal.code, refusal.en, refusal.zh, refusal.field, refusal.details, refusal.status) == ("some_code", "in English", "中文", "x", {"extra": 1}, 409)
    assert errors.not_found("visit", "v1", zh_kind="走访记录").zh == errors.VisitNotFound(id="v1").zh


# ---- no raise site writes its own words --------------------------------------------------

_BASES = {"DomainError", "NotFound", "Conflict", "NotAuthenticated", "AccessDenied", "TooLarge"}
_ERROR_NAMES = _BASES | {entry.__name__ for entry in errors.CATALOGUE}


def _sources():
    catalogue = ROOT / "workflow" / "errors"
    for package in ("workflow", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if catalogue not in path.parents:
                yield path


def _name(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _error_called(call: ast.Call) -> str | None:
    """The error class a call constructs (`X(...)`, `errors.X(...)`, `errors.X.wording(...)`), if any."""
    func = call.func
    if _name(func) in _ERROR_NAMES:
        return _name(func)
    if isinstance(func, ast.Attribute) and _name(func.value) in _ERROR_NAMES - _BASES:
        return _name(func.value)
    return None


WORDS = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+ [A-Za-z]+")  # Chinese, or English words (not a code or a field name)


def _literal_text(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and WORDS.search(n.value) for n in ast.walk(node))


def test_no_raise_site_in_workflow_or_api_writes_a_message():
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(_name(base) in _ERROR_NAMES for base in node.bases):
                found.append(f"{where}:{node.lineno}: error class {node.name} declared outside workflow/errors/catalogue.py")
            if not isinstance(node, ast.Call):
                continue
            if _name(node.func) == "not_found":
                found.append(f"{where}:{node.lineno}: not_found(...) — raise the catalogue's <Kind>NotFound")
                continue
            called = _error_called(node) or ("LineProblem" if _name(node.func) == "LineProblem" else None)  # an import's bad line
            if called is None:
                continue
            if called in _BASES and node.args:
                found.append(f"{where}:{node.lineno}: {called}(code, en, zh) — declare the code in the catalogue")
            elif any(_literal_text(arg) for arg in [*node.args, *(kw.value for kw in node.keywords)]):
                found.append(f"{where}:{node.lineno}: {called}(...) is given words; they belong in the catalogue")
    assert not found, "\n".join(found)


def test_the_errors_page_lists_the_catalogue():
    page = (ROOT / "docs" / "ERRORS.md").read_text(encoding="utf-8")
    assert page.endswith(errors.table(errors.CATALOGUE)), "docs/ERRORS.md is stale: regenerate its table with `exit-tracker errors`"
