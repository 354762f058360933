"""PostgreSQL out of reach (its connections cut and refused through a TCP proxy): writes and readiness
answer 503 database_unavailable with Retry-After, each refusal is one warning line with the request's
log fields and no traceback, and the service answers again as soon as the database is back."""
import logging

import requests
import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from eoffice_common.auth import Principal, issue_token
from eoffice_common.errors import database_unreachable
from eoffice_common.testing import TEST_JWT_PRIVATE_KEY, TcpProxy
from eoffice_common.web import DescribedService


class Captured(logging.Handler):
    """Every log record with the log fields bound when it was written."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append((record, structlog.contextvars.get_contextvars()))


def test_a_database_out_of_reach_is_503_with_retry_after_and_service_resumes(container_factory, writer_service, writer_config):
    described_writer = type("DescribedWriter", (writer_service, DescribedService), {})
    url = make_url(writer_config["DB_URL"])
    proxy = TcpProxy(url.host, url.port or 5432)
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    container = container_factory(described_writer, {**writer_config, "DB_URL": through_proxy})
    container.start()
    base = f"http://{writer_config['WEB_SERVER_ADDRESS']}"
    headers = {"Authorization": f"Bearer {issue_token(TEST_JWT_PRIVATE_KEY, Principal('clerk.jhs', 'COLL-JHS', ('clerk',), 'Pooja Yadav'), 600)}"}
    assert requests.post(f"{base}/notes", json={"id": "before", "text": "t"}, headers=headers).status_code == 201

    captured, root = Captured(), logging.getLogger()
    root.addHandler(captured)
    proxy.refuse()
    try:
        refused = [requests.post(f"{base}/notes", json={"id": f"during-{i}", "text": "t"},
                                 headers={**headers, "X-Correlation-ID": f"outage-{i}"}) for i in range(2)]
        not_ready = requests.get(f"{base}/health/ready")
    finally:
        root.removeHandler(captured)
    for response in refused:
        assert (response.status_code, response.json()["error"]) == (503, "database_unavailable")
        assert int(response.headers["Retry-After"]) > 0
    assert (not_ready.status_code, not_ready.json()["database"]) == (503, "unavailable")
    worker_lines = [(record, fields) for record, fields in captured.lines if record.name == "nameko.containers"]
    assert [(r.levelname, r.exc_info, f.get("correlation_id"), f.get("entrypoint"), f.get("user")) for r, f in worker_lines] == [
        ("WARNING", None, "outage-0", "post_note", "clerk.jhs"), ("WARNING", None, "outage-1", "post_note", "clerk.jhs"),
    ]
    assert [r.getMessage() for r, _ in captured.lines if r.levelno >= logging.ERROR or r.exc_info] == []

    proxy.accept()
    try:
        assert requests.get(f"{base}/health/ready").status_code == 200
        assert requests.post(f"{base}/notes", json={"id": "after", "text": "t"}, headers=headers).status_code == 201
    finally:
        container.stop()
        proxy.close()


def test_only_a_database_out_of_reach_counts_as_unavailable():
    refused_connection = OperationalError(None, None, Exception("connection refused"))
    deadlock = OperationalError("UPDATE files SET version = 2", {}, Exception("deadlock detected"))
    lost_mid_statement = OperationalError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)
    assert [database_unreachable(e) for e in (refused_connection, deadlock, lost_mid_statement)] == [True, False, True]
