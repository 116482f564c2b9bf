"""Visits through the API: record, void, list; bulk import all-or-nothing with line numbers."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.api.conftest import bearer
from tests.factories import build_tree, household, person_in_post
from workflow.db import transaction
from workflow.eventlog import Event
from workflow.imports import visits as visit_import
from workflow.visits.models import Visit


def _setup(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        cadre = person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        household(session, tree, "4312241002010001")
    return tree, cadre, bearer(engine, roles=["recorder"], scope=tree.township)


def _visits(engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(Visit)).scalar_one()


def test_a_recorded_visit_after_midnight_beijing_counts_for_the_new_month_and_can_be_voided(client, engine):
    tree, cadre, headers = _setup(engine)
    body = {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-01T00:30:00+08:00", "notes": "凌晨入户"}
    created = client.post("/api/v1/visits", headers=headers, json=body)
    assert created.status_code == 201, created.text
    visit = created.json()
    assert visit["occurred_on"] == "2017-07-01" and visit["village_code"] == tree.village
    assert client.get(created.headers["location"], headers=headers).json()["id"] == visit["id"]
    voided = client.post(f"/api/v1/visits/{visit['id']}/void", headers=headers, json={"reason": "对象录错"})
    assert voided.status_code == 200 and voided.json()["void_reason"] == "对象录错"
    assert client.get("/api/v1/visits", headers=headers).json()["items"] == []
    listed = client.get("/api/v1/visits", headers=headers, params={"include_voided": "true", "from": "2017-07-01", "to": "2017-07-31"}).json()["items"]
    assert [v["id"] for v in listed] == [visit["id"]]
    again = client.post(f"/api/v1/visits/{visit['id']}/void", headers=headers, json={"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "visit_already_voided"


def test_visit_lists_page_by_time_without_skipping_or_repeating(client, engine):
    tree, cadre, headers = _setup(engine)
    for day in range(1, 8):
        body = {"visitor_id": cadre, "target_level": "village", "target_id": tree.village, "occurred_at": f"2017-08-{day:02d}T09:00:00+08:00"}
        assert client.post("/api/v1/visits", headers=headers, json=body).status_code == 201
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/visits", headers=headers, params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [v["occurred_on"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"2017-08-{day:02d}" for day in range(1, 8)]
    bad = client.get("/api/v1/visits", headers=headers, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor" and bad.json()["field"] == "cursor"


def test_a_csv_import_records_every_line(client, engine):
    tree, cadre, headers = _setup(engine)
    csv = (
        "visitor_id,target_level,target_id,occurred_at,notes\n"
        f"{cadre},household,4312241002010001,2017-07-03T10:00:00+08:00,入户走访\n"
        f"{cadre},village,{tree.village},2017-07-04T10:00:00+08:00,\n"
    )
    response = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": "text/csv"}, content=csv.encode("utf-8-sig"))
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 2 and _visits(engine) == 2


def test_an_import_with_bad_lines_reports_each_with_its_number_and_writes_nothing(client, engine):
    tree, cadre, headers = _setup(engine)
    lines = [
        {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-03T10:00:00+08:00"},
        {"visitor_id": cadre, "target_level": "household", "target_id": "nobody", "occurred_at": "2017-07-03T10:00:00+08:00"},
        {"visitor_id": cadre, "target_level": "village", "target_id": tree.village, "occurred_at": "2017-07-03T10:00:00"},
        {"visitor_id": cadre, "target_level": "village", "target_id": tree.village, "occurred_at": "2017-07-05T10:00:00+08:00", "colour": "red"},
    ]
    body = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n\n{broken\n"
    response = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": "application/x-ndjson", "Accept-Language": "en"}, content=body.encode())
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "import_refused"
    reported = [(p["line"], p["code"], p["field"]) for p in problem["details"]["lines"]]
    assert reported == [(2, "household_not_found", "target_id"), (3, "naive_datetime", "occurred_at"), (4, "unknown_field", "colour"), (6, "invalid_json", None)]
    assert all(p["detail"] for p in problem["details"]["lines"])
    assert _visits(engine) == 0


def test_an_import_outside_the_scope_or_by_a_supervisor_is_refused(client, engine):
    tree, cadre, headers = _setup(engine)
    csv = f"visitor_id,target_level,target_id,occurred_at\n{cadre},township,{tree.other_township},2017-07-03T10:00:00+08:00\n"
    outside = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": "text/csv"}, content=csv.encode())
    assert outside.status_code == 422 and outside.json()["details"]["lines"][0]["code"] == "org_unit_not_found"
    supervisor = bearer(engine, roles=["supervisor"], scope=tree.township)
    assert client.post("/api/v1/visits/import", headers={**supervisor, "Content-Type": "text/csv"}, content=csv.encode()).status_code == 403
    wrong_type = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": "application/pdf"}, content=b"%PDF")
    assert wrong_type.status_code == 422 and wrong_type.json()["code"] == "unsupported_file_type"
    bad_header = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": "text/csv"}, content="who,when\n".encode())
    assert bad_header.status_code == 422 and bad_header.json()["code"] == "invalid_header"
    assert _visits(engine) == 0


def _events(engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


def test_a_nul_character_in_a_visits_notes_is_refused_and_nothing_is_written(client, engine):
    _, cadre, headers = _setup(engine)
    before = _events(engine)
    body = {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-03T10:00:00+08:00", "notes": "入户\x00走访"}
    refused = client.post("/api/v1/visits", headers={**headers, "Accept-Language": "en"}, json=body)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["code"], refused.json()["field"]) == ("nul_character", "notes")
    assert "NUL" in refused.json()["detail"]
    assert (_events(engine), _visits(engine)) == (before, 0)


def test_a_literal_backslash_u0000_in_notes_is_text_and_is_kept(client, engine):
    _, cadre, headers = _setup(engine)
    notes = "照片编号 IMG\\u0000 见附件"  # a backslash, then the five characters u0000
    body = {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-03T10:00:00+08:00", "notes": notes}
    created = client.post("/api/v1/visits", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert client.get(created.headers["location"], headers=headers).json()["notes"] == notes
    line = json.dumps({**body, "occurred_at": "2017-07-04T10:00:00+08:00"}, ensure_ascii=False)
    imported = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": "application/x-ndjson"}, content=line.encode())
    assert imported.status_code == 201, imported.text
    assert _visits(engine) == 2


def test_an_import_with_a_nul_on_line_3_names_that_line_and_writes_nothing(client, engine):
    tree, cadre, headers = _setup(engine)
    before = _events(engine)
    csv = (
        "visitor_id,target_level,target_id,occurred_at,notes\n"
        f"{cadre},household,4312241002010001,2017-07-03T10:00:00+08:00,入户走访\n"
        f"{cadre},village,{tree.village},2017-07-04T10:00:00+08:00,村部\x00座谈\n"
        f"{cadre},village,{tree.village}\x00,2017-07-05T10:00:00+08:00,\n"  # an id must not reach a lookup
    )
    lines = [
        {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-03T10:00:00+08:00"},
        {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-04T10:00:00+08:00", "notes": "ok"},
        {"visitor_id": cadre, "target_level": "village", "target_id": tree.village, "occurred_at": "2017-07-05T10:00:00+08:00", "notes": "村部\x00座谈"},
        {"visitor_id": cadre, "target_level": "village", "target_id": tree.village + "\x00", "occurred_at": "2017-07-05T10:00:00+08:00"},
    ]
    jsonl = "".join(json.dumps(line) + "\n" for line in lines)  # the NUL written as its JSON escape
    assert "\\u0000" in jsonl and "\x00" not in jsonl
    for content_type, content in (("text/csv", csv), ("application/x-ndjson", jsonl)):
        response = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": content_type}, content=content.encode())
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "import_refused"
        assert [(p["line"], p["code"], p["field"]) for p in response.json()["details"]["lines"]] == [(3, "nul_character", "notes"), (4, "nul_character", "target_id")]
    assert (_events(engine), _visits(engine)) == (before, 0)


def test_a_retried_import_with_the_same_key_imports_once(client, engine):
    tree, cadre, headers = _setup(engine)
    csv = f"visitor_id,target_level,target_id,occurred_at\n{cadre},village,{tree.village},2017-07-03T10:00:00+08:00\n".encode()
    keyed = {**headers, "Content-Type": "text/csv", "Idempotency-Key": "import-2017-07"}
    assert client.post("/api/v1/visits/import", headers=keyed, content=csv).json()["imported"] == 1
    assert client.post("/api/v1/visits/import", headers=keyed, content=csv).json()["imported"] == 1
    assert _visits(engine) == 1


def test_recording_a_visit_reads_each_row_it_needs_once(client, engine):
    from collections import Counter

    from sqlalchemy import event

    _, cadre, headers = _setup(engine)
    body = {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-03T10:00:00+08:00"}
    reads: Counter = Counter()

    def count(_conn, _cursor, statement, _params, _context, _executemany):
        words = statement.split()
        if words[0].upper() == "SELECT" and "FROM" in words:
            reads[words[words.index("FROM") + 1]] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        created = client.post("/api/v1/visits", headers={**headers, "Idempotency-Key": "one-read-each"}, json=body)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert created.status_code == 201, created.text
    # The scope check and the visit's own checks share the household and its village;
    # the visit the projector added is answered from the session, not read back.
    assert reads["household"] == 1 and reads["visit"] == 1
    assert reads["account"] == 1 and "account_token" not in reads  # the token, its account and scope: one join


def test_a_refused_write_gives_up_its_turn_so_the_next_write_goes_ahead(client, engine, monkeypatch):
    import time

    from api import deps

    monkeypatch.setattr(deps, "TURN_TIMEOUT", 5.0)  # a turn never given back would stall the next write this long
    _, cadre, headers = _setup(engine)
    body = {"visitor_id": cadre, "target_level": "household", "target_id": "4312241002010001", "occurred_at": "2017-07-03T10:00:00+08:00"}
    refused = client.post("/api/v1/visits", headers=headers, json={**body, "target_id": "no-such-household"})
    assert refused.status_code == 404
    started = time.monotonic()
    for _ in range(3):
        assert client.post("/api/v1/visits", headers=headers, json=body).status_code == 201
    assert time.monotonic() - started < 4.0
    assert _visits(engine) == 3


def test_the_same_file_posted_again_is_refused_naming_the_first_import_unless_again(client, engine):
    tree, cadre, headers = _setup(engine)
    csv = f"visitor_id,target_level,target_id,occurred_at\n{cadre},village,{tree.village},2017-07-03T10:00:00+08:00\n".encode()
    headers = {**headers, "Content-Type": "text/csv"}
    first = client.post("/api/v1/visits/import", headers=headers, content=csv)
    assert first.status_code == 201, first.text
    for retry in ({}, {"Idempotency-Key": "another-upload"}):
        refused = client.post("/api/v1/visits/import", headers={**headers, **retry}, content=csv)
        assert refused.status_code == 409 and refused.json()["code"] == "file_already_imported", refused.text
        assert refused.json()["details"]["import_id"] == first.json()["import_id"] and refused.json()["field"] == "file"
    assert _visits(engine) == 1
    forced = client.post("/api/v1/visits/import", headers=headers, content=csv, params={"again": "true"})
    assert forced.status_code == 201 and forced.json()["import_id"] != first.json()["import_id"]
    assert _visits(engine) == 2


def test_an_import_refusal_lists_the_first_hundred_bad_lines_and_counts_them_all(client, engine):
    tree, cadre, headers = _setup(engine)
    csv = "visitor_id,target_level,target_id,occurred_at\n" + f"{cadre},village,{tree.village},2017-07-03T10:00:00\n" * 250
    refused = client.post("/api/v1/visits/import", headers={**headers, "Content-Type": "text/csv"}, content=csv.encode())
    assert refused.status_code == 422
    details = refused.json()["details"]
    assert len(details["lines"]) == 100 and details["bad_lines"] == 250 and details["lines"][-1]["line"] == 101


def test_a_body_over_its_operations_limit_is_refused_naming_the_limit(client, engine):
    tree, cadre, headers = _setup(engine)
    body = {"visitor_id": cadre, "target_level": "village", "target_id": tree.village, "occurred_at": "2017-07-03T10:00:00+08:00"}
    body |= {f"unknown{n}": n for n in range(700_000)}  # 12 MB of unknown keys
    refused = client.post("/api/v1/visits", headers=headers, json=body)
    assert refused.status_code == 413, refused.text
    assert refused.json()["code"] == "body_too_large" and refused.json()["details"]["limit_bytes"] == 64 * 1024
    assert "64 KiB" in refused.json()["detail"]

    def chunked():  # no Content-Length: counted as it arrives
        yield b'{"notes": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    streamed = client.post("/api/v1/visits", headers={**headers, "Content-Type": "application/json"}, content=chunked())
    assert streamed.status_code == 413
    assert _visits(engine) == 0


def test_a_json_body_lists_the_first_hundred_invalid_fields_and_counts_them_all(client, engine):
    tree, cadre, headers = _setup(engine)
    body = {"visitor_id": cadre, "target_level": "village", "target_id": tree.village, "occurred_at": "2017-07-03T10:00:00+08:00"}
    body |= {f"k{n}": n for n in range(1000)}
    refused = client.post("/api/v1/visits", headers=headers, json=body)
    assert refused.status_code == 422
    assert len(refused.json()["errors"]) == 100 and refused.json()["error_count"] == 1000


def test_a_single_visit_posted_during_a_large_refused_import_answers_within_a_second(client, engine, monkeypatch):
    """A refused file is checked before the import takes the write lock: other writers never wait for it."""
    tree, cadre, headers = _setup(engine)
    monkeypatch.setattr(visit_import, "CHUNK", 50)  # appended a chunk at a time, as a large file is
    checks = visit_import.visits.visit_recorded

    def slow_check(*args, **kwargs):  # about 3 s of checking for the whole file
        time.sleep(0.01)
        return checks(*args, **kwargs)

    monkeypatch.setattr(visit_import.visits, "visit_recorded", slow_check)
    good = f"{cadre},village,{tree.village},2017-07-03T10:00:00+08:00\n" * 300
    file = ("visitor_id,target_level,target_id,occurred_at\n" + good + "nobody,village,v,2017-07-03T10:00:00+08:00\n").encode()
    with ThreadPoolExecutor(max_workers=1) as pool:
        importing = pool.submit(client.post, "/api/v1/visits/import", headers={**headers, "Content-Type": "text/csv"}, content=file)
        time.sleep(1.0)  # well into the file: past its first chunks
        assert not importing.done()
        started = time.monotonic()
        single = client.post("/api/v1/visits", headers=headers, json={"visitor_id": cadre, "target_level": "village", "target_id": tree.village, "occurred_at": "2017-07-05T10:00:00+08:00"})
        waited, import_still_running = time.monotonic() - started, not importing.done()
        refused = importing.result()
    assert single.status_code == 201, single.text
    assert waited < 1.0
    assert import_still_running, "the import ended before the single visit was answered: make the file larger"
    assert refused.status_code == 422 and refused.json()["details"]["lines"][0]["line"] == 302
    assert _visits(engine) == 1
