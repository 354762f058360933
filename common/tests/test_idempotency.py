"""Idempotency-Key on a route declared idempotent: a retry gets the first answer and writes nothing
more; the key with another body is 422; two requests with one key at once write once; old keys go."""
import logging
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import requests
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from pydantic import BaseModel
from sqlalchemy import column, create_engine, func, insert, select, table, update

from eoffice_common.auth import Principal, issue_token
from eoffice_common.db import Database
from eoffice_common.tables import idempotency_keys
from eoffice_common.testing import TEST_JWT_PRIVATE_KEY
from eoffice_common.web import Caller, DescribedService, http, parse_json, require_caller

notes = table("notes", column("id"), column("text"))  # the writer's table (conftest)


class NoteIn(BaseModel):
    id: str
    text: str


class Notebook(DescribedService):
    name = "writer"
    db = Database()
    caller = Caller()

    @http("POST", "/notes", idempotent=True)
    def add_note(self, request):
        require_caller(self.caller)
        note = parse_json(request, NoteIn)
        with self.db.unit_of_work() as uow:
            note_id = str(uuid.uuid4())
            uow.session.execute(insert(notes).values(id=note_id, text=note.text))
            if note.id == "slow":  # holds the transaction open while a second request arrives
                eventlet.sleep(0.5)
            answer = 201, {"id": note_id, "text": note.text}
            uow.commit(answer)
            return answer

    @http("POST", "/scans", idempotent=True, upload=True)
    def add_scan(self, request):
        require_caller(self.caller)
        text = request.form["title"] + ":" + request.files["scan"].read().decode()
        with self.db.unit_of_work() as uow:
            note_id = str(uuid.uuid4())
            uow.session.execute(insert(notes).values(id=note_id, text=text))
            answer = 201, {"id": note_id, "text": text}
            uow.commit(answer)
            return answer

    @http("POST", "/forgetful", idempotent=True)
    def forgets_its_answer(self, request):
        with self.db.unit_of_work() as uow:
            uow.session.execute(insert(notes).values(id=str(uuid.uuid4()), text="forgotten"))
            uow.commit()
        return {}


def headers(key=None, user="clerk.jhs"):
    principal = Principal(user, "COLL-JHS", ("clerk",), user)
    return {"Authorization": f"Bearer {issue_token(TEST_JWT_PRIVATE_KEY, principal, 600)}",
            **({"Idempotency-Key": key} if key else {})}


def start(container_factory, writer_config):
    container_factory(Notebook, writer_config).start()
    return f"http://{writer_config['WEB_SERVER_ADDRESS']}"


def replays():
    return REGISTRY.get_sample_value("eoffice_idempotent_replays_total", {"service": "writer", "entrypoint": "add_note"}) or 0


def count(url, table):
    engine = create_engine(url)
    with engine.connect() as connection:
        counted = connection.execute(select(func.count()).select_from(table)).scalar()
    engine.dispose()
    return counted


