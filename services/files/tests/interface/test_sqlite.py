"""`make run` uses an embedded SQLite database: the same service runs its main paths on it."""
from datetime import datetime, timezone

import pytest
import requests
import yaml

from eoffice_common.auth import Principal, issue_token
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port
from files import directory
from files.cli import DEMO_HEADS, seed_heads
from files.service import FilesService

SERVICE_DIR = __file__.rsplit("/tests/", 1)[0]


@pytest.fixture
def sqlite_files(tmp_path, container_factory, rabbit_config, s3_config, demo_directory):
    url = f"sqlite:///{tmp_path}/files.db"
    upgrade(SERVICE_DIR, url)
    engine = StandaloneEngine(url)
    with open(DEMO_HEADS, encoding="utf-8") as handle:
        heads = yaml.safe_load(handle)["heads"]
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        directory.record_snapshot(uow.session, demo_directory)
        seed_heads(uow.session, heads, "test", datetime.now(timezone.utc))
        uow.commit()
    engine.engine.dispose()
    address = f"127.0.0.1:{free_port()}"
    container_factory(FilesService, {**rabbit_config, **s3_config, "DB_URL": url, **TEST_JWT_KEYS,
                                     "WEB_SERVER_ADDRESS": address, "METRICS_PORT": 0}).start()
    return f"http://{address}"


def call(base, method, path, user, office="COLL-JHS", roles=("officer",), **kwargs):
    token = issue_token(TEST_JWT_PRIVATE_KEY, Principal(user, office, roles, user))
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{base}{path}", headers=headers, timeout=30, **kwargs)


def test_files_are_numbered_moved_noted_and_found_on_sqlite(sqlite_files, event_tap):
    tap = event_tap("files")
    head = call(sqlite_files, "GET", "/heads", "clerk.jhs").json()["heads"][0]
    first = call(sqlite_files, "POST", "/files", "clerk.jhs", json={"head_id": head["id"], "subject": "नामांतरण प्रकरण"}).json()
    second = call(sqlite_files, "POST", "/files", "clerk.jhs", json={"head_id": head["id"], "subject": "दूसरा"}).json()
    assert (first["serial"], second["serial"]) == (1, 2)
    assert second["computer_number"] == first["computer_number"] + 1
    note = call(sqlite_files, "POST", f"/files/{first['id']}/notes", "clerk.jhs", json={"text": "अवलोकनार्थ प्रस्तुत"}).json()
    sent = call(sqlite_files, "POST", f"/files/{first['id']}/send", "clerk.jhs", json={"to": "so.jhs"})
    assert sent.status_code == 200, sent.text
    assert call(sqlite_files, "POST", f"/files/{first['id']}/pull-back", "clerk.jhs").json()["custodian"]["id"] == "clerk.jhs"
    notes = call(sqlite_files, "GET", f"/files/{first['id']}/notes", "so.jhs").json()["notes"]
    assert [(n["id"], n["status"], n["first_paragraph"]) for n in notes] == [(note["id"], "green", 1)]
    found = call(sqlite_files, "GET", "/files/search", "dm.jhs", params={"q": "नामांतरण"}).json()["files"]
    assert [f["id"] for f in found] == [first["id"]]
    assert call(sqlite_files, "GET", f"/files/{first['id']}/audit/verify", "clerk.jhs").json()["valid"] is True
    tap.wait_for("file_pulled_back")


def test_a_request_retried_with_its_idempotency_key_is_carried_out_once_on_sqlite(sqlite_files):
    head = call(sqlite_files, "GET", "/heads", "clerk.jhs").json()["heads"][0]
    body = {"head_id": head["id"], "subject": "नामांतरण प्रकरण"}
    first, retry = (call(sqlite_files, "POST", "/files", "clerk.jhs", json=body, headers={"Idempotency-Key": "k-1"}) for _ in range(2))
    assert (first.status_code, retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, 201, "true")
    assert retry.json() == first.json()
    reused = call(sqlite_files, "POST", "/files", "clerk.jhs", json={**body, "subject": "दूसरा"}, headers={"Idempotency-Key": "k-1"})
    assert (reused.status_code, reused.json()["error"]) == (422, "idempotency_key_reused")
    assert call(sqlite_files, "GET", "/files?box=created", "clerk.jhs").json()["total"] == 1
