import json
import os
import uuid
from datetime import datetime, timezone

import eventlet
import eventlet.wsgi
import pytest
import requests
from sqlalchemy import create_engine, func, select

from eoffice_common.auth import Principal, issue_token
from eoffice_common.engine import DatabaseEngine
from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, truncate_all
from notify.models import Recipient
from notify.service import NotifyService
from notify.testing import MailDrop, wait_until

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The people of these tests, as dak announces them (user_recorded data).
USERS = {
    "dm.jhs": {
        "office": "COLL-JHS", "district": "JHS", "name_en": "Ravi Kumar", "name_hi": "रवि कुमार",
        "designation_en": "District Magistrate", "designation_hi": "ज़िलाधिकारी", "email": "dm.jhs@up.example.in",
        "mobile": "9876500001", "reporting_officer": "commr.jhs", "roles": ["officer"], "language": "hi",
    },
    "adm.jhs": {
        "office": "COLL-JHS", "district": "JHS", "name_en": "Anita Verma", "name_hi": "अनीता वर्मा",
        "designation_en": "Additional District Magistrate", "designation_hi": "अपर ज़िलाधिकारी",
        "email": "adm.jhs@up.example.in", "mobile": "+91 98765 00002", "reporting_officer": "dm.jhs",
        "roles": ["officer"], "language": "en",
    },
    "clerk.jhs": {
        "office": "COLL-JHS", "district": "JHS", "name_en": "Pooja Yadav", "name_hi": "पूजा यादव",
        "designation_en": "Clerk", "designation_hi": "लिपिक", "email": "clerk.jhs@up.example.in",
        "mobile": "9876500003", "reporting_officer": "adm.jhs", "roles": ["clerk"], "language": "hi",
    },
    "commr.jhs": {
        "office": "COMMR-JHS", "district": "JHS", "name_en": "S. N. Mishra", "name_hi": "एस. एन. मिश्र",
        "designation_en": "Divisional Commissioner", "designation_hi": "मंडलायुक्त", "email": "commr.jhs@up.example.in",
        "mobile": "9876500004", "reporting_officer": None, "roles": ["officer"], "language": "hi",
    },
    "admin.jhs": {
        "office": "COLL-JHS", "district": "JHS", "name_en": "System Admin", "name_hi": "सिस्टम प्रशासक",
        "designation_en": "Administrator", "designation_hi": "प्रशासक", "email": None, "mobile": None,
        "reporting_officer": None, "roles": ["admin"], "language": "en",
    },
    "admin.jln": {
        "office": "COLL-JLN", "district": "JLN", "name_en": "Jalaun Admin", "name_hi": "जालौन प्रशासक",
        "designation_en": "Administrator", "designation_hi": "प्रशासक", "email": None, "mobile": None,
        "reporting_officer": None, "roles": ["admin"], "language": "en",
    },
}



def envelope(event_type, data, *, event_id=None, occurred_at=None, actor="system", office="COLL-JHS",
             aggregate_type="file", aggregate_id=None):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "schema_version": 1,
        "occurred_at": (occurred_at or datetime.now(timezone.utc)).isoformat(),
        "actor": actor,
        "office": office,
        "district": "JHS",
        "correlation_id": uuid.uuid4().hex,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id or str(uuid.uuid4()),
        "data": data,
    }


def file_sent(to_user="dm.jhs", from_user="adm.jhs", **fields):
    data = {
        "file_id": str(uuid.uuid4()), "file_number": "N-11016/6/2026-COLL-JHS", "movement_id": str(uuid.uuid4()),
        "action": "send", "from_user": from_user, "to_user": to_user, "remarks": "कृपया अवलोकन करें",
        "due_date": None, "priority": "normal", "subject": "भूमि अभिलेख में नाम संशोधन", "classification": "normal",
        "office": "COLL-JHS", "district": "JHS",
    }
    data.update(fields)
    return data


class Database:
    def __init__(self, url):
        self.url = url
        self.engine = create_engine(url)

    def rows(self, query):
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def count(self, model, *where):
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model).where(*where)).scalar()

    def execute(self, statement):
        with self.engine.begin() as conn:
            conn.execute(statement)


