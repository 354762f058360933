"""A writer service that emits events through the outbox and a reader that consumes them once:
the plumbing exercised on the real RabbitMQ, PostgreSQL and S3 endpoint, with nothing of dak."""
import time
from collections import defaultdict
from dataclasses import dataclass

import pytest
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert, select, update

from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.events import DomainEvent
from eoffice_common.metrics import Instrumentation
from eoffice_common.model import Aggregate
from eoffice_common.rpc import rpc
from eoffice_common.tables import PLUMBING
from eoffice_common.testing import TEST_JWT_KEYS, create_database, free_port, truncate_all
from eoffice_common.web import Caller, http, parse_json, require_caller

TEST_TABLES = MetaData()
notes = Table("notes", TEST_TABLES, Column("id", String(36), primary_key=True), Column("text", Text, nullable=False))
tally = Table("tally", TEST_TABLES, Column("note_id", String(36), primary_key=True), Column("times", Integer, nullable=False))


@dataclass(frozen=True)
class NoteWritten(DomainEvent):
    event_type = "note_written"
    aggregate_type = "note"
    note_id: str
    text: str
    office: str = "TEST-OFFICE"

    @property
    def aggregate_id(self):
        return self.note_id


class Note(Aggregate):
    def __init__(self, note_id, text):
        self.id, self.text = note_id, text
        self.record(NoteWritten(note_id=note_id, text=text))


class NoteIn(BaseModel):
    id: str
    text: str


class WriterService:
    name = "writer"
    db = Database()
    caller = Caller()
    log = Instrumentation()

    @rpc
    def write(self, note_id, text, commit=True):
        with self.db.unit_of_work() as uow:
            uow.session.execute(insert(notes).values(id=note_id, text=text))
            uow.emit(NoteWritten(note_id=note_id, text=text))
            if commit:
                uow.commit()

    @rpc
    def write_note(self, note_id, text, commit=True):
        """The same write through an aggregate that records its event, as use cases do."""
        with self.db.unit_of_work() as uow:
            note = uow.track(Note(note_id, text))
            uow.session.execute(insert(notes).values(id=note.id, text=note.text))
            if commit:
                uow.commit()

    @http("POST", "/notes")
    def post_note(self, request):
        principal = require_caller(self.caller)
        note = parse_json(request, NoteIn)
        self.write(note.id, f"{note.text} ({principal.user_id})")
        return 201, {"id": note.id}

    @http("GET", "/ping", public=True)
    def ping(self, request):
        return {"pong": True}


class ReaderService:
    name = "reader"
    db = Database()
    log = Instrumentation()
    # When the handler was called for each note id (monotonic seconds), in this test process.
    deliveries = defaultdict(list)

    @consume_events({"writer": ("note_written",)})
    def on_note_written(self, payload):
        ReaderService.deliveries[payload.get("aggregate_id")].append(time.monotonic())
        self.db.apply_once(payload, self._count)

    @staticmethod
    def _count(uow, envelope):
        note_id = envelope.data["note_id"]
        if note_id.startswith("unlucky-"):
            raise RuntimeError(f"note {note_id} is refused by the test")
        if uow.session.execute(select(tally.c.times).where(tally.c.note_id == note_id)).first():
            uow.session.execute(update(tally).where(tally.c.note_id == note_id).values(times=tally.c.times + 1))
        else:
            uow.session.execute(insert(tally).values(note_id=note_id, times=1))


def _scratch_database(name):
    url = create_database(name)
    engine = create_engine(url)
    PLUMBING.create_all(engine)
    TEST_TABLES.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def plumbing_databases():
    return {"writer": _scratch_database("eoffice_test_writer"), "reader": _scratch_database("eoffice_test_reader")}


@pytest.fixture
def databases(plumbing_databases):
    for url in plumbing_databases.values():
        truncate_all(url)
    return plumbing_databases


@pytest.fixture
def base_config(rabbit_config):
    return {**rabbit_config, **TEST_JWT_KEYS, "METRICS_PORT": 0}


@pytest.fixture
def writer_config(base_config, databases):
    return {**base_config, "DB_URL": databases["writer"], "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}


@pytest.fixture
def reader_config(base_config, databases):
    return {**base_config, "DB_URL": databases["reader"]}


@pytest.fixture
def writer_service():
    return WriterService


@pytest.fixture
def reader_service():
    ReaderService.deliveries.clear()
    return ReaderService


@pytest.fixture
def test_tables():
    return {"notes": notes, "tally": tally}
