"""Whatever a line of an import file holds, it is imported or listed as a bad line with its number: never a crash."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from tests.factories import ADMIN, build_tree, household, person_in_post
from workflow.errors import DomainError
from workflow.imports import visits as visit_import

HOUSEHOLD = "4312241002010001"
FILE_CODES = {"empty_file", "invalid_header", "unreadable_file"}

# Text a decoded file can hold: anything but the halves of surrogate pairs.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
MOMENTS = st.one_of(
    st.sampled_from(["2017-07-03T10:00:00+08:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2017-07-03T10:00:00", "12345"]),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.text(max_size=5), MOMENTS)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)


def _record(cadre: str) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {},
        optional={
            "visitor_id": st.sampled_from([cadre, "nobody"]) | VALUES,
            "target_level": st.sampled_from(["household", "village", "county"]) | VALUES,
            "target_id": st.sampled_from([HOUSEHOLD, "431224100201"]) | VALUES,
            "occurred_at": MOMENTS | VALUES,
            "notes": VALUES,
            "latitude": VALUES,
            "id": VALUES,
            "colour": VALUES,
        },
    )


def _deep(depth: int) -> str:
    return json.dumps({"visitor_id": "p", "notes": "x"}).replace('"x"', "[" * depth + "]" * depth)


@pytest.fixture
def cadre(engine) -> str:
    with Session(engine) as session:
        tree = build_tree(session)
        person = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        household(session, tree, HOUSEHOLD)
        session.commit()
    return person


def _import(engine, text: str, kind: str) -> tuple[int, list[visit_import.LineProblem]] | None:
    """(imported, bad lines) for `text`, rolled back; None when the file as a whole is refused."""
    with Session(engine) as session:
        try:
            outcome = visit_import.import_visits(session, actor=ADMIN, lines=visit_import.parse(text, kind))
        except DomainError as refused:
            assert refused.code in FILE_CODES, refused.code
            return None
        finally:
            session.rollback()
    return outcome.imported, outcome.failures


SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_any_json_line_is_imported_or_refused_with_its_line_number(engine, cadre, data):
    line = st.one_of(_record(cadre).map(json.dumps), TEXT.filter(lambda text: "\n" not in text and "\r" not in text), st.integers(1, 6000).map(_deep))
    lines = data.draw(st.lists(line, min_size=1, max_size=4))
    result = _import(engine, "".join(text + "\n" for text in lines), "jsonl")
    if result is None:  # a NUL on the first line: a binary file, refused as a whole
        assert "\x00" in lines[0]
        return
    imported, failures = result
    numbers = [number for number, text in enumerate(lines, start=1) if text.strip()]
    assert imported + len(failures) == len(numbers)
    assert {problem.line for problem in failures} <= set(numbers)


@SETTINGS
@given(data=st.data())
def test_any_csv_cell_is_imported_or_refused_with_its_line_number(engine, cadre, data):
    cell = st.sampled_from([cadre, HOUSEHOLD, "household", "2017-07-03T10:00:00+08:00", ""]) | MOMENTS | TEXT
    rows = data.draw(st.lists(st.lists(cell, min_size=3, max_size=5), min_size=1, max_size=4))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["visitor_id", "target_level", "target_id", "occurred_at", "notes"])
    writer.writerows(rows)
    result = _import(engine, out.getvalue(), "csv")
    assert result is not None
    imported, failures = result
    assert all(problem.line >= 2 for problem in failures)
    assert imported + len(failures) <= len(rows)


@pytest.mark.parametrize(
    "line, code, field",
    [
        (_deep(5000), "invalid_json", None),
        (_deep(50), "invalid_value", "notes"),
        ('{"visitor_id": "p", "target_level": "village", "target_id": "v", "occurred_at": "2017-07-03T10:00:00+08:00", "notes": "\\ud800"}', "invalid_json", None),
        ('{"visitor_id": "p", "\\udfff": 1}', "invalid_json", None),
        ('{"visitor_id": "p", "target_level": "village", "target_id": "v", "occurred_at": "0001-01-01T00:00:00+14:00"}', "moment_out_of_range", "occurred_at"),
        ('{"visitor_id": "p", "target_level": "village", "target_id": "v", "occurred_at": "9999-12-31T23:59:59-14:00"}', "moment_out_of_range", "occurred_at"),
        ('{"visitor_id": "p", "target_level": "village", "target_id": "v", "occurred_at": 12345}', "invalid_datetime", "occurred_at"),
    ],
    ids=["nested 5000 deep", "nested", "lone surrogate", "lone surrogate in a key", "year 1 at +14:00", "year 9999 at -14:00", "a number"],
)
def test_a_line_the_log_could_not_hold_is_a_bad_line_of_its_own(engine, cadre, line, code, field):
    good = json.dumps({"visitor_id": cadre, "target_level": "household", "target_id": HOUSEHOLD, "occurred_at": "2017-07-03T10:00:00+08:00"})
    imported, failures = _import(engine, f"{good}\n{line}\n{good}\n", "jsonl")
    assert [(problem.line, problem.code, problem.field) for problem in failures] == [(2, code, field)]