class SmsGatewayStub:
    """An HTTP SMS gateway that records what it is sent; `answers` are statuses to give first."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/sms"
        self.received = []
        self.answers = []
        self.delay = 0  # seconds before answering
        self._socket = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(eventlet.wsgi.server, self._socket, self._app, log_output=False)

    def _app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length).decode("utf-8"))
        status = self.answers.pop(0) if self.answers else 200
        eventlet.sleep(self.delay)
        self.received.append({"status": status, "authorization": environ.get("HTTP_AUTHORIZATION"), "body": body})
        start_response(f"{status} {'OK' if status == 200 else 'Refused'}", [("Content-Type", "application/json")])
        return [b"{}"]

    @property
    def accepted(self):
        return [r["body"] for r in self.received if r["status"] == 200]

    def close(self):
        self._server.kill()
        self._socket.close()


@pytest.fixture(scope="session")
def notify_database(migrated_database):
    return migrated_database(SERVICE_DIR, "notify")


@pytest.fixture
def db(notify_database):
    truncate_all(notify_database)
    database = Database(notify_database)
    yield database
    database.engine.dispose()


@pytest.fixture
def mail_drop():
    drop = MailDrop()
    drop.start()
    yield drop
    drop.stop()


@pytest.fixture
def sms_gateway():
    gateway = SmsGatewayStub()
    yield gateway
    gateway.close()


@pytest.fixture
def notify_config(rabbit_config, db, mail_drop, sms_gateway):
    return {
        **rabbit_config,
        "DB_URL": db.url,
        **TEST_JWT_KEYS,
        "METRICS_PORT": 0,
        "max_workers": 6,
        "DESK_URL": "https://eoffice.example.in",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mail_drop.port,
        "SMTP_FROM": "noreply@eoffice.example.in",
        "SMTP_FROM_NAME": "ई-ऑफिस",
        "SMTP_TIMEOUT_SECONDS": 5,
        "SMS_GATEWAY_URL": sms_gateway.url,
        "SMS_API_KEY": "sms-test-key",
        "SMS_SENDER_ID": "EOFFIC",
        "SMS_TIMEOUT_SECONDS": 2,
        "RETRY_BASE_SECONDS": 0.2,
        "RETRY_MAX_SECONDS": 1,
        "DELIVERY_MAX_ATTEMPTS": 6,
        "SENDER_POLL_SECONDS": 0.1,
        "SCHEDULER_POLL_SECONDS": 0.2,
        "SENDING_LEASE_SECONDS": 60,
        "STREAM_KEEPALIVE_SECONDS": 1,
    }


@pytest.fixture
def start_notify(container_factory, notify_config):
    """Start a notify container (each with its own HTTP port); returns it and its base URL."""
    started = []

    def start(**overrides):
        config = {**notify_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", **overrides}
        container = container_factory(NotifyService, config)
        container.start()
        container.base_url = f"http://{config['WEB_SERVER_ADDRESS']}"
        started.append(container)
        return container

    yield start
    # PostgreSQL is shared with other developers' tests: give every connection back now, also those
    # of containers a test killed (nameko's kill leaves the engine to the garbage collector).
    for container in started:
        container.kill()
        for extension in container.subextensions:
            if isinstance(extension, DatabaseEngine):
                extension.engine.dispose()


class Publisher:
    """Publishes events as dak, files or signing would (confirmed by the broker)."""

    def __init__(self, amqp_uri):
        self.amqp_uri = amqp_uri
        self._publishers = {}

    def raw(self, service, envelopes):
        publisher = self._publishers.setdefault(service, ConfirmingPublisher(self.amqp_uri, service))
        assert publisher.publish(envelopes) == len(envelopes)
        return envelopes

    def __call__(self, service, event_type, data, **fields):
        return self.raw(service, [envelope(event_type, data, **fields)])[0]

    def close(self):
        for publisher in self._publishers.values():
            publisher.close()


@pytest.fixture
def publish(rabbit_config):
    """publish(service, event_type, data, **envelope_fields) -> the envelope; publish.raw(service, envelopes)."""
    publisher = Publisher(rabbit_config["AMQP_URI"])
    yield publisher
    publisher.close()


@pytest.fixture
def directory(publish, db):
    """Announce USERS as dak does and wait until notify has recorded them."""

    def announce(users=USERS):
        for user_id, data in users.items():
            publish("dak", "user_recorded", {"user_id": user_id, "active": True, **data},
                    aggregate_type="user", aggregate_id=user_id)
        assert wait_until(lambda: db.count(Recipient) >= len(users)), "the directory did not arrive"

    return announce


@pytest.fixture
def notify(start_notify, directory):
    """One running notify that knows the directory."""
    container = start_notify()
    directory()
    return container


class Client:
    """HTTP client of a running notify, acting as one of USERS."""

    def __init__(self, base_url):
        self.base_url = base_url

    @staticmethod
    def token(user_id):
        user = USERS.get(user_id, {"office": "COLL-JHS", "roles": ["clerk"], "name_en": user_id})
        return issue_token(TEST_JWT_PRIVATE_KEY, Principal(user_id, user["office"], tuple(user["roles"]), user["name_en"]))

    def request(self, method, path, user, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path, user, **kwargs):
        return self.request("GET", path, user, **kwargs)

    def post(self, path, user, **kwargs):
        return self.request("POST", path, user, **kwargs)

    def put(self, path, user, **kwargs):
        return self.request("PUT", path, user, **kwargs)

    def inbox(self, user):
        response = self.get("/notifications", user)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_inbox(self, user, count=1, timeout=10):
        """The user's notifications once there are at least `count`."""
        wait_until(lambda: self.inbox(user)["total"] >= count, timeout)
        notifications = self.inbox(user)["notifications"]
        assert len(notifications) >= count, f"{user} has {len(notifications)} notifications, expected {count}"
        return notifications


@pytest.fixture
def client(notify):
    return Client(notify.base_url)


@pytest.fixture
def helpers():
    """Plain helpers for test modules (they cannot import conftest)."""
    return type("Helpers", (), {
        "wait_until": staticmethod(wait_until), "envelope": staticmethod(envelope),
        "file_sent": staticmethod(file_sent), "users": USERS, "Client": Client,
    })
