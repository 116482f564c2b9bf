"""The supervisor's reports read as known at a moment (recorded time), from a form field in
Beijing time, as the API reads them; on both engines."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.web.conftest import sign_in
from workflow import clock, labels
from workflow.db import transaction
from workflow.eventlog import Actor
from workflow.exits import machines
from workflow.exits import service as exits
from workflow.org.models import Household
from workflow.org.service import open_spell

HUAIHUA = "431200000000"
PAGES = ["/supervisor/signatures", "/supervisor/scorecard", "/supervisor/incidence"]


def _wall_clock(moment: dt.datetime) -> str:
    """What the form's datetime-local field sends for `moment`: Beijing time, no offset."""
    return labels.moment_input(moment, seconds=True)


def _open_a_case_in_notice(engine) -> str:
    """A household's case opened, proposed and noticed now (recorded after the sample); its number."""
    actor = Actor(account="test-recorder")
    with transaction(engine) as session:
        for household in session.execute(select(Household.id).where(Household.village_code.like("43122410%")).order_by(Household.id)).scalars():
            if open_spell(session, "poor_household", household) and not exits.cases_of(session, level="household", subject_id=household):
                case = exits.open_case(session, actor=actor, level="household", subject_id=household)
                assessment = machines.Assessment(income_per_capita=Decimal("9000"), food=True, clothing=True, education=True, medical=True, housing=True, acknowledged=True)
                exits.propose(session, actor=actor, case_id=case.id, assessment=assessment)
                exits.post_notice(session, actor=actor, case_id=case.id)
                return household
    raise AssertionError("no registered household without a case")


def test_missing_signatures_read_as_known_before_a_case_was_opened_leave_it_out_as_the_api_does(web, engine, sample):
    time.sleep(1.1)  # the field is to the second: the sample's last events fall in an earlier second than `before`
    before = clock.now()
    time.sleep(1.1)
    household = _open_a_case_in_notice(engine)
    sign_in(web, sample, "怀化市督查员")
    now = web.get("/supervisor/signatures", params={"unit": HUAIHUA})
    then = web.get("/supervisor/signatures", params={"unit": HUAIHUA, "known_at": _wall_clock(before)})
    assert now.status_code == then.status_code == 200
    assert household in now.text and household not in then.text
    api_then = web.get("/api/v1/reports/missing-signatures", params={"unit": HUAIHUA, "known_at": before.isoformat(), "limit": 500}).json()["items"]
    assert len(re.findall(r"<tr><td>(?:户|村|县) ", then.text)) == len(api_then) > 0
    assert household not in {row["subject_id"] for row in api_then}


@pytest.mark.parametrize("path", PAGES)
def test_each_report_page_takes_known_at_in_beijing_time_shows_it_with_its_offset_and_exports_as_known_then(web, sample, path):
    sign_in(web, sample, "怀化市督查员")
    known = clock.now().replace(microsecond=0)
    answer = web.get(path, params={"unit": HUAIHUA, "as_of": "2017-12-31", "known_at": _wall_clock(known)})
    assert answer.status_code == 200
    assert f'name="known_at" step="1" value="{_wall_clock(known)}"' in answer.text  # the field keeps what was asked
    assert f"按 {labels.moment_text(known)} 时所知" in answer.text and "+08:00" in answer.text
    assert "截至 2017年12月31日" in answer.text
    beijing = known.astimezone(labels._zone(None)).isoformat()
    assert f"known_at={quote(beijing, safe='')}" in answer.text  # the export files are read as known then too


@pytest.mark.parametrize(("path", "api"), list(zip(PAGES, ["missing-signatures", "scorecard", "incidence"])))
def test_a_report_read_as_known_before_the_sample_was_recorded_answers_as_the_api_does(web, sample, path, api):
    sign_in(web, sample, "怀化市督查员")
    page = web.get(path, params={"unit": HUAIHUA, "as_of": "2017-12-31", "known_at": "2017-10-05T09:00"})
    api = web.get(f"/api/v1/reports/{api}", params={"unit": HUAIHUA, "as_of": "2017-12-31", "known_at": "2017-10-05T09:00:00+08:00", "limit": 500})
    assert page.status_code == api.status_code
    if api.status_code != 200:
        assert f'data-code="{api.json()["code"]}"' in page.text and api.json()["detail"] in page.text
    else:  # nothing was known then: no row the page could show
        assert all(row.get("poor_population", 0) == 0 for row in api.json()["items"])
        assert not re.search(r'<td class="n">[1-9]\d*</td><td class="n">', page.text)


def test_a_known_at_that_is_not_a_moment_is_refused_with_the_catalogue_s_words(web, sample):
    sign_in(web, sample, "怀化市督查员")
    refused = web.get("/supervisor/scorecard", params={"unit": HUAIHUA, "known_at": "昨天"})
    assert refused.status_code == 422 and 'data-code="invalid_datetime"' in refused.text
    assert "known_at 应为带时区偏移的 ISO 8601 时间文本" in refused.text


def test_an_auditor_reads_a_household_as_known_at_a_moment_typed_in_beijing_time_as_the_api_reads_it(web, engine, sample):
    time.sleep(1.1)  # the field is to the second: the sample's last events fall in an earlier second than `before`
    before = clock.now()
    time.sleep(1.1)
    household = _open_a_case_in_notice(engine)  # recorded after `before`
    sign_in(web, sample, "怀化市审计员")
    now = web.get("/auditor/record", params={"kind": "household", "id": household})
    then = web.get("/auditor/record", params={"kind": "household", "id": household, "known_at": _wall_clock(before)})
    api_then = web.get(f"/api/v1/households/{household}", params={"known_at": before.isoformat()}).json()
    assert re.search(r'<b id="status">([^<]+)</b>', now.text).group(1) == "公示中"
    assert re.search(r'<b id="status">([^<]+)</b>', then.text).group(1) == labels.word(api_then["status"], "zh") == "已登记(未退出)"
    assert f"按 {labels.moment_text(before)} 时所知" in then.text
    assert f'name="known_at" step="1" value="{_wall_clock(before)}"' in then.text
