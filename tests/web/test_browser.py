"""Each user's main path in a real browser (chromium), against the server `make run` starts."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.web.conftest import DESKTOP, PHONE, screenshot
from workflow.db import make_engine
from workflow.visits.models import Visit


def _visits_to(server, target_id: str) -> int:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Visit).where(Visit.target_id == target_id)).scalar_one()
    finally:
        engine.dispose()


def _row_selector(row) -> str:
    """The selector of this obligation's row: its rule, official and target."""
    rule, visitor, target = (row.get_attribute(f"data-{key}") for key in ("rule", "visitor-id", "target-id"))
    return f'#due .due-row[data-rule="{rule}"][data-visitor-id="{visitor}"][data-target-id="{target}"]'


def test_a_recorder_on_a_phone_records_a_due_visit_in_two_taps_and_it_leaves_the_list(server, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "北斗溪镇录入员")
    assert page.url.endswith("/recorder")
    screenshot(page, "recorder-phone")
    row = page.locator("#due .due-row[data-target-level=household]").first
    target = row.get_attribute("data-target-id")
    selector = _row_selector(row)
    before = _visits_to(server, target)

    row.click()  # tap 1: the visitor and the household are chosen
    page.fill("textarea[name=notes]", "入户走访")
    screenshot(page, "recorder-visit-form-phone")
    page.click("#record")  # tap 2
    page.wait_for_selector(selector, state="detached")

    assert _visits_to(server, target) == before + 1
    assert page.locator("#queue li").count() == 0
    context.close()


def test_a_visit_recorded_offline_waits_on_the_phone_and_syncs_exactly_once(server, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "北斗溪镇录入员")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")  # the page is kept for offline use
    row = page.locator("#due .due-row[data-target-level=household]").first
    target = row.get_attribute("data-target-id")
    before = _visits_to(server, target)

    context.set_offline(True)
    row.click()
    page.click("#record")
    page.wait_for_selector("#queue li.pending")
    assert "待同步" in page.inner_text("#queue-section")
    page.wait_for_timeout(300)  # a retry while offline changes nothing
    assert _visits_to(server, target) == before
    screenshot(page, "recorder-offline-phone")

    page.reload()  # offline: the service worker's copy of the page, and the queue from IndexedDB
    page.wait_for_selector("#queue li.pending")
    assert page.locator("#visit-form").count() == 1

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.querySelectorAll('#queue li').length === 0", timeout=20000)
    page.wait_for_timeout(500)
    assert _visits_to(server, target) == before + 1
    context.close()


def test_a_refused_visit_stays_on_the_phone_with_the_server_s_reason(server, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "北斗溪镇录入员")
    page.click("#other-visit")
    page.fill("[data-finder=visitor] input", "")
    # A household in the township, but a visitor nobody here may name: the server refuses.
    page.evaluate("""() => {
        const form = document.getElementById('visit-form');
        form.visitor_id.value = 'nobody-such'; form.target_level.value = 'household'; form.target_id.value = '4312241002010001';
        form.querySelector('[data-show=visitor]').textContent = '?'; form.querySelector('[data-show=target]').textContent = '?';
    }""")
    page.click("#record")
    page.wait_for_selector("#queue li.refused")
    assert "person_not_found" in page.inner_text("#queue li.refused")
    context.close()


