"""The overdue report's row order: county, township, unit, rule, official, target; a missing value first."""

from __future__ import annotations

import random

from workflow.obligations.evaluate import ObligationRow
from workflow.obligations.reports import _sort


def _row(county, township, unit, rule, name, person, target, post) -> ObligationRow:
    return ObligationRow(rule, post, person, "role", unit, township, county, "household", target, None, "due", "2018-07", "due", (), 0, 0, None, None, (), person_name=name)


def _expected(rows):
    return sorted(rows, key=lambda r: tuple(v or "" for v in (r.county_code, r.township_code, r.unit_code, r.rule_id, r.person_name, r.person_id, r.target_id, r.post_id)))


def test_rows_without_a_county_or_target_come_first_whatever_the_sort_meets():
    rows = [
        _row("431202", "431202100", "431202100", "V7", "王芳", "p2", "h1", "post2"),
        _row(None, None, "431200", "V2", "李强", "p1", None, "post1"),
        _row("431202", None, "431202", "V1", "张伟", "p3", "431202100", "post3"),
        _row("431202", "431202100", "431202100", "V7", None, "p4", "h2", "post4"),
        _row("431202", "431202100", "431202100", "V7", "王芳", "p2", "h0", "post2"),
    ]
    for _ in range(20):
        random.shuffle(rows)
        ordered = list(rows)
        _sort(ordered)
        assert ordered == _expected(rows)


def test_rows_with_every_value_present_sort_by_the_same_key():
    rows = [_row("c", f"t{i % 3}", f"u{i % 5}", "V7", f"n{i % 7}", f"p{i}", f"h{i}", f"post{i}") for i in range(50)]
    random.Random(7).shuffle(rows)
    ordered = list(rows)
    _sort(ordered)
    assert ordered == _expected(rows)
