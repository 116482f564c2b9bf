"""The exit-case forms: opening a case, the proposal with its assessment, resolving an objection.

Each form is checked as the API checks its body, in the recorder's scope, with its CSRF token;
a refusal shows the catalogue's Chinese words. On both engines.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from sqlalchemy import select

from tests.web.conftest import sign_in
from workflow.db import transaction
from workflow.eventlog import Event
from workflow.exits import service as exits
from workflow.exits.models import ExitCase
from workflow.org.models import Household
from workflow.org.service import open_spell

BEIDOUXI_PREFIX, LONGTAN_PREFIX = "43122410", "43122411"


def _registered_households(engine, prefix: str, count: int) -> list[str]:
    """Households of a township on the poverty registry with no exit case yet."""
    with transaction(engine) as session:
        found = []
        for household in session.execute(select(Household.id).where(Household.village_code.like(prefix + "%")).order_by(Household.id.desc())).scalars():
            if open_spell(session, "poor_household", household) and not exits.cases_of(session, level="household", subject_id=household):
                found.append(household)
            if len(found) == count:
                return found
    raise AssertionError(f"the sample has fewer than {count} registered households under {prefix}")


def _case_of(engine, household: str) -> ExitCase:
    with transaction(engine) as session:
        return exits.cases_of(session, level="household", subject_id=household)[-1]


ASSESSED = {"assessment": "household", "income_per_capita": "4500.00", "food": "yes", "clothing": "yes", "education": "yes", "medical": "yes", "housing": "yes", "acknowledged": "yes"}


def test_a_recorder_opens_a_case_proposes_it_and_dismisses_an_objection_from_the_forms(web, engine, sample):
    household = _registered_households(engine, BEIDOUXI_PREFIX, 1)[0]
    csrf = sign_in(web, sample, "北斗溪镇录入员")
    assert "启动退出" in web.get("/recorder/cases").text

    opened = web.post("/recorder/cases", data={"csrf_token": csrf, "level": "household", "subject_id": household, "occurred_at": "2017-09-01T09:00"})
    assert opened.status_code == 303, opened.text
    case = _case_of(engine, household)
    assert opened.headers["location"] == f"/recorder/cases/{case.id}" and case.status == "registered"
    page = web.get(opened.headers["location"]).text
    assert 'id="proposal-form"' in page and "两不愁三保障" in page

    proposed = web.post(f"/recorder/cases/{case.id}/proposal", data={"csrf_token": csrf, "occurred_at": "2017-09-02T09:00", **ASSESSED})
    assert proposed.status_code == 303, proposed.text
    assert _case_of(engine, household).status == "proposed"
    with transaction(engine) as session:
        event = session.execute(select(Event).where(Event.type == "exit_case.proposed", Event.entity_id == case.id)).scalar_one()
    assessment = json.loads(event.payload)["evidence"]["assessment"]
    assert Decimal(str(assessment["income_per_capita"])) == Decimal("4500") and assessment["housing"] is True
    assert event.occurred_at.isoformat().startswith("2017-09-02T01:00")  # 09:00 Beijing time

    assert web.post(f"/recorder/cases/{case.id}/notice", data={"csrf_token": csrf, "occurred_at": "2017-09-03T09:00"}).status_code == 303
    assert web.post(f"/recorder/cases/{case.id}/objection", data={"csrf_token": csrf, "lodged_by": "村民 向永红", "grounds": "务工收入未申报", "occurred_at": "2017-09-04T09:00"}).status_code == 303
    page = web.get(f"/recorder/cases/{case.id}").text
    objection = re.search(r'action="/recorder/cases/[^/]+/objections/([^/]+)/resolution"', page).group(1)

    resolved = web.post(
        f"/recorder/cases/{case.id}/objections/{objection}/resolution",
        data={"csrf_token": csrf, "outcome": "dismissed", "resolution": "经入户核实,务工收入已计入", "occurred_at": "2017-09-05T09:00"},
    )
    assert resolved.status_code == 303, resolved.text
    page = web.get(f"/recorder/cases/{case.id}").text
    assert "异议不成立" in page and "经入户核实,务工收入已计入" in page and "/resolution" not in page
    assert _case_of(engine, household).status == "in_notice"


def test_an_upheld_objection_returns_the_case_to_its_start(web, engine, sample):
    household = _registered_households(engine, BEIDOUXI_PREFIX, 2)[1]
    csrf = sign_in(web, sample, "北斗溪镇录入员")
    web.post("/recorder/cases", data={"csrf_token": csrf, "level": "household", "subject_id": household, "occurred_at": "2017-09-01T09:00"})
    case = _case_of(engine, household)
    web.post(f"/recorder/cases/{case.id}/proposal", data={"csrf_token": csrf, "occurred_at": "2017-09-02T09:00", **ASSESSED})
    web.post(f"/recorder/cases/{case.id}/notice", data={"csrf_token": csrf, "occurred_at": "2017-09-03T09:00"})
    web.post(f"/recorder/cases/{case.id}/objection", data={"csrf_token": csrf, "lodged_by": "村民", "grounds": "住房未改造", "occurred_at": "2017-09-04T09:00"})
    objection = re.search(r"/objections/([^/]+)/resolution", web.get(f"/recorder/cases/{case.id}").text).group(1)
    web.post(f"/recorder/cases/{case.id}/objections/{objection}/resolution", data={"csrf_token": csrf, "outcome": "upheld", "resolution": "住房确未改造", "occurred_at": "2017-09-05T09:00"})
    assert _case_of(engine, household).status == "registered"
    assert "异议成立" in web.get(f"/recorder/cases/{case.id}").text


def test_a_failed_assessment_is_refused_with_the_catalogue_s_chinese_words_and_nothing_is_recorded(web, engine, sample):
    household = _registered_households(engine, BEIDOUXI_PREFIX, 3)[2]
    csrf = sign_in(web, sample, "北斗溪镇录入员")
    web.post("/recorder/cases", data={"csrf_token": csrf, "level": "household", "subject_id": household, "occurred_at": "2017-09-01T09:00"})
    case = _case_of(engine, household)
    unhoused = {k: v for k, v in ASSESSED.items() if k != "housing"}  # the box left unticked
    refused = web.post(
        f"/recorder/cases/{case.id}/proposal",
        data={"csrf_token": csrf, "occurred_at": "2017-09-02T09:00", **unhoused},
        headers={"Referer": f"http://testserver/recorder/cases/{case.id}"},
    )
    api = web.post(
        f"/api/v1/exit-cases/{case.id}/proposal",
        headers={"X-CSRF-Token": csrf},
        json={"occurred_at": "2017-09-02T09:00:00+08:00", "assessment": {"income_per_capita": "4500.00", "food": True, "clothing": True, "education": True, "medical": True, "housing": False, "acknowledged": True}},
    )
    assert refused.status_code == api.status_code == 422
    assert f'data-code="{api.json()["code"]}"' in refused.text
    assert api.json()["detail"] in refused.text and re.search(r"[\u4e00-\u9fff]", api.json()["detail"])
    assert f'href="/recorder/cases/{case.id}" id="back"' in refused.text  # back to the form to mend it
    no_assessment = web.post(f"/recorder/cases/{case.id}/proposal", data={"csrf_token": csrf})
    assert 'data-code="assessment_required"' in no_assessment.text
    assert _case_of(engine, household).status == "registered"


def test_the_forms_refuse_without_csrf_and_outside_the_scope_as_the_api_does(web, engine, sample):
    mine = _registered_households(engine, BEIDOUXI_PREFIX, 4)[3]
    foreign = _registered_households(engine, LONGTAN_PREFIX, 1)[0]
    csrf = sign_in(web, sample, "北斗溪镇录入员")
    forged = web.post("/recorder/cases", data={"csrf_token": "forged", "level": "household", "subject_id": mine}, headers={"Referer": "https://elsewhere.example/recorder/cases"})
    assert forged.status_code == 403 and 'data-code="csrf_token_invalid"' in forged.text
    assert 'id="back"' not in forged.text  # no way back to another site
    outside = web.post("/recorder/cases", data={"csrf_token": csrf, "level": "household", "subject_id": foreign})
    api = web.post("/api/v1/exit-cases", headers={"X-CSRF-Token": csrf}, json={"level": "household", "subject_id": foreign})
    assert outside.status_code == api.status_code == 404
    assert f'data-code="{api.json()["code"]}"' in outside.text and api.json()["detail"] in outside.text
    with transaction(engine) as session:
        assert not exits.cases_of(session, level="household", subject_id=mine) and not exits.cases_of(session, level="household", subject_id=foreign)

    sign_in(web, sample, "怀化市督查员")  # no recorder role: the form's POST is refused as the API's is
    csrf = sign_in(web, sample, "怀化市督查员")
    page = web.post("/recorder/cases", data={"csrf_token": csrf, "level": "household", "subject_id": mine})
    assert page.status_code == 403 and 'data-code="role_not_allowed"' in page.text