def test_a_supervisor_drills_down_from_the_city_to_a_township_and_downloads_the_xlsx(server, browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    server.sign_in(page, "怀化市督查员")
    assert "/supervisor/overdue" in page.url
    screenshot(page, "supervisor-overdue-city-desktop")
    page.click("#totals a.drill:text('溆浦县')")
    page.wait_for_selector("#totals a.drill:text('北斗溪镇')")
    page.click("#totals a.drill:text('北斗溪镇')")
    page.wait_for_selector("h1:has-text('北斗溪镇')")
    assert "unit=431224100000" in page.url
    assert page.locator("#rows tbody tr").count() > 0
    screenshot(page, "supervisor-overdue-township-desktop")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = download.value.path()
    assert open(path, "rb").read(2) == b"PK"  # an Excel file is a zip
    assert download.value.suggested_filename.endswith(".xlsx")

    for tab in ("signatures", "scorecard", "incidence"):
        page.goto(f"{server.url}/supervisor/{tab}")
        screenshot(page, f"supervisor-{tab}-desktop")
    page.wait_for_selector("#incidence-chart canvas")
    context.close()


def test_an_account_without_the_role_sees_the_api_s_refusal(server, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "怀化市督查员")
    answer = page.goto(server.url + "/recorder")
    assert answer.status == 403
    assert page.locator("[data-code=role_not_allowed]").count() == 1
    answer = page.goto(server.url + "/supervisor/overdue?unit=999999999999")
    assert answer.status == 404
    assert page.locator("[data-code=org_unit_not_found]").count() == 1
    context.close()


def test_a_recorder_enters_a_paper_signature_choosing_the_signer_by_name(server, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "北斗溪镇录入员")
    page.goto(server.url + "/recorder/cases")
    page.click("a.due-row:has-text('4312241002010002')")
    assert "公示中" in page.inner_text("#case-status")
    assert "村委会主任" in page.inner_text("#missing")
    screenshot(page, "exit-case-phone")
    page.select_option("#sign-form select[name=signer]", index=1)
    page.fill("#sign-form input[name=document_ref]", "坪溪村退出签字表 2017-09-002")
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("#case-status:has-text('村级已签字')")
    assert "坪溪村退出签字表 2017-09-002" in page.inner_text("#steps")
    context.close()


def test_an_auditor_reads_a_household_s_timeline_and_its_state_before_its_exit(server, browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "怀化市审计员")
    assert page.url.endswith("/auditor")
    page.fill("input[name=id]", "4312241002010003")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#timeline")
    assert page.inner_text("#status") == "已退出"
    assert "household.registered" in page.inner_text("#timeline")
    page.fill("input[name=as_of]", "2017-08-31")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#status:has-text('已登记')")
    screenshot(page, "auditor-record-desktop")
    page.goto(server.url + "/auditor/irregularities?from=2017-01-01&as_of=2017-12-31")
    screenshot(page, "auditor-irregularities-desktop")
    page.goto(server.url + "/auditor/chain")
    page.wait_for_selector("#head-seq")
    assert int(page.inner_text("#head-seq")) > 0
    screenshot(page, "auditor-chain-desktop")
    context.close()


def test_an_admin_creates_an_account_that_signs_in_with_its_one_time_password(server, browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "怀化市管理员")
    page.goto(server.url + "/admin")
    page.fill("input[name=name]", "溆浦县督查员")
    page.select_option("select[name=role]", "supervisor")
    page.fill("input[name=scope_code]", "431224000000")
    page.click("form.filters button[type=submit]")
    password = page.inner_text("#issued-password")
    screenshot(page, "admin-desktop")
    page.click("header form.signout button")
    page.wait_for_url("**/signin")
    server.passwords["溆浦县督查员"] = password
    server.sign_in(page, "溆浦县督查员")
    assert "unit=431224000000" in page.url
    context.close()


def _registered_household_without_case(server) -> tuple[str, str]:
    """A household of 北斗溪镇 on the registry with no exit case yet: its number and its head's name."""
    from workflow.db import transaction
    from workflow.exits import service as exits
    from workflow.org.models import Household
    from workflow.org.service import open_spell

    engine = make_engine(server.database_url)
    try:
        with transaction(engine) as session:
            for household in session.execute(select(Household).where(Household.village_code.like("43122410%")).order_by(Household.id)).scalars():
                if open_spell(session, "poor_household", household.id) and not exits.cases_of(session, level="household", subject_id=household.id):
                    return household.id, household.head_name
    finally:
        engine.dispose()
    raise AssertionError("no registered household without a case in the sample")


def test_a_recorder_opens_a_case_by_the_head_s_name_proposes_it_and_dismisses_an_objection(server, browser):
    household, head = _registered_household_without_case(server)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    server.sign_in(page, "北斗溪镇录入员")
    page.goto(server.url + "/recorder/cases")
    page.fill("#open-form input[name=q]", head)
    page.click(f"#open-results .pick[data-id='{household}']")
    assert page.input_value("#open-form input[name=subject_id]") == household
    page.click("#open-form button[type=submit]")
    page.wait_for_selector("#case-status:has-text('已登记')")

    page.fill("#proposal-form input[name=income_per_capita]", "4500")
    for name in ("food", "clothing", "education", "medical", "housing", "acknowledged"):
        page.check(f"#proposal-form input[name={name}]")
    screenshot(page, "exit-case-proposal-phone")
    page.click("#proposal-form button[type=submit]")
    page.wait_for_selector("#case-status:has-text('已提出退出')")

    page.click("form[action$='/notice'] button[type=submit]")
    page.wait_for_selector("#case-status:has-text('公示中')")
    page.fill("form[action$='/objection'] input[name=lodged_by]", "村民 向永红")
    page.fill("form[action$='/objection'] textarea[name=grounds]", "务工收入未申报")
    page.click("form[action$='/objection'] button[type=submit]")
    page.check(".resolve-form input[value=dismissed]")
    page.fill(".resolve-form textarea[name=resolution]", "经入户核实,务工收入已计入")
    page.click(".resolve-form button[type=submit]")
    page.wait_for_selector(".objection:has-text('异议不成立')")
    assert "经入户核实,务工收入已计入" in page.inner_text(".objection")
    assert "公示中" in page.inner_text("#case-status")
    context.close()
