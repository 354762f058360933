import uuid
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import create_engine, text

from eoffice_common.auth import Principal, issue_token
from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.storage import open_documents
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, truncate_all, wait_until
from search.events import CONSUMED
from search.service import SearchService

SOURCE_OF = {event_type: service for service, types in CONSUMED.items() for event_type in types}


def envelope(event_type, data, office="COLL-JHS", actor="clerk.jhs", at=None):
    return {
        "id": str(uuid.uuid4()), "type": event_type, "schema_version": 1,
        "occurred_at": (at or datetime.now(timezone.utc)).isoformat(), "actor": actor, "office": office, "district": "JHS",
        "correlation_id": uuid.uuid4().hex, "aggregate_type": event_type.split("_")[0],
        "aggregate_id": str(data.get("file_id") or data.get("receipt_id") or "x"), "data": data,
    }


class Bus:
    """Publishes envelopes to dak's and files' exchanges, as their outbox relays do."""

    def __init__(self, amqp_uri):
        self.publishers = {service: ConfirmingPublisher(amqp_uri, service) for service in CONSUMED}

    def publish(self, *envelopes):
        for item in envelopes:
            assert self.publishers[SOURCE_OF.get(item.get("type"), "dak")].publish([item]) == 1

    def close(self):
        for publisher in self.publishers.values():
            publisher.close()


class Client:
    def __init__(self, base_url):
        self.base_url = base_url

    def search(self, user="clerk.jhs", office="COLL-JHS", **params):
        token = issue_token(TEST_JWT_PRIVATE_KEY, Principal(user, office, ("clerk",), user))
        return requests.get(f"{self.base_url}/search", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30)


class Database:
    def __init__(self, url):
        self.engine = create_engine(url)

    def rows(self, sql, **params):
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).all()


@pytest.fixture
def search_config(rabbit_config, s3_config, search_database):
    truncate_all(search_database)
    return {
        **rabbit_config, **s3_config, **TEST_JWT_KEYS, "DB_URL": search_database,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", "METRICS_PORT": free_port(),
        "OCR_WORKERS": 2, "MAX_PAGES": 3, "max_workers": 10,
    }


@pytest.fixture
def store(search_config):
    """Where dak keeps scans: the service reads them from the same bucket."""
    return open_documents(search_config, "dak/")


@pytest.fixture
def search_container(container_factory, search_config):
    container = container_factory(SearchService, search_config)
    container.start()
    return container


@pytest.fixture
def client(search_container, search_config):
    return Client(f"http://{search_config['WEB_SERVER_ADDRESS']}")


@pytest.fixture
def bus(search_container, search_config):
    publisher = Bus(search_config["AMQP_URI"])
    yield publisher
    publisher.close()


@pytest.fixture
def db(search_database):
    database = Database(search_database)
    yield database
    database.engine.dispose()


@pytest.fixture(scope="session")
def wait():
    return wait_until
