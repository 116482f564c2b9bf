"""The public notice page in a real browser (chromium), with no sign-in: a villager lodges an
objection, keeps the receipt, and later sees the office's dismissal and its reason."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from tests.factories import ADMIN, case_in_notice_now
from tests.web.conftest import PHONE, screenshot
from workflow.db import make_engine, transaction
from workflow.exits import service as exits
from workflow.exits.models import ExitCase
from workflow.notices.service import notices_running
from workflow.org.models import Household


def _notice_now(database_url: str):
    """A household of the sample put in notice now; its notice as the page shows it."""
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            free = select(Household.id).where(Household.id.not_in(select(ExitCase.subject_id)), Household.status == "registered").order_by(Household.id).limit(1)
            case = case_in_notice_now(session, session.execute(free).scalar_one())
        with Session(engine) as session:
            return next(n for n in notices_running(session) if n.case_id == case.id)
    finally:
        engine.dispose()


def _dismiss(database_url: str, case_id: str, reason: str) -> None:
    """The office's finding, as staff record it (the workflow command the API calls)."""
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            [objection] = exits.objections_of(session, case_id)
            exits.resolve_objection(session, actor=ADMIN, objection_id=objection.id, outcome="dismissed", resolution=reason)
    finally:
        engine.dispose()


def test_a_villager_objects_on_the_public_page_and_later_reads_the_dismissal_by_receipt(server, browser):
    notice = _notice_now(server.database_url)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")  # a fresh browser: no cookie, nobody signed in
    page = context.new_page()
    page.goto(server.url + "/public/notices")
    assert "/signin" not in page.url
    card = page.locator(f"#notice-{notice.event_seq}")
    assert notice.subject_name in card.inner_text() and notice.event_hash in card.inner_text()
    screenshot(page, "public-notices-phone")

    card.locator("summary").click()
    card.locator("textarea[name=grounds]").fill("该户家中新购小轿车,人均收入可能不实")
    card.locator("input[name=phone]").fill("13807451234")
    card.locator("button[type=submit]").click()
    page.wait_for_selector("#receipt-number")
    number = page.inner_text("#receipt-number")
    assert len(number) == 14 and page.inner_text("#receipt-outcome") == "核实中"
    assert "13807451234" not in page.content()
    screenshot(page, "public-receipt-phone")

    _dismiss(server.database_url, notice.case_id, "经入户核实,车辆为其亲属所有,收入属实")
    page.goto(server.url + "/public/receipts")
    page.fill("input[name=number]", number.replace("-", "").lower())
    page.click("button[type=submit]")
    page.wait_for_selector("#receipt-reason")
    assert page.inner_text("#receipt-outcome") == "异议不成立"
    assert page.inner_text("#receipt-reason") == "经入户核实,车辆为其亲属所有,收入属实"
    context.close()
