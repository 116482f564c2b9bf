from freezegun import freeze_time


def test_health_reports_version_engine_and_rule_book_in_force(client, engine):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["database"] == engine.dialect.name
    assert body["rule_book"]["id"] == "hunan-2017"
    assert body["rule_book"]["time_zone"] == "Asia/Shanghai"


def test_health_before_any_rule_book_takes_effect_says_none(client):
    with freeze_time("2017-05-31T15:59:59Z"):  # 23:59:59 on 31 May, Beijing
        assert client.get("/api/v1/health").json()["rule_book"] is None
    with freeze_time("2017-05-31T16:00:00Z"):  # midnight, 1 June, Beijing
        assert client.get("/api/v1/health").json()["rule_book"]["id"] == "hunan-2017"


def test_unknown_path_is_a_problem_document_in_the_requested_language(client):
    zh = client.get("/api/v1/nowhere")
    assert zh.status_code == 404
    assert zh.headers["content-type"].startswith("application/problem+json")
    assert zh.json()["code"] == "not_found" and zh.json()["title"] == "未找到"
    en = client.get("/api/v1/nowhere", headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    assert en.json()["title"] == "Not found"