def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(container_factory, writer_config):
    base = start(container_factory, writer_config)
    replays_before = replays()
    first = requests.post(f"{base}/notes", json={"id": "n", "text": "letter"}, headers=headers("key-1"))
    retry = requests.post(f"{base}/notes", json={"id": "n", "text": "letter"}, headers=headers("key-1"))
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    assert (first.headers.get("Idempotent-Replayed"), retry.headers["Idempotent-Replayed"]) == (None, "true")
    assert replays() == replays_before + 1
    assert count(writer_config["DB_URL"], notes) == 1
    another_user = requests.post(f"{base}/notes", json={"id": "n", "text": "letter"}, headers=headers("key-1", user="so.jhs"))
    without_key = requests.post(f"{base}/notes", json={"id": "n", "text": "letter"}, headers=headers())
    assert (another_user.status_code, without_key.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in another_user.headers
    assert count(writer_config["DB_URL"], notes) == 3


def test_the_same_key_with_another_body_is_422_and_writes_nothing(container_factory, writer_config):
    base = start(container_factory, writer_config)
    assert requests.post(f"{base}/notes", json={"id": "n", "text": "letter"}, headers=headers("key-2")).status_code == 201
    reused = requests.post(f"{base}/notes", json={"id": "n", "text": "another letter"}, headers=headers("key-2"))
    assert (reused.status_code, reused.json()["error"]) == (422, "idempotency_key_reused")
    assert count(writer_config["DB_URL"], notes) == 1


def test_an_unusable_key_is_400(container_factory, writer_config):
    base = start(container_factory, writer_config)
    for key in ("x" * 256, "with space", "नमस्ते"):
        response = requests.post(f"{base}/notes", json={"id": "n", "text": "t"},
                                 headers={**headers(), "Idempotency-Key": key.encode().decode("latin-1")})
        assert (response.status_code, response.json()["error"]) == (400, "idempotency_key_invalid"), key
    assert count(writer_config["DB_URL"], notes) == 0


def test_two_requests_with_one_key_at_once_write_once_and_answer_alike(container_factory, writer_config, caplog):
    base = start(container_factory, writer_config)
    pool = eventlet.GreenPool()
    sent = [pool.spawn(requests.post, f"{base}/notes", json={"id": "slow", "text": "letter"}, headers=headers("key-3"))
            for _ in range(2)]
    answers = [thread.wait() for thread in sent]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].content == answers[1].content
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert count(writer_config["DB_URL"], notes) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []  # the wait is no fault


def test_an_upload_retried_with_a_new_boundary_is_the_same_request(container_factory, writer_config):
    base = start(container_factory, writer_config)
    upload = {"files": {"scan": ("scan.txt", b"page one")}, "data": {"title": "letter"}}
    first = requests.post(f"{base}/scans", **upload, headers=headers("key-4"))
    retry = requests.post(f"{base}/scans", **upload, headers=headers("key-4"))
    assert first.request.body.split(b"\r\n")[0] != retry.request.body.split(b"\r\n")[0]  # the boundaries differ
    assert (first.status_code, retry.status_code, retry.content) == (201, 201, first.content)
    assert first.json()["text"] == "letter:page one"
    other = requests.post(f"{base}/scans", files={"scan": ("scan.txt", b"page two")}, data={"title": "letter"}, headers=headers("key-4"))
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    assert count(writer_config["DB_URL"], notes) == 1


def test_a_route_that_commits_without_its_answer_writes_nothing_under_a_key(container_factory, writer_config):
    base = start(container_factory, writer_config)
    assert requests.post(f"{base}/forgetful", headers=headers("key-5")).status_code == 500
    assert count(writer_config["DB_URL"], notes) == 0


def test_keys_are_kept_a_day_then_forgotten(container_factory, writer_config):
    container = container_factory(Notebook, writer_config)
    container.start()
    base = f"http://{writer_config['WEB_SERVER_ADDRESS']}"
    for key in ("old", "young"):
        requests.post(f"{base}/notes", json={"id": key, "text": key}, headers=headers(key))
    engine = create_engine(writer_config["DB_URL"])
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        for key, age in (("old", timedelta(hours=24, minutes=1)), ("young", timedelta(hours=23))):
            connection.execute(update(idempotency_keys).where(idempotency_keys.c.key == key).values(created_at=now - age))
    with entrypoint_hook(container, "forget_old_idempotency_keys") as forget:
        assert forget() == 1
    with engine.connect() as connection:
        assert connection.execute(select(idempotency_keys.c.key)).scalars().all() == ["young"]
    engine.dispose()
    assert requests.post(f"{base}/notes", json={"id": "old", "text": "old"}, headers=headers("old")).headers.get("Idempotent-Replayed") is None
    assert requests.post(f"{base}/notes", json={"id": "young", "text": "young"}, headers=headers("young")).headers["Idempotent-Replayed"] == "true"
