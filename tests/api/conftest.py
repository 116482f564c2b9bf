import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.factories import ADMIN
from workflow.accounts import service as accounts
from workflow.db import transaction


@pytest.fixture
def client(engine):
    with TestClient(create_app(engine)) as client:
        yield client


def bearer(engine, *, roles: list[str], scope: str, person: str | None = None, name: str = "测试账号") -> dict[str, str]:
    """Headers of a new account with `roles` over `scope`'s subtree."""
    with transaction(engine) as session:
        _, token = accounts.create_account(session, actor=ADMIN, name=name, roles=roles, scope_code=scope, person_id=person)
    return {"Authorization": f"Bearer {token}"}
