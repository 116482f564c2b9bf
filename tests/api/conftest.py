import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture
def client(engine):
    with TestClient(create_app(engine)) as client:
        yield client
