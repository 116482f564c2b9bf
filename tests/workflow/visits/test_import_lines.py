"""Reading an import file's lines one at a time, as csv and JSON lines parsing need them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.errors import DomainError
from workflow.imports.visits import parse, physical_lines

# Line endings the files we receive use; splitlines also splits on \v, \f, \x1c-\x1e, \x85, \u2028, \u2029.
TEXT = st.lists(st.sampled_from(list("ab,\"走访 \t") + ["\n", "\r", "\r\n"]), max_size=60).map("".join)


@settings(max_examples=300)
@given(TEXT)
def test_lines_are_those_splitlines_gives_for_newline_and_carriage_return_endings(text):
    assert list(physical_lines(text)) == text.splitlines(keepends=True)


def test_a_quoted_field_across_lines_and_old_mac_line_endings_parse_as_before():
    header = "visitor_id,target_level,target_id,occurred_at,notes"
    crlf = header + '\r\np1,household,h1,2018-07-01T10:00:00+08:00,"两行\r\n备注"\r\np2,village,v1,2018-07-02T10:00:00+08:00,\r\n'
    cr_only = crlf.replace("\r\n", "\r")
    for text in (crlf, cr_only):
        lines = list(parse(text, "csv"))
        assert [number for number, _ in lines] == [3, 4]  # the second record starts after the quoted line break
        assert lines[0][1]["notes"] in ("两行\r\n备注", "两行\r备注")
        assert lines[1][1]["target_id"] == "v1"


def test_json_lines_keep_a_line_separator_inside_a_string():
    text = '{"visitor_id": "p1", "notes": "a\u2028b"}\n\n{"visitor_id": "p2"}\n'
    assert [(number, record["visitor_id"]) for number, record in parse(text, "jsonl")] == [(1, "p1"), (3, "p2")]


def test_a_nul_in_the_header_means_a_binary_file_and_a_nul_in_a_record_is_a_problem_of_its_line():
    with pytest.raises(DomainError) as binary:
        list(parse("PK\x03\x04\x00\x00 xl/workbook.xml\n", "csv"))
    assert binary.value.code == "unreadable_file"
    text = "visitor_id,target_level,target_id,occurred_at,notes\np1,village,v1,2018-07-01T10:00:00+08:00,a\x00b\np2,village,v1,2018-07-02T10:00:00+08:00,C:\\u0000\n"
    (first, problem), (second, record) = parse(text, "csv")
    assert (first, problem.code, problem.field) == (2, "nul_character", "notes")
    assert (second, record["notes"]) == (3, "C:\\u0000")
