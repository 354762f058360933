import os

import pytest
import requests

from dak.cli import DEMO_MASTER
from dak.directory import import_master, load_master
from dak.service import DakService
from eoffice_common.auth import Principal, issue_token
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, truncate_all

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(scope="session")
def demo_master():
    return load_master(DEMO_MASTER)


@pytest.fixture(scope="session")
def dak_database(migrated_database):
    return migrated_database(SERVICE_DIR, "dak")


@pytest.fixture
def dak_db(dak_database, demo_master):
    """The dak database, emptied, with the demo directory imported (its events left in the outbox)."""
    truncate_all(dak_database)
    engine = StandaloneEngine(dak_database)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        import_master(uow, demo_master)
        uow.commit()
    engine.engine.dispose()
    return dak_database


@pytest.fixture
def dak_config(rabbit_config, s3_config, dak_db):
    return {
        **rabbit_config,
        **s3_config,
        "DB_URL": dak_db,
        **TEST_JWT_KEYS,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "METRICS_PORT": free_port(),
        "MAX_DOCUMENT_BYTES": 64 * 1024,
        "max_workers": 20,
    }


class Desk:
    """HTTP client of the running dak service, acting as a given user."""

    def __init__(self, base_url, demo_master):
        self.base_url = base_url
        self.users = {u["id"]: u for u in demo_master["users"]}

    def token(self, user_id, office=None):
        user = self.users.get(user_id, {"office": office or "COLL-JHS", "roles": ["clerk"], "name_en": user_id})
        return issue_token(TEST_JWT_PRIVATE_KEY, Principal(user_id, user["office"], tuple(user["roles"]), user["name_en"]))

    def request(self, method, path, user, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path, user, **kwargs):
        return self.request("GET", path, user, **kwargs)

    def post(self, path, user, **kwargs):
        return self.request("POST", path, user, **kwargs)

    def diarise(self, user="diarist.jhs", **fields):
        body = {"delivery_mode": "post", "kind": "physical", "sender": {"name": "राम प्रसाद"}, "subject": "प्रार्थना पत्र", **fields}
        response = self.post("/receipts", user, json=body)
        assert response.status_code == 201, response.text
        return response.json()["receipt"]


@pytest.fixture
def dak_container(container_factory, dak_config):
    container = container_factory(DakService, dak_config)
    container.start()
    return container


@pytest.fixture
def desk(dak_container, dak_config, demo_master):
    return Desk(f"http://{dak_config['WEB_SERVER_ADDRESS']}", demo_master)


@pytest.fixture
def pdf():
    return PDF


@pytest.fixture
def png():
    return PNG
