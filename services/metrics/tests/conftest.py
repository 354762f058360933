import os
import uuid
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import create_engine, text

from eoffice_common.auth import Principal, issue_token
from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, truncate_all
from eoffice_common.testing import wait_until as common_wait_until
from metrics.events import CONSUMED
from metrics.service import MetricsService

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_OF = {event_type: service for service, types in CONSUMED.items() for event_type in types}

SCOREBOARD = {
    "pendency_days": 15,
    "movements_target": 10,
    "disposal_best_days": 1,
    "disposal_worst_days": 30,
    "weights": {
        "e_file_share": 2, "e_receipt_share": 2, "movements_per_active_user": 1, "median_disposal_days": 1.5,
        "old_pendency_share": 1.5, "digital_signing_share": 1, "active_user_share": 1,
    },
}


class Events:
    """Envelopes as the other services publish them, and a publisher to their exchanges."""

    def __init__(self, amqp_uri=None):
        self.amqp_uri = amqp_uri
        self._publishers = {}

    @staticmethod
    def make(event_type, data, office="COLL-JHS", actor="clerk.jhs", at=None, district="JHS", event_id=None):
        at = at or datetime.now(timezone.utc)
        return {
            "id": event_id or str(uuid.uuid4()), "type": event_type, "schema_version": 1,
            "occurred_at": at.isoformat(), "actor": actor, "office": office, "district": district,
            "correlation_id": uuid.uuid4().hex, "aggregate_type": event_type.split("_")[0],
            "aggregate_id": str(data.get("file_id") or data.get("receipt_id") or data.get("user_id") or data.get("office") or "x"),
            "data": data,
        }

    @staticmethod
    def office(code, district, department, name_hi, name_en=None, district_name_hi="झाँसी", department_name_hi="राजस्व", sections=()):
        data = {
            "office": code, "district": district, "name_en": name_en or f"Office {code}", "name_hi": name_hi,
            "department": department, "department_name_en": f"Department {department}", "department_name_hi": department_name_hi,
            "district_name_en": f"District {district}", "district_name_hi": district_name_hi, "state": "UP",
            "sections": [{"code": s, "name_en": f"Section {s}", "name_hi": f"अनुभाग {s}"} for s in sections],
        }
        return Events.make("office_recorded", data, office=code, actor="directory-import", district=district)

    @staticmethod
    def user(user_id, office, name_hi="राम प्रसाद", roles=("clerk",), active=True, district="JHS"):
        data = {
            "user_id": user_id, "office": office, "district": district, "name_en": f"User {user_id}", "name_hi": name_hi,
            "designation_en": "Assistant", "designation_hi": "सहायक", "section": None, "email": None, "mobile": None,
            "reporting_officer": None, "roles": list(roles), "language": "hi", "active": active,
        }
        return Events.make("user_recorded", data, office=office, actor="directory-import", district=district)

    def publish(self, envelopes):
        """Publish each envelope to the exchange of the service that owns its type: in order for
        each service (as an outbox relay does), the services one after the other."""
        by_service = {}
        for envelope in envelopes:
            event_type = envelope.get("type") if isinstance(envelope, dict) else None
            by_service.setdefault(SOURCE_OF.get(event_type, "files"), []).append(envelope)
        for service, batch in by_service.items():
            publisher = self._publishers.setdefault(service, ConfirmingPublisher(self.amqp_uri, service))
            for start in range(0, len(batch), 5000):
                part = batch[start:start + 5000]
                assert publisher.publish(part) == len(part)

    def close(self):
        for publisher in self._publishers.values():
            publisher.close()


def wait_until(predicate, timeout=20, interval=0.05):
    return common_wait_until(predicate, timeout, interval)


class Database:
    def __init__(self, url):
        self.url = url
        self.engine = create_engine(url, pool_pre_ping=True)

    def scalar(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).all()


class Client:
    """HTTP client of the running metrics service."""

    def __init__(self, base_url):
        self.base_url = base_url

    @staticmethod
    def token(user="clerk.jhs", office="COLL-JHS", roles=("clerk",)):
        return issue_token(TEST_JWT_PRIVATE_KEY, Principal(user, office, tuple(roles), user))

    def get(self, path, user="clerk.jhs", office="COLL-JHS", roles=("clerk",), **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user, office, roles)}", **kwargs.pop("headers", {})}
        return requests.get(f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def post(self, path, user="admin.jhs", office="COLL-JHS", roles=("admin", "officer"), **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user, office, roles)}", **kwargs.pop("headers", {})}
        return requests.post(f"{self.base_url}{path}", headers=headers, timeout=60, **kwargs)


@pytest.fixture(scope="session")
def events_factory():
    return Events


@pytest.fixture(scope="session")
def wait():
    return wait_until


@pytest.fixture(scope="session")
def service_dir():
    return SERVICE_DIR


@pytest.fixture(scope="session")
def scoreboard_config():
    return SCOREBOARD


@pytest.fixture(scope="session")
def metrics_database(migrated_database):
    return migrated_database(SERVICE_DIR, "metrics")


@pytest.fixture
def metrics_db(metrics_database):
    truncate_all(metrics_database)
    database = Database(metrics_database)
    yield database
    database.engine.dispose()


def service_config(rabbit_config, db_url, **overrides):
    return {
        **rabbit_config,
        "DB_URL": db_url,
        **TEST_JWT_KEYS,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "METRICS_PORT": free_port(),
        "INGEST_BATCH_SIZE": 200,
        "INGEST_BATCH_WAIT_SECONDS": 0.02,
        "SCORE_EVERY_SECONDS": 0,
        "DIRECTORY_BOOTSTRAP": False,
        "SCOREBOARD": SCOREBOARD,
        "max_workers": 10,
        **overrides,
    }


@pytest.fixture
def metrics_config(rabbit_config, metrics_db):
    return service_config(rabbit_config, metrics_db.url)


@pytest.fixture
def metrics_container(container_factory, metrics_config):
    container = container_factory(MetricsService, metrics_config)
    container.start()
    return container


@pytest.fixture
def client(metrics_container, metrics_config):
    return Client(f"http://{metrics_config['WEB_SERVER_ADDRESS']}")


@pytest.fixture
def events(metrics_container, metrics_config):
    """A publisher to the other services' exchanges, once the service is consuming."""
    publisher = Events(metrics_config["AMQP_URI"])
    yield publisher
    publisher.close()


@pytest.fixture(scope="session")
def make_service_config():
    return service_config


@pytest.fixture(scope="session")
def make_client():
    return Client


@pytest.fixture(scope="session")
def make_database():
    return Database
